import { Pool } from 'pg';
import { HttpClient } from './http-client';
import { BenchContext, fmtInt, fmtMs, met, pollUntil } from './support';

/** The sealing bound the bench holds the engine to (issue 9): an event is on the chain within 1 s of its write. */
export const SEAL_LAG_GOAL_MS = 1000;
/** How long the bench waits for the sealer to catch up before it fails (BENCH_SEAL_WAIT_S, default 60). */
const SEAL_WAIT_MS = (Number(process.env.BENCH_SEAL_WAIT_S) || 60) * 1000;
const AUDITOR_USERNAME = 'bench.auditor';
const AUDITOR_PASSWORD = 'Bench-auditor-2026!';

/** The highest audit event id now: events written after this point have higher ids. */
export async function lastAuditEventId(db: Pool): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_events`);
  return rows[0].id;
}

/** Waits until the sealer has chained every committed event (audit_unsealed empty); fails loudly after SEAL_WAIT_MS. */
export async function waitSealed(ctx: BenchContext, db: Pool, label: string, assert?: () => void): Promise<void> {
  await pollUntil(
    ctx,
    `${label}: sealing`,
    async () => {
      const { rows } = await db.query<{ n: number; oldest_ms: string | null }>(
        `SELECT count(*)::int AS n, extract(epoch FROM clock_timestamp() - min(e.occurred_at)) * 1000 AS oldest_ms
           FROM audit_unsealed u JOIN audit_events e ON e.id = u.event_id`,
      );
      const { n, oldest_ms } = rows[0];
      return { done: n === 0, progress: -n, note: `${fmtInt(n)} event(s) unsealed, the oldest ${fmtMs(Number(oldest_ms))} old` };
    },
    { timeoutMs: SEAL_WAIT_MS, stallMs: SEAL_WAIT_MS, assert },
  );
}

export interface SealLag {
  events: number;
  p50: number;
  p99: number;
  max: number;
}

/** Seal lag (audit_seals.sealed_at - audit_events.occurred_at) of the events with afterId < id <= upToId. */
export async function sealLag(db: Pool, afterId: string, upToId: string): Promise<SealLag> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n, percentile_disc(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY lag) AS p, max(lag) AS max
       FROM (SELECT extract(epoch FROM s.sealed_at - e.occurred_at) * 1000 AS lag
               FROM audit_events e JOIN audit_seals s ON s.event_id = e.id
              WHERE e.id > $1::bigint AND e.id <= $2::bigint) t`,
    [afterId, upToId],
  );
  const r = rows[0] as { n: number; p: number[] | null; max: string | null };
  const p = (r.p ?? [NaN, NaN]).map(Number);
  return { events: r.n, p50: p[0], p99: p[1], max: Number(r.max) };
}

export function describeSealLag(label: string, lag: SealLag): string {
  return (
    `seal lag, ${label} (audit_seals.sealed_at - audit_events.occurred_at, ${fmtInt(lag.events)} events): ` +
    `p50 ${fmtMs(lag.p50)}  p99 ${fmtMs(lag.p99)}  max ${fmtMs(lag.max)}  -> goal p99 < ${fmtMs(SEAL_LAG_GOAL_MS)}: ${met(lag.events > 0 && lag.p99 < SEAL_LAG_GOAL_MS)}`
  );
}

/**
 * Every audit event sealed exactly once, judged in one snapshot: each event has one seal or waits in
 * audit_unsealed (an engine still writing, e.g. escalations falling due, always has a few in flight),
 * none waits longer than the sealing bound, no seal without its event, and seq dense from 1.
 */
export async function sealIntegrity(db: Pool, boundMs = 30_000): Promise<{ ok: boolean; text: string }> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM audit_events)::bigint::text AS events,
            (SELECT count(*) FROM audit_seals)::bigint::text AS seals,
            (SELECT count(DISTINCT event_id) FROM audit_seals)::bigint::text AS sealed_events,
            (SELECT count(*) FROM audit_seals s WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.id = s.event_id))::bigint::text AS orphans,
            (SELECT count(*) FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)
                                                   AND NOT EXISTS (SELECT 1 FROM audit_unsealed u WHERE u.event_id = e.id))::bigint::text AS lost,
            (SELECT count(*) FROM audit_unsealed)::bigint::text AS queued,
            (SELECT count(*) FROM audit_unsealed WHERE queued_at < clock_timestamp() - make_interval(secs => $1 / 1000.0))::bigint::text AS late,
            (SELECT coalesce(max(seq), 0) - coalesce(min(seq), 1) + 1 FROM audit_seals)::bigint::text AS seq_span`,
    [boundMs],
  );
  const r = rows[0] as Record<string, string>;
  const problems: string[] = [];
  if (BigInt(r.seals) + BigInt(r.queued) !== BigInt(r.events)) problems.push(`${r.seals} seals and ${r.queued} queued for ${r.events} events`);
  if (r.sealed_events !== r.seals) problems.push(`${BigInt(r.seals) - BigInt(r.sealed_events)} event(s) sealed twice`);
  if (r.orphans !== '0') problems.push(`${r.orphans} seal(s) of no event`);
  if (r.lost !== '0') problems.push(`${r.lost} event(s) neither sealed nor queued`);
  if (r.late !== '0') problems.push(`${r.late} event(s) queued longer than the ${boundMs / 1000} s bound`);
  if (r.seq_span !== r.seals) problems.push(`seq spans ${r.seq_span} for ${r.seals} seals (gaps)`);
  const queued = r.queued === '0' ? 'audit_unsealed empty' : `${r.queued} in flight in audit_unsealed, within the bound`;
  return problems.length
    ? { ok: false, text: `PROBLEMS: ${problems.join('; ')}` }
    : { ok: true, text: `${fmtInt(Number(r.events))} events, each sealed once or in flight (${queued}), seq dense` };
}

/**
 * GET /v1/audits/verify is for auditors and supervisors, not ADMIN: the bench logs in as the
 * bootstrap admin (its password from the bench's config), creates an auditor once, and logs in as it.
 */
export async function auditorToken(ctx: BenchContext, client: HttpClient): Promise<string> {
  const adminRes = await client.request('POST', '/v1/auth/login', {}, { username: 'admin', password: ctx.config.adminPassword });
  if (adminRes.status !== 200) throw new Error(`login as admin failed: ${adminRes.status} ${JSON.stringify(adminRes.body)}`);
  const admin = (adminRes.body as { accessToken: string }).accessToken;
  // Home Affairs when it still exists; after the 2025 reorganisations (loaded by `npm start`) the office that replaced it.
  const unitsRes = await client.request('GET', '/v1/units', { authorization: `Bearer ${admin}` });
  const units = (unitsRes.body as { code: string; kind: string }[] | undefined) ?? [];
  const unitCode = units.find((u) => u.code === 'NOI_VU')?.code ?? units.find((u) => u.kind === 'office')?.code ?? 'NOI_VU';
  const created = await client.request(
    'POST',
    '/v1/officers',
    { authorization: `Bearer ${admin}` },
    { username: AUDITOR_USERNAME, password: AUDITOR_PASSWORD, fullName: 'Kiểm tra viên (bench)', role: 'AUDITOR', unitCode },
  );
  if (created.status !== 201 && created.status !== 409) throw new Error(`creating the bench auditor failed: ${created.status} ${JSON.stringify(created.body)}`);
  const res = await client.request('POST', '/v1/auth/login', {}, { username: AUDITOR_USERNAME, password: AUDITOR_PASSWORD });
  if (res.status !== 200) throw new Error(`login as ${AUDITOR_USERNAME} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { accessToken: string }).accessToken;
}

/** GET /v1/audits/verify over the whole trail; the line to print and whether it said ok. */
export async function verifyTrail(client: HttpClient, token: string): Promise<{ ok: boolean; text: string }> {
  const started = performance.now();
  const res = await client.request('GET', '/v1/audits/verify', { authorization: `Bearer ${token}` });
  const ms = performance.now() - started;
  const body = res.body as { ok?: boolean; checked?: number; reason?: string | null; firstBrokenEventId?: string | null } & Record<string, unknown>;
  if (res.status !== 200) return { ok: false, text: `GET /v1/audits/verify answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}` };
  // Whatever else the answer carries (the head, the checkpoint, unsealed events) is shown as it came.
  const rest = Object.entries(body)
    .filter(([k]) => !['ok', 'checked', 'reason', 'firstBrokenEventId'].includes(k))
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
  return {
    ok: body.ok === true,
    text:
      `GET /v1/audits/verify: ok=${body.ok} checked ${fmtInt(Number(body.checked ?? 0))} in ${fmtMs(ms)}` +
      (body.ok ? '' : `, first broken ${body.firstBrokenEventId}: ${body.reason}`) +
      (rest ? ` (${rest.slice(0, 400)})` : ''),
  };
}
