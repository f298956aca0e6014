import { Pool } from 'pg';
import { startEngine, RunningEngine } from './engine';
import { HttpClient } from './http-client';
import { HttpSubstrateResult, measureHttpSubstrate } from './http-substrate';
import { generator, loadInputs, pacedLatency, sendClosed, sendPaced, SendStats } from './load';
import { auditorToken, describeSealLag, lastAuditEventId, sealIntegrity, sealLag, SealLag, verifyTrail, waitSealed } from './seal';
import { measureSubstrate, SubstrateResult } from './substrate.bench';
import {
  BenchContext,
  cpuSnapshot,
  describeCpu,
  fmtInt,
  fmtMb,
  fmtMs,
  fmtWalPerEvent,
  met,
  percentiles,
  pollUntil,
  PROGRESS_POLL_MS,
  walMark,
  checkpointBeforePaced,
} from './support';

const CASE_PREFIX = 'bench-intake-';
const WARMUP_PREFIX = 'bench-warmup-';
const PACED_PREFIX = 'bench-paced-';
const PREFIXES = [CASE_PREFIX, WARMUP_PREFIX, PACED_PREFIX];
/** Issue 9's goals for the intake scenario. */
const RATIO_GOAL = 0.5;
const PACED_P99_GOAL_MS = 500;
const PACED_VS_SUBSTRATE_GOAL = 2;

/**
 * Pushes N citizen feedback events through HTTP intake (closed loop, ctx.concurrency in flight) until
 * every case is assigned or in triage; then ctx.pacedRate events/s for ctx.pacedS s (open loop); waits
 * for the audit sealer after each; checks routing and sealing integrity and the chain over the API;
 * then measures the HTTP substrate (and the raw substrate) the same two ways and compares.
 */
export async function runIntakeScenario(ctx: BenchContext): Promise<string[]> {
  const db = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  db.on('error', () => undefined); // an idle client cut off when the database is dropped
  ctx.defer('close intake bench pool', () => db.end());

  const engine = await startEngine(ctx);
  // Enough sockets for the paced run, where requests do not wait for each other.
  const client = new HttpClient(engine.baseUrl, Math.max(ctx.concurrency, 1024));
  ctx.defer('close HTTP client', () => client.close());

  const inputs = await loadInputs(ctx, db);
  if (!inputs.channels.includes('ihanoi')) throw new Error("the bench expects the channel 'ihanoi' (config/channels.yaml)");
  const categories = await client.request('GET', '/v1/categories', { 'x-api-key': inputs.keys.get('ihanoi')! });
  if (categories.status !== 200) throw new Error(`GET /v1/categories answered ${categories.status}: ${JSON.stringify(categories.body)}`);
  ctx.log(`intake: ${inputs.categories.length} accepted categories, ${inputs.areas.length} areas; engine: API + ${engine.workers.length} worker process(es)`);
  const auditor = await auditorToken(ctx, client);

  // Warm-up: JIT, connection pools and caches, so the measured run sees a steady engine.
  const warmupN = Math.min(Number(process.env.BENCH_WARMUP ?? 200) || 0, ctx.n);
  if (warmupN > 0) {
    const warmupSince = new Date();
    const warmupBaseline = await routedCount(db, warmupSince);
    await waitRouted(
      ctx,
      db,
      engine,
      'warm-up',
      warmupSince,
      warmupBaseline,
      sendClosed(ctx, client, inputs.keys, warmupN, generator(inputs, ctx.seed + 1, WARMUP_PREFIX)),
    );
    await waitSealed(ctx, db, 'warm-up', () => engine.assertAlive());
    ctx.log(`intake: warm-up of ${warmupN} events done`);
  }

  // Closed loop: throughput.
  const idBeforeClosed = await lastAuditEventId(db);
  const expected = new Array<string | null>(ctx.n);
  const kinds = { ward_code: 0, address_only: 0, unknown_ward: 0 };
  const walBefore = await walMark(db);
  const cpuBefore = cpuSnapshot(engine.pids());
  const since = new Date();
  const baseline = await routedCount(db, since);
  const sending = sendClosed(ctx, client, inputs.keys, ctx.n, generator(inputs, ctx.seed, CASE_PREFIX), (i, ev) => {
    expected[i] = ev.expectedArea;
    kinds[ev.locationKind]++;
  });
  const s = await waitRouted(ctx, db, engine, 'intake', since, baseline, sending);
  const cpuAfter = cpuSnapshot(engine.pids());
  const m = await measurements(db, s.firstSentAt);
  await waitSealed(ctx, db, 'intake', () => engine.assertAlive());
  // Written by intake, routing and sealing of the closed loop's cases (their timers' writes come later).
  const walClosed = (await walMark(db)).bytes - walBefore.bytes;
  const idAfterClosed = await lastAuditEventId(db);
  const closedSeal = await sealLag(db, idBeforeClosed, idAfterClosed);
  const closedPasses = await routingPasses(db, CASE_PREFIX);

  // Paced, open loop: latency at a fixed arrival rate.
  let paced: { s: SendStats; lat: { p: number[]; missing: number }; seal: SealLag; cpu: string; passes: string } | null = null;
  if (ctx.pacedRate > 0) {
    await checkpointBeforePaced(ctx, db, 'intake');
    ctx.log(`intake: paced ${ctx.pacedRate}/s for ${ctx.pacedS} s`);
    const pacedSince = new Date();
    const pacedBaseline = await routedCount(db, pacedSince);
    const pacedCpuBefore = cpuSnapshot(engine.pids());
    const ps = await waitRouted(
      ctx,
      db,
      engine,
      'paced',
      pacedSince,
      pacedBaseline,
      sendPaced(ctx, client, inputs.keys, ctx.pacedRate, ctx.pacedS, generator(inputs, ctx.seed + 2, PACED_PREFIX)),
    );
    const pacedCpu = describeCpu(pacedCpuBefore, cpuSnapshot(engine.pids()), 'load generator');
    const { rows } = await db.query<{ external_id: string; at: string }>(
      `SELECT external_id, extract(epoch FROM routed_at) * 1000 AS at FROM cases WHERE external_id LIKE $1 AND routed_at IS NOT NULL`,
      [`${PACED_PREFIX}%`],
    );
    const lat = pacedLatency(ps, new Map(rows.map((r) => [r.external_id, Number(r.at)])), 'engine');
    await waitSealed(ctx, db, 'paced', () => engine.assertAlive());
    const seal = await sealLag(db, idAfterClosed, await lastAuditEventId(db));
    paced = { s: ps, lat, seal, cpu: pacedCpu, passes: await routingPasses(db, PACED_PREFIX) };
  }

  const areaCheck = await checkAreas(db, expected);
  const routing = await routingIntegrity(db);
  const sealing = await sealIntegrity(db);
  const verify = await verifyTrail(client, auditor);
  const outcome = (
    await db.query(`SELECT status, triage_reason, count(*)::int AS n FROM cases WHERE external_id LIKE $1 GROUP BY 1, 2 ORDER BY 3 DESC`, [`${CASE_PREFIX}%`])
  ).rows as { status: string; triage_reason: string | null; n: number }[];
  const workerLines = engine.workers.reduce((a, w) => a + w.outputLines, 0);
  const apiLines = engine.api.outputLines;
  await engine.stop();
  const rss = engineRss(ctx, engine);

  const httpSub = await measureHttpSubstrate(ctx);
  const raw = process.env.BENCH_RAW_SUBSTRATE === '0' ? null : await measureSubstrate(ctx);

  const cases = s.created + s.duplicate;
  const elapsedS = (m.lastRoutedMs - s.firstSentAt) / 1000;
  const rate = cases / elapsedS;
  const httpRate = ctx.n / ((s.lastAnsweredAt - s.firstSentAt) / 1000);
  const [h50, h95, h99] = percentiles(s.httpMs, [0.5, 0.95, 0.99]);
  const assigned = outcome.filter((o) => o.status === 'assigned').reduce((a, o) => a + o.n, 0);
  const triage = outcome.filter((o) => o.status === 'triage');
  const triageTotal = triage.reduce((a, o) => a + o.n, 0);
  const other = outcome.filter((o) => o.status !== 'assigned' && o.status !== 'triage');
  const ratio = rate / httpSub.rate;

  const lines = [
    `engine: API + ${engine.workers.length} worker process(es); worker concurrency ${ctx.config.workerConcurrency}, db pool ${ctx.config.dbPoolSize} per process, ` +
      `relay batch ${ctx.config.relayBatchSize}; warm-up ${warmupN} events (not counted)`,
    `-- closed loop, N=${fmtInt(ctx.n)}, ${ctx.concurrency} in flight (throughput)`,
    `engine intake+routing: ${fmtInt(cases)} events in ${elapsedS.toFixed(1)} s = ${fmtInt(rate)} events/s (HTTP accepted: ${fmtInt(httpRate)}/s)`,
    `  intake->assigned: p50 ${fmtMs(m.p50)}  p95 ${fmtMs(m.p95)}  p99 ${fmtMs(m.p99)}  max ${fmtMs(m.max)}  (cases.routed_at - received_at)`,
    `  HTTP POST /v1/feedback: p50 ${fmtMs(h50)}  p95 ${fmtMs(h95)}  p99 ${fmtMs(h99)}`,
    `  ${describeSealLag('closed loop', closedSeal)}`,
    `  CPU: ${describeCpu(cpuBefore, cpuAfter, 'load generator')}`,
    `  ${closedPasses}`,
    `  WAL: ${fmtWalPerEvent(walClosed, cases)} per event (${fmtMb(walClosed)} for the closed loop, sealing included)`,
    `HTTP substrate ceiling (node:http + 1 tx case+outbox + BullMQ add; bare worker 1 tx update+audit insert; ${ctx.workers} worker process(es)): ` +
      `${fmtInt(httpSub.rate)} events/s (${fmtInt(httpSub.n)} in ${httpSub.elapsedS.toFixed(1)} s; ` +
      `received->processed p50 ${fmtMs(httpSub.latency[0])} p99 ${fmtMs(httpSub.latency[2])}; HTTP POST p50 ${fmtMs(httpSub.http[0])} p99 ${fmtMs(httpSub.http[2])})`,
    `  CPU: ${httpSub.cpu}`,
    `  WAL: ${fmtWalPerEvent(httpSub.walBytes, httpSub.n)} per event (${fmtMb(httpSub.walBytes)})`,
    ...(raw ? rawLines(raw) : []),
    `ratio engine / HTTP substrate: ${ratio.toFixed(2)} (${fmtInt(rate)} / ${fmtInt(httpSub.rate)} events/s) -> goal >= ${RATIO_GOAL}: ${met(ratio >= RATIO_GOAL)}`,
    ...pacedLines(ctx, paced, httpSub),
    `-- integrity (warm-up, closed and paced cases; ${engine.workers.length} worker process(es))`,
    `routing: ${routing.text}`,
    `sealing: ${sealing.text}`,
    `verify: ${verify.text}`,
    `outcome: assigned ${fmtInt(assigned)}, triage ${fmtInt(triageTotal)} (${triage.map((t) => `${t.triage_reason ?? 'no reason'} ${fmtInt(t.n)}`).join(', ') || 'none'})` +
      (other.length ? `, other states: ${other.map((o) => `${o.status} ${o.n}`).join(', ')}` : '') +
      `; area resolved as intended: ${fmtInt(areaCheck.ok)}/${fmtInt(areaCheck.total)}` +
      (areaCheck.wrong.length ? ` (wrong e.g. ${areaCheck.wrong.slice(0, 3).join('; ')})` : ''),
    `locations: ${fmtInt(kinds.ward_code)} by wardCode, ${fmtInt(kinds.address_only)} by address only, ${fmtInt(kinds.unknown_ward)} outside the district`,
    `HTTP (closed loop): ${fmtInt(s.created)} x 202, ${fmtInt(s.duplicate)} x 200 (repeat), ${fmtInt(s.failed)} failed, ${fmtInt(s.retries)} retries` +
      (s.failures.size
        ? ` - ${[...s.failures]
            .slice(0, 3)
            .map(([k, v]) => `${v} x ${k}`)
            .join('; ')}`
        : '') +
      `; log lines at LOG_LEVEL=error: API ${apiLines}, workers ${workerLines}`,
    `peak RSS of the engine: ${rss}`,
  ];
  return lines;
}

function rawLines(raw: SubstrateResult): string[] {
  return [
    `raw substrate (no HTTP: pg insert + BullMQ add from the bench process; bare worker 1 update): ${fmtInt(raw.rate)} events/s ` +
      `(${fmtInt(raw.n)} in ${raw.elapsedS.toFixed(1)} s; latency p50 ${fmtMs(raw.p50)} p95 ${fmtMs(raw.p95)} p99 ${fmtMs(raw.p99)})`,
  ];
}

function pacedLines(
  ctx: BenchContext,
  paced: { s: SendStats; lat: { p: number[]; missing: number }; seal: SealLag; cpu: string; passes: string } | null,
  sub: HttpSubstrateResult,
): string[] {
  if (!paced || !sub.paced) return ['-- paced run: off (BENCH_RATE=0)'];
  const [p50, p95, p99, max] = paced.lat.p;
  const [h50, , h99] = percentiles(paced.s.httpMs, [0.5, 0.95, 0.99]);
  const subP99 = sub.paced.latency[2];
  // A request refused or not routed has no latency: the goal is not met with any.
  const ok = p99 <= PACED_VS_SUBSTRATE_GOAL * subP99 && p99 < PACED_P99_GOAL_MS && paced.lat.missing === 0 && paced.s.failed === 0;
  return [
    `-- paced, open loop: ${ctx.pacedRate} events/s for ${ctx.pacedS} s (${fmtInt(paced.s.scheduledAt.size)} arrivals; latencies from each request's scheduled send time)`,
    `engine scheduled send->assigned: p50 ${fmtMs(p50)}  p95 ${fmtMs(p95)}  p99 ${fmtMs(p99)}  max ${fmtMs(max)}  (cases.routed_at - scheduled send)` +
      (paced.lat.missing ? `; ${paced.lat.missing} not routed` : ''),
    `HTTP substrate scheduled send->processed: p50 ${fmtMs(sub.paced.latency[0])}  p95 ${fmtMs(sub.paced.latency[1])}  p99 ${fmtMs(subP99)}  max ${fmtMs(sub.paced.latency[3])}  (processed_at - scheduled send)`,
    `  -> goal engine p99 <= ${PACED_VS_SUBSTRATE_GOAL} x substrate p99 (${fmtMs(PACED_VS_SUBSTRATE_GOAL * subP99)}) and < ${PACED_P99_GOAL_MS} ms: ${met(ok)}`,
    `engine HTTP POST at ${ctx.pacedRate}/s: p50 ${fmtMs(h50)}  p99 ${fmtMs(h99)}  (${fmtInt(paced.s.failed)} failed` +
      (paced.s.failures.size
        ? `: ${[...paced.s.failures]
            .slice(0, 2)
            .map(([k, v]) => `${v} x ${k}`)
            .join('; ')}`
        : '') +
      `; substrate p50 ${fmtMs(sub.paced.http[0])} p99 ${fmtMs(sub.paced.http[2])}; ` +
      `sender at most ${fmtMs(paced.s.maxSendDelayMs)} behind schedule)`,
    `  CPU, engine's paced run: ${paced.cpu}`,
    `  ${paced.passes}`,
    `  CPU, HTTP substrate's paced run: ${sub.paced.cpu}`,
    describeSealLag(`paced ${ctx.pacedRate}/s`, paced.seal),
  ];
}

/** Peak RSS of the engine's processes (VmHWM, read as each stopped). */
function engineRss(ctx: BenchContext, engine: RunningEngine): string {
  const parts: string[] = [];
  for (const c of [engine.api, ...engine.workers]) {
    const bytes = ctx.childPeaks.get(c.label);
    parts.push(`${c.label} ${bytes === undefined ? 'n/a' : fmtMb(bytes)}`);
  }
  return parts.join(', ');
}

/**
 * The cases received since `since` (the start of a phase; the API's clock is this machine's), read
 * through cases_received_idx: a count of the whole table cost 27 ms a poll by the paced run of a
 * 20,000-case bench, charged to the engine it measures (pg_stat_statements, 2026-12-04).
 */
async function phaseCounts(db: Pool, since: Date): Promise<{ done: number; total: number }> {
  const { rows } = await db.query<{ done: number; total: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('assigned', 'triage'))::int AS done, count(*)::int AS total FROM cases WHERE received_at >= $1`,
    [since],
  );
  return rows[0];
}

async function routedCount(db: Pool, since: Date): Promise<number> {
  return (await phaseCounts(db, since)).done;
}

/**
 * Polls PostgreSQL until the cases sent are assigned or in triage: baseline + what `sending` reports
 * accepted once it has finished; gives up after the stall timeout without progress.
 */
async function waitRouted(
  ctx: BenchContext,
  db: Pool,
  engine: RunningEngine,
  label: string,
  since: Date,
  baseline: number,
  sending: Promise<SendStats>,
): Promise<SendStats> {
  let stats: SendStats | null = null;
  let sendError: unknown = null;
  sending.then(
    (s) => (stats = s),
    (e: unknown) => (sendError = e ?? new Error('send failed')),
  );
  await pollUntil(
    ctx,
    label,
    async () => {
      if (sendError) throw sendError;
      const { done, total } = await phaseCounts(db, since);
      const st = stats as SendStats | null;
      const want = st ? baseline + st.created + st.duplicate : null;
      return {
        done: want !== null && done >= want,
        progress: done + total,
        note: `${st ? 'all sent' : 'sending'}, routed ${done - baseline}${want !== null ? `/${want - baseline}` : ''}`,
      };
    },
    // Once a second: at 200 ms the count (then of the whole table) was 5.4 s of PostgreSQL's time in a
    // 7,200-case run (pg_stat_statements, 2026-12-03), charged to the engine it measures.
    // The figures come from routed_at, not from when the poll noticed.
    { assert: () => engine.assertAlive(), detail: () => leftovers(db, engine), intervalMs: PROGRESS_POLL_MS },
  );
  return stats as unknown as SendStats;
}

async function leftovers(db: Pool, engine: RunningEngine): Promise<string> {
  const byStatus = (
    await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM cases WHERE status NOT IN ('assigned', 'triage') GROUP BY 1`)
  ).rows;
  const [{ outbox }] = (await db.query<{ outbox: number }>(`SELECT count(*)::int AS outbox FROM outbox`)).rows;
  const counts = await engine.routingQueue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  const failed = await engine.routingQueue.getFailed(0, 2);
  return (
    `not routed by status: ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'}; ` +
    `outbox rows ${outbox}; routing queue ${JSON.stringify(counts)}` +
    (failed.length ? `; failed job e.g. ${failed.map((j) => `${j.id}: ${j.failedReason}`).join(' | ')}` : '')
  );
}

async function measurements(db: Pool, firstSentAt: number) {
  const { rows } = await db.query<{ p: string[] | null; max: string | null; last_routed_ms: string | null }>(
    `SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lat) AS p,
            max(lat) AS max, extract(epoch FROM max(routed_at)) * 1000 AS last_routed_ms
       FROM (SELECT routed_at, extract(epoch FROM routed_at - received_at) * 1000 AS lat
               FROM cases WHERE external_id LIKE $1 AND routed_at IS NOT NULL) t`,
    [`${CASE_PREFIX}%`],
  );
  const r = rows[0];
  const p = (r.p ?? [NaN, NaN, NaN]).map(Number);
  return { p50: p[0], p95: p[1], p99: p[2], max: Number(r.max), lastRoutedMs: Math.max(Number(r.last_routed_ms), firstSentAt + 1) };
}

/** Compares the area the engine resolved with the ward each event was written for. */
async function checkAreas(db: Pool, expected: (string | null)[]): Promise<{ ok: number; total: number; wrong: string[] }> {
  const { rows } = await db.query<{ external_id: string; area_code: string | null }>(`SELECT external_id, area_code FROM cases WHERE external_id LIKE $1`, [
    `${CASE_PREFIX}%`,
  ]);
  let ok = 0;
  const wrong: string[] = [];
  for (const r of rows) {
    const i = Number(r.external_id.slice(CASE_PREFIX.length));
    if ((expected[i] ?? null) === (r.area_code ?? null)) ok++;
    else wrong.push(`${r.external_id}: ${r.area_code} instead of ${expected[i]}`);
  }
  return { ok, total: rows.length, wrong };
}

/**
 * How many routing passes (transactions) routed the cases sent under `prefix`: a pass writes every
 * case's route event with its transaction's time, so distinct times are passes. At a paced rate each
 * pass carries few cases and its fixed cost (about 1 ms of PostgreSQL and 1.3 ms of the worker,
 * measured 2026-12-07) is paid per case; the line says how many a pass carried.
 */
async function routingPasses(db: Pool, prefix: string): Promise<string> {
  const { rows } = await db.query<{ passes: number; cases: number }>(
    `SELECT count(DISTINCT e.occurred_at)::int AS passes, count(*)::int AS cases
       FROM audit_events e JOIN cases c ON c.id = e.case_id
      WHERE c.external_id LIKE $1 AND e.action IN ('route', 'route_to_triage')`,
    [`${prefix}%`],
  );
  const { passes, cases } = rows[0];
  return `routing passes: ${fmtInt(passes)} for ${fmtInt(cases)} cases (${passes ? (cases / passes).toFixed(2) : '-'} a pass)`;
}

/**
 * Every bench case routed exactly once: one `receive` and one `route`/`route_to_triage` audit event
 * and one assignments row each; the outbox empty.
 */
async function routingIntegrity(db: Pool): Promise<{ ok: boolean; text: string }> {
  const { rows } = await db.query(
    `WITH c AS (SELECT id FROM cases WHERE external_id LIKE ANY ($1::text[])),
          ev AS (SELECT e.case_id, count(*) FILTER (WHERE e.action = 'receive') AS received,
                        count(*) FILTER (WHERE e.action IN ('route', 'route_to_triage')) AS routed
                   FROM audit_events e JOIN c ON c.id = e.case_id GROUP BY 1),
          a AS (SELECT a.case_id, count(*) AS n FROM assignments a JOIN c ON c.id = a.case_id GROUP BY 1)
     SELECT count(*)::int AS cases,
            count(*) FILTER (WHERE coalesce(ev.routed, 0) = 1)::int AS routed_once,
            count(*) FILTER (WHERE coalesce(ev.routed, 0) = 0)::int AS not_routed,
            count(*) FILTER (WHERE ev.routed > 1)::int AS routed_twice,
            count(*) FILTER (WHERE coalesce(ev.received, 0) <> 1)::int AS receive_not_once,
            count(*) FILTER (WHERE coalesce(a.n, 0) = 1)::int AS one_assignment,
            count(*) FILTER (WHERE coalesce(a.n, 0) <> 1)::int AS assignment_not_once,
            (SELECT count(*) FROM outbox)::int AS outbox
       FROM c LEFT JOIN ev ON ev.case_id = c.id LEFT JOIN a ON a.case_id = c.id`,
    [PREFIXES.map((p) => `${p}%`)],
  );
  const r = rows[0] as Record<string, number>;
  const problems: string[] = [];
  if (r.not_routed) problems.push(`${r.not_routed} case(s) without a route event`);
  if (r.routed_twice) problems.push(`${r.routed_twice} case(s) routed more than once`);
  if (r.receive_not_once) problems.push(`${r.receive_not_once} case(s) without exactly one receive event`);
  if (r.assignment_not_once) problems.push(`${r.assignment_not_once} case(s) without exactly one assignment`);
  if (r.outbox) problems.push(`${r.outbox} outbox rows left`);
  return problems.length
    ? { ok: false, text: `PROBLEMS (${fmtInt(r.cases)} cases): ${problems.join('; ')}` }
    : { ok: true, text: `ok: ${fmtInt(r.cases)} cases, each with one receive and one route/route_to_triage event and one assignment; outbox empty` };
}
