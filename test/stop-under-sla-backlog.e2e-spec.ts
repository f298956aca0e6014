import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { outboxChannel, QueueName } from '@fr/queue';
import { slaTimerMessage } from '@fr/sla';
import { freePort, healthStatus, processAlive, TEST_ROLES, testDatabaseUrl, waitFor } from '@fr/testing';

const ROOT = join(__dirname, '..');
const ADMIN_DB = process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * Open cases whose level-1 deadline passed a minute ago, none yet told. The first TIMED have their timers
 * in the queue; the others none (lost with a wiped Redis, or never relayed), so the SLA sweep fires them,
 * 200 a transaction: 20,000 took that sweep 11-17 s on a 2-core machine, all of it inside the stop. Fewer
 * here, for the suite's time: a stop that waited for the sweep is caught by the sweep's cases all told by
 * the time the first start has exited (20 batches; the stop is sent once the first 100 levels are told).
 */
const CASES = 4_500;
const TIMED = 500;
/** The stop asked for while they fire must end within this (FR_SHUTDOWN_TIMEOUT_SECONDS is 30). */
const STOP_BOUND_MS = 5000;

/**
 * `npm start` stopped (SIGTERM: a deployment's restart) while the worker fires a backlog of SLA timers
 * that fell due together: a morning's breaches, or what the reconciler releases after an outage. The
 * stop has to end within seconds, and whatever it left undone must be done by the next start, once:
 * timers not started stay queued, one cut short runs again, and no level is recorded or told twice.
 */
describe('npm start stopped while a backlog of SLA timers fires', () => {
  const id = randomBytes(4).toString('hex');
  const dbName = `fr_test_slastop_${id}`;
  const prefix = `frt_slastop_${id}`;
  const started: ChildProcess[] = [];
  let checkpoints: string;
  let db: Client;
  let redis: Redis;

  const start = (port: number) => {
    const proc = spawn(process.execPath, ['scripts/start.js', 'all'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        PORT: String(port),
        DATABASE_URL: testDatabaseUrl(dbName, TEST_ROLES.app),
        DATABASE_OWNER_URL: testDatabaseUrl(dbName, TEST_ROLES.owner),
        DATABASE_ADMIN_URL: ADMIN_DB,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        FR_CHECKPOINT_DIR: checkpoints,
        FR_WORKER_METRICS_PORT: '0',
        // The sweep soon after the cases are written, rather than up to 30 s later.
        FR_RECONCILE_INTERVAL_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(proc);
    let said = '';
    proc.stdout!.on('data', (d) => (said += d));
    proc.stderr!.on('data', (d) => (said += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    return { proc, exited, output: () => said };
  };
  const health = (port: number) => healthStatus(`http://127.0.0.1:${port}`);
  /** Serving, and its worker's first sweep done (its marker in Redis): the backlog below is the timers' to fire. */
  const ready = async (port: number, output: () => string) => {
    await waitFor(
      () => health(port),
      (s) => s === 200,
      { timeoutMs: 90_000, intervalMs: 200, what: `the engine to answer /health (output so far: ${output().slice(-800)})` },
    );
    await waitFor(
      () => redis.get(`${prefix}:${QueueName.Sla}:reconciled-at`),
      (m) => m !== null && Number.isFinite(Number(m)),
      { timeoutMs: 60_000, intervalMs: 200, what: `the worker's first SLA sweep (output so far: ${output().slice(-800)})` },
    );
  };
  const level1 = async () =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escalations e JOIN cases c ON c.id = e.case_id WHERE e.level = '1' AND c.external_id LIKE 'slastop-%'`,
      )
    ).rows[0].n;
  /** Those of the cases with no timer, which only the sweep tells (external ids slastop-<k>, k > TIMED). */
  const sweptLevel1 = async () =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escalations e JOIN cases c ON c.id = e.case_id
          WHERE e.level = '1' AND c.external_id LIKE 'slastop-%' AND substr(c.external_id, 9)::int > $1`,
        [TIMED],
      )
    ).rows[0].n;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/apps/worker/src/main.js'))) throw new Error('run `npm run build` first (npm test does)');
    checkpoints = mkdtempSync(join(tmpdir(), 'fr-slastop-checkpoints-'));
    redis = new Redis('redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
    await db?.end().catch(() => undefined);
    if (checkpoints) rmSync(checkpoints, { recursive: true, force: true });
    const admin = new Client({ connectionString: ADMIN_DB });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stops within seconds, and the next start tells every level left exactly once', async () => {
    const port = await freePort();
    const first = start(port);
    await ready(port, first.output);
    db = new Client({ connectionString: testDatabaseUrl(dbName) });
    await db.connect();

    // The cases as routing leaves them (bench/sla.bench.ts), their warnings told, their deadlines a minute
    // past; the level-1 timers of the first TIMED in the outbox, due now, as routing writes them.
    const units = (
      await db.query<{ code: string }>(
        `SELECT u.code FROM units u JOIN officers h ON h.id = u.handler_id AND h.active JOIN officers l ON l.id = u.leader_id AND l.active
          WHERE u.active AND u.handler_id <> u.leader_id ORDER BY u.code`,
      )
    ).rows.map((r) => r.code);
    expect(units.length).toBeGreaterThan(0);
    const now = Date.now();
    const plan = Array.from({ length: CASES }, (_, i) => {
      const dueAt = new Date(now - 60_000 - i);
      return {
        id: randomUUID(),
        unit: units[i % units.length],
        stageStartedAt: new Date(dueAt.getTime() - 86_400_000),
        dueAt,
        warnAt: new Date(dueAt.getTime() - 7_200_000),
      };
    });
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO cases (id, tracking_code, channel_code, external_id, category_code, description, status, severity, unit_code, handler_id,
                          leader_id, submitted_at, received_at, routed_at, stage, stage_started_at, stage_minutes, extension_minutes,
                          resolve_from, due_at, warn_at, updated_at)
       SELECT t.id, 'ST' || lpad(t.k::text, 9, '0'), (SELECT code FROM channels WHERE active ORDER BY code LIMIT 1), 'slastop-' || t.k,
              (SELECT code FROM categories WHERE active ORDER BY code LIMIT 1), 'Phản ánh thử dừng máy giữa lúc quá hạn', 'assigned', 'normal',
              t.unit, u.handler_id, u.leader_id, t.started, t.started, t.started, 'receive', t.started, 480, 0, t.started, t.due, t.warn, now()
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[]) WITH ORDINALITY AS t(id, unit, started, due, warn, k)
         JOIN units u ON u.code = t.unit`,
      [plan.map((c) => c.id), plan.map((c) => c.unit), plan.map((c) => c.stageStartedAt), plan.map((c) => c.dueAt), plan.map((c) => c.warnAt)],
    );
    await db.query(
      `INSERT INTO escalations (case_id, stage, stage_started_at, level, due_at, fire_at, fired_at, unit_code)
       SELECT id, stage, stage_started_at, 'warn', due_at, warn_at, warn_at, unit_code FROM cases WHERE id = ANY($1::uuid[])`,
      [plan.map((c) => c.id)],
    );
    const timers = plan
      .slice(0, TIMED)
      .map((c) => slaTimerMessage({ caseId: c.id, stage: 'receive', stageStartedAt: c.stageStartedAt, dueAt: c.dueAt, warnAt: c.warnAt }, '1', c.dueAt));
    await db.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[])`,
      [
        timers.map((t) => t.queue),
        timers.map((t) => t.name),
        timers.map((t) => t.jobId),
        timers.map((t) => JSON.stringify(t.payload)),
        timers.map((t) => t.delayMs ?? 0),
      ],
    );
    await db.query('COMMIT');
    await redis.publish(outboxChannel(prefix), '');

    // Under way, far from done: the stop comes in the middle of the burst.
    await waitFor(level1, (n) => n >= 100, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: `the first level-1 escalations (output: ${first.output().slice(-800)})`,
    });
    const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(first.proc.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => ({ pid: Number(l.trim().split(/\s+/)[0]), who: l.trim().split(/\s+/).pop()!, ms: -1 }));
    const stopAt = Date.now();
    first.proc.kill('SIGTERM');
    const watch = setInterval(() => {
      for (const c of children) if (c.ms < 0 && !processAlive(c.pid)) c.ms = Date.now() - stopAt;
    }, 20);
    const code = await first.exited;
    clearInterval(watch);
    const stopMs = Date.now() - stopAt;
    const sweptBefore = await sweptLevel1();
    // Which process took how long, when it fails.
    const stop = { code, withinBound: stopMs <= STOP_BOUND_MS, took: `${stopMs} ms: ${children.map((c) => `${c.who} ${c.ms} ms`).join(', ')}` };
    expect(stop).toEqual({ code: 0, withinBound: true, took: stop.took });
    // Cut short, not finished: the rest of the sweep is the next start's.
    expect(sweptBefore).toBeLessThan(CASES - TIMED);

    // The next start tells the rest: the timers left in Redis or the outbox, and any cut short.
    const second = start(port);
    try {
      await ready(port, second.output);
      await waitFor(level1, (n) => n >= CASES, { timeoutMs: 120_000, intervalMs: 500, what: `every level-1 escalation after the restart` });
      const twice = await db.query(
        `SELECT e.case_id, e.level, count(*)::int AS n FROM escalations e JOIN cases c ON c.id = e.case_id
          WHERE c.external_id LIKE 'slastop-%' GROUP BY 1, 2 HAVING count(*) > 1`,
      );
      expect(twice.rows).toEqual([]);
      // Told once: each level-1 escalation has one notice for the handler and one for the leader, and one audit event.
      const told = await db.query<{ notices: number; audited: number; n: number }>(
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE (SELECT count(*) FROM notifications x WHERE x.escalation_id = e.id) <> 2)::int AS notices,
                count(*) FILTER (WHERE (SELECT count(*) FROM audit_events a WHERE a.case_id = e.case_id AND a.action = 'escalate' AND a.data->>'level' = '1') <> 1)::int AS audited
           FROM escalations e JOIN cases c ON c.id = e.case_id WHERE e.level = '1' AND c.external_id LIKE 'slastop-%'`,
      );
      expect(told.rows[0]).toEqual({ n: CASES, notices: 0, audited: 0 });
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  }, 300_000);
});
