import { Injectable } from '@nestjs/common';
import { CaseState } from '@fr/domain';
import { ReadDatabase } from '@fr/persistence';
import { forEachBatch } from './cursor';
import { Period } from './period';
import { CaseEventFact, CaseFacts } from './unit-metrics';

const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::float8`;

/** What the metrics read of a case `c`, but its state at the period's end. */
const CASE_COLUMNS = `c.id, c.tracking_code, ${ms('c.received_at')} AS received_at, c.rating, ${ms('c.rated_at')} AS rated_at,
           (SELECT json_agg(json_build_array(a.unit_code, a.reason, ${ms('a.started_at')}, ${ms('a.passed_due_at')}) ORDER BY a.id)
              FROM assignments a WHERE a.case_id = c.id) AS own,
           (SELECT json_agg(json_build_array(e.action, ${ms('e.occurred_at')}, e.data->'onTime') ORDER BY e.id)
              FROM audit_events e WHERE e.case_id = c.id AND e.action IN ('acknowledge', 'resolve', 'extend', 'reopen', 'join_original')) AS ev,
           (SELECT json_agg(json_build_array(${ms('p.started_at')}, ${ms('p.ended_at')}))
              FROM case_pauses p WHERE p.case_id = c.id) AS pauses`;

/** The facts of the given cases, without a state at a period's end (the daily facts do not hold one): $1 the ids. */
export const CASES_FACTS_SQL = `SELECT ${CASE_COLUMNS}, NULL::text AS s_status, NULL::text AS s_unit, NULL::float8 AS s_due, NULL::float8 AS s_warn
  FROM cases c WHERE c.id = ANY($1::uuid[])`;

/**
 * One row per case with something to report in the period, with everything the unit metrics need:
 * its assignments, its acknowledge/resolve/extend/reopen events, its pauses and its state at the
 * evaluation time (case_state_log). A case counts if it changed hands, changed state or deadline
 * (every acknowledge, resolve, extend and reopen does: the state log records it), or was rated in the
 * period, or may still have been open at its end. Each of those is an index range, so a report reads
 * the period's cases, not the history. Read through a cursor: constant memory at any scale.
 */
function factsSql(unitFilter: boolean): string {
  return `
    WITH touched AS (
      SELECT case_id FROM assignments WHERE started_at >= $1 AND started_at < $2
      UNION SELECT case_id FROM case_state_log WHERE at >= $1 AND at < $2
      UNION SELECT id FROM cases WHERE rated_at >= $1 AND rated_at < $2
      UNION SELECT id FROM cases WHERE closed_at IS NULL AND received_at <= $3
      UNION SELECT id FROM cases WHERE closed_at > $3 AND received_at <= $3
    )
    SELECT ${CASE_COLUMNS},
           s.status AS s_status, s.unit_code AS s_unit, ${ms('s.due_at')} AS s_due, ${ms('s.warn_at')} AS s_warn
      FROM touched t JOIN cases c ON c.id = t.case_id
      LEFT JOIN LATERAL (
        SELECT l.status, l.unit_code, l.due_at, l.warn_at FROM case_state_log l
         WHERE l.case_id = c.id AND l.at <= $3 ORDER BY l.at DESC, l.id DESC LIMIT 1) s ON true
     ${unitFilter ? 'WHERE EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.unit_code = $4)' : ''}`;
}

export interface FactsRow {
  id: string;
  tracking_code: string;
  received_at: number;
  rating: number | null;
  rated_at: number | null;
  own: [string, string, number, number | null][] | null;
  ev: [CaseEventFact['action'], number, boolean | null][] | null;
  pauses: [number, number | null][] | null;
  s_status: CaseState | null;
  s_unit: string | null;
  s_due: number | null;
  s_warn: number | null;
}

export function toFacts(r: FactsRow): CaseFacts {
  return {
    caseId: r.id,
    trackingCode: r.tracking_code,
    receivedAt: r.received_at,
    rating: r.rating,
    ratedAt: r.rated_at,
    ownerships: (r.own ?? []).map(([unit, reason, start, passedDueAt]) => ({ unit, reason, start, passedDueAt })),
    events: (r.ev ?? []).map(([action, at, onTime]) => ({ action, at, onTime: typeof onTime === 'boolean' ? onTime : null })),
    pauses: (r.pauses ?? []).map(([from, to]) => ({ from, to })),
    atEnd: r.s_status ? { status: r.s_status, unit: r.s_unit, dueAt: r.s_due, warnAt: r.s_warn } : null,
  };
}

@Injectable()
export class CaseFactsReader {
  /** Reports read the replica when there is one (DATABASE_READ_URL). */
  constructor(private readonly read: ReadDatabase) {}

  async forEach(period: Period, evaluatedAt: Date, unitCode: string | null, each: (f: CaseFacts) => void): Promise<void> {
    const params: unknown[] = [period.from, period.to, evaluatedAt];
    if (unitCode !== null) params.push(unitCode);
    await forEachBatch<FactsRow>(await this.read.source(), factsSql(unitCode !== null), params, (rows) => {
      for (const r of rows) each(toFacts(r));
    });
  }
}
