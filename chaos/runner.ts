/**
 * The chaos run (issue 10): the engine as separate processes (the API and N workers, compiled, as
 * `npm start` runs them) under a paced open-loop load, while a schedule of faults hits it: a worker
 * and the API SIGKILLed (and started again, as a supervisor would), the run's queue prefix wiped
 * from Redis, PostgreSQL away for a while. Afterwards it waits for the engine to settle and checks
 * the zero goals. `npm run chaos` runs the full version (chaos/main.ts), test/chaos.e2e-spec.ts a
 * short one. Everything runs on a database and queue prefix of its own, dropped at the end, also
 * after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { loadConfig } from '@fr/config';
import { organisationSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { QueueName, redisOptions } from '@fr/queue';
import { freePort, RunningApi, startApi, workerLabel } from '../bench/engine';
import { HttpClient } from '../bench/http-client';
import { generator, loadInputs } from '../bench/load';
import { BenchChild } from '../bench/processes';
import { auditorToken, sealIntegrity, verifyTrail, waitSealed } from '../bench/seal';
import {
  BenchContext,
  deleteRedisKeys,
  dropDatabase,
  findRepoRoot,
  fmtInt,
  fmtMs,
  pollUntil,
  runPool,
  scratchEngineEnv,
  sleep,
  withDatabase,
} from '../bench/support';
import { Check, escalationCheck, EscalationFigures, escalationFigures, receivedByPeriod, receivedCount, routingIntegrity, storedByExternalId } from './checks';
import { CHAOS_SLA, writeChaosConfig } from './config-dir';
import { FaultEvent, FaultPlan, PgCluster, PgOutage, PgOutageMode, wipeQueuePrefix } from './faults';
import { ChaosLoad, sendChaosLoad } from './load';
import { BacklogSample, fiveHundredsCheck, figuresTable, intakeCheck, WindowFigures, windowFigures } from './report';

export interface ChaosParams {
  /** Events of the paced load and their rate (arrivals a second). */
  events: number;
  rate: number;
  /** Worker processes beside the API. */
  workers: number;
  /** Seconds after the load began; every fault must start while the load runs. */
  faults: FaultPlan[];
  pgOutage: PgOutageMode;
  /** The cluster a `server` outage stops. */
  pgCluster?: PgCluster | null;
  /**
   * Cases posted before the workers start, their receipt moved back so that their escalation levels
   * fall due while the faults happen (the load's own cases reach theirs a minute after receipt).
   */
  overdueSeeds: number;
  /** The client gives an event up this long after its scheduled time; the longest wait between its retries. */
  giveUpS: number;
  maxBackoffMs: number;
  /** A 503 sent this long after the outage's end still counts as the outage's. */
  outageGraceS: number;
  /** How long the end waits for the routing backlog, the sealer and the escalations, each. */
  settleS: number;
  /** Engine settings for the run (FR_RECONCILE_INTERVAL_MS, FR_STUCK_AFTER_SECONDS, ...); the engine's defaults otherwise. */
  engineEnv: Record<string, string>;
  seed: number;
  /** PostgreSQL server (the database name is replaced) and Redis. */
  databaseUrl: string;
  redisUrl: string;
  /** Lines of each engine process's output echoed to stderr (the rest is counted). */
  echoChildLines: number;
  log: (line: string) => void;
  /** Asked to stop (Ctrl-C): the run stops sending and waiting, and cleans up. */
  aborted?: () => boolean;
}

export interface ChaosResult {
  ok: boolean;
  checks: Check[];
  windows: WindowFigures[];
  total: WindowFigures | null;
  faults: FaultEvent[];
  escalations: EscalationFigures | null;
  /** The report to print: settings, the figures table, one line per check, the cleanup. */
  report: string[];
  error: string | null;
}

const FAULT_LABEL: Record<FaultPlan['kind'], string> = {
  'kill-worker': 'SIGKILL a worker',
  'kill-api': 'SIGKILL the API',
  'wipe-queue': 'wipe the queue prefix',
  'pg-outage': 'PostgreSQL away',
};
/** A worker SIGKILLed is started again after this long (a supervisor's restart delay). */
const WORKER_RESTART_DELAY_MS = 1000;
const BACKLOG_SAMPLE_MS = 250;

export async function runChaos(p: ChaosParams): Promise<ChaosResult> {
  const loadS = p.events / p.rate;
  const plan = [...p.faults].sort((a, b) => a.atS - b.atS);
  for (const f of plan) {
    if (f.atS < 0 || f.atS + (f.durationS ?? 0) >= loadS)
      throw new Error(`fault ${f.kind} at ${f.atS} s does not fall within the load's ${loadS.toFixed(1)} s`);
  }
  const repoRoot = findRepoRoot();
  const runId = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const dbName = `fr_chaos_${runId}`;
  const queuePrefix = `frchaos${runId}`;
  const databaseUrl = withDatabase(p.databaseUrl, dbName);
  const scratch = mkdtempSync(path.join(tmpdir(), `fr_chaos_${runId}_`));
  const configDir = path.join(scratch, 'config');
  writeChaosConfig(path.join(repoRoot, 'config'), configDir);
  const engineEnv: Record<string, string | undefined> = {
    ...scratchEngineEnv(process.env, databaseUrl),
    NODE_ENV: 'development',
    REDIS_URL: p.redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'error',
    PORT: '0',
    FR_WORKER_METRICS_PORT: '0',
    FR_CONFIG_DIR: configDir,
    FR_CHECKPOINT_DIR: path.join(scratch, 'checkpoints'),
    ...p.engineEnv,
  };
  const config = loadConfig(engineEnv);

  const cleanups: { label: string; fn: () => Promise<unknown> | unknown }[] = [];
  const ctx: BenchContext = {
    n: p.events,
    concurrency: 1,
    workers: p.workers,
    pacedRate: p.rate,
    pacedS: loadS,
    seed: p.seed,
    stallTimeoutMs: p.settleS * 1000,
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
    log: p.log,
  };
  const abortWatch = setInterval(() => {
    if (p.aborted?.()) ctx.aborted = true;
  }, 100);
  const outage = new PgOutage(p.pgOutage, databaseUrl, dbName, p.pgCluster ?? null);

  const checks: Check[] = [];
  const faults: FaultEvent[] = [];
  const backlog: BacklogSample[] = [];
  const unexpectedExits: string[] = [];
  const report: string[] = [];
  let windows: WindowFigures[] = [];
  let total: WindowFigures | null = null;
  let escalations: EscalationFigures | null = null;
  let error: string | null = null;
  let finishing = false;

  /** Engine processes; one that exits without being told to is a finding (and is started again). */
  const children: BenchChild[] = [];
  const watch = (child: BenchChild, restart: () => void) => {
    children.push(child);
    child.proc.once('exit', (code, signal) => {
      if (finishing || deliberate.has(child)) return;
      unexpectedExits.push(`${child.label} exited by itself (code ${code}, signal ${signal})`);
      p.log(`${child.label} exited by itself (code ${code}, signal ${signal}); starting it again`);
      restart();
    });
  };
  const deliberate = new Set<BenchChild>();
  const background: Promise<unknown>[] = [];

  report.push(
    `feedback-router chaos run: ${fmtInt(p.events)} events at ${p.rate}/s (${loadS.toFixed(0)} s), the API and ${p.workers} worker process(es); ` +
      `PostgreSQL outage: ${outage.describe()}; receive deadline ${CHAOS_SLA.receiveMinutes} min of 24/7 working time, ` +
      `${fmtInt(p.overdueSeeds)} seeded cases falling due during the faults; engine settings ${JSON.stringify(p.engineEnv)}`,
  );

  try {
    p.log(`preparing database ${dbName} (queue prefix ${queuePrefix})`);
    await migrateDatabase(config, [organisationSeed(config)]);
    const db = new Pool({ connectionString: databaseUrl, max: 3, connectionTimeoutMillis: 2000 });
    db.on('error', () => undefined);
    ctx.defer('close pool', () => db.end());
    const routingQueue = new Queue(QueueName.Routing, { connection: redisOptions(config.redisUrl, 'worker'), prefix: queuePrefix });
    ctx.defer('close routing queue', () => routingQueue.close());
    ctx.defer('restore PostgreSQL', () => outage.restore());

    // The API first, alone: the seeded cases wait in `received` until their receipt is moved back.
    const port = await freePort();
    let api: RunningApi = await startApi(ctx, { port, echoLines: p.echoChildLines });
    // Awaited before the checks; a failed restart fails the run there (caught here so that it is not an unhandled rejection meanwhile).
    let restartError: unknown = null;
    const startApiAgain = (label: string) => {
      background.push(
        startApi(ctx, { port, label, echoLines: p.echoChildLines }).then(
          (a) => {
            api = a;
            watch(a.api, () => startApiAgain(`${label}+`));
          },
          (e) => void (restartError ??= e),
        ),
      );
    };
    watch(api.api, () => startApiAgain('api-restarted'));
    const client = new HttpClient(api.baseUrl, 512);
    ctx.defer('close HTTP client', () => client.close());
    const inputs = await loadInputs(ctx, db);

    const loadStartEstimate = Date.now() + 8000;
    if (p.overdueSeeds > 0) {
      const gen = generator(inputs, p.seed + 1, `chaos-${runId}-seed-`);
      const seeds = Array.from({ length: p.overdueSeeds }, (_, i) => gen(i));
      await runPool(seeds.length, 16, async (i) => {
        const res = await client.request('POST', '/v1/feedback', { 'x-api-key': inputs.keys.get(seeds[i].channel) ?? '' }, seeds[i].body);
        if (res.status !== 202) throw new Error(`seeding case ${i}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      });
      // Level 1 of seed i falls due at loadStart + offset_i, offsets spread from one level-3 delay
      // before the load (level 3 due at its start) to the load's end: every level falls due somewhere in the run.
      const from = -CHAOS_SLA.level3AfterMinutes * 60;
      await db.query(
        `UPDATE cases c SET received_at = to_timestamp(($2::float8 + $3::float8 + (s.i::float8 / greatest($4::int - 1, 1)) * $5::float8) / 1000)
           FROM (SELECT id, row_number() OVER (ORDER BY external_id) - 1 AS i FROM cases WHERE external_id LIKE $1) s
          WHERE c.id = s.id`,
        [`chaos-${runId}-seed-%`, loadStartEstimate - CHAOS_SLA.receiveMinutes * 60000, from * 1000, seeds.length, (loadS - from) * 1000],
      );
    }

    const workers: BenchChild[] = [];
    const startWorker = (label: string) => {
      const w = new BenchChild(ctx, label, path.join(repoRoot, 'scripts', 'start.js'), ['worker'], engineEnv, p.echoChildLines);
      workers.push(w);
      watch(w, () => startWorker(`${label}+`));
      return w;
    };
    for (let i = 0; i < p.workers; i++) startWorker(workerLabel(i));
    await pollUntil(
      ctx,
      'workers attaching',
      async () => {
        const n = await routingQueue.getWorkersCount();
        return { done: n >= p.workers, progress: n, note: `${n}/${p.workers} attached` };
      },
      { timeoutMs: 60000, stallMs: 60000 },
    );

    // The routing backlog, sampled all along (no samples while PostgreSQL is away).
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        const boundaries = faults.map((f) => f.endedAt);
        await receivedByPeriod(db, boundaries).then(
          (counts) => backlog.push({ at, boundaries: boundaries.length, counts }),
          () => undefined,
        );
        await sleep(BACKLOG_SAMPLE_MS);
      }
    })();
    ctx.defer('stop sampling', async () => {
      sampling = false;
      await sampler;
    });

    const loadStart = Date.now();
    p.log(
      `load: ${fmtInt(p.events)} events at ${p.rate}/s; faults ${plan.map((f) => `${f.kind} at ${f.atS} s${f.durationS ? ` for ${f.durationS} s` : ''}`).join(', ')}`,
    );
    const sending = sendChaosLoad(client, inputs.keys, generator(inputs, p.seed, `chaos-${runId}-`), {
      rate: p.rate,
      events: p.events,
      giveUpMs: p.giveUpS * 1000,
      maxBackoffMs: p.maxBackoffMs,
      stop: () => ctx.aborted,
    });
    let load: ChaosLoad | null = null;
    let loadError: unknown = null;
    const loadDone = sending.then(
      (l) => void (load = l),
      (e) => void (loadError = e),
    );

    for (const f of plan) {
      const at = loadStart + f.atS * 1000;
      while (Date.now() < at) {
        if (loadError) throw loadError;
        if (ctx.aborted) throw new Error('interrupted');
        await sleep(Math.min(50, at - Date.now()));
      }
      const startedAt = Date.now();
      const label = f.kind === 'pg-outage' ? `${FAULT_LABEL[f.kind]} ${f.durationS} s (${p.pgOutage})` : FAULT_LABEL[f.kind];
      let detail = '';
      switch (f.kind) {
        case 'kill-worker': {
          const victim = workers.find((w) => w.alive);
          if (!victim) throw new Error('no live worker to kill');
          deliberate.add(victim);
          await victim.kill();
          detail = `${victim.label} killed; started again after ${WORKER_RESTART_DELAY_MS} ms`;
          background.push(sleep(WORKER_RESTART_DELAY_MS).then(() => startWorker(`${victim.label}-restarted`)));
          break;
        }
        case 'kill-api': {
          const victim = api.api;
          deliberate.add(victim);
          await victim.kill();
          detail = `${victim.label} killed; started again at once on the same port`;
          startApiAgain('api-restarted');
          break;
        }
        case 'wipe-queue': {
          const n = await wipeQueuePrefix(p.redisUrl, queuePrefix);
          detail = `${fmtInt(n)} keys under ${queuePrefix}: deleted`;
          break;
        }
        case 'pg-outage': {
          await outage.begin();
          await sleep((f.durationS ?? 0) * 1000);
          await outage.end();
          detail = outage.describe();
          break;
        }
        default: {
          const never: never = f.kind;
          throw new Error(`unknown fault ${String(never)}`);
        }
      }
      const ev: FaultEvent = { kind: f.kind, label, startedAt, endedAt: Date.now(), detail };
      faults.push(ev);
      p.log(`fault at ${((startedAt - loadStart) / 1000).toFixed(1)} s: ${label}: ${detail} (${fmtMs(ev.endedAt - startedAt)})`);
    }
    await loadDone;
    if (loadError) throw loadError;
    await Promise.all(background);
    if (restartError) throw restartError;
    const sent = load as unknown as ChaosLoad;
    p.log(
      `load done: ${fmtInt(sent.events.filter((e) => e.acceptedAt !== null).length)}/${fmtInt(sent.events.length)} accepted; waiting for the engine to settle`,
    );

    // Settle: nothing left to route, everything sealed, every due level fired.
    await pollUntil(
      ctx,
      'routing backlog',
      async () => {
        const n = await receivedCount(db);
        return { done: n === 0, progress: -n, note: `${fmtInt(n)} case(s) in received` };
      },
      { timeoutMs: p.settleS * 1000, stallMs: p.settleS * 1000 },
    );
    await waitSealed(ctx, db, 'chaos');
    const cutoff = Date.now();
    const escalationWait = config.reconcileIntervalMs + 10000 + 20000;
    const escalationDeadline = Date.now() + escalationWait;
    for (;;) {
      escalations = await escalationFigures(db, configDir, cutoff);
      if (escalations.missing === 0 || Date.now() > escalationDeadline) break;
      await sleep(500);
    }
    // The levels fired meanwhile wrote audit events: seal them too before verifying.
    await waitSealed(ctx, db, 'chaos');

    sampling = false;
    const stored = { byExternalId: await storedByExternalId(db, [`chaos-${runId}-`]) };
    ({ windows, total } = windowFigures(sent, loadStart, faults, stored, backlog));
    const acceptedIds = new Set(sent.events.filter((e) => e.acceptedAt !== null).map((e) => e.externalId));
    const storedWithout2xx = [...stored.byExternalId.keys()].filter((id) => !id.includes('-seed-') && !acceptedIds.has(id)).length;
    checks.push(intakeCheck(total, storedWithout2xx));
    checks.push(fiveHundredsCheck(sent, faults, p.outageGraceS * 1000));
    checks.push(await routingIntegrity(db));
    checks.push(escalationCheck(escalations));
    const sealing = await sealIntegrity(db);
    checks.push({ name: 'sealing', ...sealing });
    const verified = await verifyTrail(client, await auditorToken(ctx, client));
    checks.push({ name: 'verify', ...verified });
    checks.push({
      name: 'processes',
      ok: unexpectedExits.length === 0,
      text: unexpectedExits.length ? `PROBLEMS: ${unexpectedExits.join('; ')}` : 'no engine process exited except those killed on purpose',
    });
    report.push(...figuresTable(windows, total));
    for (const f of faults) report.push(`  ${f.label} at ${((f.startedAt - loadStart) / 1000).toFixed(1)} s, ${fmtMs(f.endedAt - f.startedAt)}: ${f.detail}`);
    report.push(`  engine output at LOG_LEVEL=error (lines): ${children.map((c) => `${c.label} ${fmtInt(c.outputLines)}`).join(', ')}`);
    report.push(
      `  sender at most ${fmtMs(sent.maxSendDelayMs)} behind its schedule; "first 2xx after end": from the fault's end (a kill: the kill) to the first 2xx; "backlog drained": to the routing of every case received between the previous fault's end and this one's`,
    );
  } catch (e) {
    ctx.aborted = true;
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    report.push(`chaos run failed: ${error}`);
  } finally {
    clearInterval(abortWatch);
    finishing = true;
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
      keys = await deleteRedisKeys(p.redisUrl, queuePrefix);
    } catch (e) {
      problems.push(`delete Redis keys ${queuePrefix}:*: ${(e as Error).message}`);
    }
    await sleep(300);
    try {
      await dropDatabase(databaseUrl, dbName);
    } catch (e) {
      problems.push(`drop database ${dbName}: ${(e as Error).message}`);
    }
    rmSync(scratch, { recursive: true, force: true });
    checks.push({
      name: 'cleanup',
      ok: problems.length === 0,
      text: problems.length
        ? `PROBLEMS: ${problems.join('; ')}`
        : `dropped database ${dbName}, deleted ${fmtInt(keys)} Redis keys under ${queuePrefix}:, every process stopped`,
    });
  }
  for (const c of checks) report.push(`${c.name}: ${c.ok ? 'ok' : 'FAILED'}: ${c.text}`);
  const ok = error === null && checks.every((c) => c.ok);
  report.push(`chaos run: ${ok ? 'every goal met' : 'GOALS NOT MET'}`);
  return { ok, checks, windows, total, faults, escalations, report, error };
}
