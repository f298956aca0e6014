import { Queue } from 'bullmq';
import { jobIdFor, JobName, QueueName } from '@fr/queue';
import { TestEngine, waitFor } from '@fr/testing';

/**
 * Rows whose job Redis lost (a wipe, an outage), each put back by one sweep with a few Redis round trips:
 * a worker stopped in the middle of such a sweep waited for the whole of it inside the stop (the SLA
 * sweep's case: test/stop-under-sla-backlog.e2e-spec.ts). Enough for a sweep that ran to its end to be told
 * from one cut short after the row in hand (without the stop signal every one of the 1,000 was back when
 * the stop returned; with it about 60), few enough to keep the file fast.
 */
const BACKLOG = 1000;
/** Units that missed a compliance target, two levels each to record and tell. */
const UNITS = 300;
/** The stop is asked for once the sweep has put back this many jobs. */
const UNDER_WAY = 50;

/**
 * A worker stopped (app.close(), as SIGTERM does) in the middle of a long sweep ends it after the row or
 * batch in hand. The routing and deliveries sweeps put back lost jobs: what they left is still in
 * PostgreSQL without a job, and the next start's sweep puts it back, each job once (its id is the row's).
 * The compliance sweep records and tells due levels: what it left is unrecorded, and none it recorded is
 * left untold.
 */
describe('a worker stopped in the middle of a long sweep', () => {
  let engine: TestEngine;
  const queues: Queue[] = [];

  beforeAll(async () => {
    // One tick at the worker's start and none after within the test; no routing by the relay.
    engine = await TestEngine.start({ worker: false, env: { FR_ROUTE_IN_RELAY: 'false', FR_RECONCILE_INTERVAL_MS: '3600000' } });
  });
  afterAll(async () => {
    await engine?.stopWorker();
    for (const q of queues) await q.close();
    await engine?.close();
  });

  /** The queue, paused: the jobs the sweep puts back stay there to be counted, none runs (the engine's close removes them). */
  const paused = async (name: QueueName) => {
    const q = new Queue(name, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    queues.push(q);
    await q.pause();
    return q;
  };
  /** Stopped once the sweep is under way; how many jobs it had put back when the stop returned. */
  const stopMidSweep = async (q: Queue) => {
    await engine.startWorker();
    await waitFor(
      () => q.count(),
      (n) => n >= UNDER_WAY,
      { timeoutMs: 60_000, intervalMs: 10, what: `the sweep's first ${UNDER_WAY} jobs` },
    );
    await engine.stopWorker();
    return q.count();
  };

  it('routing: the sweep ends after the case in hand, and the next start puts back the rest', async () => {
    const routing = await paused(QueueName.Routing);
    // Received ten minutes ago (past FR_STUCK_AFTER_SECONDS), no outbox row, no job: routing lost with Redis.
    await engine.query(
      `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, submitted_at, received_at)
       SELECT 'SW' || lpad(g::text, 9, '0'), 'ihanoi', 'sanitation', 'Phản ánh thử dừng máy giữa lúc quét', 'received',
              now() - interval '10 minutes', now() - interval '10 minutes'
         FROM generate_series(1, $1::int) g`,
      [BACKLOG],
    );

    const atExit = await stopMidSweep(routing);
    // A stop that waited for the sweep found every job back by the time it returned.
    expect(atExit).toBeLessThan(BACKLOG);

    await engine.startWorker();
    await waitFor(
      () => routing.count(),
      (n) => n >= BACKLOG,
      { timeoutMs: 60_000, what: 'the next start to put back the routing of every case left' },
    );
    const ids = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE tracking_code LIKE 'SW%' AND status = 'received'`);
    const jobs = await Promise.all(ids.map(({ id }) => routing.getJob(jobIdFor(JobName.RouteCase, { caseId: id }))));
    expect({ cases: ids.length, withJob: jobs.filter(Boolean).length, queued: await routing.count() }).toEqual({
      cases: BACKLOG,
      withJob: BACKLOG,
      queued: BACKLOG,
    });
    await engine.stopWorker();
    // Routed, as far as the file's later sweeps can tell: they would otherwise look each case's job up again.
    await engine.query(`UPDATE cases SET status = 'assigned' WHERE tracking_code LIKE 'SW%'`);
  }, 120_000);

  it('deliveries: the sweep ends after the delivery in hand, and the next start puts back the rest', async () => {
    const notifications = await paused(QueueName.Notifications);
    // Pending ten minutes, no outbox row, no job: deliveries lost with Redis.
    await engine.query(
      `INSERT INTO deliveries (kind, target, event_key, created_at)
       SELECT 'channel', 'ihanoi', 'case-event.sweep-' || g, now() - interval '10 minutes' FROM generate_series(1, $1::int) g`,
      [BACKLOG],
    );

    const atExit = await stopMidSweep(notifications);
    expect(atExit).toBeLessThan(BACKLOG);

    await engine.startWorker();
    await waitFor(
      () => notifications.count(),
      (n) => n >= BACKLOG,
      { timeoutMs: 60_000, what: 'the next start to put back the job of every delivery left' },
    );
    const ids = await engine.query<{ id: string }>(`SELECT id::text AS id FROM deliveries WHERE event_key LIKE 'case-event.sweep-%' AND status = 'pending'`);
    const jobs = await Promise.all(ids.map(({ id }) => notifications.getJob(jobIdFor(JobName.Deliver, { deliveryId: id }))));
    expect({ deliveries: ids.length, withJob: jobs.filter(Boolean).length, queued: await notifications.count() }).toEqual({
      deliveries: BACKLOG,
      withJob: BACKLOG,
      queued: BACKLOG,
    });
    await engine.stopWorker();
    await engine.query(`DELETE FROM deliveries WHERE event_key LIKE 'case-event.sweep-%'`);
  }, 120_000);

  it('fan-outs: the deliveries sweep ends after the event in hand, and the next start puts back the rest', async () => {
    const events = await paused(QueueName.CaseEvents);
    // Citizen-visible events ten minutes old, each waiting for its fan-out (its frozen state there, no
    // fan-out row, no outbox row, no job): fan-outs lost with Redis.
    const [{ id: caseId }] = await engine.query<{ id: string }>(
      `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, submitted_at, received_at)
       VALUES ('SF000000001', 'ihanoi', 'sanitation', 'Phản ánh thử dừng máy giữa lúc quét', 'assigned', now() - interval '1 hour', now() - interval '1 hour')
       RETURNING id::text AS id`,
    );
    await engine.query(
      `WITH e AS (
         INSERT INTO audit_events (case_id, actor, action, from_state, to_state, occurred_at)
         SELECT $1, 'officer:test', 'acknowledge', 'assigned', 'in_progress', now() - interval '10 minutes' FROM generate_series(1, $2::int)
         RETURNING id)
       INSERT INTO case_event_states (event_id, status) SELECT id, 'in_progress' FROM e`,
      [caseId, BACKLOG],
    );

    const atExit = await stopMidSweep(events);
    expect(atExit).toBeLessThan(BACKLOG);

    await engine.startWorker();
    await waitFor(
      () => events.count(),
      (n) => n >= BACKLOG,
      { timeoutMs: 60_000, what: 'the next start to put back the fan-out of every event left' },
    );
    const ids = await engine.query<{ id: string }>(
      `SELECT st.event_id::text AS id FROM case_event_states st JOIN audit_events a ON a.id = st.event_id WHERE a.case_id = $1`,
      [caseId],
    );
    const jobs = await Promise.all(ids.map(({ id }) => events.getJob(jobIdFor(JobName.CaseEvent, { caseId, eventId: id }))));
    expect({ events: ids.length, withJob: jobs.filter(Boolean).length, queued: await events.count() }).toEqual({
      events: BACKLOG,
      withJob: BACKLOG,
      queued: BACKLOG,
    });
    await engine.stopWorker();
    // Fanned out, as far as the file's later sweeps can tell.
    await engine.query(`DELETE FROM case_event_states WHERE event_id = ANY($1::bigint[])`, [ids.map((r) => r.id)]);
  }, 120_000);

  it('compliance alerts: the sweep ends after the batch in hand, every level it recorded told, and the next start tells the rest once', async () => {
    // Units that missed a focal-point deadline months ago with nobody designated: both levels of the ladder
    // are due for each. Recorded and told in one transaction, the sweep's whole pass ran inside the stop.
    await engine.query(
      `INSERT INTO units (code, name, kind) SELECT 'SWU' || lpad(g::text, 4, '0'), 'Phường thử ' || g, 'ward' FROM generate_series(1, $1::int) g`,
      [UNITS],
    );
    await engine.query(
      `INSERT INTO compliance_targets (id, kind, name, due_at, unit_codes, active, created_by)
       SELECT 'sweep-focal', 'designation', 'Cử đầu mối', now() - interval '60 days', array_agg(code), true, 'test' FROM units WHERE code LIKE 'SWU%'`,
    );
    const levels = UNITS * 2;
    const alerts = async () =>
      (
        await engine.query<{ n: number; untold: number; twice: number }>(
          `SELECT count(*)::int AS n,
                  count(*) FILTER (WHERE told.n = 0)::int AS untold,
                  count(*) FILTER (WHERE told.n > 1)::int AS twice
             FROM compliance_alerts a,
                  LATERAL (SELECT count(*) AS n FROM audit_events e WHERE e.action = 'compliance_alert' AND e.data->>'alertId' = a.id::text) told
            WHERE a.target_id = 'sweep-focal'`,
        )
      )[0];

    await engine.startWorker();
    await waitFor(alerts, (a) => a.n > 0, { timeoutMs: 60_000, intervalMs: 10, what: 'the first compliance alerts' });
    await engine.stopWorker();
    const atExit = await alerts();
    // Cut short, and nothing recorded without being told: a level recorded is never told by a later pass.
    expect({ cutShort: atExit.n < levels, untold: atExit.untold, twice: atExit.twice }).toEqual({ cutShort: true, untold: 0, twice: 0 });

    await engine.startWorker();
    await waitFor(alerts, (a) => a.n >= levels, { timeoutMs: 60_000, what: 'the next start to tell every level left' });
    await engine.stopWorker();
    expect(await alerts()).toEqual({ n: levels, untold: 0, twice: 0 });
    await engine.query(`UPDATE compliance_targets SET active = false WHERE id = 'sweep-focal'`);
  }, 120_000);
});
