/**
 * `npm run bench`: end-to-end benchmarks of the engine on its own database and queue prefix, which
 * are removed at the end (also after an error or Ctrl-C). The engine runs as `npm start` runs it: the
 * API and the worker(s) each their own process; the bench process is only the load generator.
 *
 *   BENCH_N / --n               events of the closed-loop runs (default 20000)
 *   BENCH_SCENARIOS / --scenarios  comma list of scenarios (default intake,sla,audit); see SCENARIOS below
 *   BENCH_CONCURRENCY / --concurrency  requests in flight in the closed-loop runs (default 64)
 *   BENCH_WORKERS / --workers   worker processes of the engine and of the HTTP substrate (default 1)
 *   BENCH_RATE / --rate         arrivals a second of the paced (open-loop) runs (default 200; 0 skips them)
 *   BENCH_PACED_S               length of each paced run in seconds (default 30)
 *   BENCH_PACED_LOG             a CSV file to append every paced request to (run, scheduled send, send -> done, HTTP ms)
 *   BENCH_SEAL_WAIT_S           how long the intake scenario waits for audit_unsealed to empty before failing (default 60)
 *   BENCH_RAW_SUBSTRATE         0 skips the raw substrate (no HTTP) in the intake scenario (default 1)
 *   BENCH_SEED / --seed         seed of the generated texts (default 1)
 *   BENCH_WARMUP                warm-up events before the measured intake run (default 200)
 *   BENCH_STALL_S               give up after this long without progress (default 120)
 *   BENCH_AUDIT_CASES           cases of the audit scenario (default 1000000; ten audit events each); BENCH_AUDIT_SINCE_EVENTS
 *                               events behind the head of the checkpoint its incremental verification starts from (default 100000)
 *   BENCH_SLA_CASES             open cases of the sla scenario (default 100000); BENCH_SLA_SPREAD_S, BENCH_SLA_LEAD_S,
 *                               BENCH_SLA_WORKERS, BENCH_SLA_FLUSH, BENCH_SLA_INTAKE_RATE (paced intake during the
 *                               breach window, default 200/s, 0 off): see bench/sla.bench.ts
 *   BENCH_DUPLICATE_CASES       open cases of the duplicates scenario (default 100000); BENCH_DUPLICATE_SEARCHES (default 2000)
 * Engine settings (FR_WORKER_CONCURRENCY, FR_DB_POOL_SIZE, ...) and DATABASE_URL / REDIS_URL (the
 * servers to use; the database name is replaced) come from the environment as usual.
 */
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@fr/config';
import { organisationSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { runAuditScenario } from './audit.bench';
import { runDuplicatesScenario } from './duplicates.bench';
import { runIntakeScenario } from './intake.bench';
import { runSlaScenario } from './sla.bench';
import { runSubstrateScenario } from './substrate.bench';
import { BenchContext, deleteRedisKeys, dropDatabase, findRepoRoot, fmtMb, scratchEngineEnv, sleep, withDatabase } from './support';

interface Scenario {
  description: string;
  run(ctx: BenchContext): Promise<string[]>;
}

/** The registry: add a scenario here (e.g. sla, audit) and name it in BENCH_SCENARIOS. */
const SCENARIOS: Record<string, Scenario> = {
  intake: {
    description:
      'HTTP intake until every case is assigned or in triage (closed loop, then paced), seal lag, integrity; compared with the HTTP substrate ceiling',
    run: runIntakeScenario,
  },
  substrate: {
    description: 'the substrate ceilings alone: HTTP substrate (closed loop and paced) and raw pg insert + BullMQ add + worker update',
    run: runSubstrateScenario,
  },
  audit: {
    description:
      'BENCH_AUDIT_CASES cases (default 1,000,000) with ten audit events each over a year: quarterly unit report, full CSV export (row-mapped and COPY), full chain verification (one thread and in segments), verification since a checkpoint, API RSS',
    run: runAuditScenario,
  },
  sla: {
    description:
      'BENCH_SLA_CASES open cases (default 100,000) breaching within BENCH_SLA_SPREAD_S (default 180 s) on real timers: deadline -> level-1 notification lag, reconciler full pass',
    run: runSlaScenario,
  },
  duplicates: {
    description:
      'BENCH_DUPLICATE_CASES open cases (default 100,000), then the candidate search routing makes for a new case: p50/p99 of one search (goal p99 < 10 ms)',
    run: runDuplicatesScenario,
  },
};

function arg(name: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

function nonNegativeInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

async function main(): Promise<number> {
  const n = positiveInt('BENCH_N', arg('n') ?? process.env.BENCH_N, 20000);
  const concurrency = positiveInt('BENCH_CONCURRENCY', arg('concurrency') ?? process.env.BENCH_CONCURRENCY, 64);
  const seed = positiveInt('BENCH_SEED', arg('seed') ?? process.env.BENCH_SEED, 1);
  const workers = positiveInt('BENCH_WORKERS', arg('workers') ?? process.env.BENCH_WORKERS, 1);
  const pacedRate = nonNegativeInt('BENCH_RATE', arg('rate') ?? process.env.BENCH_RATE, 200);
  const pacedS = positiveInt('BENCH_PACED_S', process.env.BENCH_PACED_S, 30);
  const stallTimeoutMs = positiveInt('BENCH_STALL_S', process.env.BENCH_STALL_S, 120) * 1000;
  const names = (arg('scenarios') ?? process.env.BENCH_SCENARIOS ?? 'intake,sla,audit')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((s) => !SCENARIOS[s]);
  if (unknown.length || names.length === 0) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }

  const repoRoot = findRepoRoot();
  const runId = String(Date.now());
  const dbName = `fr_bench_${runId}`;
  const queuePrefix = `frbench${runId}`;
  const databaseUrl = withDatabase(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', dbName);
  const engineEnv: Record<string, string | undefined> = {
    ...scratchEngineEnv(process.env, databaseUrl),
    NODE_ENV: 'development',
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'error',
    PORT: '0',
    FR_WORKER_METRICS_PORT: '0',
    FR_CONFIG_DIR: path.resolve(repoRoot, process.env.FR_CONFIG_DIR || 'config'),
    // The run's audit checkpoints go with its database, not into the repository's var/.
    FR_CHECKPOINT_DIR: path.join(os.tmpdir(), `fr_bench_${runId}_checkpoints`),
  };
  const config = loadConfig(engineEnv);

  const cleanups: { label: string; fn: () => Promise<unknown> | unknown }[] = [];
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const ctx: BenchContext = {
    n,
    concurrency,
    workers,
    pacedRate,
    pacedS,
    seed,
    stallTimeoutMs,
    repoRoot,
    runId,
    dbName,
    databaseUrl,
    queuePrefix,
    config,
    engineEnv,
    aborted: false,
    shared: new Map(),
    childPeaks: new Map(),
    defer: (label, fn) => cleanups.push({ label, fn }),
    log,
  };
  cleanups.push({ label: 'remove audit checkpoints', fn: () => rmSync(config.checkpointDir, { recursive: true, force: true }) });

  let cleanupNote = '';
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      const problems: string[] = [];
      while (cleanups.length) {
        const c = cleanups.pop()!;
        try {
          await c.fn();
        } catch (e) {
          problems.push(`${c.label}: ${(e as Error).message}`);
        }
      }
      let keys = 0;
      try {
        keys = await deleteRedisKeys(config.redisUrl, queuePrefix);
      } catch (e) {
        problems.push(`delete Redis keys ${queuePrefix}:*: ${(e as Error).message}`);
      }
      // pg pools resolve end() before their sockets have closed; let them go before forcing the drop.
      await sleep(300);
      // BENCH_KEEP_DB=1 keeps the run's database for EXPLAIN and profiling afterwards (the caller drops it).
      const keepDb = process.env.BENCH_KEEP_DB === '1';
      if (!keepDb) {
        try {
          await dropDatabase(databaseUrl, dbName);
        } catch (e) {
          problems.push(`drop database ${dbName}: ${(e as Error).message}`);
        }
      }
      cleanupNote = problems.length
        ? `cleanup PROBLEMS: ${problems.join('; ')}`
        : `cleanup: ${keepDb ? `kept database ${dbName} (BENCH_KEEP_DB=1)` : `dropped database ${dbName}`}, deleted ${keys} Redis keys under ${queuePrefix}:`;
    })());

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    ctx.aborted = true;
    log(`${signal}: cleaning up (the API may log errors for requests cut short)`);
    void cleanup().finally(() => {
      log(cleanupNote);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A stray error event (e.g. from a connection cut during cleanup) must not skip the cleanup.
  process.on('uncaughtException', (e) => {
    log(`uncaught error: ${e instanceof Error ? e.message : String(e)}`);
    if (cleaning || interrupted) return;
    interrupted = true;
    ctx.aborted = true;
    void cleanup().finally(() => {
      log(cleanupNote);
      process.exit(1);
    });
  });

  const cpus = os.cpus();
  console.log(
    `feedback-router bench  (N=${n}, ${workers} worker process(es), paced ${pacedRate}/s for ${pacedS} s, node ${process.version}, ${cpus.length} cores, ${cpus[0]?.model.trim() ?? 'unknown CPU'}; ` +
      `scenarios ${names.join(', ')}; seed ${seed})`,
  );
  let code = 0;
  try {
    log(`preparing database ${dbName} (queue prefix ${queuePrefix})`);
    await migrateDatabase(config, [organisationSeed(config)]);
    for (const name of names) {
      log(`scenario ${name}: ${SCENARIOS[name].description}`);
      const lines = await SCENARIOS[name].run(ctx);
      if (names.length > 1) console.log(`[${name}]`);
      for (const line of lines) console.log(line);
    }
  } catch (e) {
    ctx.aborted = true; // stops senders still running in the background
    code = interrupted ? 130 : 1;
    if (!interrupted) console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    // Also when a signal started the cleanup: wait for it, or exiting here would cut it short.
    await cleanup();
  }
  const peaks = [
    `bench process (load generator${names.includes('sla') || names.includes('audit') ? ', SLA reconciler passes, audit loads' : ''}) ${fmtMb(process.resourceUsage().maxRSS * 1024)}`,
  ];
  for (const [label, bytes] of ctx.childPeaks) peaks.push(`${label} ${fmtMb(bytes)}`);
  console.log(`peak RSS: ${peaks.join(', ')}`);
  console.log(cleanupNote);
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
