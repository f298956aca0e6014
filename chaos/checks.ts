import { Pool } from 'pg';
import { ladderTimes, loadCalendar, loadSlaPolicy } from '@fr/sla';
import { fmtInt, fmtMs, percentiles } from '../bench/support';

/** One verdict of the run, with the line that explains it. */
export interface Check {
  name: string;
  ok: boolean;
  text: string;
}

/** How each event's externalId was stored: the case ids under it (more than one is a duplicate). */
export async function storedByExternalId(db: Pool, prefixes: string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query(
    `SELECT external_id, array_agg(id::text ORDER BY id) AS ids FROM cases WHERE external_id LIKE ANY ($1::text[]) GROUP BY external_id`,
    [prefixes.map((p) => `${p}%`)],
  );
  return new Map((rows as { external_id: string; ids: string[] }[]).map((r) => [r.external_id, r.ids]));
}

/** Cases still waiting to be routed. */
export async function receivedCount(db: Pool): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM cases WHERE status = 'received'`);
  return (rows[0] as { n: number }).n;
}

/**
 * Cases still waiting to be routed, counted by when they were received: bucket 0 before the first
 * boundary (epoch ms), bucket i from boundary i-1 to boundary i, the last bucket after the last one.
 */
export async function receivedByPeriod(db: Pool, boundaries: number[]): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT CASE WHEN cardinality($1::float8[]) = 0 THEN 0
                 ELSE width_bucket((extract(epoch FROM received_at) * 1000)::float8, $1::float8[]) END AS b, count(*)::int AS n
       FROM cases WHERE status = 'received' GROUP BY 1`,
    [boundaries],
  );
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  for (const r of rows as { b: number; n: number }[]) counts[r.b] = r.n;
  return counts;
}

/**
 * Every case routed exactly once: one `receive` and one `route`/`route_to_triage` audit event and one
 * assignment each, nothing left in `received`, the outbox empty.
 */
export async function routingIntegrity(db: Pool): Promise<Check> {
  const { rows } = await db.query(
    `WITH ev AS (SELECT e.case_id, count(*) FILTER (WHERE e.action = 'receive') AS received,
                        count(*) FILTER (WHERE e.action IN ('route', 'route_to_triage')) AS routed
                   FROM audit_events e WHERE e.case_id IS NOT NULL GROUP BY 1),
          a AS (SELECT case_id, count(*) AS n FROM assignments GROUP BY 1)
     SELECT count(*)::int AS cases,
            count(*) FILTER (WHERE c.status = 'received')::int AS left_received,
            count(*) FILTER (WHERE coalesce(ev.routed, 0) = 0)::int AS not_routed,
            count(*) FILTER (WHERE ev.routed > 1)::int AS routed_twice,
            count(*) FILTER (WHERE coalesce(ev.received, 0) <> 1)::int AS receive_not_once,
            count(*) FILTER (WHERE coalesce(a.n, 0) <> 1)::int AS assignment_not_once,
            (SELECT count(*) FROM outbox)::int AS outbox
       FROM cases c LEFT JOIN ev ON ev.case_id = c.id LEFT JOIN a ON a.case_id = c.id`,
  );
  const r = rows[0] as Record<string, number>;
  const problems: string[] = [];
  if (r.left_received) problems.push(`${r.left_received} case(s) left in received`);
  if (r.not_routed) problems.push(`${r.not_routed} case(s) without a route event`);
  if (r.routed_twice) problems.push(`${r.routed_twice} case(s) routed more than once`);
  if (r.receive_not_once) problems.push(`${r.receive_not_once} case(s) without exactly one receive event`);
  if (r.assignment_not_once) problems.push(`${r.assignment_not_once} case(s) without exactly one assignment`);
  if (r.outbox) problems.push(`${r.outbox} outbox row(s) left`);
  return {
    name: 'routing',
    ok: problems.length === 0,
    text: problems.length
      ? `PROBLEMS (${fmtInt(r.cases)} cases): ${problems.join('; ')}`
      : `${fmtInt(r.cases)} cases, none left in received, each with one receive and one route/route_to_triage event and one assignment; outbox empty`,
  };
}

export interface EscalationFigures {
  /** Levels due by the cutoff on the open stage runs, by the ladder and calendar of the run's config. */
  due: number;
  dueByLevel: Record<string, number>;
  /** Of those, recorded in `escalations`. */
  fired: number;
  missing: number;
  missingExamples: string[];
  /** Rows sharing a (case, stage run, level): more than one firing. */
  duplicated: number;
  /** Escalations without their `escalate` audit event, and `escalate` events of no escalation or shared. */
  unaudited: number;
  strayAuditEvents: number;
  /** Recorded more than a second before their time. */
  early: number;
  /** fired_at - fire_at of the recorded levels (from the routing, for a level due before it): p50, p99, max (ms). */
  lag: number[];
  total: number;
}

/**
 * Which escalation levels should have fired by `cutoff` (the ladder of the run's sla.yaml over its
 * calendar, as the engine computes them, for every open stage run) against what `escalations` holds.
 */
export async function escalationFigures(db: Pool, configDir: string, cutoff: number): Promise<EscalationFigures> {
  const calendar = loadCalendar(configDir);
  const policy = loadSlaPolicy(configDir, calendar.dayMinutes);
  const runs = (await db.query(`SELECT id, due_at, warn_at FROM cases WHERE stage IS NOT NULL AND due_at IS NOT NULL AND status NOT IN ('resolved', 'closed')`))
    .rows as { id: string; due_at: Date; warn_at: Date | null }[];
  const recorded = (
    await db.query(
      `SELECT e.case_id, e.level, extract(epoch FROM greatest(e.fire_at, c.routed_at)) * 1000 AS fire_ms, extract(epoch FROM e.fired_at) * 1000 AS fired_ms
         FROM escalations e JOIN cases c ON c.id = e.case_id AND c.stage = e.stage AND c.stage_started_at = e.stage_started_at`,
    )
  ).rows as { case_id: string; level: string; fire_ms: string; fired_ms: string }[];
  const fired = new Set(recorded.map((r) => `${r.case_id}|${r.level}`));
  const f: EscalationFigures = {
    due: 0,
    dueByLevel: {},
    fired: 0,
    missing: 0,
    missingExamples: [],
    duplicated: 0,
    unaudited: 0,
    strayAuditEvents: 0,
    early: 0,
    lag: [],
    total: 0,
  };
  for (const c of runs) {
    for (const { rung, fireAt } of ladderTimes(calendar, policy.escalation, { dueAt: new Date(c.due_at), warnAt: c.warn_at ? new Date(c.warn_at) : null })) {
      if (fireAt.getTime() > cutoff) continue;
      f.due++;
      f.dueByLevel[rung.level] = (f.dueByLevel[rung.level] ?? 0) + 1;
      if (fired.has(`${c.id}|${rung.level}`)) f.fired++;
      else {
        f.missing++;
        if (f.missingExamples.length < 3) f.missingExamples.push(`case ${c.id} level ${rung.level} due ${fireAt.toISOString()}`);
      }
    }
  }
  const [counts] = (
    await db.query(
      `SELECT (SELECT count(*) FROM escalations)::int AS total,
              (SELECT count(*) FROM (SELECT 1 FROM escalations GROUP BY case_id, stage, stage_started_at, level HAVING count(*) > 1) d)::int AS duplicated,
              (SELECT count(*) FROM escalations WHERE audit_event_id IS NULL
                  OR NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.id = escalations.audit_event_id AND a.action = 'escalate'))::int AS unaudited,
              (SELECT count(*) FROM audit_events a WHERE a.action = 'escalate'
                  AND (SELECT count(*) FROM escalations e WHERE e.audit_event_id = a.id) <> 1)::int AS stray,
              (SELECT count(*) FROM escalations WHERE fired_at < fire_at - interval '1 second')::int AS early`,
    )
  ).rows as { total: number; duplicated: number; unaudited: number; stray: number; early: number }[];
  f.total = counts.total;
  f.duplicated = counts.duplicated;
  f.unaudited = counts.unaudited;
  f.strayAuditEvents = counts.stray;
  f.early = counts.early;
  f.lag = percentiles(
    recorded.map((r) => Number(r.fired_ms) - Number(r.fire_ms)),
    [0.5, 0.99, 1],
  );
  return f;
}

export function escalationCheck(f: EscalationFigures): Check {
  const levels = Object.entries(f.dueByLevel)
    .map(([l, n]) => `${l === 'warn' ? 'warn' : `L${l}`} ${fmtInt(n)}`)
    .join(', ');
  const problems: string[] = [];
  if (f.due === 0) problems.push('no level fell due during the run (nothing was tested)');
  if (f.missing) problems.push(`${f.missing} due level(s) not fired (e.g. ${f.missingExamples.join('; ')})`);
  if (f.duplicated) problems.push(`${f.duplicated} level(s) fired more than once`);
  if (f.unaudited) problems.push(`${f.unaudited} escalation(s) without their escalate audit event`);
  if (f.strayAuditEvents) problems.push(`${f.strayAuditEvents} escalate audit event(s) not of exactly one escalation`);
  if (f.early) problems.push(`${f.early} fired more than 1 s early`);
  return {
    name: 'escalations',
    ok: problems.length === 0,
    text:
      `${fmtInt(f.due)} level(s) due (${levels || 'none'}), ${fmtInt(f.fired)} fired once each, ${f.missing} missing, ${f.duplicated} duplicated; ` +
      `${fmtInt(f.total)} recorded in all; breach (or routing, if later) -> recorded p50 ${fmtMs(f.lag[0])} p99 ${fmtMs(f.lag[1])} max ${fmtMs(f.lag[2])}` +
      (problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''),
  };
}
