import { ChildProcess, spawn } from 'node:child_process';
import Redis from 'ioredis';
import { CalendarYearsLoaded } from '@fr/cases';
import { QueueName, QueueRegistry } from '@fr/queue';
import { Clock, ladderTimes, SlaReconciler, SlaReconcileResult, SlaService } from '@fr/sla';
import { adminToken, bearer, createOfficer, DEV_KEYS, freePort, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import { Maintenance } from '../apps/worker/src/maintenance.service';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const MINUTE = 60_000;

/** A Redis of this test's own, which it may kill: the shared one serves every other test. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await waitFor(
      () =>
        probe.connect().then(
          () => probe.ping(),
          () => 'down',
        ),
      (r) => r === 'PONG',
      { what: `redis-server on port ${port}` },
    );
  } finally {
    probe.disconnect();
  }
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Settles within `ms`, or says it did not: a sweep that waits for Redis never settles while it is down. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<'still waiting'>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * Redis down for longer than a deadline: the levels that fall due meanwhile are told from PostgreSQL by
 * the workers' sweep (the timers wait in an unreachable Redis), each once, and the sweeps that need no
 * Redis go on; once Redis is back, empty, nothing fires twice.
 */
describe('escalations while Redis is down', () => {
  let engine: TestEngine;
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    engine = await TestEngine.start({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    const admin = await adminToken(engine);
    const ids: Record<string, string> = {};
    for (const [username, role] of [
      ['rd.xuly', 'HANDLER'],
      ['rd.lanhdao', 'LEADER'],
    ] as const) {
      ids[username] = (await createOfficer(engine, admin, { username, role, unitCode: 'P_BACH_KHOA' })).id;
    }
    const res = await engine
      .http()
      .put('/v1/units/P_BACH_KHOA/designation')
      .set(bearer(admin))
      .send({ handlerId: ids['rd.xuly'], leaderId: ids['rd.lanhdao'] });
    expect(res.status).toBe(200);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    // Back before the engine closes: its workers' shutdown talks to Redis.
    if (redis && (redis.exitCode !== null || redis.signalCode !== null)) redis = await startRedis(port);
    await engine?.close();
    if (redis) await stopRedis(redis);
  });

  it('fires the levels due while Redis is down from PostgreSQL, once, and the other sweeps are not held', async () => {
    // Its timers reached Redis before it goes.
    const { id, levelOneAt } = await assignedCase('Quán nước chiếm hết vỉa hè số 5 Tạ Quang Bửu.');
    const worker = engine.worker!;

    await stopRedis(redis);
    jest.spyOn(worker.get(Clock), 'now').mockReturnValue(new Date(levelOneAt.getTime() + MINUTE));

    const pass = await within(worker.get(SlaReconciler).runOnce(), 20_000);
    expect(pass).not.toBe('still waiting');
    expect(pass as SlaReconcileResult).toMatchObject({ full: false });
    const fired = await engine.query<{ level: string }>(`SELECT level FROM escalations WHERE case_id = $1 ORDER BY level`, [id]);
    expect(fired.map((e) => e.level).sort()).toEqual(['1', 'warn']);
    const told = await engine.query<{ n: string }>(
      `SELECT count(*) AS n FROM notifications n JOIN escalations e ON e.id = n.escalation_id WHERE e.case_id = $1 AND e.level = '1'`,
      [id],
    );
    expect(Number(told[0].n)).toBeGreaterThanOrEqual(1);
    // The whole maintenance tick ends too (the sweeps that need Redis wait for it, the others run).
    expect(await within(worker.get(Maintenance).runOnce(), 20_000)).not.toBe('still waiting');

    // Redis back, empty: its timers are gone; a full pass puts the next level's back and fires nothing again.
    redis = await startRedis(port);
    await waitFor(
      () => worker.get(QueueRegistry).answers(),
      (up) => up,
      { what: "the worker's Redis clients to reconnect" },
    );
    const full = await waitFor(
      () => worker.get(SlaReconciler).runOnce({ full: true }),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'a full pass' },
    );
    expect(full).toMatchObject({ full: true, fired: 0 });
    const after = await engine.query<{ level: string }>(`SELECT level FROM escalations WHERE case_id = $1`, [id]);
    expect(after.map((e) => e.level).sort()).toEqual(['1', 'warn']);
  });

  it('tells a level that falls due while Redis is down within seconds, not at the next maintenance tick, once', async () => {
    const { id, levelOneAt } = await assignedCase('Bãi xe tự phát lấn vỉa hè trước số 20 Tạ Quang Bửu.');
    // A worker whose sweeps' own period is an hour here (the engine's), which runs the due sweep every 200 ms
    // while Redis does not answer; the others in this file run theirs themselves.
    await engine.stopWorker();
    const ticks: Promise<void>[] = [];
    const tick = Maintenance.prototype.runOnce;
    jest.spyOn(Maintenance.prototype, 'runOnce').mockImplementation(function (this: Maintenance, ...args: Parameters<Maintenance['runOnce']>) {
      ticks.push(tick.apply(this, args));
      return ticks[ticks.length - 1];
    });
    const config = engine.config as { slaRedisDownSweepMs: number };
    config.slaRedisDownSweepMs = 200;
    const worker = await engine.startWorker().finally(() => (config.slaRedisDownSweepMs = 0));
    try {
      // Its tick at start ends before Redis goes; the next is an hour away.
      await waitFor(
        async () => ticks.length,
        (n) => n === 1,
        { what: "the worker's tick at start" },
      );
      await ticks[0];
      await stopRedis(redis);
      const passes = jest.spyOn(worker.get(SlaReconciler), 'runOnce');
      jest.spyOn(worker.get(Clock), 'now').mockReturnValue(new Date(levelOneAt.getTime() + MINUTE));
      await waitFor(
        () => levelsOf(id),
        (levels) => levels.includes('1'),
        { what: 'level 1 told while Redis is down' },
      );
      // Not the tick's: the sweep while Redis is down.
      expect(ticks).toHaveLength(1);
      expect(passes.mock.calls.every(([options]) => options?.redisDown)).toBe(true);
      // Later sweeps find it recorded: it is told once.
      const told = () =>
        engine.query<{ n: string }>(
          `SELECT count(*) AS n FROM notifications n JOIN escalations e ON e.id = n.escalation_id WHERE e.case_id = $1 AND e.level = '1'`,
          [id],
        );
      const [before] = await told();
      expect(Number(before.n)).toBeGreaterThanOrEqual(1);
      const seen = passes.mock.calls.length;
      await waitFor(
        async () => passes.mock.calls.length,
        (n) => n >= seen + 2,
        { what: 'two more sweeps' },
      );
      expect(await told()).toEqual([before]);
      expect(await levelsOf(id)).toEqual(['1', 'warn']);
    } finally {
      jest.restoreAllMocks();
      await redisBack();
      // Back to a worker without the short sweep, for the tests that run the sweeps themselves.
      await engine.stopWorker();
      await engine.startWorker();
    }
    expect(await levelsOf(id)).toEqual(['1', 'warn']);
  }, 120_000);

  /** A new case routed, its timers in Redis; when its level 1 falls due. */
  async function assignedCase(description: string): Promise<{ id: string; levelOneAt: Date }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description, location: { wardCode: 'BACH_KHOA' } });
    expect(res.status).toBe(202);
    const { id } = res.body as FeedbackAcceptedDto;
    const [c] = await waitFor(
      () =>
        engine.query<{ status: string; stage: string; stage_started_at: Date; due_at: Date; warn_at: Date | null }>(
          `SELECT status, stage, stage_started_at, due_at, warn_at FROM cases WHERE id = $1`,
          [id],
        ),
      (r) => r[0]?.status === 'assigned',
      { what: 'routing' },
    );
    await waitFor(
      () => engine.query(`SELECT 1 FROM outbox`),
      (rows) => rows.length === 0,
      { what: 'the outbox to drain' },
    );
    const sla = engine.worker!.get(SlaService);
    const run = {
      caseId: id,
      stage: c.stage as never,
      stageStartedAt: new Date(c.stage_started_at),
      dueAt: new Date(c.due_at),
      warnAt: c.warn_at && new Date(c.warn_at),
    };
    return { id, levelOneAt: ladderTimes(sla.calendar, sla.policy.escalation, run).find((t) => t.rung.level === '1')!.fireAt };
  }

  const levelsOf = async (id: string) =>
    (await engine.query<{ level: string }>(`SELECT level FROM escalations WHERE case_id = $1`, [id])).map((e) => e.level).sort();

  /** Redis back (empty), the worker's clients on it, and its SLA passes no longer held by one left waiting. */
  async function redisBack(): Promise<void> {
    redis = await startRedis(port);
    const worker = engine.worker!;
    await waitFor(
      () => worker.get(QueueRegistry).answers(),
      (up) => up,
      // BullMQ's clients retry at growing intervals, 20 s apart once Redis has been away for 18 s.
      { what: "the worker's Redis clients to reconnect", timeoutMs: 30_000 },
    );
    await waitFor(
      () => worker.get(SlaReconciler).runOnce({ full: true }),
      (r) => r !== null,
      { what: 'a full pass' },
    );
  }

  /**
   * Redis stops just before `method` of `target` next runs, after the tick's PING found it up; the tick must
   * end all the same, and the next one, past level 1, tell it. Redis is back afterwards.
   */
  async function ticksWhileRedisLeavesIn(target: object, method: string, id: string, levelOneAt: Date): Promise<void> {
    const worker = engine.worker!;
    const spied = target as Record<string, () => Promise<unknown>>;
    const original = spied[method].bind(target);
    jest.spyOn(spied, method).mockImplementationOnce(async () => {
      await stopRedis(redis);
      return original();
    });
    try {
      expect(await within(worker.get(Maintenance).runOnce(), 10_000)).not.toBe('still waiting');
      jest.spyOn(worker.get(Clock), 'now').mockReturnValue(new Date(levelOneAt.getTime() + MINUTE));
      expect(await within(worker.get(Maintenance).runOnce(), 10_000)).not.toBe('still waiting');
      expect(await levelsOf(id)).toContain('1');
    } finally {
      jest.restoreAllMocks();
      await redisBack();
    }
  }

  it('ends a tick that Redis leaves in the middle of, and the next tick tells the levels due meanwhile', async () => {
    const { id, levelOneAt } = await assignedCase('Xe máy dựng kín vỉa hè trước số 12 Lê Thanh Nghị.');
    // Before the privacy schedule is written there.
    await ticksWhileRedisLeavesIn(engine.worker!.get(CalendarYearsLoaded), 'tellDue', id, levelOneAt);
  }, 120_000);

  it('tells the levels due while a full SLA pass waits for a Redis that left in the middle of it', async () => {
    const { id, levelOneAt } = await assignedCase('Quán nhậu kê bàn ghế ra hết vỉa hè số 3 Đại Cồ Việt.');
    // After the pass's PING found it up: the pass waits for it, holding the SLA sweep's lock.
    await ticksWhileRedisLeavesIn(engine.worker!.get(SlaReconciler), 'fullPassDue', id, levelOneAt);
    // The pass left waiting ends once Redis is back, and nothing is told twice.
    expect(await levelsOf(id)).toEqual(['1', 'warn']);
  }, 120_000);

  it('stops the worker within seconds while Redis is down, and a worker started once it is back tells what fell due', async () => {
    const { id, levelOneAt } = await assignedCase('Hàng rong bày kín vỉa hè trước số 8 Tạ Quang Bửu.');
    await stopRedis(redis);
    // Once the clients know (a stop at once found them still connected, and QUIT failed fast): BullMQ closes
    // its connections with QUIT, which a worker's client (it waits for Redis rather than fail) held until Redis
    // came back, so `npm start` stopped only when FR_SHUTDOWN_TIMEOUT_SECONDS cut it, exit 1.
    const sla = engine.worker!.get(QueueRegistry).get(QueueName.Sla);
    await waitFor(
      async () => ((await sla.client) as unknown as { status: string }).status,
      (status) => status === 'reconnecting',
      { what: "the worker's queue client to find Redis gone" },
    );
    const started = Date.now();
    expect(await within(engine.stopWorker(), 15_000)).not.toBe('still waiting');
    expect(Date.now() - started).toBeLessThan(10_000);

    redis = await startRedis(port);
    const worker = await engine.startWorker();
    jest.spyOn(worker.get(Clock), 'now').mockReturnValue(new Date(levelOneAt.getTime() + MINUTE));
    await waitFor(
      () => worker.get(SlaReconciler).runOnce({ full: true }),
      (r) => r !== null,
      { what: 'a full pass' },
    );
    expect(await levelsOf(id)).toEqual(['1', 'warn']);
  }, 120_000);
});
