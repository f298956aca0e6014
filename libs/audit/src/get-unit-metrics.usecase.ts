import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BoardEntry, boardEntry, GetBoard } from '@fr/board';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ReadDatabase, selectRow, selectRows } from '@fr/persistence';
import { SlaService } from '@fr/sla';
import { CaseFactsReader } from './case-facts.reader';
import { CsvValue, csvRow, UTF8_BOM } from './csv';
import { Period } from './period';
import { ReadSlots } from './read-slots';
import { REVIEW_CRITERIA, REVIEW_MAX_SCORE } from './record-review.usecase';
import { coveredByFacts, vnDayLabel } from './unit-facts';
import { FACTS_BATCH, UnitFactsUpdater } from './unit-facts.updater';
import { caseLines, emptyTotals, MetricsContext, round2, SATISFIED_RATING, UnitAccumulator, UnitMetrics, unitMetricsOf, UnitTotals } from './unit-metrics';

/** Where the additive metrics come from: the daily facts, or every case of the period (the reference). */
export type MetricsSource = 'facts' | 'raw';

export const ESCALATION_LEVELS = ['warn', '1', '2', '3'] as const;

export interface UnitReport extends UnitMetrics {
  unitCode: string;
  unitName: string;
  kind: string;
  active: boolean;
  /** When the unit began and ended (reorganisations); null: not in the history the engine holds, or still there. */
  validFrom: string | null;
  validTo: string | null;
  /** Lineage: the units whose work it took over, and those that took over its work. */
  predecessors: string[];
  successors: string[];
  /** Levels reached by the unit's cases in the period; null where escalations are not recorded. */
  escalations: Record<string, number> | null;
  /** Whether the unit has a designated handler and leader now (designations have no history). */
  designation: { handler: boolean; leader: boolean };
  /** Quality reviews of the cases the unit closed in the period: mean score per criterion (0..2). */
  reviews: ReviewSummary;
  /** Notices the unit published in the period. */
  notices: number;
  /** The unit against each active target that applies to it, at evaluatedAt (the board's entries). */
  targets: BoardEntry[];
}

export interface ReviewSummary {
  count: number;
  addressesIssue: number | null;
  evidence: number | null;
  lawful: number | null;
  politeClear: number | null;
  /** Mean of the four criteria's sum, 0..8. */
  meanTotal: number | null;
  /** meanTotal as a share of the best score, in percent. */
  qualityPercent: number | null;
}

export interface UnitMetricsReport {
  from: string;
  to: string;
  /** When open, overdue and at-risk were evaluated: the end of the period, or now if sooner. */
  evaluatedAt: string;
  coverage: { units: number; withHandler: number; withLeader: number; complete: number };
  /** The active targets the units' `targets` and the CSV's target columns refer to. */
  targets: { id: string; kind: string; name: string }[];
  units: UnitReport[];
  /** Which ended units of the report feed which units, and from when. */
  lineage: LineageEntry[];
}

export interface LineageEntry {
  from: string;
  to: string[];
  at: string;
}

/** Per unit and period, every metric of DOMAIN.md's quality audit (attribution rules in unit-metrics.ts). */
/**
 * The span a case is open, [received_at, closed_at), as cases_open_span_idx indexes it (migration
 * 1766800000001-CasesOpenSpan says why): `@> T` is received_at <= T AND (closed_at IS NULL OR closed_at > T).
 */
const CASES_OPEN_SPAN = `tstzrange(c.received_at, CASE WHEN c.closed_at IS NULL THEN NULL ELSE GREATEST(c.closed_at, c.received_at) END, '[)')`;

@Injectable()
export class GetUnitMetrics {
  /**
   * Reports this process computes at once. One more is refused at once (503 with Retry-After, as
   * verify and export are), not queued behind the others: each runs about eight statements side by
   * side on the reports' pool (ReadDatabase), and twenty refreshed at once queued there until their
   * statements timed out waiting for a connection.
   */
  private readonly slots: ReadSlots;

  constructor(
    /** The replica when there is one (DATABASE_READ_URL), like the facts it reads. */
    private readonly read: ReadDatabase,
    private readonly facts: CaseFactsReader,
    private readonly sla: SlaService,
    private readonly board: GetBoard,
    private readonly updater: UnitFactsUpdater,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.slots = new ReadSlots((n) => `${n} unit report(s) are being computed`, 'FR_REPORT_CONCURRENCY', config.reportConcurrency);
  }

  context(period: Period, now = new Date()): MetricsContext {
    const evaluatedAt = Math.min(period.to.getTime(), now.getTime());
    return {
      from: period.from.getTime(),
      to: period.to.getTime(),
      evaluatedAt,
      calendar: this.sla.calendar,
      receiveDue: (start) => this.sla.deadlines(this.sla.receiveClock(start), []).dueAt!,
    };
  }

  /**
   * The report. Periods of whole Vietnamese days (every date-only request) read the daily facts and
   * the open cases; a period cut inside a day, or `source: 'raw'`, reads every case of the period.
   */
  async execute(period: Period, now = new Date(), source: MetricsSource = 'facts'): Promise<UnitMetricsReport> {
    const release = this.slots.take();
    try {
      return await this.report(period, now, source);
    } finally {
      release();
    }
  }

  private async report(period: Period, now: Date, source: MetricsSource): Promise<UnitMetricsReport> {
    const ctx = this.context(period, now);
    // The report's reads are independent statements (as before, each in its own snapshot): side by
    // side over the pool's connections, so the open cases' index probes, the sums and the rest use
    // both cores instead of queueing behind each other (see fromFacts for what was measured).
    const [acc, escalations, reviews, standings, notices, units] = await Promise.all([
      source === 'facts' && coveredByFacts(period) ? this.fromFacts(period, ctx) : this.fromRaw(period, ctx),
      this.escalations(period),
      this.reviews(period),
      // The period's last instant: at its exclusive end a new calendar day has begun, and a notice
      // cadence would count that day.
      this.board.standings(new Date(ctx.evaluatedAt - 1), period.from),
      this.board.noticesPerUnit(period.from, period.to),
      this.units(),
    ]);
    const rows: UnitReport[] = units
      // The units that existed in the period (a quarter before a reorganisation shows the old ones,
      // one after the new), and any other that holds work in it.
      .filter((u) => existedIn(u, period) || acc.has(u.code))
      .map((u) => ({
        unitCode: u.code,
        unitName: u.name,
        kind: u.kind,
        active: u.active,
        validFrom: u.valid_from?.toISOString() ?? null,
        validTo: u.valid_to?.toISOString() ?? null,
        predecessors: u.predecessors,
        successors: u.successors,
        ...(acc.get(u.code) ?? NO_METRICS),
        escalations: escalations ? Object.fromEntries(ESCALATION_LEVELS.map((l) => [l, escalations.get(`${u.code}|${l}`) ?? 0])) : null,
        designation: { handler: u.has_handler, leader: u.has_leader },
        reviews: reviews.get(u.code) ?? NO_REVIEWS,
        notices: notices.get(u.code) ?? 0,
        targets: standings.filter((s) => s.unit.code === u.code).map(boardEntry),
      }));
    const targets = new Map(standings.map((s) => [s.target.id, { id: s.target.id, kind: s.target.kind, name: s.target.name }]));
    const active = rows.filter((r) => r.active);
    return {
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      evaluatedAt: new Date(ctx.evaluatedAt).toISOString(),
      coverage: {
        units: active.length,
        withHandler: active.filter((r) => r.designation.handler).length,
        withLeader: active.filter((r) => r.designation.leader).length,
        complete: active.filter((r) => r.designation.handler && r.designation.leader).length,
      },
      targets: [...targets.values()].sort((a, b) => a.id.localeCompare(b.id)),
      units: rows,
      lineage: rows.filter((r) => r.validTo && r.successors.length).map((r) => ({ from: r.unitCode, to: r.successors, at: r.validTo! })),
    };
  }

  private async units(): Promise<UnitRow[]> {
    return selectRows<UnitRow>(
      await this.read.source(),
      `SELECT u.code, u.name, u.kind, u.active, u.handler_id IS NOT NULL AS has_handler, u.leader_id IS NOT NULL AS has_leader,
              u.valid_from, u.valid_to, u.successors,
              ARRAY(SELECT p.code FROM units p WHERE u.code = ANY(p.successors) ORDER BY p.code) AS predecessors
         FROM units u ORDER BY u.code`,
    );
  }

  private async fromRaw(period: Period, ctx: MetricsContext): Promise<Map<string, UnitMetrics>> {
    const acc = new Map<string, UnitAccumulator>();
    await this.facts.forEach(period, new Date(ctx.evaluatedAt), null, (f) => {
      for (const line of caseLines(f, ctx)) {
        let a = acc.get(line.unitCode);
        if (!a) acc.set(line.unitCode, (a = new UnitAccumulator()));
        a.add(line);
      }
    });
    return new Map([...acc].map(([unit, a]) => [unit, a.result()]));
  }

  /**
   * Sums of the period's daily facts per unit: the per unit and day totals (unit_day_totals and
   * unit_day_minutes, a few thousand rows a quarter) plus the `grouped` pairs grouped per case and unit
   * first (so that a case counts once per unit, as in the raw report); plus the cases open at the
   * evaluation time, by their state then. Pending cases are recomputed first (on the primary), so the report reads no stale
   * case (with a replica, DATABASE_READ_URL, a case changed within its replay lag may still be read as before).
   */
  private async fromFacts(period: Period, ctx: MetricsContext): Promise<Map<string, UnitMetrics>> {
    await this.updater.drain(FACTS_BATCH, Infinity, true);
    const db = await this.read.source();
    const [sums, open] = await Promise.all([this.factsTotals(db, period), this.openAt(db, new Date(ctx.evaluatedAt), period)]);
    const totals = new Map<string, { t: UnitTotals; minutes: UnitMetrics['resolveWorkingMinutes'] }>();
    const of = (unit: string) => {
      let e = totals.get(unit);
      if (!e) totals.set(unit, (e = { t: emptyTotals(), minutes: { median: null, p90: null } }));
      return e;
    };
    for (const r of sums) {
      const e = of(r.unit_code);
      Object.assign(e.t, {
        received: r.received,
        acknowledged: r.acknowledged,
        acknowledgedOnTime: r.acknowledged_on_time,
        resolved: r.resolved,
        resolvedOnTime: r.resolved - r.resolved_late,
        resolvedLate: r.resolved_late,
        transfersIn: r.transfers_in,
        transfersOut: r.transfers_out,
        reorganisedIn: r.reorganised_in,
        reorganisedOut: r.reorganised_out,
        returns: r.returns,
        passedOnLate: r.passed_on_late,
        due: r.due,
        late: r.late,
        extensions: r.extensions,
        reopened: r.reopened,
        mergedDuplicates: r.merged,
        ratings: r.ratings,
        ratingSum: r.rating_sum,
        satisfied: r.satisfied,
      });
      e.minutes = { median: r.median, p90: r.p90 };
    }
    for (const r of open) {
      const t = of(r.unit_code).t;
      // An overdue case the unit also resolved or passed on late in the period is already due (and late, if so) once.
      Object.assign(t, { open: r.open, openOverdue: r.overdue, openAtRisk: r.at_risk, due: t.due + r.overdue_due, late: t.late + r.overdue_late });
    }
    return new Map([...totals].map(([unit, e]) => [unit, unitMetricsOf(e.t, e.minutes)]));
  }

  /** The period's sums per unit from the daily totals and the few grouped facts (fromFacts). */
  private factsTotals(db: DataSource, period: Period): Promise<FactsTotalsRow[]> {
    return selectRows<FactsTotalsRow>(
      db,
      `WITH grouped AS (
         SELECT unit_code, bool_or(received) AS received,
                -- As caseLines: a receipt left unacknowledged (returned) gives way to a later one the unit
                -- acknowledged, judged by that receipt's deadline; the first acknowledged receipt counts.
                COALESCE(bool_or(acknowledged) FILTER (WHERE received), false) AS acknowledged,
                COALESCE((array_agg(acknowledged_on_time ORDER BY day) FILTER (WHERE received AND acknowledged))[1], false) AS acknowledged_on_time,
                bool_or(resolved) AS resolved, bool_or(resolved_late) AS resolved_late,
                (array_agg(resolve_minutes ORDER BY day) FILTER (WHERE resolved))[1] AS minutes,
                sum(transfers_in) AS transfers_in, sum(transfers_out) AS transfers_out, sum(reorganised_in) AS reorganised_in,
                sum(reorganised_out) AS reorganised_out, sum(returns) AS returns, sum(extensions) AS extensions,
                bool_or(reopened) AS reopened, bool_or(merged_duplicate) AS merged, max(rating) AS rating,
                -- Once per case in due and late, as caseLines' lineDue and lineLate.
                bool_or(passed_on_late) AS passed_on_late, bool_or(resolved OR passed_on_late) AS due,
                bool_or((resolved AND resolved_late) OR passed_on_late) AS late
           FROM unit_case_facts WHERE day >= $1::date AND day < $2::date AND grouped GROUP BY unit_code, case_id),
       totals AS (
         SELECT unit_code, received, acknowledged, acknowledged_on_time, resolved, resolved_late, transfers_in, transfers_out,
                reorganised_in, reorganised_out, returns, extensions, reopened, merged, ratings, rating_sum, satisfied,
                passed_on_late, due, late
           FROM unit_day_totals WHERE day >= $1::date AND day < $2::date AND rows > 0
         UNION ALL
         SELECT unit_code, count(*) FILTER (WHERE received), count(*) FILTER (WHERE received AND acknowledged),
                count(*) FILTER (WHERE received AND acknowledged_on_time), count(*) FILTER (WHERE resolved),
                count(*) FILTER (WHERE resolved AND resolved_late), sum(transfers_in), sum(transfers_out), sum(reorganised_in),
                sum(reorganised_out), sum(returns), sum(extensions), count(*) FILTER (WHERE reopened), count(*) FILTER (WHERE merged),
                count(rating), COALESCE(sum(rating), 0), count(*) FILTER (WHERE rating >= $3),
                count(*) FILTER (WHERE passed_on_late), count(*) FILTER (WHERE due), count(*) FILTER (WHERE late)
           FROM grouped GROUP BY unit_code),
       -- percentile_disc over the per-case working minutes, from counts per value: the first value whose
       -- running count reaches ceil(p * n), p * n in float8 as percentile_disc (and nearestRank) take it.
       minutes AS (
         SELECT unit_code, minutes, sum(n) AS n
           FROM (SELECT unit_code, minutes, n FROM unit_day_minutes WHERE day >= $1::date AND day < $2::date AND n > 0
                 UNION ALL
                 SELECT unit_code, minutes, 1 FROM grouped WHERE minutes IS NOT NULL) v
          GROUP BY unit_code, minutes),
       running AS (
         SELECT unit_code, minutes, sum(n) OVER (PARTITION BY unit_code ORDER BY minutes) AS below,
                sum(n) OVER (PARTITION BY unit_code)::float8 AS n
           FROM minutes),
       percentiles AS (
         SELECT unit_code, min(minutes) FILTER (WHERE below >= ceil(0.5::float8 * n)) AS median,
                min(minutes) FILTER (WHERE below >= ceil(0.9::float8 * n)) AS p90
           FROM running GROUP BY unit_code)
       SELECT t.unit_code,
              sum(t.received)::int AS received, sum(t.acknowledged)::int AS acknowledged, sum(t.acknowledged_on_time)::int AS acknowledged_on_time,
              sum(t.resolved)::int AS resolved, sum(t.resolved_late)::int AS resolved_late, p.median, p.p90,
              sum(t.transfers_in)::int AS transfers_in, sum(t.transfers_out)::int AS transfers_out,
              sum(t.reorganised_in)::int AS reorganised_in, sum(t.reorganised_out)::int AS reorganised_out,
              sum(t.returns)::int AS returns, sum(t.extensions)::int AS extensions,
              sum(t.reopened)::int AS reopened, sum(t.merged)::int AS merged,
              sum(t.ratings)::int AS ratings, sum(t.rating_sum)::int AS rating_sum, sum(t.satisfied)::int AS satisfied,
              sum(t.passed_on_late)::int AS passed_on_late, sum(t.due)::int AS due, sum(t.late)::int AS late
         FROM totals t LEFT JOIN percentiles p ON p.unit_code = t.unit_code
        GROUP BY t.unit_code, p.median, p.p90`,
      [vnDayLabel(period.from.getTime()), vnDayLabel(period.to.getTime()), SATISFIED_RATING],
    );
  }

  /**
   * Open, overdue and at risk per unit at `at`: the cases whose open span holds `at` (the raw
   * report's last two candidate sets), each by its last state then, one index probe of the state log
   * per candidate. The candidates are split in two halves of the id space (case ids are random
   * UUIDs, so the halves are even), counted side by side over two connections and added up: the
   * probes are most of the report's time (1.1-1.7 s of it in one statement, 22,283 candidates for Q2
   * of the bench's 1,000,000 cases, 2026-12-03). JIT off: compiling the statement took 61 ms of that.
   */
  private async openAt(db: DataSource, at: Date, period: Period): Promise<OpenRow[]> {
    // An overdue case counts in due (late) only if the unit's facts of the period do not already: a case
    // resolved (late) or passed on late by the unit in the period, then open past a deadline with it again.
    const counted = (what: string) => `EXISTS (SELECT 1 FROM unit_case_facts f WHERE f.case_id = c.id AND f.unit_code = s.unit_code
                                                   AND f.day >= $3::date AND f.day < $4::date AND (${what}))`;
    const half = (cond: string) =>
      db.transaction(async (m) => {
        await m.query('SET LOCAL jit = off');
        return selectRows<OpenRow>(
          m,
          `SELECT s.unit_code, count(*)::int AS open,
                  count(*) FILTER (WHERE s.due_at <= $1)::int AS overdue,
                  count(*) FILTER (WHERE s.warn_at <= $1 AND $1 < s.due_at)::int AS at_risk,
                  count(*) FILTER (WHERE s.due_at <= $1 AND NOT ${counted('f.resolved OR f.passed_on_late')})::int AS overdue_due,
                  count(*) FILTER (WHERE s.due_at <= $1 AND NOT ${counted('(f.resolved AND f.resolved_late) OR f.passed_on_late')})::int AS overdue_late
             FROM cases c
             CROSS JOIN LATERAL (
               SELECT l.status, l.unit_code, l.due_at, l.warn_at FROM case_state_log l
                WHERE l.case_id = c.id AND l.at <= $1 ORDER BY l.at DESC, l.id DESC LIMIT 1) s
            WHERE ${CASES_OPEN_SPAN} @> $1::timestamptz AND c.id ${cond} $2::uuid
              AND s.unit_code IS NOT NULL AND s.status NOT IN ('resolved', 'closed', 'merged')
            GROUP BY s.unit_code`,
          [at, MID_UUID, vnDayLabel(period.from.getTime()), vnDayLabel(period.to.getTime())],
        );
      });
    const sum = new Map<string, OpenRow>();
    for (const r of (await Promise.all([half('<'), half('>=')])).flat()) {
      const e = sum.get(r.unit_code);
      sum.set(
        r.unit_code,
        e
          ? {
              unit_code: r.unit_code,
              open: e.open + r.open,
              overdue: e.overdue + r.overdue,
              at_risk: e.at_risk + r.at_risk,
              overdue_due: e.overdue_due + r.overdue_due,
              overdue_late: e.overdue_late + r.overdue_late,
            }
          : r,
      );
    }
    return [...sum.values()];
  }

  private async reviews(period: Period): Promise<Map<string, ReviewSummary>> {
    const rows = await selectRows<{ unit_code: string; n: number; a: number; e: number; l: number; p: number; total: number }>(
      await this.read.source(),
      `SELECT r.unit_code, count(*)::int AS n, avg(r.addresses_issue)::float8 AS a, avg(r.evidence)::float8 AS e, avg(r.lawful)::float8 AS l,
              avg(r.polite_clear)::float8 AS p, avg(r.addresses_issue + r.evidence + r.lawful + r.polite_clear)::float8 AS total
         FROM audit_reviews r JOIN cases c ON c.id = r.case_id
        WHERE c.closed_at >= $1 AND c.closed_at < $2 GROUP BY r.unit_code`,
      [period.from, period.to],
    );
    return new Map(
      rows.map((r) => [
        r.unit_code,
        {
          count: r.n,
          addressesIssue: round2(r.a),
          evidence: round2(r.e),
          lawful: round2(r.l),
          politeClear: round2(r.p),
          meanTotal: round2(r.total),
          qualityPercent: round2((r.total / (REVIEW_CRITERIA.length * REVIEW_MAX_SCORE)) * 100),
        },
      ]),
    );
  }

  /** Escalations are another feature's table; a deployment without it reports null. */
  private async escalations(period: Period): Promise<Map<string, number> | null> {
    const t = await selectRow<{ present: boolean }>(await this.read.source(), `SELECT to_regclass('escalations') IS NOT NULL AS present`);
    if (!t?.present) return null;
    const rows = await selectRows<{ unit_code: string; level: string; n: number }>(
      await this.read.source(),
      `SELECT unit_code, level::text AS level, count(*)::int AS n FROM escalations
        WHERE fired_at >= $1 AND fired_at < $2 AND unit_code IS NOT NULL GROUP BY 1, 2`,
      [period.from, period.to],
    );
    return new Map(rows.map((r) => [`${r.unit_code}|${r.level}`, r.n]));
  }
}

function existedIn(u: { active: boolean; valid_from: Date | null; valid_to: Date | null }, period: Period): boolean {
  if (u.valid_from === null && u.valid_to === null) return u.active;
  return (u.valid_from === null || u.valid_from < period.to) && (u.valid_to === null || u.valid_to > period.from);
}

interface OpenRow {
  unit_code: string;
  open: number;
  overdue: number;
  at_risk: number;
  /** Overdue and not already due (late) by the unit's facts of the period. */
  overdue_due: number;
  overdue_late: number;
}

/** The middle of the UUID space: random case ids fall on either side of it evenly. */
const MID_UUID = '80000000-0000-0000-0000-000000000000';

interface UnitRow {
  code: string;
  name: string;
  kind: string;
  active: boolean;
  has_handler: boolean;
  has_leader: boolean;
  valid_from: Date | null;
  valid_to: Date | null;
  successors: string[];
  predecessors: string[];
}

interface FactsTotalsRow {
  unit_code: string;
  received: number;
  acknowledged: number;
  acknowledged_on_time: number;
  resolved: number;
  resolved_late: number;
  median: number | null;
  p90: number | null;
  transfers_in: number;
  transfers_out: number;
  reorganised_in: number;
  reorganised_out: number;
  returns: number;
  extensions: number;
  reopened: number;
  merged: number;
  ratings: number;
  rating_sum: number;
  satisfied: number;
  passed_on_late: number;
  due: number;
  late: number;
}

const NO_METRICS: UnitMetrics = new UnitAccumulator().result();

const NO_REVIEWS: ReviewSummary = { count: 0, addressesIssue: null, evidence: null, lawful: null, politeClear: null, meanTotal: null, qualityPercent: null };

const CSV_COLUMNS: [string, (u: UnitReport) => CsvValue][] = [
  ['unit_code', (u) => u.unitCode],
  ['unit_name', (u) => u.unitName],
  ['received', (u) => u.received],
  ['acknowledged', (u) => u.acknowledged],
  ['acknowledged_on_time', (u) => u.acknowledgedOnTime],
  ['resolved', (u) => u.resolved],
  ['resolved_on_time', (u) => u.resolvedOnTime],
  ['resolved_late', (u) => u.resolvedLate],
  ['open', (u) => u.open],
  ['open_overdue', (u) => u.openOverdue],
  ['open_at_risk', (u) => u.openAtRisk],
  ['resolve_working_minutes_median', (u) => u.resolveWorkingMinutes.median],
  ['resolve_working_minutes_p90', (u) => u.resolveWorkingMinutes.p90],
  ['transfers_in', (u) => u.transfersIn],
  ['transfers_out', (u) => u.transfersOut],
  ['returns', (u) => u.returns],
  ['extensions', (u) => u.extensions],
  ['reopened', (u) => u.reopened],
  ['merged_duplicates', (u) => u.mergedDuplicates],
  ['ratings', (u) => u.satisfaction.ratings],
  ['rating_mean', (u) => u.satisfaction.mean],
  ['satisfied_percent', (u) => u.satisfaction.satisfiedShare],
  ...ESCALATION_LEVELS.map((l): [string, (u: UnitReport) => CsvValue] => [`escalations_${l}`, (u) => u.escalations?.[l] ?? null]),
  ['designated_handler', (u) => u.designation.handler],
  ['designated_leader', (u) => u.designation.leader],
  ['reviews', (u) => u.reviews.count],
  ['review_addresses_issue', (u) => u.reviews.addressesIssue],
  ['review_evidence', (u) => u.reviews.evidence],
  ['review_lawful', (u) => u.reviews.lawful],
  ['review_polite_clear', (u) => u.reviews.politeClear],
  ['review_quality_percent', (u) => u.reviews.qualityPercent],
  ['due', (u) => u.onTime.due],
  ['late', (u) => u.onTime.late],
  ['late_rate_percent', (u) => u.onTime.lateRate],
  ['on_time_rate_percent', (u) => u.onTime.onTimeRate],
];

/** After the fixed columns: notices, then status, value, target and last day allowed of each active target. */
function complianceColumns(report: UnitMetricsReport): [string, (u: UnitReport) => CsvValue][] {
  const entry = (u: UnitReport, id: string) => u.targets.find((e) => e.targetId === id);
  return [
    ['notices', (u) => u.notices],
    ...report.targets.flatMap((t): [string, (u: UnitReport) => CsvValue][] => [
      [`target_${t.id}_status`, (u) => entry(u, t.id)?.status ?? null],
      [`target_${t.id}_value`, (u) => entry(u, t.id)?.value ?? null],
      [`target_${t.id}_target`, (u) => entry(u, t.id)?.target ?? null],
      [`target_${t.id}_due_date`, (u) => entry(u, t.id)?.dueDate ?? null],
    ]),
  ];
}

/** Last, so that readers of the earlier columns by position are not disturbed: the unit's life and lineage. */
const LINEAGE_COLUMNS: [string, (u: UnitReport) => CsvValue][] = [
  ['reorganised_in', (u) => u.reorganisedIn],
  ['reorganised_out', (u) => u.reorganisedOut],
  ['valid_from', (u) => u.validFrom],
  ['valid_to', (u) => u.validTo],
  ['predecessors', (u) => u.predecessors.join(' ')],
  ['successors', (u) => u.successors.join(' ')],
  // After the lineage, for the same reason: cases transferred or returned after their deadline, in due and late.
  ['passed_on_late', (u) => u.passedOnLate],
];

export function unitMetricsCsv(report: UnitMetricsReport): string {
  const columns = [...CSV_COLUMNS, ...complianceColumns(report), ...LINEAGE_COLUMNS];
  return UTF8_BOM + csvRow(columns.map(([h]) => h)) + report.units.map((u) => csvRow(columns.map(([, f]) => f(u)))).join('');
}
