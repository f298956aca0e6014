import { writeOutbox } from '@fr/persistence';
import { jobIdFor, JobName, OutboxRelay, QueueName, QueueRegistry } from '@fr/queue';
import { RouteCase } from '@fr/routing';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { ApiSchema, DEV_KEYS, recordStatements, statementSummary, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * The outbox relay routes the cases whose routing job it takes, in its own transaction (the job's row
 * deleted and the case routed in one commit); what it cannot route goes to the routing queue.
 */
describe('routing in the outbox relay', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
  });
  afterAll(() => engine?.close());

  let n = 0;
  const submit = async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `relay-routing-${++n}-${Date.now()}`,
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè trước số 12 phố Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Thị Hoà', phone: '0912345678' },
      });
    expect(res.status).toBe(202);
    return (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
  };
  const statuses = (ids: string[]) => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = ANY($1)`, [ids]);
  const routed = (rows: { status: string }[], count: number) => rows.length === count && rows.every((r) => r.status === 'assigned');
  const once = async (ids: string[]) => {
    const [r] = await engine.query<{ routes: number; assignments: number }>(
      `SELECT (SELECT count(*) FROM audit_events WHERE case_id = ANY($1) AND action = 'route')::int AS routes,
              (SELECT count(*) FROM assignments WHERE case_id = ANY($1))::int AS assignments`,
      [ids],
    );
    expect(r).toEqual({ routes: ids.length, assignments: ids.length });
  };
  const routingJobKeys = async () => (await engine.queueKeys()).filter((k) => /:routing:route-case\./.test(k));
  /** A delivery job of another queue, an hour away, waiting in the outbox beside the routing jobs; its jobId. */
  const deliveryInOutbox = async (deliveryId: string) => {
    const payload = { deliveryId };
    const jobId = jobIdFor(JobName.Deliver, payload);
    await writeOutbox(engine.api.get(DataSource).manager, { queue: QueueName.Notifications, name: JobName.Deliver, jobId, payload, delayMs: 3600000 });
    return jobId;
  };
  /**
   * A worker whose relay runs one pass at a time: the tests of what a failed pass undoes need all the
   * waiting rows in one pass, which two lanes starting together could split between them.
   */
  const startOneLaneWorker = async () => {
    const config = engine.config as { relayLanes: number };
    const lanes = config.relayLanes;
    config.relayLanes = 1;
    try {
      return await engine.startWorker();
    } finally {
      config.relayLanes = lanes;
    }
  };
  /** Routing in the relay does its writes, then fails; the routing queue's path (executeMany) is not touched. */
  const failRoutingInRelay = () => {
    const real = RouteCase.prototype.executeManyIn;
    const failed = { count: 0 };
    const spy = jest.spyOn(RouteCase.prototype, 'executeManyIn').mockImplementation(async function (this: RouteCase, m, caseIds) {
      await real.call(this, m, caseIds);
      failed.count++;
      throw new Error('simulated failure after the writes');
    });
    return { spy, failed };
  };

  it('routes each case once, and no routing job goes through Redis', async () => {
    const ids = await Promise.all(Array.from({ length: 15 }, () => submit()));
    await engine.startWorker();
    try {
      await waitFor(
        () => statuses(ids),
        (rows) => routed(rows, 15),
        { what: 'the relay to route every case' },
      );
      await once(ids);
      expect(await routingJobKeys()).toEqual([]);
      expect(await engine.query(`SELECT id FROM outbox WHERE job_name = 'route-case' AND payload->>'caseId' = ANY($1)`, [ids])).toEqual([]);
    } finally {
      await engine.stopWorker();
    }
  });

  it('a pass held up does not hold up the next case: the relay runs passes side by side (FR_RELAY_LANES)', async () => {
    const held = await submit();
    // A handler's transaction holds the first case, so the pass that takes its routing waits on it.
    const holder = engine.api.get(DataSource).createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [held]);
      await engine.startWorker();
      await waitFor(
        () => engine.query(`SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`),
        (rows) => rows.length > 0,
        { what: 'a relay pass to wait for the held case' },
      );
      const next = await submit();
      await waitFor(
        () => statuses([next]),
        (rows) => routed(rows, 1),
        { what: 'the next case to be routed beside the held one' },
      );
      expect(await statuses([held])).toEqual([{ status: 'received' }]);
      await holder.commitTransaction();
      await waitFor(
        () => statuses([held]),
        (rows) => routed(rows, 1),
        { what: 'the held case to be routed once let go' },
      );
      await once([held, next]);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
      await engine.stopWorker();
    }
  });

  it('a pass takes its rows in the statement that begins its transaction: BEGIN and the take are one round trip', async () => {
    const worker = await engine.startWorker();
    const relay = worker.get(OutboxRelay);
    // Its loop stops, so that the passes counted here are the only ones.
    await relay.onApplicationShutdown();
    try {
      // One case routed first: the routing table (areas and rules) and the unit are read once and kept, as in steady operation.
      await submit();
      while ((await relay.publishBatch()) > 0);
      const id = await submit();
      const { result, statements } = await recordStatements(() => relay.publishBatch());
      expect(result).toBe(1);
      expect(statements.map(statementSummary)).toEqual([
        expect.stringMatching(/^BEGIN; DELETE FROM outbox .* FOR UPDATE SKIP LOCKED$/),
        expect.stringMatching(/^SELECT \* FROM routing_cases\(/),
        // The unit is kept from the first case: the write checks it.
        expect.stringMatching(/^SELECT \* FROM write_routing_pass\(/),
        'COMMIT',
      ]);
      expect(await statuses([id])).toEqual([{ status: 'assigned' }]);
      await once([id]);
      // The pass's commit wrote the case's timer: the next pass sends it to Redis.
      expect(await relay.publishBatch()).toBe(1);
      expect(await engine.query(`SELECT id FROM outbox`)).toEqual([]);
    } finally {
      await engine.stopWorker();
    }
  });

  it('a routing that fails in the relay leaves no trace there, and the routing queue routes the case', async () => {
    const worker = await engine.startWorker();
    try {
      // The relay's routing writes everything, then fails: undoing the pass must undo all of it.
      const { spy } = failRoutingInRelay();
      // Received only now, so that no relay pass reached them before the failure was in place.
      const ids = await Promise.all(Array.from({ length: 3 }, () => submit()));
      await waitFor(
        () => statuses(ids),
        (rows) => routed(rows, 3),
        { what: 'the routing queue to route the cases' },
      );
      expect(spy).toHaveBeenCalled();
      spy.mockRestore();
      await once(ids);
      // They went through the queue: their jobs are there, completed.
      const queue = worker.get(QueueRegistry).get(QueueName.Routing);
      const states = await Promise.all(ids.map(async (id) => (await queue.getJob(`route-case.${id}`))?.getState()));
      expect(states).toEqual(['completed', 'completed', 'completed']);
    } finally {
      await engine.stopWorker();
    }
  });

  it('routes while Redis refuses jobs: the rows it routes need no queue', async () => {
    const worker = await engine.startWorker();
    const registry = worker.get(QueueRegistry);
    const queues = registry.all();
    const adds = queues.map((q) => [q.add.bind(q), q.addBulk.bind(q)] as const);
    for (const q of queues) {
      q.add = () => Promise.reject(new Error('simulated Redis outage'));
      q.addBulk = () => Promise.reject(new Error('simulated Redis outage'));
    }
    let ids: string[] = [];
    try {
      ids = [await submit()];
      await waitFor(
        () => statuses(ids),
        (rows) => routed(rows, 1),
        { what: 'the relay to route during the outage' },
      );
      // Its SLA timer now waits in the outbox: every later pass meets a row that needs Redis beside the
      // routing jobs, and Redis refuses the batch; the routing jobs are still done.
      expect(await engine.query(`SELECT id FROM outbox WHERE job_name = 'sla-timer' AND payload->>'caseId' = $1`, [ids[0]])).not.toEqual([]);
      ids.push(...(await Promise.all(Array.from({ length: 3 }, () => submit()))));
      await waitFor(
        () => statuses(ids),
        (rows) => routed(rows, 4),
        { what: 'the relay to route beside rows that wait for Redis' },
      );
      await once(ids);
      // Routing's own jobs (the SLA timers) wait in the outbox until Redis is back.
      const timers = await engine.query(`SELECT id FROM outbox WHERE job_name = 'sla-timer' AND payload->>'caseId' = ANY($1)`, [ids]);
      expect(timers.length).toBeGreaterThanOrEqual(4);
    } finally {
      queues.forEach((q, i) => ([q.add, q.addBulk] = adds[i]));
    }
    await worker.get(OutboxRelay).publishBatch();
    await waitFor(
      () => engine.query(`SELECT id FROM outbox`),
      (rows) => rows.length === 0,
      { what: 'the outbox to drain once Redis is back' },
    );
    await engine.stopWorker();
  });
  it('a routing that fails undoes its whole pass, and the second pass sends every row of it on', async () => {
    // With no worker running, two routing jobs and a job of another queue wait in the outbox: the
    // relay's first pass takes the three together.
    const ids = await Promise.all([submit(), submit()]);
    const jobId = await deliveryInOutbox('999999998');
    // Before the worker starts, so that its first pass meets the failure.
    const { spy, failed } = failRoutingInRelay();
    const worker = await startOneLaneWorker();
    try {
      await waitFor(
        () => statuses(ids),
        (rows) => routed(rows, 2),
        { what: 'the routing queue to route the cases' },
      );
      // One failed pass: the second took the same rows by id and routed none of them itself.
      expect(failed.count).toBe(1);
      await once(ids);
      // The other queue's job went on with them, with its delay.
      const job = await worker.get(QueueRegistry).get(QueueName.Notifications).getJob(jobId);
      expect(await job?.getState()).toBe('delayed');
      await job?.remove();
      expect(await engine.query(`SELECT id FROM outbox WHERE job_id = ANY($1)`, [[jobId, ...ids.map((id) => `route-case.${id}`)]])).toEqual([]);
    } finally {
      spy.mockRestore();
      await engine.stopWorker();
    }
  });
  it('a routing that fails is undone at once, without waiting for a Redis that does not answer', async () => {
    const ids = await Promise.all([submit(), submit()]);
    // Beside them, a row for another queue, whose add the first pass starts before the routing fails.
    await deliveryInOutbox('999999997');
    // Before the worker starts, so that its first pass meets both: the routing fails, and Redis takes
    // jobs and never answers (the relay gives up on it only after its 10 s timeout).
    const { spy } = failRoutingInRelay();
    const hung: string[][] = [];
    // Redis fails them at last once the test has looked (finally, below): left pending, the worker's stop
    // waited for the relay's 10 s timeout on them, most of this file's time.
    const failHung: ((e: Error) => void)[] = [];
    const hang = jest.spyOn(Queue.prototype, 'addBulk').mockImplementation((jobs: { name: string }[]) => {
      hung.push(jobs.map((j) => j.name));
      return new Promise((_, reject) => failHung.push(reject));
    });
    // One job at a time goes by add.
    const hangOne = jest.spyOn(Queue.prototype, 'add').mockImplementation((name: string) => {
      hung.push([name]);
      return new Promise((_, reject) => failHung.push(reject));
    });
    await startOneLaneWorker();
    try {
      // The failed pass is undone and its retry sends the routing jobs to the (hung) queue, well before
      // the first pass's add could time out: the failure did not wait for Redis, holding the cases.
      await waitFor(
        async () => hung,
        (calls) => calls.some((names) => names.includes(JobName.RouteCase)),
        { what: 'the retry pass to send the routing jobs on', timeoutMs: 5000 },
      );
      // The first pass had started the other row's add before the routing failed.
      expect(hung[0]).toEqual([JobName.Deliver]);
      // Nothing holds the cases meanwhile (NOWAIT fails at once on a held row).
      expect(await engine.query(`SELECT id FROM cases WHERE id = ANY($1) FOR UPDATE NOWAIT`, [ids])).toHaveLength(2);
    } finally {
      spy.mockRestore();
      hang.mockRestore();
      hangOne.mockRestore();
      // The adds fail (a Redis that comes back refusing them): the passes waiting on them end, and their rows stay for the next.
      for (const fail of failHung) fail(new Error('simulated: Redis refused the jobs'));
      await engine.stopWorker();
    }
  });
});

/** The follow-up is long here, so that a routing's rows are seen to wait for the next pass on a slow machine too. */
describe("a routing's own rows in the outbox relay", () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_RELAY_FOLLOW_UP_MS: '2000', FR_RELAY_LANES: '1' } });
  });
  afterAll(() => engine?.close());

  it('go with the next pass instead of one of their own, and alone after the follow-up', async () => {
    const worker = await engine.startWorker();
    const passes = jest.spyOn(worker.get(OutboxRelay), 'publishBatch');
    const statuses = (ids: string[]) => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = ANY($1)`, [ids]);
    try {
      // Cases one at a time, each routed before the next arrives: its routing wrote its SLA timer,
      // which rides with the next case's pass.
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({
            externalId: `relay-follow-up-${i}-${Date.now()}`,
            category: 'sidewalk_encroachment',
            description: 'Quán nước lấn chiếm vỉa hè trước số 12 phố Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
            location: { wardCode: 'BACH_KHOA' },
          });
        expect(res.status).toBe(202);
        ids.push((res.body as ApiSchema<'FeedbackAcceptedDto'>).id);
        await waitFor(
          () => statuses(ids.slice(-1)),
          (rows) => rows[0]?.status === 'assigned',
          { what: `case ${i} to be routed` },
        );
      }
      // The last timer has no case to ride with: a pass of its own takes it after the follow-up.
      await waitFor(
        () => engine.query(`SELECT id FROM outbox`),
        (rows) => rows.length === 0,
        { what: 'the last timer to leave the outbox' },
      );
      const keys = await engine.queueKeys();
      expect(ids.filter((id) => !keys.some((k) => k.includes(`:sla-timer.${id}.`)))).toEqual([]);
      // One pass a case and one for the last timer (a lull of over a second, the relay's poll, may add one
      // or two); announced at its routing's commit, each timer had a pass of its own: 20.
      const moved = (await Promise.all(passes.mock.results.map((r) => r.value as Promise<number>))).filter((n) => n > 0);
      expect(moved.length).toBeGreaterThanOrEqual(11);
      expect(moved.length).toBeLessThanOrEqual(13);
    } finally {
      passes.mockRestore();
      await engine.stopWorker();
    }
  });
});
