import { Queue } from 'bullmq';
import { DeliveriesReconciler } from '@fr/notifications';
import { jobIdFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { RoutingReconciler } from '@fr/routing';
import { ApiSchema, DEV_KEYS, recordStatements, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * What a Redis wipe during load leaves behind (issue 10): a job hash deleted while in flight and
 * recreated by BullMQ without `name` and `data`, which the worker can only fail ("no handler for job
 * 'undefined'"), or a job hash in no list at all (state "unknown"). The reconcilers must treat both
 * as missing and add the job again from PostgreSQL, not retry it or skip it.
 */
describe('reconcilers replace broken jobs', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
  });
  afterAll(() => engine?.close());

  const queue = (name: QueueName) => new Queue(name, { connection: engine.redis.options, prefix: engine.config.queuePrefix });

  /** Leaves `jobId` as a wipe mid-flight does: failed with its name and data gone, or whole but in no list. */
  async function breakJob(queueName: QueueName, jobId: string, how: 'lost-name-and-data' | 'in-no-list', whole?: { name: string; data: object }) {
    const key = (k: string) => `${engine.config.queuePrefix}:${queueName}:${k}`;
    const r = engine.redis;
    await r.del(key(jobId));
    for (const list of ['wait', 'paused', 'active']) await r.lrem(key(list), 0, jobId);
    for (const set of ['delayed', 'prioritized', 'completed', 'failed']) await r.zrem(key(set), jobId);
    if (how === 'lost-name-and-data') {
      const now = Date.now();
      await r.hset(
        key(jobId),
        'atm',
        '1',
        'ats',
        '1',
        'processedOn',
        String(now),
        'finishedOn',
        String(now),
        'failedReason',
        `no handler for job 'undefined' on queue '${queueName}'`,
      );
      await r.zadd(key('failed'), now, jobId);
    } else {
      await r.hset(
        key(jobId),
        'name',
        whole!.name,
        'data',
        JSON.stringify(whole!.data),
        'opts',
        '{}',
        'timestamp',
        String(Date.now()),
        'delay',
        '0',
        'priority',
        '0',
      );
    }
  }

  async function submit(externalId: string, { published = true } = {}): Promise<string> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ externalId, category: 'sanitation', description: 'Rác thải ùn ứ ở đầu ngõ 40 Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } });
    expect(res.status).toBe(202);
    // As if the relay had published it: the job in Redis is the only record left outside the case row.
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    if (published) await engine.query(`DELETE FROM outbox WHERE payload->>'caseId' = $1`, [id]);
    return id;
  }
  const statusOf = async (id: string) => (await engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]))[0].status;
  const reconcileRouting = () =>
    waitFor(
      () => engine.worker!.get(RoutingReconciler).runOnce(0),
      (n) => n !== null,
      { what: 'a routing reconcile pass' },
    );

  it.each(['lost-name-and-data', 'in-no-list'] as const)('routes a case whose routing job %s', async (how) => {
    const caseId = await submit(`broken-${how}`);
    const jobId = jobIdFor(JobName.RouteCase, { caseId });
    await breakJob(QueueName.Routing, jobId, how, { name: JobName.RouteCase, data: { caseId } });
    await engine.startWorker();

    expect(await reconcileRouting()).toBe(1);
    await waitFor(
      () => statusOf(caseId),
      (s) => s === 'assigned',
      { what: 'the case to be routed' },
    );
    // Nothing is left failing over and over: the next pass finds nothing to do.
    expect(await reconcileRouting()).toBe(0);
    await engine.stopWorker();
  });

  it('fans out a citizen-visible event whose job lost its name and data', async () => {
    const events = queue(QueueName.CaseEvents);
    await events.pause();
    // A subscriber while the case is routed, so its route event is fanned out (nobody would receive it
    // otherwise); disabled before the fan-out runs, so the pass makes no delivery to its unused URL.
    const [hook] = await engine.query<{ id: string }>(
      `INSERT INTO webhooks (url, events, secret) VALUES ('https://example.org/hook', '{case.status}', 'whsec_unused') RETURNING id`,
    );
    const caseId = await submit('broken-fanout', { published: false });
    await engine.startWorker();
    await waitFor(
      () => statusOf(caseId),
      (s) => s === 'assigned',
      { what: 'the case to be routed' },
    );
    const [route] = await engine.query<{ id: string }>(`SELECT id FROM audit_events WHERE case_id = $1 AND action = 'route'`, [caseId]);
    const jobId = jobIdFor(JobName.CaseEvent, { caseId, eventId: String(route.id) });
    await waitFor(
      () => events.getJob(jobId),
      (j) => !!j,
      { what: 'the fan-out job to be published' },
    );
    await engine.query(`UPDATE webhooks SET active = false WHERE id = $1`, [hook.id]);
    await breakJob(QueueName.CaseEvents, jobId, 'lost-name-and-data');
    // The reconciler walks the sealed trail: the event must be sealed (the worker's sealer does it within 100 ms).
    await engine.sealAuditTrail();

    const reconcile = () =>
      waitFor(
        () => engine.worker!.get(DeliveriesReconciler).runOnce(0),
        (r) => r !== null,
        { what: 'a deliveries reconcile pass' },
      );
    expect((await reconcile())!.fanouts).toBe(1);
    await events.resume();
    await waitFor(
      () => engine.query(`SELECT 1 FROM case_event_fanouts WHERE event_id = $1`, [route.id]),
      (rows) => rows.length === 1,
      {
        what: 'the event to be fanned out',
      },
    );
    expect((await reconcile())!.fanouts).toBe(0);
    await events.close();
    await engine.stopWorker();
  });

  it('adds a pending delivery whose job lost its name and data again, with its id', async () => {
    const notifications = queue(QueueName.Notifications);
    await notifications.pause();
    const [{ id }] = await engine.query<{ id: string }>(
      // Created now: the worker's own start-up sweep leaves rows younger than FR_STUCK_AFTER_SECONDS to this test's pass.
      `INSERT INTO deliveries (kind, target, event_key, created_at) VALUES ('webhook', '999999', 'case-event.1', now()) RETURNING id`,
    );
    const payload = { deliveryId: String(id) };
    const jobId = jobIdFor(JobName.Deliver, payload);
    await breakJob(QueueName.Notifications, jobId, 'lost-name-and-data');
    const worker = await engine.startWorker();

    const r = await waitFor(
      () => worker.get(DeliveriesReconciler).runOnce(0),
      (x) => x !== null,
      { what: 'a deliveries reconcile pass' },
    );
    expect(r!.deliveries).toBe(1);
    const job = await worker.get(QueueRegistry).get(QueueName.Notifications).getJob(jobId);
    expect(job?.name).toBe(JobName.Deliver);
    expect(job?.data).toEqual(payload);
    expect(await job!.getState()).not.toBe('failed');
    await job!.remove();
    await engine.query(`UPDATE deliveries SET status = 'failed' WHERE id = $1`, [id]);
    await notifications.resume();
    await notifications.close();
    await engine.stopWorker();
  });

  it('finds an event that lost its fan-out among a long run of events nobody receives, reading only the events waiting for one', async () => {
    const caseId = await submit('fanout-after-burst');
    const events = queue(QueueName.CaseEvents);
    await events.pause();
    const worker = await engine.startWorker();
    const reconcile = () =>
      waitFor(
        () => recordStatements(() => worker.get(DeliveriesReconciler).runOnce(0)),
        (r) => r.result !== null,
        { what: 'a deliveries reconcile pass' },
      );

    // 45,000 sealed `escalate` events (not citizen-visible), as a burst of SLA breaches leaves, then a
    // citizen-visible event whose fan-out never ran (its frozen state is there, its job is not), then
    // 30,000 more. The sweep used to read the trail from a watermark, 20,000 positions a statement: at
    // 200 cases/s it read 20,000 events every 30 s, none of them waiting, for 230 ms in one burst that
    // held the paced intake's slowest percent (the bench, 2026-12-07).
    const burst = (n: number) =>
      engine.query(
        `INSERT INTO audit_events (case_id, actor, action, occurred_at)
         SELECT $1, 'system:sla', 'escalate', now() - interval '1 hour' FROM generate_series(1, $2::int)`,
        [caseId, n],
      );
    await burst(45000);
    const [visible] = await engine.query<{ id: string }>(
      `INSERT INTO audit_events (case_id, actor, action, from_state, to_state, occurred_at)
       VALUES ($1, 'officer:test', 'acknowledge', 'assigned', 'in_progress', now() - interval '1 hour') RETURNING id::text AS id`,
      [caseId],
    );
    await engine.query(`INSERT INTO case_event_states (event_id, status) VALUES ($1, 'in_progress')`, [visible.id]);
    await burst(30000);
    await engine.sealAuditTrail();

    const pass = await reconcile();
    expect(pass.result!.fanouts).toBe(1);
    const job = await events.getJob(jobIdFor(JobName.CaseEvent, { caseId, eventId: visible.id }));
    expect(job?.data).toEqual({ caseId, eventId: visible.id });
    expect(pass.statements.filter((q) => /audit_seals/.test(q))).toEqual([]);
    // Its job in Redis, the next pass leaves it be; fanned out (its state gone), no pass looks at it again.
    expect((await reconcile()).result!.fanouts).toBe(0);
    await job!.remove();
    await engine.query(`DELETE FROM case_event_states WHERE event_id = $1`, [visible.id]);
    expect((await reconcile()).result!.fanouts).toBe(0);
    await events.resume();
    await events.close();
    await engine.stopWorker();
  });
});
