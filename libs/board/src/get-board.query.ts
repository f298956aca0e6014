import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  BOARD_STATUSES,
  BoardStatus,
  CadenceStanding,
  ComplianceTarget,
  CsvValue,
  csvRow,
  evaluateCadence,
  evaluateDesignation,
  evaluateHeadcount,
  FigureFact,
  NoticeGap,
  TargetStanding,
  targetAppliesTo,
  UTF8_BOM,
  vnDate,
  vnDay,
} from '@fr/domain';
import { selectRows } from '@fr/persistence';
import { readTargets, TargetView, targetView } from './targets';

export interface BoardEntry {
  targetId: string;
  kind: ComplianceTarget['kind'];
  status: BoardStatus;
  value: number | null;
  target: number;
  dueAt: string | null;
  /** The last day allowed, as people read a deadline ('YYYY-MM-DD' in Vietnam). */
  dueDate: string | null;
  met: boolean;
  metAt: string | null;
  /** notice_cadence only. */
  notices?: number;
  lastNoticeAt?: string | null;
  gaps?: { from: string; to: string | null; days: number }[];
}

export interface BoardUnit {
  unitCode: string;
  unitName: string;
  kind: string;
  targets: BoardEntry[];
}

export interface BoardReport {
  at: string;
  /** Cadence counts and gaps cover notices from here (the target's start when not given). */
  from: string | null;
  targets: (TargetView & { summary: Record<BoardStatus, number> })[];
  units: BoardUnit[];
}

/** The facts the board is computed from, and the standing of one unit against one target. */
export interface Standing {
  target: ComplianceTarget;
  unit: { code: string; name: string; kind: string; leaderId: string | null };
  standing: TargetStanding | CadenceStanding;
}

interface UnitRow {
  code: string;
  name: string;
  kind: string;
  leader_id: string | null;
  valid_from: Date | null;
  handler_at: Date | null;
  leader_at: Date | null;
}

/**
 * Every unit of the instant against every active target that applies to it: the board of
 * Home Affairs and the supervisors, the alerts' source and the quarterly report's extra columns.
 */
@Injectable()
export class GetBoard {
  constructor(private readonly ds: DataSource) {}

  async standings(at: Date, from: Date | null = null, targetIds: string[] | null = null): Promise<Standing[]> {
    const targets = (await readTargets(this.ds, { activeOnly: true })).filter((t) => !targetIds || targetIds.includes(t.id));
    if (targets.length === 0) return [];
    // A designee counts once designated, active, and their account used (first log-in). The units are
    // those that existed at `at` (a board of a past day lists the units of that day, not today's; a
    // unit not yet made is not judged), with the designees the unit has now or had when it ended: no
    // history of designations is kept, and a first log-in after `at` does not count at `at`.
    const units = await selectRows<UnitRow>(
      this.ds,
      `SELECT u.code, u.name, u.kind, u.leader_id, u.valid_from,
              CASE WHEN h.active THEN h.first_login_at END AS handler_at, CASE WHEN l.active THEN l.first_login_at END AS leader_at
         FROM units u LEFT JOIN officers h ON h.id = u.handler_id LEFT JOIN officers l ON l.id = u.leader_id
        WHERE (u.valid_from IS NULL OR u.valid_from <= $1) AND (u.valid_to > $1 OR (u.valid_to IS NULL AND u.active))
        ORDER BY u.code`,
      [at],
    );
    // Only what had been reported by `at`: a board of a past instant does not change when a report is dated back.
    const figures = await selectRows<{
      unit_code: string;
      kind: 'staff' | 'adoption';
      total: number;
      with_account: number;
      as_of: Date;
      source: string;
      reported_at: Date;
    }>(
      this.ds,
      `SELECT unit_code, kind, total, with_account, as_of, source, reported_at FROM unit_figures WHERE as_of <= $1 AND reported_at <= $1 ORDER BY as_of, id`,
      [at],
    );
    const figuresOf = new Map<string, FigureFact[]>();
    for (const f of figures) {
      const key = `${f.unit_code}|${f.kind}`;
      if (!figuresOf.has(key)) figuresOf.set(key, []);
      // A unit's own report counts from when it was made; the office's import vouches for its dates.
      figuresOf.get(key)!.push({ asOf: f.as_of, total: f.total, withAccount: f.with_account, knownAt: f.source === 'unit' ? f.reported_at : f.as_of });
    }
    const cadenceStart = targets.filter((t) => t.kind === 'notice_cadence').map((t) => t.startsAt!.getTime());
    const noticesOf = new Map<string, Date[]>();
    if (cadenceStart.length) {
      // From the day before the earliest start: a notice that day still dates the first period. From
      // `from` when that is earlier: a cadence counts the notices since `from`, and those published before
      // its start were missing from the count (unless another cadence started earlier).
      const since = new Date(Math.min(...cadenceStart, from?.getTime() ?? Infinity) - 86_400_000);
      const notices = await selectRows<{ unit_code: string; published_at: Date }>(
        this.ds,
        `SELECT unit_code, published_at FROM notices WHERE published_at >= $1 AND published_at <= $2 ORDER BY published_at`,
        [since, at],
      );
      for (const n of notices) {
        if (!noticesOf.has(n.unit_code)) noticesOf.set(n.unit_code, []);
        noticesOf.get(n.unit_code)!.push(n.published_at);
      }
    }
    const out: Standing[] = [];
    for (const u of units) {
      const unit = { code: u.code, name: u.name, kind: u.kind, leaderId: u.leader_id };
      for (const t of targets) {
        if (!targetAppliesTo(t, u)) continue;
        let standing: TargetStanding | CadenceStanding;
        switch (t.kind) {
          case 'designation':
            standing = evaluateDesignation(t, { handlerActivatedAt: u.handler_at, leaderActivatedAt: u.leader_at }, at);
            break;
          case 'staff_onboarding':
            standing = evaluateHeadcount(t, figuresOf.get(`${u.code}|staff`) ?? [], at);
            break;
          case 'ward_adoption':
            standing = evaluateHeadcount(t, figuresOf.get(`${u.code}|adoption`) ?? [], at);
            break;
          case 'notice_cadence':
            // A unit made after the cadence started (a reorganisation) counts from the day it was made:
            // it was judged late, and its leader told, for days before it existed.
            standing = evaluateCadence(
              u.valid_from && u.valid_from > t.startsAt! ? { ...t, startsAt: u.valid_from } : t,
              noticesOf.get(u.code) ?? [],
              at,
              from,
            );
            break;
        }
        out.push({ target: t, unit, standing });
      }
    }
    return out;
  }

  /** Notices published per unit in [from, to): the quarterly report counts them beside the cadence. */
  async noticesPerUnit(from: Date, to: Date): Promise<Map<string, number>> {
    const rows = await selectRows<{ unit_code: string; n: number }>(
      this.ds,
      `SELECT unit_code, count(*)::int AS n FROM notices WHERE published_at >= $1 AND published_at < $2 GROUP BY unit_code`,
      [from, to],
    );
    return new Map(rows.map((r) => [r.unit_code, r.n]));
  }

  async execute(at: Date, from: Date | null = null): Promise<BoardReport> {
    const targets = await readTargets(this.ds, { activeOnly: true });
    const standings = await this.standings(at, from);
    const units = new Map<string, BoardUnit>();
    for (const s of standings) {
      let u = units.get(s.unit.code);
      if (!u) units.set(s.unit.code, (u = { unitCode: s.unit.code, unitName: s.unit.name, kind: s.unit.kind, targets: [] }));
      u.targets.push(boardEntry(s));
    }
    return {
      at: at.toISOString(),
      from: from?.toISOString() ?? null,
      targets: targets.map((t) => {
        const summary = Object.fromEntries(BOARD_STATUSES.map((st) => [st, 0])) as Record<BoardStatus, number>;
        for (const s of standings) if (s.target.id === t.id) summary[s.standing.status]++;
        return { ...targetView(t), summary };
      }),
      units: [...units.values()],
    };
  }
}

export function boardEntry(s: Standing): BoardEntry {
  const st = s.standing;
  const entry: BoardEntry = {
    targetId: s.target.id,
    kind: s.target.kind,
    status: st.status,
    value: st.value,
    target: st.target,
    dueAt: st.dueAt?.toISOString() ?? null,
    dueDate: st.dueAt ? vnDate(vnDay(st.dueAt.getTime() - 1)) : null,
    met: st.met,
    metAt: st.metAt?.toISOString() ?? null,
  };
  if ('gaps' in st) {
    entry.notices = st.notices;
    entry.lastNoticeAt = st.lastNoticeAt?.toISOString() ?? null;
    entry.gaps = st.gaps.map((g: NoticeGap) => ({ from: g.from, to: g.to, days: g.days }));
  }
  return entry;
}

const CSV_COLUMNS: [string, (u: BoardUnit, e: BoardEntry) => CsvValue][] = [
  ['unit_code', (u) => u.unitCode],
  ['unit_name', (u) => u.unitName],
  ['unit_kind', (u) => u.kind],
  ['target_id', (_, e) => e.targetId],
  ['target_kind', (_, e) => e.kind],
  ['status', (_, e) => e.status],
  ['value', (_, e) => e.value],
  ['target', (_, e) => e.target],
  ['due_at', (_, e) => e.dueAt],
  ['due_date', (_, e) => e.dueDate],
  ['met', (_, e) => e.met],
  ['met_at', (_, e) => e.metAt],
  ['notices', (_, e) => e.notices ?? null],
  ['last_notice_at', (_, e) => e.lastNoticeAt ?? null],
  ['gap_days', (_, e) => (e.gaps ? e.gaps.reduce((n, g) => n + g.days, 0) : null)],
  ['gaps', (_, e) => (e.gaps ? e.gaps.map((g) => `${g.from}..${g.to ?? ''}`).join(' ') : null)],
];

/** One row per unit and target, UTF-8 with a byte-order mark like the other exports. */
export function boardCsv(report: BoardReport): string {
  return (
    UTF8_BOM + csvRow(CSV_COLUMNS.map(([h]) => h)) + report.units.flatMap((u) => u.targets.map((e) => csvRow(CSV_COLUMNS.map(([, f]) => f(u, e))))).join('')
  );
}
