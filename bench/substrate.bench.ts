import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { DEFAULT_JOB_OPTIONS, redisOptions } from '@fr/queue';
import { BenchChild } from './processes';
import { BenchContext, cpuSnapshot, describeCpu, fmtInt, fmtMs, runPool, sleep } from './support';
import { measureHttpSubstrate } from './http-substrate';
import { generator, loadInputs } from './load';

export interface SubstrateResult {
  n: number;
  elapsedS: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  cpu: string;
}

export const SUBSTRATE_QUEUE = 'substrate';
const TABLE = 'bench_substrate';
const SHARED_KEY = 'substrate';

/**
 * The substrate ceiling: what PostgreSQL + Redis/BullMQ on this machine do with no framework.
 * Per event one INSERT transaction and one Queue.add from this process (where the API runs), and a
 * bare BullMQ Worker in its own process (where the engine's worker runs) doing one UPDATE
 * transaction per job, with the engine's concurrency, pool size and job options.
 * Measured once per run; scenarios share the result.
 */
export async function measureSubstrate(ctx: BenchContext): Promise<SubstrateResult> {
  const cached = ctx.shared.get(SHARED_KEY) as SubstrateResult | undefined;
  if (cached) return cached;
  ctx.log(`substrate: measuring the ceiling with ${ctx.n} events`);

  const pool = new Pool({ connectionString: ctx.databaseUrl, max: ctx.config.dbPoolSize });
  pool.on('error', () => undefined); // an idle client cut off when the database is dropped
  ctx.defer('close substrate pool', () => pool.end());
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
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
    )`);

  // The same texts as the intake run (same seed), read from the bench database.
  const gen = generator(await loadInputs(ctx, pool), ctx.seed, 'bench-substrate-');

  const queue = new Queue(SUBSTRATE_QUEUE, { connection: redisOptions(ctx.config.redisUrl, 'worker'), prefix: ctx.queuePrefix });
  ctx.defer('close substrate queue', () => queue.close());

  const worker = new BenchChild(ctx, 'substrate-worker', path.join(__dirname, 'substrate-worker.js'), [], {
    ...process.env,
    BENCH_DATABASE_URL: ctx.databaseUrl,
    BENCH_REDIS_URL: ctx.config.redisUrl,
    BENCH_QUEUE_PREFIX: ctx.queuePrefix,
    BENCH_QUEUE: SUBSTRATE_QUEUE,
    BENCH_TABLE: TABLE,
    BENCH_WORKER_CONCURRENCY: String(ctx.config.workerConcurrency),
    BENCH_POOL_SIZE: String(ctx.config.dbPoolSize),
  });
  await worker.waitForMessage('ready', 30000);

  const cpuPids = { 'substrate-worker': worker.proc.pid };
  const cpuBefore = cpuSnapshot(cpuPids);
  const firstSentAt = Date.now();
  let sendError: unknown = null;
  let sent = false;
  void runPool(
    ctx.n,
    ctx.concurrency,
    async (i) => {
      const { body, channel } = gen(i);
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO ${TABLE} (channel_code, external_id, category_code, title, description, address, ward_code, citizen_name, citizen_phone)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          channel,
          body.externalId,
          body.category,
          body.title ?? null,
          body.description,
          body.location.address ?? null,
          body.location.wardCode ?? null,
          body.citizen?.name ?? null,
          body.citizen?.phone ?? null,
        ],
      );
      const id = String(rows[0].id);
      await queue.add('process', { id }, { ...DEFAULT_JOB_OPTIONS, jobId: `substrate.${id}` });
    },
    () => ctx.aborted,
  ).then(
    () => (sent = true),
    (e: unknown) => (sendError = e),
  );

  let lastDone = -1;
  let lastProgressAt = Date.now();
  let lastReportAt = Date.now();
  for (;;) {
    if (ctx.aborted) throw new Error('interrupted');
    if (sendError) throw sendError;
    worker.assertAlive();
    const { rows } = await pool.query<{ done: number }>(`SELECT count(*)::int AS done FROM ${TABLE} WHERE processed_at IS NOT NULL`);
    const done = rows[0].done;
    if (sent && done >= ctx.n) break;
    const now = Date.now();
    if (done !== lastDone || !sent) {
      lastDone = done;
      lastProgressAt = now;
    } else if (now - lastProgressAt > ctx.stallTimeoutMs) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      throw new Error(`substrate: no progress for ${ctx.stallTimeoutMs / 1000} s; processed ${done} of ${ctx.n}; queue ${JSON.stringify(counts)}`);
    }
    if (now - lastReportAt >= 5000) {
      lastReportAt = now;
      ctx.log(`substrate: ${sent ? 'all sent' : 'sending'}, processed ${done}/${ctx.n}`);
    }
    await sleep(200);
  }

  const cpuAfter = cpuSnapshot(cpuPids);
  // numeric (extract's type) comes back as text.
  const { rows } = await pool.query<{ p: string[]; last_ms: string }>(
    `SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lat) AS p, extract(epoch FROM max(processed_at)) * 1000 AS last_ms
       FROM (SELECT processed_at, extract(epoch FROM processed_at - received_at) * 1000 AS lat FROM ${TABLE}) t`,
  );
  await worker.stop();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await pool.query(`DROP TABLE ${TABLE}`);

  const p = rows[0].p.map(Number);
  const elapsedS = Math.max(Number(rows[0].last_ms) - firstSentAt, 1) / 1000;
  const result: SubstrateResult = {
    n: ctx.n,
    elapsedS,
    rate: ctx.n / elapsedS,
    p50: p[0],
    p95: p[1],
    p99: p[2],
    cpu: describeCpu(cpuBefore, cpuAfter, 'producer'),
  };
  ctx.shared.set(SHARED_KEY, result);
  return result;
}

/** The ceilings on their own (BENCH_SCENARIOS=substrate). */
export async function runSubstrateScenario(ctx: BenchContext): Promise<string[]> {
  const h = await measureHttpSubstrate(ctx);
  const s = await measureSubstrate(ctx);
  return [
    `HTTP substrate ceiling (node:http + 1 tx case+outbox + BullMQ add; bare worker 1 tx update+audit insert; ${ctx.workers} worker process(es)): ` +
      `${fmtInt(h.rate)} events/s (${fmtInt(h.n)} in ${h.elapsedS.toFixed(1)} s; received->processed p50 ${fmtMs(h.latency[0])} p95 ${fmtMs(h.latency[1])} ` +
      `p99 ${fmtMs(h.latency[2])}; HTTP POST p50 ${fmtMs(h.http[0])} p99 ${fmtMs(h.http[2])})`,
    `HTTP substrate CPU: ${h.cpu}`,
    ...(h.paced
      ? [
          `HTTP substrate paced ${h.paced.rate}/s for ${ctx.pacedS} s (${fmtInt(h.paced.n)} arrivals): processed - scheduled send p50 ${fmtMs(h.paced.latency[0])} ` +
            `p95 ${fmtMs(h.paced.latency[1])} p99 ${fmtMs(h.paced.latency[2])} max ${fmtMs(h.paced.latency[3])}; HTTP POST p50 ${fmtMs(h.paced.http[0])} p99 ${fmtMs(h.paced.http[2])}`,
        ]
      : []),
    `raw substrate (no HTTP: pg insert + BullMQ add + bare worker update): ${fmtInt(s.rate)} events/s ` +
      `(${fmtInt(s.n)} in ${s.elapsedS.toFixed(1)} s; latency p50 ${fmtMs(s.p50)} p95 ${fmtMs(s.p95)} p99 ${fmtMs(s.p99)})`,
    `raw substrate CPU: ${s.cpu}`,
  ];
}
