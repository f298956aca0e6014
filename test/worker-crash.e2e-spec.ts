import { Job, Queue, Worker } from 'bullmq';
import { jobIdFor, JobName, QueueName, redisOptions } from '@fr/queue';
import { Clock, ladderTimes, SlaReconciler, SlaService, slaTimerPayload } from '@fr/sla';
import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import { CaseEventsProcessor } from '../apps/worker/src/processors/case-events.processor';
import { ConfiguredWorkerHost } from '../apps/worker/src/processors/configured-worker-host';
import { DeliveriesProcessor } from '../apps/worker/src/processors/deliveries.processor';
import { PrivacyProcessor } from '../apps/worker/src/processors/privacy.processor';
import { RoutingProcessor } from '../apps/worker/src/processors/routing.processor';
import { SlaTimerProcessor } from '../apps/worker/src/processors/sla-timer.processor';

/**
 * A worker SIGKILLed while it runs jobs leaves them active in Redis under its lock, and nothing in
 * PostgreSQL tells that they are lost: the levels they were firing are left to them (the SLA sweep
 * leaves a queued timer alone for five minutes). BullMQ moves such a job back to the queue once its
 * lock has expired and a stalled-job check has seen it twice. With BullMQ's defaults (30 s lock, a check
 * every 30 s, shared by every worker of the queue) a crash run saw level notices held by the killed
 * worker recorded 53 s and 75 s after their time, and this test waited 61 s.
 */
describe('jobs a killed worker held', () => {
  let engine: TestEngine;
  /** The SLA queue as the test sees it, apart from the worker that is stopped and started. */
  let queue: Queue;

  beforeAll(async () => {
    engine = await TestEngine.start();
    queue = new Queue(QueueName.Sla, { connection: redisOptions(engine.config.redisUrl, 'worker'), prefix: engine.config.queuePrefix });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await queue?.close();
    await engine?.close();
  });

  it('are run again by the running workers within seconds of the crash: a level notice is late by less than 30 s', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        category: 'sidewalk_encroachment',
        description: 'Quán nước chiếm hết vỉa hè số 5 Tạ Quang Bửu, xe máy dựng kín lối đi.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Văn Bình', phone: '0987654321' },
      });
    expect(res.status).toBe(202);
    const caseId = (res.body as FeedbackAcceptedDto).id;
    const [c] = await waitFor(
      () =>
        engine.query<{ status: string; stage: 'receive'; stage_started_at: Date; due_at: Date; warn_at: Date }>(
          `SELECT status, stage, stage_started_at, due_at, warn_at FROM cases WHERE id = $1`,
          [caseId],
        ),
      (r) => r[0]?.status === 'assigned',
      { what: 'routing' },
    );
    const run = { caseId, stage: c.stage, stageStartedAt: new Date(c.stage_started_at), dueAt: new Date(c.due_at), warnAt: new Date(c.warn_at) };
    const sla = engine.worker!.get(SlaService);
    const warn = ladderTimes(sla.calendar, sla.policy.escalation, run).find((t) => t.rung.level === 'warn')!;
    const warnJobId = jobIdFor(JobName.SlaTimer, slaTimerPayload(run, 'warn'));
    await waitFor(
      async () => (await queue.getJob(warnJobId))?.getState(),
      (s) => s === 'delayed',
      { what: 'the warning timer' },
    );
    // A full pass has left its marker: the restarted worker's first sweep is the due sweep, which leaves a
    // level to its timer for ten seconds past its time (and a queued one for five minutes).
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce({ full: true }),
      (r) => r !== null,
      { what: 'a full SLA pass' },
    );
    // The engine's own workers' settings, the same on every queue: the killed one held its jobs under that lock.
    const live = engine.worker!.get(SlaTimerProcessor).worker.opts;
    for (const processor of [RoutingProcessor, CaseEventsProcessor, DeliveriesProcessor, PrivacyProcessor]) {
      const { name, opts } = engine.worker!.get<ConfiguredWorkerHost>(processor).worker;
      expect({ name, lockDuration: opts.lockDuration, stalledInterval: opts.stalledInterval }).toEqual({
        name,
        lockDuration: live.lockDuration,
        stalledInterval: live.stalledInterval,
      });
    }

    // A worker of the engine takes the timer as it falls due and is SIGKILLed at once: the job stays
    // active under its lock, which nobody renews or releases.
    await engine.stopWorker();
    const killed = new Worker(QueueName.Sla, undefined, {
      connection: redisOptions(engine.config.redisUrl, 'worker'),
      prefix: engine.config.queuePrefix,
      autorun: false,
      lockDuration: live.lockDuration,
      stalledInterval: live.stalledInterval,
    });
    let taken: Job | undefined;
    try {
      await (await queue.getJob(warnJobId))!.promote();
      taken = await killed.getNextJob('killed-worker-token');
    } finally {
      await killed.close(true);
    }
    const crashedAt = Date.now();
    expect(taken?.id).toBe(warnJobId);
    expect(await queue.getJobState(warnJobId)).toBe('active');
    expect(await engine.redis.exists(`${engine.config.queuePrefix}:${QueueName.Sla}:${warnJobId}:lock`)).toBe(1);

    // Restarted, as a supervisor does; its clock now at the warning's time (BullMQ's delays stay real).
    await engine.startWorker();
    jest.spyOn(engine.worker!.get(Clock), 'now').mockReturnValue(new Date(warn.fireAt.getTime() + 1000));

    // Nothing in PostgreSQL says the job is lost, so only the queue can bring it back.
    const limit = 27_000;
    const fired = await waitFor(
      () => engine.query<{ level: string }>(`SELECT level FROM escalations WHERE case_id = $1`, [caseId]),
      (r) => r.length > 0,
      { what: 'the warning held by the killed worker', timeoutMs: Math.max(0, crashedAt + limit - Date.now()), intervalMs: 200 },
    );
    expect(fired.map((e) => e.level)).toEqual(['warn']);
    expect(Date.now() - crashedAt).toBeLessThan(limit);
  });
});
