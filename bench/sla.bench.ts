import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfigModule } from '@fr/config';
import { NotificationsModule } from '@fr/notifications';
import { DatabaseModule, newCaseId, OutboxMessage, selectRows } from '@fr/persistence';
import { outboxChannel, QueueModule, QueueName, QueueRegistry } from '@fr/queue';
import { scheduleSlaTimers, SlaEscalationModule, SlaModule, SlaReconciler, SlaService, slaTimerMessages, StageRun } from '@fr/sla';
import { Pool } from 'pg';
import { RunningApi, startApi } from './engine';
import { HttpClient } from './http-client';
import { generator, loadInputs, pacedLatency, sendClosed, sendPaced } from './load';
import { BenchChild } from './processes';
import {
  BenchContext,
  cpuSnapshot,
  deleteRedisKeys,
  describeCpu,
  fmtInt,
  fmtMb,
  fmtMs,
  fmtWalPerEvent,
  met,
  percentiles,
  pollUntil,
  sleep,
  WalMark,
  walMark,
} from './support';

const EXTERNAL_PREFIX = 'bench-sla-';
/** The paced intake's cases (not matched by EXTERNAL_PREFIX's LIKE). */
const INTAKE_PREFIX = 'bench-slaintake-';
/** The paced intake begins this long before the first deadline. */
const INTAKE_LEAD_S = 30;
/** The firing warm-up's cases (not matched by EXTERNAL_PREFIX's LIKE either). */
const WARM_TIMERS_PREFIX = 'bench-slawarmtimer-';
/** The warm-up's cases, before the breaches begin (BENCH_WARMUP, as in the intake scenario). */
const WARMUP_PREFIX = 'bench-slawarmup-';
/** Cases per load transaction: their level-1 timers are one relay batch at the default FR_RELAY_BATCH_SIZE. */
const LOAD_BATCH = 500;
const POLL_MS = 500;
const PROGRESS_MS = 5000;
const STAGE_MINUTES = 480;
const HOUR_MS = 3_600_000;
/** The lag is also shown per this many consecutive slices of the deadlines, to show it building up or not. */
const WINDOWS = 6;

interface Planned {
  id: string;
  unit: string;
  stageStartedAt: Date;
  dueAt: Date;
  warnAt: Date;
}

/**
 * `BENCH_SCENARIOS=sla`: breach-to-notification lag with real timers (issue 4).
 *
 *   BENCH_SLA_CASES    open cases (default 100000)
 *   BENCH_SLA_SPREAD_S their receive deadlines fall uniformly over this many seconds (default 180)
 *   BENCH_SLA_LEAD_S   ... starting this long after the load begins (default 180; the load must end before)
 *   BENCH_SLA_WORKERS  worker processes (default 1)
 *   BENCH_SLA_FLUSH    0 to skip the reconciler pass after deleting the run's Redis keys (default 1)
 *   BENCH_SLA_WARMUP   timers of other cases due just before the window (default 2000, at the window's rate,
 *                      ending 10 s before the first deadline; not counted): the firing path warm, as in a
 *                      running engine, rather than the first deadlines measuring its first transactions
 *   BENCH_SLA_INTAKE_RATE  feedback events a second sent over HTTP, open loop, from INTAKE_LEAD_S (30 s) before the breach window to its end
 *                      (default 200; 0 turns it off): the API runs as its own process and the workers route
 *                      them while they fire the timers; their intake->assigned latency is printed beside the lag
 *
 * The cases are written in bulk by SQL as routing leaves them (status assigned, receive stage, due_at
 * and warn_at set, handler and leader of a seeded unit), with their warning already told (the
 * warn escalation and its inbox row, as 75% of the stage lies hours back) and their next timer
 * (level 1; its firing writes level 2's) written to the outbox exactly as scheduleSlaTimers writes them (same payload, job id
 * and delay rule, checked against scheduleSlaTimers itself on the first cases), in transactions of
 * 500 cases, each written when the worker's relay has emptied the outbox, so a timer reaches Redis
 * within a relay batch of its commit, as at routing. The worker runs as its own process; the bench
 * waits until every case has its level-1 escalation, then reads the lags from PostgreSQL. Finally,
 * with the worker stopped, it times SlaReconciler.runOnce() in this process over the open cases:
 * the cheap sweep of due levels the workers run every FR_RECONCILE_INTERVAL_MS, a full pass with every
 * timer in place, and the pass that follows deleting every Redis key of the run (full by itself).
 */
export async function runSlaScenario(ctx: BenchContext): Promise<string[]> {
  const n = positive('BENCH_SLA_CASES', process.env.BENCH_SLA_CASES, 100_000);
  const spreadS = positive('BENCH_SLA_SPREAD_S', process.env.BENCH_SLA_SPREAD_S, 180);
  const leadS = positive('BENCH_SLA_LEAD_S', process.env.BENCH_SLA_LEAD_S, 180);
  const workers = positive('BENCH_SLA_WORKERS', process.env.BENCH_SLA_WORKERS, 1);
  const flush = process.env.BENCH_SLA_FLUSH !== '0';
  const intakeRate = nonNegative('BENCH_SLA_INTAKE_RATE', process.env.BENCH_SLA_INTAKE_RATE, 200);
  const warmTimers = nonNegative('BENCH_SLA_WARMUP', process.env.BENCH_SLA_WARMUP, 2000);

  // The engine's own SLA services in this process, without processors, relay or maintenance timers:
  // the calendar and ladder for the timers, and the reconciler for the timed passes at the end.
  const app = await slaContext(ctx);
  ctx.defer('close SLA context', () => app.close());
  const ds = app.get(DataSource);
  const sla = app.get(SlaService);
  const slaQueue = app.get(QueueRegistry).get(QueueName.Sla);
  const redis = new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  ctx.defer('close bench Redis connection', () => redis.disconnect());
  const levels = sla.policy.escalation.map((r) => r.level);
  if (!levels.includes('1')) throw new Error(`the escalation ladder has no level 1 (levels ${levels.join(', ')})`);

  const units: { code: string }[] = await ds.query(
    `SELECT u.code FROM units u JOIN officers h ON h.id = u.handler_id AND h.active JOIN officers l ON l.id = u.leader_id AND l.active
      WHERE u.active AND u.handler_id <> u.leader_id ORDER BY u.code`,
  );
  if (units.length === 0) throw new Error('no active unit with an active handler and leader (config/organisation.yaml)');
  const [category] = await selectRows<{ code: string }>(ds, `SELECT code FROM categories WHERE active ORDER BY code LIMIT 1`);
  const [channel] = await selectRows<{ code: string }>(ds, `SELECT code FROM channels WHERE active ORDER BY code LIMIT 1`);
  if (!category || !channel) throw new Error('the bench needs an active category and channel');

  // Workers first, on a database without these cases: their start-up reconcile has nothing to do.
  const childEnv = { ...ctx.engineEnv, LOG_LEVEL: 'warn' };
  const reconcilerLog = { passes: 0, fired: 0, readded: 0 };
  const children: BenchChild[] = [];
  for (let w = 0; w < workers; w++) {
    const child = new BenchChild(ctx, w === 0 ? 'worker' : `worker${w + 1}`, path.join(ctx.repoRoot, 'scripts', 'start.js'), ['worker'], childEnv);
    child.onLine = (line) => {
      const m = /SLA reconcile: fired (\d+) overdue level\(s\), re-added (\d+) missing timer/.exec(line);
      if (!m) return;
      reconcilerLog.passes++;
      reconcilerLog.fired += Number(m[1]);
      reconcilerLog.readded += Number(m[2]);
    };
    children.push(child);
  }
  const attachBy = Date.now() + 60000;
  while ((await slaQueue.getWorkersCount()) < workers) {
    for (const c of children) c.assertAlive();
    if (Date.now() > attachBy) throw new Error(`the worker process(es) did not attach to the '${QueueName.Sla}' queue within 60 s`);
    await sleep(100);
  }
  // The API for the paced intake, its own process as in production.
  const api = intakeRate > 0 ? await startApi(ctx) : null;
  const assertAlive = () => {
    children.forEach((c) => c.assertAlive());
    api?.api.assertAlive();
  };

  // The plan: deadlines in load order, so the cases loaded first breach first.
  const t0 = Date.now();
  const firstDue = t0 + leadS * 1000;
  const stepMs = (spreadS * 1000) / n;
  const plan = (i: number): Planned => {
    const dueAt = new Date(firstDue + Math.floor(i * stepMs));
    return {
      // Ids as the engine makes them at receipt (time-ordered), in load order: received first, due first.
      id: newCaseId(),
      unit: units[i % units.length].code,
      stageStartedAt: new Date(dueAt.getTime() - 24 * HOUR_MS),
      dueAt,
      warnAt: new Date(dueAt.getTime() - 2 * HOUR_MS),
    };
  };
  const dueBy = (t: number) => (t < firstDue ? 0 : Math.min(n, Math.floor((t - firstDue) / stepMs) + 1));
  ctx.log(
    `sla: loading ${fmtInt(n)} open cases, deadlines from +${leadS} s to +${leadS + spreadS} s ` + `(${fmtInt(n / spreadS)}/s), ${workers} worker process(es)`,
  );

  // Load.
  let timers = 0;
  let maxOutbox = 0;
  let checked = '';
  for (let lo = 0; lo < n; lo += LOAD_BATCH) {
    if (ctx.aborted) throw new Error('interrupted');
    assertAlive();
    const batch = Array.from({ length: Math.min(LOAD_BATCH, n - lo) }, (_, k) => plan(lo + k));
    timers += await ds.transaction(async (m) => {
      await insertCases(m, batch, lo, category.code, channel.code);
      const now = Date.now();
      const rows = batch.flatMap((c) => timerMessages(sla, c, now));
      await insertOutbox(m, rows);
      return rows.length;
    });
    // The bench writes the outbox itself, as the API does: it tells the relays the same way.
    await redis.publish(outboxChannel(ctx.config.queuePrefix), '');
    if (lo === 0) checked = await checkAgainstEngine(ds, sla, batch.slice(0, 5));
    // As at routing, a timer is in Redis within a relay batch of its commit: write on when the relay has caught up.
    for (;;) {
      const [{ left }] = await selectRows<{ left: number }>(ds, `SELECT count(*)::int AS left FROM outbox`);
      maxOutbox = Math.max(maxOutbox, left);
      if (left === 0) break;
      if (ctx.aborted) throw new Error('interrupted');
      assertAlive();
      await sleep(5);
    }
    if ((lo / LOAD_BATCH) % 40 === 39) ctx.log(`sla: ${fmtInt(lo + batch.length)} cases loaded, ${fmtInt(timers)} timers relayed`);
  }
  // The firing warm-up: other cases' level-1 timers due at the window's rate, ending 10 s before it.
  const warmFrom = firstDue - 10_000 - Math.floor(warmTimers * stepMs);
  for (let lo = 0; lo < warmTimers; lo += LOAD_BATCH) {
    const batch = Array.from({ length: Math.min(LOAD_BATCH, warmTimers - lo) }, (_, k) => {
      const c = plan(0);
      const dueAt = new Date(warmFrom + Math.floor((lo + k) * stepMs));
      return {
        ...c,
        dueAt,
        stageStartedAt: new Date(dueAt.getTime() - 24 * HOUR_MS),
        warnAt: new Date(dueAt.getTime() - 2 * HOUR_MS),
        unit: units[(lo + k) % units.length].code,
      };
    });
    await ds.transaction(async (m) => {
      await insertCases(m, batch, lo, category.code, channel.code, WARM_TIMERS_PREFIX);
      await insertOutbox(
        m,
        batch.flatMap((c) => timerMessages(sla, c, Date.now())),
      );
    });
    await redis.publish(outboxChannel(ctx.config.queuePrefix), '');
  }
  const loadedAt = Date.now();
  const loadS = (loadedAt - t0) / 1000;
  const marginS = (firstDue - loadedAt) / 1000;
  ctx.log(`sla: loaded in ${loadS.toFixed(1)} s; first deadline in ${marginS.toFixed(1)} s`);
  await ds.query(`ANALYZE cases; ANALYZE escalations; ANALYZE notifications`);

  // Paced intake over HTTP for the whole breach window, from the first deadline on.
  // It starts INTAKE_LEAD_S before the first deadline: intake runs all day, and starting it with the
  // deadlines put two starts in the same seconds (in two runs the first 30 s slice alone missed the goal).
  const intake = api ? pacedIntake(ctx, api, intakeRate, spreadS + INTAKE_LEAD_S, firstDue - INTAKE_LEAD_S * 1000) : null;

  // Where the level-1 timers sit in Redis: BullMQ scores a delayed job by its time x 4096 (+ a counter).
  const timerSet = await level1TimerLateness(redis, `${ctx.queuePrefix}:${QueueName.Sla}:delayed`);

  // Wait for every level-1 escalation.
  const pids: Record<string, number | undefined> = {};
  for (const c of children) pids[c.label] = c.proc.pid;
  if (api) pids.api = api.api.proc.pid;
  const level1 = new Level1Counter(ds, firstDue, firstDue + spreadS * 1000, n);
  let cpuBefore: ReturnType<typeof cpuSnapshot> = null;
  let sessionsBefore = 0;
  let walBefore: WalMark = { bytes: 0, checkpoints: 0 };
  let maxBacklog = 0;
  let maxActive = 0;
  const waits = new Map<string, number>();
  let lastFired = -1;
  let lastProgressAt = Date.now();
  let lastReportAt = 0;
  for (;;) {
    if (ctx.aborted) throw new Error('interrupted');
    assertAlive();
    const now = Date.now();
    if (!cpuBefore && now >= firstDue) {
      cpuBefore = cpuSnapshot(pids);
      sessionsBefore = await sessionsOpened(ds);
      walBefore = await walMark(ds);
    }
    const fired = await level1.count(now);
    if (now >= firstDue) await sampleWaits(ds, waits);
    const counts = await slaQueue.getJobCounts('delayed', 'waiting', 'active', 'failed');
    maxActive = Math.max(maxActive, counts.active);
    maxBacklog = Math.max(maxBacklog, dueBy(now) - fired);
    if (fired >= n) break;
    if (fired !== lastFired || now < firstDue + spreadS * 1000) {
      lastFired = fired;
      lastProgressAt = now;
    } else if (now - lastProgressAt > ctx.stallTimeoutMs) {
      throw new Error(`sla: no level-1 escalation for ${ctx.stallTimeoutMs / 1000} s; ${await leftovers(ds, slaQueue, n, fired)}`);
    }
    if (now - lastReportAt >= PROGRESS_MS) {
      lastReportAt = now;
      ctx.log(
        now < firstDue
          ? `sla: first deadline in ${((firstDue - now) / 1000).toFixed(0)} s; sla queue delayed ${fmtInt(counts.delayed)}`
          : `sla: due ${fmtInt(dueBy(now))}, level 1 recorded ${fmtInt(fired)}; sla queue waiting ${counts.waiting} active ${counts.active} ` +
              `delayed ${fmtInt(counts.delayed)} failed ${counts.failed}`,
      );
    }
    await sleep(POLL_MS);
  }
  const cpuAfter = cpuSnapshot(pids);
  const sessionsWhile = (await sessionsOpened(ds)) - sessionsBefore;
  const walAfter = await walMark(ds);
  const intakeResult = intake ? await intake.finish(assertAlive) : null;
  if (api) await api.stop();
  const lag = await lagStats(ds);
  const [{ warmFired }] = await selectRows<{ warmFired: number }>(
    ds,
    `SELECT count(*)::int AS "warmFired" FROM escalations e JOIN cases c ON c.id = e.case_id WHERE e.level = '1' AND c.external_id LIKE $1`,
    [`${WARM_TIMERS_PREFIX}%`],
  );
  const worker = await workerTimes(slaQueue);
  const integrity = await integrityCheck(ds, n);
  const workerLines = children.reduce((s, c) => s + c.outputLines, 0);
  for (const c of children) await c.stop();

  // The reconciler over the same open cases, alone in this process.
  const reconciler = app.get(SlaReconciler);
  const [{ open }] = await selectRows<{ open: number }>(
    ds,
    `SELECT count(*)::int AS open FROM cases WHERE due_at IS NOT NULL AND stage IS NOT NULL AND status NOT IN ('resolved', 'closed')`,
  );
  const delayedBefore = await slaQueue.getDelayedCount();
  ctx.log(`sla: reconciler pass over ${fmtInt(open)} open cases, ${fmtInt(delayedBefore)} timers in place`);
  const sweep = await timed(() => reconciler.runOnce({ full: false }));
  const inPlace = await timed(() => reconciler.runOnce({ full: true }));
  let flushed: { ms: number; r: Awaited<ReturnType<SlaReconciler['runOnce']>>; keys: number; delayedAfter: number } | null = null;
  if (flush) {
    const keys = await deleteRedisKeys(ctx.config.redisUrl, ctx.queuePrefix);
    ctx.log(`sla: deleted ${fmtInt(keys)} Redis keys under ${ctx.queuePrefix}:; reconciler pass rebuilding the timers`);
    // Not forced: the pass must see for itself, by the missing marker, that Redis lost everything.
    const t = await timed(() => reconciler.runOnce());
    flushed = { ...t, keys, delayedAfter: await slaQueue.getDelayedCount() };
  }

  const rate = n / spreadS;
  const fireSpanS = (lag.lastFiredMs - lag.firstFiredMs) / 1000;
  const goal = lag.notified[2] < 1000;
  // Each case's next level (2 by default) is days away, and only the next has a timer (the ladder is chained);
  // other open cases (another scenario's) may add theirs.
  const levelsAfter = sla.policy.escalation.filter((r) => r.afterDueMinutes !== null && r.afterDueMinutes > 0).length;
  const expectedTimers = open === n ? n * Math.min(1, levelsAfter) : null;
  const [pgSync] = await selectRows<{ s: string; b: string; w: string; w_mb: number; v: string }>(
    ds,
    `SELECT current_setting('synchronous_commit') AS s, current_setting('shared_buffers') AS b, current_setting('max_wal_size') AS w,
            (SELECT setting::int FROM pg_settings WHERE name = 'max_wal_size') AS w_mb, version() AS v`,
  );
  const lines = [
    `sla: ${fmtInt(n)} open cases (receive stage, ${units.length} units); level-1 deadlines uniform over ${spreadS} s = ${fmtInt(rate)} breaches/s, ` +
      `the first ${leadS} s after the load began`,
    `load: ${fmtInt(n)} cases + their told warnings + ${fmtInt(timers)} timers through the outbox and the worker's relay in ${loadS.toFixed(1)} s ` +
      `(outbox at most ${fmtInt(maxOutbox)} rows), then a firing warm-up of ${fmtInt(warmTimers)} other cases' level-1 timers due ` +
      `${((firstDue - warmFrom) / 1000).toFixed(1)} s to 10 s before the first deadline (not counted; ${fmtInt(warmFired)} fired); ${marginS >= 0 ? `done ${marginS.toFixed(1)} s before the first deadline` : `LATE: done ${(-marginS).toFixed(1)} s after the first deadline`}; ${checked}`,
    `level-1 timers as set in Redis (delayed score - due_at, ${fmtInt(timerSet.count)} read before the first deadline): ` +
      `p50 ${fmtMs(timerSet.p[0])}  p99 ${fmtMs(timerSet.p[1])}  max ${fmtMs(timerSet.p[2])}  (outbox dwell: delay_ms counts from the write)`,
    `breach -> level-1 notification record (notifications.created_at - fire_at): p50 ${fmtMs(lag.notified[0])}  p95 ${fmtMs(lag.notified[1])}  ` +
      `p99 ${fmtMs(lag.notified[2])}  max ${fmtMs(lag.notified[3])}  -> goal p99 < 1 s: ${met(goal)}`,
    intakeResult
      ? `paced intake through the breach window, ${intakeRate}/s open loop for ${spreadS + INTAKE_LEAD_S} s from ${INTAKE_LEAD_S} s before it (${fmtInt(intakeResult.arrivals)} arrivals): intake->assigned ` +
        `p50 ${fmtMs(intakeResult.p[0])}  p95 ${fmtMs(intakeResult.p[1])}  p99 ${fmtMs(intakeResult.p[2])}  max ${fmtMs(intakeResult.p[3])} ` +
        `(cases.routed_at - scheduled send); HTTP POST p50 ${fmtMs(intakeResult.http[0])} p99 ${fmtMs(intakeResult.http[1])}; ${fmtInt(intakeResult.failed)} failed` +
        (intakeResult.failed ? ` (${intakeResult.failures})` : '') +
        (intakeResult.missing ? `; ${fmtInt(intakeResult.missing)} not routed` : '')
      : 'paced intake during the breach window: off (BENCH_SLA_INTAKE_RATE=0)',
    `breach -> escalation recorded (escalations.fired_at - fire_at):             p50 ${fmtMs(lag.fired[0])}  p95 ${fmtMs(lag.fired[1])}  ` +
      `p99 ${fmtMs(lag.fired[2])}  max ${fmtMs(lag.fired[3])}  (created_at is the firing transaction's start; fired_at the clock inside it; ` +
      `they differ by p99 ${fmtMs(lag.gapP99)})`,
    `  the same by deadline, in ${WINDOWS} slices of ${(spreadS / WINDOWS).toFixed(0)} s, p50/p99/max: ${lag.windows.join('  ')}`,
    `firing: ${fmtInt(n)} level-1 escalations in ${fireSpanS.toFixed(1)} s from the first to the last = ${fmtInt(n / Math.max(fireSpanS, 0.001))}/s ` +
      `(deadlines arrived at ${fmtInt(rate)}/s); backlog of due but unrecorded at most ${fmtInt(maxBacklog)}; at most ${maxActive} SLA job(s) active at once; ` +
      `the workers' periodic reconcile: ${reconcilerLog.passes} pass(es) that fired ${fmtInt(reconcilerLog.fired)} and re-added ${fmtInt(reconcilerLog.readded)}`,
    `timer jobs (last ${worker.count} completed): in the queue after their time p50 ${fmtMs(worker.wait[0])} p99 ${fmtMs(worker.wait[1])}; ` +
      `handling (FireEscalation) p50 ${worker.handle[0].toFixed(1)} ms p99 ${worker.handle[1].toFixed(1)} ms; outcomes ${worker.outcomes}`,
    `integrity: ${integrity}; worker log lines at LOG_LEVEL=warn: ${workerLines}`,
    `CPU while breaching: ${describeCpu(cpuBefore, cpuAfter, 'bench')}; PostgreSQL connections opened meanwhile: ${fmtInt(sessionsWhile)}`,
    `WAL while breaching: ${fmtMb(walAfter.bytes - walBefore.bytes)}, ${fmtWalPerEvent(walAfter.bytes - walBefore.bytes, n)} per breach (paced intake's included); ` +
      `checkpoints meanwhile: ${walAfter.checkpoints - walBefore.checkpoints}`,
    `PostgreSQL sessions of the run while breaching (sampled every ${POLL_MS} ms): ${describeWaits(waits)}`,
    `reconciler due sweep (every ${ctx.config.reconcileIntervalMs / 1000} s): ${fmtMs(sweep.ms)} over ${fmtInt(open)} open cases (${describeResult(sweep.r)})`,
    `reconciler full pass, every timer in place: ${fmtMs(inPlace.ms)} for ${fmtInt(open)} open cases and ${fmtInt(delayedBefore)} delayed timers ` +
      `(${fmtInt(open / (inPlace.ms / 1000))} cases/s; ${describeResult(inPlace.r)})`,
    flushed
      ? `reconciler full pass after deleting the run's ${fmtInt(flushed.keys)} Redis keys: ${fmtMs(flushed.ms)} (${fmtInt(open / (flushed.ms / 1000))} cases/s; ` +
        `${describeResult(flushed.r)}); delayed timers now ${fmtInt(flushed.delayedAfter)}` +
        (expectedTimers === null ? '' : ` (expected ${fmtInt(expectedTimers)}: ${flushed.delayedAfter === expectedTimers ? 'ok' : 'MISMATCH'})`)
      : 'reconciler pass after deleting the Redis keys: skipped (BENCH_SLA_FLUSH=0)',
    `engine settings: ${workers} worker process(es), FR_WORKER_CONCURRENCY ${ctx.config.workerConcurrency}, db pool ${ctx.config.dbPoolSize} per process, ` +
      `relay batch ${ctx.config.relayBatchSize}, reconcile every ${ctx.config.reconcileIntervalMs / 1000} s; ` +
      `${String(pgSync.v).split(' ').slice(0, 2).join(' ')} synchronous_commit=${pgSync.s} shared_buffers=${pgSync.b} max_wal_size=${pgSync.w}; ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GB RAM`,
    // The window writes most of a gigabyte of WAL: below 4GB, checkpoints forced by WAL volume fall in it.
    ...(pgSync.w_mb < 4096 ? [`note: max_wal_size is ${pgSync.w}; docker-compose.yml runs PostgreSQL with 4GB, and the README (Production) says why`] : []),
  ];
  return lines;
}

function nonNegative(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return v;
}

/**
 * Starts sending `rate` feedback events a second at `startAt` for `durationS` s (sendPaced); finish()
 * waits until every accepted one is routed and returns their intake->assigned latency from the
 * scheduled send time.
 */
function pacedIntake(ctx: BenchContext, api: RunningApi, rate: number, durationS: number, startAt: number) {
  const db = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
  db.on('error', () => undefined); // an idle client cut off when the database is dropped
  ctx.defer('close SLA intake pool', () => db.end());
  const client = new HttpClient(api.baseUrl, 1024);
  ctx.defer('close SLA intake client', () => client.close());
  const sending = (async () => {
    const inputs = await loadInputs(ctx, db);
    // As in the intake scenario, a warm-up routed before the breaches begin (not counted): the API in
    // production is not serving its first request when deadlines fall due. Without it the run's first
    // seconds measured the API's start (its code compiled, its pool filled) as much as the timers.
    const warmupN = Math.max(0, Number(process.env.BENCH_WARMUP ?? 200) || 0);
    if (warmupN > 0) {
      const sent = await sendClosed(ctx, client, inputs.keys, warmupN, generator(inputs, ctx.seed + 5, WARMUP_PREFIX));
      await waitRouted(ctx, db, 'sla: warm-up', WARMUP_PREFIX, sent.created + sent.duplicate);
      ctx.log(`sla: warm-up of ${warmupN} intake events routed`);
    }
    // Waiting for a moment on the clock (the first deadline), not for work to finish.
    await sleep(Math.max(0, startAt - Date.now()));
    ctx.log(`sla: paced intake at ${rate}/s for ${durationS} s`);
    return sendPaced(ctx, client, inputs.keys, rate, durationS, generator(inputs, ctx.seed + 3, INTAKE_PREFIX));
  })();
  sending.catch(() => undefined); // observed in finish()
  return {
    async finish(assert: () => void) {
      const s = await sending;
      const routed = async () =>
        (
          await db.query<{ external_id: string; at: string }>(
            `SELECT external_id, extract(epoch FROM routed_at) * 1000 AS at FROM cases WHERE external_id LIKE $1 AND routed_at IS NOT NULL`,
            [`${INTAKE_PREFIX}%`],
          )
        ).rows;
      await waitRouted(ctx, db, 'sla: paced intake', INTAKE_PREFIX, s.created + s.duplicate, assert);
      const lat = pacedLatency(s, new Map((await routed()).map((r) => [r.external_id, Number(r.at)])), 'sla intake');
      return {
        arrivals: s.scheduledAt.size,
        p: lat.p,
        missing: lat.missing,
        http: percentiles(s.httpMs, [0.5, 0.99]),
        failed: s.failed,
        // Why: a 503 turned away under load is not a 500, nor a request the client gave up on.
        failures: [...s.failures].map(([what, count]) => `${fmtInt(count)} x ${what}`).join(', '),
      };
    },
  };
}

/** Waits until `want` cases whose external id starts with `prefix` are routed. */
async function waitRouted(ctx: BenchContext, db: Pool, label: string, prefix: string, want: number, assert?: () => void): Promise<void> {
  await pollUntil(
    ctx,
    label,
    async () => {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE external_id LIKE $1 AND routed_at IS NOT NULL`, [
        `${prefix}%`,
      ]);
      return { done: rows[0].n >= want, progress: rows[0].n, note: `routed ${rows[0].n}/${want}` };
    },
    { assert, intervalMs: POLL_MS },
  );
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return v;
}

async function slaContext(ctx: BenchContext): Promise<INestApplicationContext> {
  @Module({
    imports: [
      AppConfigModule.forRoot(ctx.config),
      DatabaseModule.forRoot(),
      QueueModule,
      SlaModule,
      SlaEscalationModule.register({ notify: NotificationsModule }),
      NotificationsModule,
    ],
  })
  class SlaBenchModule {}
  const app = await NestFactory.createApplicationContext(SlaBenchModule, { logger: ['error'], abortOnError: false });
  await app.init();
  return app;
}

/**
 * What scheduleSlaTimers writes for a stage run whose warning was told (the same function, in memory):
 * the next level's timer only (level 1); its firing chains level 2's, as in the engine.
 */
function timerMessages(sla: SlaService, c: Planned, now: number): OutboxMessage[] {
  const run: StageRun = { caseId: c.id, stage: 'receive', stageStartedAt: c.stageStartedAt, dueAt: c.dueAt, warnAt: c.warnAt };
  return slaTimerMessages(sla, run, new Set(['warn']), now);
}

/** The cases as routing leaves them, with the warning of their receive stage already recorded and told. */
async function insertCases(m: EntityManager, batch: Planned[], offset: number, category: string, channel: string, prefix = EXTERNAL_PREFIX): Promise<void> {
  const tracking = prefix === EXTERNAL_PREFIX ? 'SL' : 'SW';
  const iso = (f: (c: Planned) => Date) => batch.map((c) => f(c).toISOString());
  await m.query(
    `INSERT INTO cases (id, tracking_code, channel_code, external_id, category_code, description, status, severity, unit_code, handler_id,
                        leader_id, submitted_at, received_at, routed_at, stage, stage_started_at, stage_minutes, extension_minutes,
                        resolve_from, due_at, warn_at, updated_at)
     SELECT t.id, '${tracking}' || lpad((${offset} + t.k)::text, 9, '0'), $1, '${prefix}' || (${offset} + t.k), $2,
            'Phản ánh thử tải SLA (bench)', 'assigned', 'normal', t.unit, u.handler_id, u.leader_id, t.started, t.started, t.started,
            'receive', t.started, ${STAGE_MINUTES}, 0, t.started, t.due, t.warn, now()
       FROM unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[]) WITH ORDINALITY AS t(id, unit, started, due, warn, k)
       JOIN units u ON u.code = t.unit`,
    [channel, category, batch.map((c) => c.id), batch.map((c) => c.unit), iso((c) => c.stageStartedAt), iso((c) => c.dueAt), iso((c) => c.warnAt)],
  );
  await m.query(
    `WITH e AS (
       INSERT INTO escalations (case_id, stage, stage_started_at, level, due_at, fire_at, fired_at, unit_code)
       SELECT id, stage, stage_started_at, 'warn', due_at, warn_at, warn_at, unit_code FROM cases WHERE id = ANY($1::uuid[])
       RETURNING id, case_id, fired_at)
     INSERT INTO notifications (officer_id, case_id, escalation_id, kind, title, body, created_at)
     SELECT c.handler_id, c.id, e.id, 'escalation.warn', 'Sắp quá hạn: hồ sơ ' || c.tracking_code || ' (tiếp nhận)',
            'Phản ánh ' || c.tracking_code || ' (bench)', e.fired_at
       FROM e JOIN cases c ON c.id = e.case_id`,
    [batch.map((c) => c.id)],
  );
}

async function insertOutbox(m: EntityManager, rows: OutboxMessage[]): Promise<void> {
  await m.query(
    `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[])`,
    [rows.map((r) => r.queue), rows.map((r) => r.name), rows.map((r) => r.jobId), rows.map((r) => JSON.stringify(r.payload)), rows.map((r) => r.delayMs ?? 0)],
  );
}

/** Runs the engine's scheduleSlaTimers on a few loaded cases (rolled back) and compares its outbox rows with the bench's. */
async function checkAgainstEngine(ds: DataSource, sla: SlaService, sample: Planned[]): Promise<string> {
  const ROLLBACK = new Error('rollback');
  let problem: string | null = null;
  let compared = 0;
  await ds
    .transaction(async (m) => {
      for (const c of sample) {
        const now = Date.now();
        const [{ max }] = await selectRows<{ max: string }>(m, `SELECT coalesce(max(id), 0)::bigint AS max FROM outbox`);
        await scheduleSlaTimers(m, sla, { caseId: c.id, stage: 'receive', stageStartedAt: c.stageStartedAt, dueAt: c.dueAt, warnAt: c.warnAt }, now);
        const engine: { queue: string; job_name: string; job_id: string; payload: unknown; delay_ms: number }[] = await m.query(
          `SELECT queue, job_name, job_id, payload, delay_ms FROM outbox WHERE id > $1 ORDER BY id`,
          [max],
        );
        const mine = timerMessages(sla, c, now);
        // jsonb keeps its own key order: compare payloads with sorted keys.
        const key = (r: { queue: string; name: string; jobId: string; payload: unknown; delayMs: number }) =>
          JSON.stringify([r.queue, r.name, r.jobId, Object.entries(r.payload as object).sort(([x], [y]) => (x < y ? -1 : 1)), r.delayMs]);
        const a = engine.map((r) => key({ queue: r.queue, name: r.job_name, jobId: r.job_id, payload: r.payload, delayMs: r.delay_ms }));
        const b = mine.map((r) => key({ ...r, delayMs: r.delayMs ?? 0 }));
        if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
          problem = `scheduleSlaTimers wrote ${a.join(' ') || 'nothing'} where the bench wrote ${b.join(' ')}`;
          break;
        }
        compared += a.length;
      }
      throw ROLLBACK;
    })
    .catch((e) => {
      if (e !== ROLLBACK) throw e;
    });
  if (problem) throw new Error(`the bench's timers differ from the engine's: ${problem}`);
  return `timers identical to scheduleSlaTimers' (${compared} compared)`;
}

async function level1TimerLateness(redis: Redis, key: string): Promise<{ count: number; p: number[] }> {
  const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
  const late: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    // sla-timer.<case>.<stage>.<stageStartedAt>.<level>.<dueAt>
    const parts = flat[i].split('.');
    if (parts.length !== 6 || parts[4] !== '1') continue;
    late.push(Math.floor(Number(flat[i + 1]) / 4096) - Number(parts[5]));
  }
  return { count: late.length, p: percentiles(late, [0.5, 0.99, 1]) };
}

/**
 * The run's level-1 escalations, counted every POLL_MS while they fire. Counting them all each time
 * (a scan of every escalation) was the run's third costliest statement: 65 ms a poll, 43 s of
 * PostgreSQL's time in a 230 s breaching window, taken from the engine it measures. So the rows up
 * to an id seen at least REBASE_MS ago are counted once per REBASE_MS (5 s: a firing commits well within it), and each poll counts only
 * those above it (by the primary key). Ids are drawn before commit, so a firing could commit below
 * the base after it was counted: when the count has not moved for STILL_MS, or says all have fired,
 * the base is counted again.
 */
class Level1Counter {
  private static readonly REBASE_MS = 5_000;
  private static readonly STILL_MS = 5_000;
  private baseId = '0';
  private base = 0;
  private seen: { at: number; maxId: string }[] = [];
  private last = -1;
  private lastMovedAt = 0;
  private rebasedAt = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly from: number,
    private readonly to: number,
    private readonly n: number,
  ) {}

  async count(now: number): Promise<number> {
    const old = now - this.rebasedAt >= Level1Counter.REBASE_MS ? this.seen.filter((s) => now - s.at >= Level1Counter.REBASE_MS).pop() : undefined;
    // Moving the base up counts only the rows between the two bases (a full count was 24 ms a time).
    if (old) await this.rebase(this.baseId, old.maxId, now);
    let fired = this.base + (await this.above(now));
    if (fired >= this.n || (fired === this.last && now - this.lastMovedAt >= Level1Counter.STILL_MS)) {
      await this.rebase('0', this.baseId, now);
      fired = this.base + (await this.above(now));
    }
    if (fired !== this.last) {
      this.last = fired;
      this.lastMovedAt = now;
    }
    return fired;
  }

  /** Counts the rows in (from, baseId] again and adds those below: all of them when `from` is '0'. */
  private async rebase(from: string, baseId: string, now: number): Promise<void> {
    const [{ n }] = await selectRows<{ n: number }>(
      this.ds,
      `SELECT count(*)::int AS n FROM escalations WHERE id > $1 AND id <= $2 AND level = '1' AND fire_at BETWEEN $3 AND $4`,
      [from, baseId, new Date(this.from).toISOString(), new Date(this.to).toISOString()],
    );
    this.base = from === '0' ? n : this.base + n;
    this.baseId = baseId;
    this.rebasedAt = now;
    this.seen = this.seen.filter((s) => BigInt(s.maxId) > BigInt(baseId));
  }

  private async above(now: number): Promise<number> {
    const [r] = await selectRows<{ n: number; max_id: string | null }>(
      this.ds,
      `SELECT count(*) FILTER (WHERE level = '1' AND fire_at BETWEEN $2 AND $3)::int AS n, max(id)::text AS max_id FROM escalations WHERE id > $1`,
      [this.baseId, new Date(this.from).toISOString(), new Date(this.to).toISOString()],
    );
    this.seen.push({ at: now, maxId: r.max_id ?? this.baseId });
    return r.n;
  }
}

/** Connections ever opened to the run's database (each a backend forked and its caches warmed). */
async function sessionsOpened(ds: DataSource): Promise<number> {
  const [{ n }] = await selectRows<{ n: number }>(ds, `SELECT sessions::int AS n FROM pg_stat_database WHERE datname = current_database()`);
  return n;
}

/** What the run's PostgreSQL sessions are doing (wait event, or CPU), sampled: where the firing time goes. */
async function sampleWaits(ds: DataSource, into: Map<string, number>): Promise<void> {
  const rows: { w: string; n: number }[] = await ds.query(
    `SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS w, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state IN ('active', 'idle in transaction') AND pid <> pg_backend_pid()
        AND backend_type = 'client backend' GROUP BY 1`,
  );
  into.set('#samples', (into.get('#samples') ?? 0) + 1);
  for (const r of rows) into.set(r.w, (into.get(r.w) ?? 0) + r.n);
}

function describeWaits(waits: Map<string, number>): string {
  const samples = waits.get('#samples') ?? 0;
  const entries = [...waits].filter(([k]) => k !== '#samples').sort((a, b) => b[1] - a[1]);
  const busy = entries.reduce((s, [, v]) => s + v, 0);
  if (!samples || !busy) return 'n/a';
  return (
    `${(busy / samples).toFixed(1)} session(s) busy on average; ` +
    entries
      .slice(0, 6)
      .map(([k, v]) => `${k === 'Client:ClientRead' ? 'in transaction, waiting for the client' : k} ${Math.round((v / busy) * 100)}%`)
      .join(', ')
  );
}

/** percentile_cont gives double precision (numbers), extract numeric (text); null when no row matched. */
interface LagRow {
  windows: [number, number, number, number][] | null;
  notified: number[] | null;
  fired: number[] | null;
  gap: number | null;
  first_fired: string | null;
  last_fired: string | null;
}

async function lagStats(ds: DataSource) {
  const [r] = await selectRows<LagRow>(
    ds,
    `WITH l AS (
       SELECT e.fire_at, extract(epoch FROM n.first_at - e.fire_at) * 1000 AS notified, extract(epoch FROM e.fired_at - e.fire_at) * 1000 AS fired,
              extract(epoch FROM e.fired_at - n.first_at) * 1000 AS gap, e.fired_at
         FROM escalations e
         JOIN cases c ON c.id = e.case_id
         JOIN (SELECT escalation_id, min(created_at) AS first_at FROM notifications WHERE kind = 'escalation.1' GROUP BY 1) n ON n.escalation_id = e.id
        WHERE e.level = '1' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')
     , w AS (SELECT ntile(${WINDOWS}) OVER (ORDER BY fire_at) AS w, notified FROM l)
     SELECT (SELECT json_agg(json_build_array(w, p50, p99, mx) ORDER BY w) FROM (
               SELECT w, percentile_cont(0.5) WITHIN GROUP (ORDER BY notified) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY notified) AS p99,
                      max(notified) AS mx FROM w GROUP BY w) x) AS windows,
            percentile_cont(ARRAY[0.5, 0.95, 0.99, 1]) WITHIN GROUP (ORDER BY notified) AS notified,
            percentile_cont(ARRAY[0.5, 0.95, 0.99, 1]) WITHIN GROUP (ORDER BY fired) AS fired,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY abs(gap)) AS gap,
            extract(epoch FROM min(fired_at)) * 1000 AS first_fired, extract(epoch FROM max(fired_at)) * 1000 AS last_fired
       FROM l`,
  );
  const arr = (v: number[] | null) => (v ?? [NaN, NaN, NaN, NaN]).map(Number);
  return {
    notified: arr(r.notified),
    fired: arr(r.fired),
    gapP99: Number(r.gap),
    windows: (r.windows ?? []).map(([, p50, p99, mx]) => `${fmtMs(Number(p50))}/${fmtMs(Number(p99))}/${fmtMs(Number(mx))}`),
    firstFiredMs: Number(r.first_fired),
    lastFiredMs: Number(r.last_fired),
  };
}

/** From the completed timer jobs BullMQ keeps (the last 1000): time waiting after their time, and handling time. */
async function workerTimes(queue: Queue) {
  const jobs = await queue.getJobs(['completed'], 0, 999);
  const wait: number[] = [];
  const handle: number[] = [];
  const outcomes = new Map<string, number>();
  for (const j of jobs) {
    if (!j.processedOn || !j.finishedOn) continue;
    // BullMQ zeroes job.delay when it promotes the job; the options keep it.
    wait.push(j.processedOn - (j.timestamp + (j.opts?.delay ?? 0)));
    handle.push(j.finishedOn - j.processedOn);
    const o = String((j.returnvalue as { outcome?: string } | null)?.outcome ?? 'n/a');
    outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  }
  return {
    count: wait.length,
    wait: percentiles(wait, [0.5, 0.99]),
    handle: percentiles(handle, [0.5, 0.99]),
    outcomes: [...outcomes].map(([k, v]) => `${k} ${v}`).join(', ') || 'none',
  };
}

async function integrityCheck(ds: DataSource, n: number): Promise<string> {
  const [r] = await selectRows<{ esc: number; notes: number; audit: number; audited: number; audit_all: number; later: number }>(
    ds,
    `SELECT (SELECT count(*) FROM escalations e JOIN cases c ON c.id = e.case_id WHERE e.level = '1' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS esc,
            (SELECT count(*) FROM notifications n JOIN cases c ON c.id = n.case_id WHERE n.kind = 'escalation.1' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS notes,
            (SELECT count(*) FROM audit_events a JOIN cases c ON c.id = a.case_id
              WHERE a.action = 'escalate' AND a.data->>'level' = '1' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS audit,
            (SELECT count(DISTINCT a.data->>'escalationId') FROM audit_events a JOIN cases c ON c.id = a.case_id
              WHERE a.action = 'escalate' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS audited,
            (SELECT count(*) FROM audit_events a JOIN cases c ON c.id = a.case_id
              WHERE a.action = 'escalate' AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS audit_all,
            (SELECT count(*) FROM escalations e JOIN cases c ON c.id = e.case_id WHERE e.level IN ('2', '3') AND c.external_id LIKE '${EXTERNAL_PREFIX}%')::int AS later`,
  );
  const problems: string[] = [];
  if (r.esc !== n) problems.push(`${r.esc} level-1 escalations for ${n} cases`);
  if (r.notes !== 2 * r.esc) problems.push(`${r.notes} level-1 notifications for ${r.esc} escalations (expected handler + leader each)`);
  if (r.audit !== r.esc) problems.push(`${r.audit} level-1 escalate audit events for ${r.esc} level-1 escalations`);
  // Every escalation (the pre-recorded warnings too) is on the audit chain exactly once.
  if (r.audited !== r.audit_all) problems.push(`${r.audit_all} escalate audit events for ${r.audited} escalations: some twice`);
  if (r.later !== 0) problems.push(`${r.later} escalations of levels 2-3 already`);
  return problems.length
    ? `PROBLEMS: ${problems.join('; ')}`
    : `ok (${fmtInt(r.esc)} level-1 escalations, one each; ${fmtInt(r.notes)} inbox notifications, handler + leader; ${fmtInt(r.audit)} audit events)`;
}

async function leftovers(ds: DataSource, queue: Queue, n: number, fired: number): Promise<string> {
  const [{ outbox }] = await selectRows<{ outbox: number }>(ds, `SELECT count(*)::int AS outbox FROM outbox`);
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  const failed = await queue.getFailed(0, 2);
  const sample = await selectRows<{ id: string; status: string; due_at: Date }>(
    ds,
    `SELECT c.id, c.status, c.due_at FROM cases c WHERE c.external_id LIKE '${EXTERNAL_PREFIX}%'
        AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.case_id = c.id AND e.level = '1') ORDER BY c.due_at LIMIT 3`,
  );
  return (
    `level 1 recorded for ${fired} of ${n}; outbox rows ${outbox}; sla queue ${JSON.stringify(counts)}` +
    (failed.length ? `; failed job e.g. ${failed.map((j) => `${j.id}: ${j.failedReason}`).join(' | ')}` : '') +
    (sample.length ? `; e.g. ${sample.map((s) => `${s.id} (${s.status}, due ${new Date(s.due_at).toISOString()})`).join(', ')}` : '')
  );
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; r: T }> {
  const t = performance.now();
  const r = await fn();
  return { ms: performance.now() - t, r };
}

function describeResult(r: { full: boolean; fired: number; scheduled: number; pruned: number } | null): string {
  return r
    ? `${r.full ? 'full pass' : 'due levels only'}: fired ${fmtInt(r.fired)}, re-added ${fmtInt(r.scheduled)}, pruned ${fmtInt(r.pruned)}`
    : 'skipped: another process held the sweep';
}
