import { Queue } from 'bullmq';
import { jobIdFor, JobName, OutboxRelay, QueueName, QueueRegistry } from '@fr/queue';
import { RoutingReconciler } from '@fr/routing';
import { ApiSchema, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const CITIZEN = { name: 'Phạm Thị Quỳnh Anh', phone: '0904111222', email: 'quynhanh@example.vn' };

describe('no accepted feedback is lost', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    // Routing jobs through the routing queue, as the relay sends those it cannot route itself and the
    // reconciler re-enqueues lost ones (relay-routing.e2e-spec.ts tests the relay's own routing).
    engine = await TestEngine.start({ worker: false, env: { FR_ROUTE_IN_RELAY: 'false' } });
  });
  afterAll(() => engine?.close());

  const submit = async (i: number) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `durable-${i}-${Date.now()}`,
        category: i % 2 ? 'sanitation' : 'public_order',
        description: `Phản ánh số ${i}: rác thải và tiếng ồn kéo dài ở ngõ Quỳnh.`,
        location: { address: 'ngõ 128 Quỳnh Mai, phường Quỳnh Mai' },
        citizen: CITIZEN,
      });
    expect(res.status).toBe(202);
    return (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
  };
  const statusOf = async (ids: string[]) => engine.query<{ id: string; status: string }>(`SELECT id, status FROM cases WHERE id = ANY($1)`, [ids]);
  const allRouted = (rows: { status: string }[]) => rows.every((r) => r.status === 'assigned');

  it('accepts feedback while no worker runs, and routes all of it once a worker starts', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(i)));
    expect((await statusOf(ids)).every((r) => r.status === 'received')).toBe(true);
    // Nothing reached Redis yet: the outbox row, committed with the case, is the only record.
    const pending = await engine.query(`SELECT job_id FROM outbox WHERE payload->>'caseId' = ANY($1)`, [ids]);
    expect(pending).toHaveLength(12);
    expect(await engine.queueKeys()).toEqual([]);

    await engine.startWorker();
    await waitFor(() => statusOf(ids), allRouted, { what: 'every case to be routed' });
    // Routing itself writes outbox rows (case events, SLA timers) that the relay publishes right after.
    await waitFor(
      () => engine.query(`SELECT id FROM outbox`),
      (rows) => rows.length === 0,
      { what: 'the outbox to drain' },
    );
    await engine.stopWorker();
  });

  it('loses nothing when the relay crashes after adding jobs but before clearing the outbox', async () => {
    // The API has committed; the relay added the job to Redis and died before deleting the row.
    const id = await submit(100);
    const queue = new Queue(QueueName.Routing, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    const jobId = jobIdFor(JobName.RouteCase, { caseId: id });
    await queue.add(JobName.RouteCase, { caseId: id }, { jobId });

    await engine.startWorker();
    await waitFor(() => statusOf([id]), allRouted, { what: 'the case to be routed' });
    await waitFor(
      () => engine.query(`SELECT id FROM outbox`),
      (rows) => rows.length === 0,
      { what: 'the outbox to drain' },
    );
    // The re-published job shared the first one's id, so the case was routed once.
    const routes = await engine.query(`SELECT id FROM audit_events WHERE case_id = $1 AND action = 'route'`, [id]);
    expect(routes).toHaveLength(1);
    expect(await engine.query(`SELECT id FROM assignments WHERE case_id = $1`, [id])).toHaveLength(1);
    await queue.close();
    await engine.stopWorker();
  });

  it('keeps outbox rows while Redis refuses jobs, and publishes them later', async () => {
    const id = await submit(200);
    const worker = await engine.startWorker();
    const relay = worker.get(OutboxRelay);
    const registry = worker.get(QueueRegistry);
    const queue = registry.get(QueueName.Routing);
    const [add, addBulk] = [queue.add.bind(queue), queue.addBulk.bind(queue)];
    // A Redis outage as the relay sees it: the add fails (one job or several). The row must survive for the next pass.
    queue.add = () => Promise.reject(new Error('simulated Redis outage'));
    queue.addBulk = () => Promise.reject(new Error('simulated Redis outage'));
    // The relay's own loop may hold the row for a moment (SKIP LOCKED): take the first pass that reached it.
    const outage = await waitFor(
      () =>
        relay.publishBatch().then(
          () => null,
          (e: Error) => e.message,
        ),
      (m) => m !== null,
      { what: 'a relay pass to meet the outage' },
    );
    expect(outage).toBe('simulated Redis outage');
    expect(await engine.query(`SELECT id FROM outbox WHERE payload->>'caseId' = $1`, [id])).toHaveLength(1);
    [queue.add, queue.addBulk] = [add, addBulk];
    await relay.publishBatch();
    await waitFor(() => statusOf([id]), allRouted, { what: 'the case to be routed after the outage' });
    await engine.stopWorker();
  });

  it('keeps a delayed job to its time: the wait in the outbox comes off the delay', async () => {
    // A timer written 20 s ago for 60 s after its write, while no relay ran: 40 s are left.
    const payload = { deliveryId: '999999999' };
    const jobId = jobIdFor(JobName.Deliver, payload);
    const t0 = Date.now();
    await engine.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms, created_at) VALUES ($1, $2, $3, $4, 60000, statement_timestamp() - interval '20 seconds')`,
      [QueueName.Notifications, JobName.Deliver, jobId, JSON.stringify(payload)],
    );
    const worker = await engine.startWorker();
    const queue = worker.get(QueueRegistry).get(QueueName.Notifications);
    const job = await waitFor(
      () => queue.getJob(jobId),
      (j) => !!j,
      { what: 'the relayed job' },
    );
    expect(await job!.getState()).toBe('delayed');
    expect(job!.opts.delay).toBeLessThanOrEqual(40_000);
    // Less, too, by the time the worker took to start and relay it.
    expect(job!.opts.delay).toBeGreaterThan(40_000 - (Date.now() - t0) - 1000);
    await job!.remove();
    await engine.stopWorker();
  });

  it('re-enqueues routing lost with a wiped Redis', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(300 + i)));
    // The relay moves the jobs to Redis while the queue is paused; then Redis loses everything.
    const queue = new Queue(QueueName.Routing, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    await queue.pause();
    await engine.startWorker();
    await waitFor(
      () => engine.query(`SELECT id FROM outbox`),
      (rows) => rows.length === 0,
      { what: 'the relay to publish' },
    );
    await engine.stopWorker();
    await queue.close();
    await engine.flushQueues();
    expect((await statusOf(ids)).every((r) => r.status === 'received')).toBe(true);

    const restarted = await engine.startWorker();
    // The worker's own boot-time sweep may hold the lock for a moment: take the first pass that ran.
    const repaired = await waitFor(
      () => restarted.get(RoutingReconciler).runOnce(0),
      (n) => n !== null,
      { what: 'a reconcile pass' },
    );
    expect(repaired).toBe(5);
    await waitFor(() => statusOf(ids), allRouted, { what: 'lost cases to be routed after the reconcile' });
    // A second pass finds nothing left to repair.
    expect(
      await waitFor(
        () => restarted.get(RoutingReconciler).runOnce(0),
        (n) => n !== null,
      ),
    ).toBe(0);
  });

  it('never puts personal data in a job payload', async () => {
    await engine.stopWorker();
    const ids = await Promise.all(Array.from({ length: 3 }, (_, i) => submit(400 + i)));
    // Publish without processing, so the jobs sit in Redis to be read.
    const worker = await engine.startWorker();
    const queue = worker.get(QueueRegistry).get(QueueName.Routing);
    await queue.pause();
    await worker.get(OutboxRelay).publishBatch();
    const keys = await engine.queueKeys();
    const jobKeys = keys.filter((k) => /:routing:route-case\.[^:]+$/.test(k));
    expect(jobKeys.length).toBeGreaterThanOrEqual(3);
    let payloads = '';
    for (const k of jobKeys) {
      if ((await engine.redis.type(k)) === 'hash') payloads += JSON.stringify(await engine.redis.hgetall(k));
    }
    for (const id of ids) expect(payloads).toContain(id);
    for (const secret of [CITIZEN.name, CITIZEN.phone, CITIZEN.email, 'Phản ánh số']) expect(payloads).not.toContain(secret);
    await queue.resume();
    await waitFor(() => statusOf(ids), allRouted, { what: 'the paused cases to be routed' });
  });

  it('runs FR_WORKER_CONCURRENCY jobs at once on every queue, FR_SLA_TIMER_CONCURRENCY on SLA timers, FR_ROUTING_CONCURRENCY on routing', async () => {
    const worker = await engine.startWorker();
    const { RoutingProcessor } = await import('../apps/worker/src/processors/routing.processor');
    const { SlaTimerProcessor } = await import('../apps/worker/src/processors/sla-timer.processor');
    const { CaseEventsProcessor } = await import('../apps/worker/src/processors/case-events.processor');
    const { DeliveriesProcessor } = await import('../apps/worker/src/processors/deliveries.processor');
    for (const p of [CaseEventsProcessor, DeliveriesProcessor]) {
      expect(worker.get<{ worker: { concurrency: number } }>(p).worker.concurrency).toBe(engine.config.workerConcurrency);
    }
    expect(worker.get<{ worker: { concurrency: number } }>(SlaTimerProcessor).worker.concurrency).toBe(engine.config.slaTimerConcurrency);
    expect(worker.get<{ worker: { concurrency: number } }>(RoutingProcessor).worker.concurrency).toBe(engine.config.routingConcurrency);
  });
});
