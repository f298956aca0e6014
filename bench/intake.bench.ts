import { Pool } from 'pg';
import { channelKey } from '@fr/config';
import { startEngine, RunningEngine } from './engine';
import { HttpClient } from './http-client';
import { measureSubstrate } from './substrate.bench';
import { BenchContext, cpuSnapshot, describeCpu, fmtInt, fmtMs, percentiles, runPool, sleep } from './support';
import { AreaRef, CategoryRef, feedbackGenerator, GeneratedEvent } from './texts';

const CASE_PREFIX = 'bench-intake-';
const WARMUP_PREFIX = 'bench-warmup-';
const POLL_MS = 200;
const PROGRESS_MS = 5000;
const MAX_RETRIES = 3;

interface SendStats {
  created: number;
  duplicate: number;
  retries: number;
  failed: number;
  failures: Map<string, number>;
  httpMs: Float64Array;
  firstSentAt: number;
  lastAnsweredAt: number;
}

/**
 * Pushes N citizen feedback events through HTTP intake until every case is assigned or in triage,
 * then measures the substrate ceiling and compares.
 */
export async function runIntakeScenario(ctx: BenchContext): Promise<string[]> {
  const db = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  db.on('error', () => undefined); // an idle client cut off when the database is dropped
  ctx.defer('close intake bench pool', () => db.end());

  const engine = await startEngine(ctx);
  const client = new HttpClient(engine.baseUrl, ctx.concurrency);
  ctx.defer('close HTTP client', () => client.close());

  const channels: string[] = (await db.query(`SELECT code FROM channels WHERE active ORDER BY code`)).rows.map((r) => r.code);
  if (!channels.includes('ihanoi')) throw new Error("the bench expects the channel 'ihanoi' (config/channels.yaml)");
  const keys = new Map<string, string>();
  for (const ch of channels) {
    const key = channelKey(ctx.config, ch);
    if (!key) throw new Error(`no API key for channel '${ch}' (set FR_KEY_${ch.toUpperCase()})`);
    keys.set(ch, key);
  }
  const readKey = keys.get('ihanoi')!;
  const categories = await getJson<(CategoryRef & { accepted?: boolean })[]>(client, '/v1/categories', readKey);
  const accepted = categories.filter((c) => c.accepted !== false);
  const areas = await getJson<AreaRef[]>(client, '/v1/areas', readKey);
  ctx.log(`intake: ${accepted.length} accepted categories (of ${categories.length}), ${areas.length} areas`);

  // Warm-up: JIT, connection pools and caches, so the measured run sees a steady engine.
  const warmupN = Math.min(Number(process.env.BENCH_WARMUP ?? 200) || 0, ctx.n);
  if (warmupN > 0) {
    const gen = feedbackGenerator(accepted, areas, { seed: ctx.seed + 1, externalIdPrefix: WARMUP_PREFIX, channels });
    const stats = await send(ctx, client, keys, warmupN, gen, () => undefined);
    await waitRouted(ctx, db, engine, stats.created + stats.duplicate, null, 'warm-up');
    ctx.log(`intake: warm-up of ${warmupN} events done`);
  }
  const [{ baseline }] = (await db.query(`SELECT count(*)::int AS baseline FROM cases`)).rows;

  const gen = feedbackGenerator(accepted, areas, { seed: ctx.seed, externalIdPrefix: CASE_PREFIX, channels });
  const cpuPids = { worker: engine.worker.proc.pid };
  const cpuBefore = cpuSnapshot(cpuPids);
  const expected: (string | null)[] = new Array(ctx.n);
  const kinds = { ward_code: 0, address_only: 0, unknown_ward: 0 };
  const sending = send(ctx, client, keys, ctx.n, gen, (i, ev) => {
    expected[i] = ev.expectedArea;
    kinds[ev.locationKind]++;
  });
  let stats: SendStats | null = null;
  const sent = sending.then((s) => (stats = s));
  await waitRouted(ctx, db, engine, null, { sent, baseline, getStats: () => stats }, 'intake');
  const cpuAfter = cpuSnapshot(cpuPids);
  const s = stats as unknown as SendStats;

  const m = await measurements(db, s.firstSentAt);
  const areaCheck = await checkAreas(db, expected);
  const integrity = await integrityCheck(db);
  const outcome = (await db.query(
    `SELECT status, triage_reason, count(*)::int AS n FROM cases WHERE external_id LIKE $1 GROUP BY 1, 2 ORDER BY 3 DESC`,
    [`${CASE_PREFIX}%`],
  )).rows as { status: string; triage_reason: string | null; n: number }[];
  const workerLines = engine.worker.outputLines;
  await engine.stop();

  const substrate = await measureSubstrate(ctx);

  const cases = s.created + s.duplicate;
  const elapsedS = (m.lastRoutedMs - s.firstSentAt) / 1000;
  const rate = cases / elapsedS;
  const httpRate = ctx.n / ((s.lastAnsweredAt - s.firstSentAt) / 1000);
  const [h50, h95, h99] = percentiles(s.httpMs, [0.5, 0.95, 0.99]);
  const assigned = outcome.filter((o) => o.status === 'assigned').reduce((a, o) => a + o.n, 0);
  const triage = outcome.filter((o) => o.status === 'triage');
  const triageTotal = triage.reduce((a, o) => a + o.n, 0);
  const other = outcome.filter((o) => o.status !== 'assigned' && o.status !== 'triage');

  const lines = [
    `intake+routing: ${fmtInt(cases)} events in ${elapsedS.toFixed(1)} s = ${fmtInt(rate)} events/s (HTTP accepted: ${fmtInt(httpRate)}/s)`,
    `intake->assigned latency: p50 ${fmtMs(m.p50)}  p95 ${fmtMs(m.p95)}  p99 ${fmtMs(m.p99)}  max ${fmtMs(m.max)}  (cases.routed_at - received_at)`,
    `HTTP POST /v1/feedback latency: p50 ${fmtMs(h50)}  p95 ${fmtMs(h95)}  p99 ${fmtMs(h99)}  (${ctx.concurrency} in flight, keep-alive)`,
    `assigned ${fmtInt(assigned)}, triage ${fmtInt(triageTotal)} (${triage.map((t) => `${t.triage_reason ?? 'no reason'} ${fmtInt(t.n)}`).join(', ') || 'none'})` +
      (other.length ? `, other states: ${other.map((o) => `${o.status} ${o.n}`).join(', ')}` : ''),
    `locations: ${fmtInt(kinds.ward_code)} by wardCode, ${fmtInt(kinds.address_only)} by address only, ${fmtInt(kinds.unknown_ward)} outside the district; ` +
      `area resolved as intended: ${fmtInt(areaCheck.ok)}/${fmtInt(areaCheck.total)}` +
      (areaCheck.wrong.length ? ` (wrong e.g. ${areaCheck.wrong.slice(0, 3).join('; ')})` : ''),
    `HTTP: ${fmtInt(s.created)} x 202, ${fmtInt(s.duplicate)} x 200 (repeat), ${fmtInt(s.failed)} failed, ${fmtInt(s.retries)} retries` +
      (s.failures.size ? ` - ${[...s.failures].slice(0, 3).map(([k, v]) => `${v} x ${k}`).join('; ')}` : ''),
    `integrity: ${integrity}; worker log lines at LOG_LEVEL=error: ${workerLines}`,
    `CPU during the run: ${describeCpu(cpuBefore, cpuAfter, 'load generator + API')}`,
    `substrate ceiling (raw pg insert + BullMQ add + worker update): ${fmtInt(substrate.rate)} events/s ` +
      `(${fmtInt(substrate.n)} in ${substrate.elapsedS.toFixed(1)} s; latency p50 ${fmtMs(substrate.p50)} p95 ${fmtMs(substrate.p95)} p99 ${fmtMs(substrate.p99)})`,
    `ratio: ${((rate / substrate.rate) * 100).toFixed(1)}% of the substrate ceiling`,
    `substrate CPU: ${substrate.cpu}`,
    `engine settings: worker concurrency ${ctx.config.workerConcurrency}, db pool ${ctx.config.dbPoolSize} per process, relay batch ${ctx.config.relayBatchSize}; warm-up ${warmupN} events (not counted)`,
  ];
  return lines;
}

async function getJson<T>(client: HttpClient, path: string, key: string): Promise<T> {
  const res = await client.request('GET', path, { 'x-api-key': key });
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

async function send(
  ctx: BenchContext,
  client: HttpClient,
  keys: Map<string, string>,
  n: number,
  gen: (i: number) => GeneratedEvent,
  onEvent: (i: number, ev: GeneratedEvent) => void,
): Promise<SendStats> {
  const stats: SendStats = {
    created: 0,
    duplicate: 0,
    retries: 0,
    failed: 0,
    failures: new Map(),
    httpMs: new Float64Array(n),
    firstSentAt: Date.now(),
    lastAnsweredAt: 0,
  };
  const fail = (what: string) => {
    stats.failed++;
    stats.failures.set(what, (stats.failures.get(what) ?? 0) + 1);
  };
  await runPool(n, ctx.concurrency, async (i) => {
    const ev = gen(i);
    onEvent(i, ev);
    const headers = { 'x-api-key': keys.get(ev.channel)! };
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        // The same externalId makes a retry safe: the engine answers 200 with the stored case.
        const res = await client.request('POST', '/v1/feedback', headers, ev.body);
        if (res.status === 202 || res.status === 200) {
          if (res.status === 202) stats.created++;
          else stats.duplicate++;
          break;
        }
        if (res.status >= 500 && attempt < MAX_RETRIES) {
          stats.retries++;
          await sleep(100 * (attempt + 1));
          continue;
        }
        const message = (res.body as { message?: unknown })?.message;
        fail(`${res.status} ${typeof message === 'string' ? message.slice(0, 160) : JSON.stringify(message ?? res.body).slice(0, 160)}`);
        break;
      } catch (e) {
        if (attempt < MAX_RETRIES) {
          stats.retries++;
          await sleep(100 * (attempt + 1));
          continue;
        }
        fail(`network: ${(e as Error).message}`);
        break;
      }
    }
    stats.httpMs[i] = performance.now() - started;
  }, () => ctx.aborted);
  stats.lastAnsweredAt = Date.now();
  return stats;
}

/**
 * Polls PostgreSQL until the cases are assigned or in triage. `target` is known up front (warm-up)
 * or once sending has finished (measured run); gives up after the stall timeout without progress.
 */
async function waitRouted(
  ctx: BenchContext,
  db: Pool,
  engine: RunningEngine,
  target: number | null,
  run: { sent: Promise<SendStats>; baseline: number; getStats: () => SendStats | null } | null,
  label: string,
): Promise<void> {
  const baseline = run?.baseline ?? 0;
  let sendError: unknown = null;
  run?.sent.catch((e) => (sendError = e));
  let lastDone = -1;
  let lastProgressAt = Date.now();
  let lastReportAt = Date.now();
  for (;;) {
    if (ctx.aborted) throw new Error('interrupted');
    if (sendError) throw sendError;
    engine.worker.assertAlive();
    const stats = run?.getStats() ?? null;
    const want = target ?? (stats ? baseline + stats.created + stats.duplicate : null);
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE status IN ('assigned', 'triage'))::int AS done, count(*)::int AS total FROM cases`,
    );
    const { done, total } = rows[0] as { done: number; total: number };
    if (want !== null && done >= want) return;
    const now = Date.now();
    if (done !== lastDone || (run && !stats)) {
      lastDone = done;
      lastProgressAt = now;
    } else if (now - lastProgressAt > ctx.stallTimeoutMs) {
      throw new Error(`${label}: no progress for ${ctx.stallTimeoutMs / 1000} s; ${await leftovers(db, engine, done - baseline, want! - baseline)}`);
    }
    if (now - lastReportAt >= PROGRESS_MS) {
      lastReportAt = now;
      const counts = await engine.routingQueue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      ctx.log(
        `${label}: ${stats ? 'all sent' : `received ${total - baseline}`}, routed ${done - baseline}${want !== null ? `/${want - baseline}` : ''}; ` +
          `queue waiting ${counts.waiting} active ${counts.active} delayed ${counts.delayed} failed ${counts.failed}; rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`,
      );
    }
    await sleep(POLL_MS);
  }
}

async function leftovers(db: Pool, engine: RunningEngine, done: number, want: number): Promise<string> {
  const byStatus = (await db.query(`SELECT status, count(*)::int AS n FROM cases WHERE status NOT IN ('assigned', 'triage') GROUP BY 1`)).rows;
  const [{ outbox }] = (await db.query(`SELECT count(*)::int AS outbox FROM outbox`)).rows;
  const counts = await engine.routingQueue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  const failed = await engine.routingQueue.getFailed(0, 2);
  return (
    `routed ${done} of ${want}; not routed by status: ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'}; ` +
    `outbox rows ${outbox}; routing queue ${JSON.stringify(counts)}` +
    (failed.length ? `; failed job e.g. ${failed.map((j) => `${j.id}: ${j.failedReason}`).join(' | ')}` : '')
  );
}

async function measurements(db: Pool, firstSentAt: number) {
  const { rows } = await db.query(
    `SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lat) AS p,
            max(lat) AS max, extract(epoch FROM max(routed_at)) * 1000 AS last_routed_ms
       FROM (SELECT routed_at, extract(epoch FROM routed_at - received_at) * 1000 AS lat
               FROM cases WHERE external_id LIKE $1 AND routed_at IS NOT NULL) t`,
    [`${CASE_PREFIX}%`],
  );
  const r = rows[0] as { p: number[] | null; max: string | null; last_routed_ms: string | null };
  const p = (r.p ?? [NaN, NaN, NaN]).map(Number);
  return { p50: p[0], p95: p[1], p99: p[2], max: Number(r.max), lastRoutedMs: Math.max(Number(r.last_routed_ms), firstSentAt + 1) };
}

/** Compares the area the engine resolved with the ward each event was written for. */
async function checkAreas(db: Pool, expected: (string | null)[]): Promise<{ ok: number; total: number; wrong: string[] }> {
  const { rows } = await db.query(`SELECT external_id, area_code FROM cases WHERE external_id LIKE $1`, [`${CASE_PREFIX}%`]);
  let ok = 0;
  const wrong: string[] = [];
  for (const r of rows as { external_id: string; area_code: string | null }[]) {
    const i = Number(r.external_id.slice(CASE_PREFIX.length));
    if ((expected[i] ?? null) === (r.area_code ?? null)) ok++;
    else wrong.push(`${r.external_id}: ${r.area_code} instead of ${expected[i]}`);
  }
  return { ok, total: rows.length, wrong };
}

/** Every routed case has its receive and route audit events and one assignment; the outbox is empty. */
async function integrityCheck(db: Pool): Promise<string> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM cases WHERE external_id LIKE $1)::int AS cases,
            (SELECT count(*) FROM audit_events e JOIN cases c ON c.id = e.case_id WHERE c.external_id LIKE $1)::int AS audit,
            (SELECT count(*) FROM assignments a JOIN cases c ON c.id = a.case_id WHERE c.external_id LIKE $1)::int AS assignments,
            (SELECT count(*) FROM outbox)::int AS outbox`,
    [`${CASE_PREFIX}%`],
  );
  const r = rows[0] as { cases: number; audit: number; assignments: number; outbox: number };
  const problems: string[] = [];
  if (r.audit !== 2 * r.cases) problems.push(`${r.audit} audit events for ${r.cases} cases (expected 2 each)`);
  if (r.assignments !== r.cases) problems.push(`${r.assignments} assignments for ${r.cases} cases`);
  if (r.outbox !== 0) problems.push(`${r.outbox} outbox rows left`);
  return problems.length ? `PROBLEMS: ${problems.join('; ')}` : `ok (${fmtInt(r.audit)} audit events, ${fmtInt(r.assignments)} assignments, outbox empty)`;
}
