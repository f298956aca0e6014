import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { redisOptions } from '@fr/queue';
import { HttpClient } from './http-client';
import { generator, loadInputs, pacedLatency, sendClosed, sendPaced, SendStats } from './load';
import { BenchChild } from './processes';
import { BenchContext, checkpointBeforePaced, cpuSnapshot, describeCpu, fmtInt, pollUntil, percentiles, PROGRESS_POLL_MS, walMark } from './support';

export interface HttpSubstrateResult {
  /** Closed loop, N events, ctx.concurrency in flight: the ceiling. */
  n: number;
  elapsedS: number;
  rate: number;
  /** processed_at - received_at of the closed run, p50/p95/p99. */
  latency: number[];
  /** HTTP POST of the closed run, p50/p95/p99. */
  http: number[];
  cpu: string;
  /** WAL written by the closed loop (server-wide). */
  walBytes: number;
  /** Paced run: processed_at - scheduled send, p50/p95/p99/max; HTTP POST from scheduled send, p50/p95/p99; how many arrivals. */
  paced: { n: number; rate: number; latency: number[]; http: number[]; failed: number; maxSendDelayMs: number; cpu: string } | null;
  failed: number;
}

const QUEUE = 'substrate-http';
const TABLE = 'bench_http_substrate';
const SHARED_KEY = 'http-substrate';

/**
 * The HTTP substrate ceiling: the engine's job with no framework. A node:http server process
 * (bench/substrate-http-server.ts: one transaction inserting a case-like and an outbox-like row, a
 * BullMQ add with the id, 202) and `ctx.workers` bare BullMQ Worker processes (bench/substrate-worker.ts:
 * per job one transaction with one UPDATE and one INSERT of an audit-like row), with the engine's worker
 * concurrency, pool size and job options, driven by the same HTTP client and texts as the engine:
 * N events closed loop (the ceiling), then `ctx.pacedRate`/s for `ctx.pacedS` s open loop.
 * Measured once per run; scenarios share the result.
 */
export async function measureHttpSubstrate(ctx: BenchContext): Promise<HttpSubstrateResult> {
  const cached = ctx.shared.get(SHARED_KEY) as HttpSubstrateResult | undefined;
  if (cached) return cached;
  ctx.log(`HTTP substrate: ${ctx.n} events closed loop, then ${ctx.pacedRate}/s for ${ctx.pacedS} s; ${ctx.workers} worker process(es)`);

  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  pool.on('error', () => undefined); // an idle client cut off when the database is dropped
  ctx.defer('close HTTP substrate pool', () => pool.end());
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_outbox, ${TABLE}_audit`);
  // Shaped like cases, outbox and audit_events, with their keys; no triggers, no hash chain.
  await pool.query(`
    CREATE TABLE ${TABLE} (
      id bigserial PRIMARY KEY,
      channel_code varchar(40) NOT NULL,
      external_id varchar(100) NOT NULL,
      category_code varchar(40) NOT NULL,
      title varchar(200) NULL,
      description text NOT NULL,
      address varchar(500) NULL,
      ward_code varchar(40) NULL,
      citizen_name varchar(200) NULL,
      citizen_phone varchar(20) NULL,
      status varchar(20) NOT NULL DEFAULT 'received',
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz NULL,
      CONSTRAINT ${TABLE}_external_uq UNIQUE (channel_code, external_id)
    );
    CREATE TABLE ${TABLE}_outbox (
      id bigserial PRIMARY KEY,
      job_id varchar(200) NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE ${TABLE}_audit (
      id bigserial PRIMARY KEY,
      row_id bigint NOT NULL REFERENCES ${TABLE} (id),
      actor varchar(100) NOT NULL,
      action varchar(40) NOT NULL,
      from_state varchar(20) NULL,
      to_state varchar(20) NULL,
      data jsonb NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ON ${TABLE}_audit (row_id);`);
  ctx.defer('drop HTTP substrate tables', () => pool.query(`DROP TABLE IF EXISTS ${TABLE}_audit, ${TABLE}_outbox, ${TABLE}`));

  const inputs = await loadInputs(ctx, pool);
  const queue = new Queue(QUEUE, { connection: redisOptions(ctx.config.redisUrl, 'worker'), prefix: ctx.queuePrefix });
  ctx.defer('close HTTP substrate queue', () => queue.close());

  const common = {
    ...process.env,
    BENCH_DATABASE_URL: ctx.databaseUrl,
    BENCH_REDIS_URL: ctx.config.redisUrl,
    BENCH_QUEUE_PREFIX: ctx.queuePrefix,
    BENCH_QUEUE: QUEUE,
    BENCH_TABLE: TABLE,
    BENCH_POOL_SIZE: String(ctx.config.dbPoolSize),
  };
  const workers = Array.from(
    { length: ctx.workers },
    (_, w) =>
      new BenchChild(ctx, w === 0 ? 'substrate-worker' : `substrate-worker${w + 1}`, path.join(__dirname, 'substrate-worker.js'), [], {
        ...common,
        BENCH_AUDIT_TABLE: `${TABLE}_audit`,
        BENCH_WORKER_CONCURRENCY: String(ctx.config.workerConcurrency),
      }),
  );
  const channelKeys = Object.fromEntries([...inputs.keys].map(([ch, key]) => [key, ch]));
  const server = new BenchChild(ctx, 'substrate-server', path.join(__dirname, 'substrate-http-server.js'), [], {
    ...common,
    BENCH_CHANNEL_KEYS: JSON.stringify(channelKeys),
  });
  const [{ port }] = (await Promise.all([server.waitForMessage('ready', 30000), ...workers.map((w) => w.waitForMessage('ready', 30000))])) as [
    { port: number },
  ];
  const client = new HttpClient(`http://127.0.0.1:${port}`, Math.max(ctx.concurrency, 1024));
  ctx.defer('close HTTP substrate client', () => client.close());
  const assertAlive = () => [server, ...workers].forEach((c) => c.assertAlive());

  const waitProcessed = async (label: string, prefix: string, want: number) =>
    pollUntil(
      ctx,
      label,
      async () => {
        const { rows } = await pool.query<{ done: number; total: number }>(
          `SELECT count(*) FILTER (WHERE processed_at IS NOT NULL)::int AS done, count(*)::int AS total FROM ${TABLE} WHERE external_id LIKE $1`,
          [`${prefix}%`],
        );
        return { done: rows[0].done >= want, progress: rows[0].done, note: `processed ${rows[0].done}/${want} (received ${rows[0].total})` };
      },
      {
        assert: assertAlive,
        detail: async () => `queue ${JSON.stringify(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed'))}`,
        intervalMs: PROGRESS_POLL_MS,
      },
    );

  // Closed loop: the ceiling.
  const pids: Record<string, number | undefined> = { 'substrate-server': server.proc.pid };
  for (const w of workers) pids[w.label] = w.proc.pid;
  const walBefore = await walMark(pool);
  const cpuBefore = cpuSnapshot(pids);
  const closedPrefix = 'bench-hsub-';
  const closed = await sendClosed(ctx, client, inputs.keys, ctx.n, generator(inputs, ctx.seed, closedPrefix));
  requireAccepted('HTTP substrate', closed);
  await waitProcessed('HTTP substrate', closedPrefix, closed.created);
  const cpuAfter = cpuSnapshot(pids);
  const walBytes = (await walMark(pool)).bytes - walBefore.bytes;
  // numeric (extract's type) comes back as text.
  const { rows } = await pool.query<{ p: string[]; last_ms: string }>(
    `SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lat) AS p, extract(epoch FROM max(processed_at)) * 1000 AS last_ms
       FROM (SELECT processed_at, extract(epoch FROM processed_at - received_at) * 1000 AS lat FROM ${TABLE} WHERE external_id LIKE $1) t`,
    [`${closedPrefix}%`],
  );
  const elapsedS = Math.max(Number(rows[0].last_ms) - closed.firstSentAt, 1) / 1000;

  // Paced: the same arrivals as the engine's paced run.
  let paced: HttpSubstrateResult['paced'] = null;
  if (ctx.pacedRate > 0) {
    const pacedPrefix = 'bench-hsub-paced-';
    await checkpointBeforePaced(ctx, pool, 'HTTP substrate');
    const pacedCpuBefore = cpuSnapshot(pids);
    const s = await sendPaced(ctx, client, inputs.keys, ctx.pacedRate, ctx.pacedS, generator(inputs, ctx.seed + 2, pacedPrefix));
    await waitProcessed('HTTP substrate paced', pacedPrefix, s.created);
    const pacedCpuAfter = cpuSnapshot(pids);
    const done = await pool.query<{ external_id: string; at: string }>(
      `SELECT external_id, extract(epoch FROM processed_at) * 1000 AS at FROM ${TABLE} WHERE external_id LIKE $1 AND processed_at IS NOT NULL`,
      [`${pacedPrefix}%`],
    );
    const lat = pacedLatency(s, new Map(done.rows.map((r) => [r.external_id, Number(r.at)])), 'http substrate');
    paced = {
      n: s.scheduledAt.size,
      rate: ctx.pacedRate,
      latency: lat.p,
      http: percentiles(s.httpMs, [0.5, 0.95, 0.99]),
      failed: s.failed,
      maxSendDelayMs: s.maxSendDelayMs,
      cpu: describeCpu(pacedCpuBefore, pacedCpuAfter, 'load generator'),
    };
  }

  for (const c of [server, ...workers]) await c.stop();
  await queue.obliterate({ force: true }).catch(() => undefined);

  const result: HttpSubstrateResult = {
    n: closed.created,
    elapsedS,
    rate: closed.created / elapsedS,
    latency: rows[0].p.map(Number),
    http: percentiles(closed.httpMs, [0.5, 0.95, 0.99]),
    cpu: describeCpu(cpuBefore, cpuAfter, 'load generator'),
    walBytes,
    paced,
    failed: closed.failed,
  };
  ctx.shared.set(SHARED_KEY, result);
  return result;
}

/** A run where requests failed measures something else: stop with what the server answered. */
export function requireAccepted(label: string, s: SendStats): void {
  if (s.failed === 0) return;
  throw new Error(
    `${label}: ${fmtInt(s.failed)} request(s) failed: ${[...s.failures]
      .slice(0, 3)
      .map(([k, v]) => `${v} x ${k}`)
      .join('; ')}`,
  );
}
