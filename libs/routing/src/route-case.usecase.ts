import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource, EntityManager } from 'typeorm';
import { AreaRef, AreaResolution, CaseState, decideRoute, isCitizenVisible, resolveArea, RoutingDecision, RoutingRule, transition, UnitRef } from '@fr/domain';
import { AREA_REFS_SQL, AuditEventInput, DISTRICT_SQL, OutboxMessage, prepared, selectRow, selectRows, writeRoutingPass } from '@fr/persistence';
import { CASE_EVENT_JOB } from '@fr/queue';
import { Clock, SlaService, slaTimerMessages } from '@fr/sla';
import { DuplicateCandidate, linkDuplicates } from './link-duplicates';

export interface RouteCaseResult {
  caseId: string;
  /** False when the case had already been routed: routing twice changes nothing. */
  changed: boolean;
  decision: RoutingDecision | null;
}

export const ROUTER_ACTOR = 'system:router';

interface CaseRow {
  id: string;
  tracking_code: string;
  category_code: string;
  ward_code: string | null;
  address: string | null;
  address_key: string | null;
  lat: number | null;
  lng: number | null;
  received_at: Date;
  /** The likely original found by routing_cases' search, before the batch is written; null when none. */
  dup_id: string | null;
  dup_tracking_code: string | null;
  dup_status: string | null;
  dup_handler_id: string | null;
  dup_distance_m: number | null;
}

interface UnitRow {
  code: string;
  active: boolean;
  handler_id: string | null;
  leader_id: string | null;
  handler_active: boolean | null;
  leader_active: boolean | null;
  /** Who stands in for the designee now (an absence in force), if anyone. */
  handler_cover?: string | null;
  leader_cover?: string | null;
}

/** A unit's row as routing_units gave it, with the row as jsonb text: what the write checks it against. */
type KeptUnit = UnitRow & { state: string };

/**
 * The unit as routing decides on it: the handler who does the work (a cover for one away, none for a
 * disabled account) and the leader who answers for it: the designated leader while their account is
 * active, away or not. An absence only turns the leader's notices to the cover while it lasts (the
 * ladder and the inbox resolve covers when they write): a cover recorded as the case's leader went on
 * being told after the absence ended, and the leader back never was. A disabled leader's cover keeps it.
 */
function unitRef(u: UnitRow): UnitRef {
  const acting = (id: string | null, active: boolean | null, cover: string | null | undefined) => (id === null ? null : (cover ?? (active ? id : null)));
  return {
    code: u.code,
    active: u.active,
    handlerId: acting(u.handler_id, u.handler_active, u.handler_cover),
    leaderId: u.leader_active ? u.leader_id : acting(u.leader_id, u.leader_active, u.leader_cover),
  };
}

/** The routing table in one row: areas and rules built as JSON in the shapes the domain reads. */
interface RoutingTableRow {
  areas: AreaRef[];
  rules: RoutingRule[];
  /** system_state.value is jsonb: the unit code as a JSON string. */
  triage_unit: string | null;
  /** The district's name from config/organisation.yaml (`district`), when the load stored one. */
  district: string | null;
}

/** Areas, rules and the triage unit: loaded from config/ at first start and not edited at run time. */
interface RoutingTable {
  /** Read for this batch, not kept from an earlier one. */
  fresh: boolean;
  areas: AreaRef[];
  areaByCode: Map<string, AreaRef>;
  rules: RoutingRule[];
  triageUnit: string;
  /** An address writing it bare ("…, Hai Bà Trưng, Hà Nội") may mean the district, not the ward of that name (resolveArea). */
  district: string | null;
}

/**
 * Areas and rules are the same for every case; reading them cost one statement per case. They are
 * kept for a few seconds. Units are not kept: their designees and state are read, share-locked, in
 * the routing transaction (see route()).
 */
const ROUTING_TABLE_CACHE_MS = 5000;

/** A case routed in a batch: what it was decided and what that writes. */
interface Routed {
  c: CaseRow;
  decision: RoutingDecision;
  to: CaseState;
  unitCode: string;
  handlerId: string | null;
  leaderId: string | null;
  areaCode: string | null;
  areaSource: AreaResolution['source'];
  minutes: number;
  dueAt: Date | null;
  warnAt: Date | null;
  stageStartedAt: Date;
}

/**
 * Routes received cases to their unit and assigns the unit's designated handler and leader, or sends
 * them to triage at the office with the reason. One case or many, in one transaction with the case
 * rows locked: a backlog of waiting routing jobs is routed by a fixed handful of statements per
 * batch (cases locked, units share-locked, cases updated with their assignments, audit events, outbox
 * rows) instead of eleven per case.
 */
@Injectable()
export class RouteCase {
  private table: { at: number; value: Promise<RoutingTable> } | null = null;
  /** The units as readUnits last read them, by code: a batch may be decided on them (see route()). */
  private readonly keptUnits = new Map<string, KeptUnit>();

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(caseId: string): Promise<RouteCaseResult> {
    const [result] = await this.executeMany([caseId]);
    return result;
  }

  /** One result per id, in order. All or nothing: if the transaction fails, no case of the batch is routed. */
  executeMany(caseIds: readonly string[]): Promise<RouteCaseResult[]> {
    if (caseIds.length === 0) return Promise.resolve([]);
    return this.ds.transaction((m) => this.route(m, caseIds));
  }

  /** As executeMany, inside the caller's transaction (the outbox relay's: see RoutingProcessor). */
  executeManyIn(m: EntityManager, caseIds: readonly string[]): Promise<RouteCaseResult[]> {
    return caseIds.length === 0 ? Promise.resolve([]) : this.route(m, caseIds);
  }

  private async route(m: EntityManager, caseIds: readonly string[]): Promise<RouteCaseResult[]> {
    // PostgreSQL prints uuids in lower case; results are matched to ids by that text.
    const ids = [...new Set(caseIds.map((id) => id.toLowerCase()))].sort();
    // Locked in id order, so two batches sharing a case wait for each other instead of deadlocking.
    // A case routed meanwhile by another batch is re-checked after the wait and left out.
    // `(status = 'received') IS TRUE`, not `status = 'received'`: the plain test let the planner AND
    // cases_pkey with the partial index of unrouted cases and read every entry of that index, the
    // cases waiting in a backlog and the dead entries of routed ones until a vacuum (5,492 entries
    // for 3 cases, 2 ms, on the kept bench database of a 2,000-case run; 182 blocks a pass in the
    // paced run, 14 after, pg_stat_statements, 2026-12-04). The test stays in SQL, so a case already
    // routed or moved is not locked: a version that locked every case asked for and tested the status
    // in TypeScript deadlocked against a designation change, which holds the unit and waits for the
    // unit's cases while this held such a case and waited for the unit. In the function routing_cases
    // (migration 1766960000000), planned once per connection. The same statement finds each case's
    // likely original (migration RoutingCaseCandidates1766980000000): a round trip a case fewer.
    const rules = this.config.duplicates;
    const cases = await selectRows<CaseRow>(m, prepared(`SELECT * FROM routing_cases($1::uuid[], $2::float8, $3::float8)`), [
      ids,
      rules.radiusM,
      // The window in seconds.
      rules.windowDays * 86_400,
    ]);
    const byId = new Map<string, Routed>();
    if (cases.length > 0) {
      let table = await this.routingTable(m);
      const decide = (c: CaseRow, area: AreaResolution, unit: (code: string) => UnitRef | undefined): RoutingDecision =>
        decideRoute({ category: c.category_code, areaCode: area.areaCode, areaProblem: area.problem }, table.rules, {
          area: (code) => table.areaByCode.get(code),
          unit,
        });
      // Which unit decides each case depends on the rules and areas only; the unit's state then
      // decides between assigning and triage. So: find the units, then take their state (below).
      let areas = cases.map((c) => resolveArea({ wardCode: c.ward_code, address: c.address }, table.areas, { district: table.district }));
      const wanted = new Set<string>();
      cases.forEach((c, i) => decide(c, areas[i], (code) => void wanted.add(code)));
      // A designation change locks the unit and moves its open cases; holding the unit rows here
      // means each case either sees the new designees or is moved by that change. Every unit that
      // decides a case is held this way, also one that would send it to triage, so no case is
      // triaged on designees older than the transaction. The units are read, share-locked, in this
      // transaction (readUnits), or, when every one of them is kept from an earlier batch, the batch
      // is decided on the kept rows and the write share-locks and checks them: if one has changed,
      // it writes nothing, and the batch is decided again on the units as they are now (migration
      // RoutingUnitsChecked1766990000000). Either way a unit is decided on as it is at the commit.
      let routed: Routed[];
      for (let mayKeep = true; ; mayKeep = false) {
        const codes = [...wanted].sort();
        const kept = mayKeep ? codes.map((code) => this.keptUnits.get(code)) : [];
        const fromKept = codes.length > 0 && kept.length === codes.length && kept.every((u) => u !== undefined);
        const unitRows = fromKept ? (kept as KeptUnit[]) : codes.length > 0 ? await this.readUnits(m, codes) : [];
        const units = new Map(unitRows.map((u) => [u.code, unitRef(u)]));
        // A kept table may predate a reorganisation (applied by any process): a unit it decides on
        // that has ended says so, and the batch is decided again on a fresh table and fresh units.
        if (rows(units).some((u) => !u.active) && !table.fresh) {
          table = await this.routingTable(m, true);
          areas = cases.map((c) => resolveArea({ wardCode: c.ward_code, address: c.address }, table.areas, { district: table.district }));
          wanted.clear();
          cases.forEach((c, i) => decide(c, areas[i], (code) => void wanted.add(code)));
          const more = [...wanted].filter((code) => !units.has(code)).sort();
          if (more.length) for (const u of await this.readUnits(m, more)) units.set(u.code, unitRef(u));
        }
        byId.clear();
        cases.forEach((c, i) =>
          byId.set(
            c.id,
            this.plan(
              c,
              areas[i],
              decide(c, areas[i], (code) => units.get(code)),
              table.triageUnit,
            ),
          ),
        );
        routed = [...byId.values()];
        const checked = fromKept ? { codes, states: (kept as KeptUnit[]).map((u) => u.state) } : undefined;
        if ((await this.write(m, routed, checked)) || !checked) break;
      }
      await linkDuplicates(
        m,
        routed.map((r) => ({ ...r.c, area_code: r.areaCode, status: r.to, candidate: candidateOf(r.c, byId) })),
        rules,
        this.clock.now(),
      );
    }
    return caseIds.map((id) => {
      const r = byId.get(id.toLowerCase());
      return r ? { caseId: id, changed: true, decision: r.decision } : { caseId: id, changed: false, decision: null };
    });
  }

  private plan(c: CaseRow, area: AreaResolution, decision: RoutingDecision, triageUnit: string): Routed {
    const to = transition('received', decision.kind === 'assign' ? 'route' : 'route_to_triage', 'SYSTEM');
    const unitCode = decision.kind === 'assign' ? decision.unitCode : triageUnit;
    // The receive clock runs from receipt, in triage too: the office must classify within it.
    const clock = this.sla.receiveClock(new Date(c.received_at), { category: c.category_code, unit: unitCode });
    const { dueAt, warnAt } = this.sla.deadlines(clock, []);
    return {
      c,
      decision,
      to,
      unitCode,
      handlerId: decision.kind === 'assign' ? decision.handlerId : null,
      leaderId: decision.kind === 'assign' ? decision.leaderId : null,
      areaCode: area.areaCode,
      areaSource: area.source,
      minutes: clock.minutes,
      dueAt,
      warnAt,
      stageStartedAt: clock.startedAt,
    };
  }

  /** The cases, their assignments, one audit event each and their outbox rows: one statement for the batch (writeRoutingPass); false, with nothing written, when a kept unit has changed. */
  private async write(m: EntityManager, routed: readonly Routed[], units?: { codes: string[]; states: string[] }): Promise<boolean> {
    const timers: OutboxMessage[] = routed.flatMap((r) =>
      slaTimerMessages(this.sla, { caseId: r.c.id, stage: 'receive', stageStartedAt: r.stageStartedAt, dueAt: r.dueAt, warnAt: r.warnAt, unit: r.unitCode }),
    );
    return writeRoutingPass(m, {
      // When the unit got the case: reports attribute the case to it from then on.
      routedAt: this.clock.now(),
      cases: routed.map((r) => ({
        id: r.c.id,
        status: r.to,
        unitCode: r.unitCode,
        handlerId: r.handlerId,
        leaderId: r.leaderId,
        areaCode: r.areaCode,
        ruleId: r.decision.ruleId,
        triageReason: r.decision.kind === 'triage' ? r.decision.reason : null,
        stageMinutes: r.minutes,
        dueAt: r.dueAt,
        warnAt: r.warnAt,
        reason: r.decision.kind === 'assign' ? 'route' : 'triage',
      })),
      events: routed.map(auditEventOf),
      messages: timers,
      fanOut: routed.map((r) => isCitizenVisible(actionOf(r))),
      fanOutJob: CASE_EVENT_JOB,
      units,
    });
  }

  /**
   * The units, share-locked, with their designees' state and covers now (a designee who is away is
   * stood in for by their cover while the absence lasts; one whose account is disabled, with nobody
   * covering, is no designee), kept for later batches. One statement with the covers, planned once
   * per connection: see migration RoutingUnits.
   */
  private async readUnits(m: EntityManager, codes: readonly string[]): Promise<KeptUnit[]> {
    const rows = await selectRows<KeptUnit>(m, prepared(`SELECT r.*, to_jsonb(r)::text AS state FROM routing_units($1::text[], $2::timestamptz) AS r`), [
      codes,
      this.clock.now(),
    ]);
    for (const u of rows) this.keptUnits.set(u.code, u);
    return rows;
  }

  /**
   * Read on the batch's own connection (`m`): on another, a batch in the relay's transaction waited for a free
   * one, and with the rest of the pool taken (relay lanes, the sealer's lease sessions, the checkpoint) stood
   * for the pool's 5 s connection time-out, failed and was routed again case by case (test/routing-batch).
   */
  private async routingTable(m: EntityManager, fresh = false): Promise<RoutingTable> {
    if (fresh || !this.table || Date.now() - this.table.at > ROUTING_TABLE_CACHE_MS) {
      const value = this.readRoutingTable(m);
      const kept = value.then((t) => ({ ...t, fresh: false }));
      this.table = { at: Date.now(), value: kept };
      kept.catch(() => {
        if (this.table?.value === kept) this.table = null;
      });
      return value;
    }
    return this.table.value;
  }

  private async readRoutingTable(m: EntityManager): Promise<RoutingTable> {
    const row = await selectRow<RoutingTableRow>(
      m,
      `SELECT
        ${AREA_REFS_SQL} AS areas,
        (SELECT COALESCE(json_agg(json_build_object('id', id, 'category', category_code, 'areas', area_codes, 'unit', unit_code,
                                                    'toWard', to_ward, 'inform', inform) ORDER BY position), '[]')
           FROM routing_rules WHERE active) AS rules,
        (SELECT value FROM system_state WHERE key = 'triage_unit') AS triage_unit,
        ${DISTRICT_SQL} AS district`,
    );
    if (!row?.triage_unit) throw new Error('no triage unit configured (organisation not loaded)');
    return {
      fresh: true,
      areas: row.areas,
      areaByCode: new Map(row.areas.map((a) => [a.code, a])),
      rules: row.rules,
      triageUnit: row.triage_unit,
      district: row.district,
    };
  }
}

/**
 * The original found before the write, or undefined to search again after it: a candidate that is
 * itself in the batch may have been linked by then (see RoutingCaseCandidates1766980000000).
 */
function candidateOf(c: CaseRow, batch: ReadonlyMap<string, unknown>): DuplicateCandidate | null | undefined {
  if (c.dup_id === null) return null;
  if (batch.has(c.dup_id)) return undefined;
  return { id: c.dup_id, tracking_code: c.dup_tracking_code!, status: c.dup_status!, handler_id: c.dup_handler_id, distance_m: c.dup_distance_m };
}

function rows<T>(m: Map<string, T>): T[] {
  return [...m.values()];
}

function actionOf(r: Routed): 'route' | 'route_to_triage' {
  return r.decision.kind === 'assign' ? 'route' : 'route_to_triage';
}

function auditEventOf(r: Routed): AuditEventInput {
  const d = r.decision;
  return {
    caseId: r.c.id,
    actor: ROUTER_ACTOR,
    action: actionOf(r),
    fromState: 'received',
    toState: r.to,
    reason: d.kind === 'assign' ? `rule '${d.ruleId}'` : d.detail,
    data: {
      ruleId: d.ruleId,
      unitCode: r.unitCode,
      handlerId: r.handlerId,
      leaderId: r.leaderId,
      areaCode: r.areaCode,
      areaSource: r.areaSource,
      ...(d.kind === 'assign' ? { inform: d.inform } : { triageReason: d.reason, intendedUnit: d.intendedUnit }),
    },
  };
}
