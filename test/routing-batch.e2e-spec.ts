import { DataSource } from 'typeorm';
import { withRequestId } from '@fr/config';
import { caseEventMessage, jobIdFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { RouteCase } from '@fr/routing';
import { Clock, SlaService } from '@fr/sla';
import { DEV_KEYS, recordStatements, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

describe(`${RouteCase.name} in batches`, () => {
  let engine: TestEngine;
  /** Outside any worker, so no job races the calls made here. */
  let sut: RouteCase;
  let n = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    sut = new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.config);
  });
  afterAll(() => engine?.close());

  async function submit(over: Record<string, unknown> = {}): Promise<string> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `batch-${++n}`,
        category: n % 3 === 0 ? 'other' : 'sidewalk_encroachment',
        description: `Phản ánh số ${n}: bàn ghế kín vỉa hè trước số 25 Tạ Quang Bửu.`,
        location: { wardCode: 'BACH_KHOA' },
        ...over,
      });
    expect(res.status).toBe(202);
    return (res.body as FeedbackAcceptedDto).id;
  }
  /** Cases submitted while no worker runs, their outbox rows removed: only the test routes them. */
  async function unqueued(count: number): Promise<string[]> {
    const ids = await Promise.all(Array.from({ length: count }, () => submit()));
    await engine.query(`DELETE FROM outbox WHERE payload->>'caseId' = ANY($1)`, [ids]);
    return ids;
  }
  const statusOf = (ids: string[]) => engine.query<{ id: string; status: string }>(`SELECT id, status FROM cases WHERE id = ANY($1)`, [ids]);
  const routed = (rows: { status: string }[]) => rows.every((r) => r.status === 'assigned' || r.status === 'triage');

  /** Each case has one receive and one routing event, one assignment, and its case event and timers queued or sent. */
  async function expectRoutedOnce(ids: string[]) {
    const rows = await engine.query<{ id: string; receive: number; route: number; assignments: number }>(
      `SELECT c.id,
              (SELECT count(*) FROM audit_events e WHERE e.case_id = c.id AND e.action = 'receive')::int AS receive,
              (SELECT count(*) FROM audit_events e WHERE e.case_id = c.id AND e.action IN ('route', 'route_to_triage'))::int AS route,
              (SELECT count(*) FROM assignments a WHERE a.case_id = c.id)::int AS assignments
         FROM cases c WHERE c.id = ANY($1)`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    for (const r of rows) expect(r).toEqual({ id: r.id, receive: 1, route: 1, assignments: 1 });
  }

  /** Until one routing batch waits for a unit row's lock. */
  const routingWaitsForUnit = () =>
    waitFor(
      () =>
        engine.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND (query LIKE '%routing_units(%' OR query LIKE '%write_routing_pass(%')`,
        ),
      (rows) => rows.length === 1,
      { what: 'the routing batch to wait for the unit row' },
    );

  /** A subscriber to case.status while `during` runs: no worker delivers to it, and it is disabled afterwards. */
  async function subscribed<T>(during: () => Promise<T>): Promise<T> {
    const [hook] = await engine.query<{ id: string }>(
      `INSERT INTO webhooks (url, events, secret) VALUES ('https://example.org/hook', '{case.status}', 'whsec_unused') RETURNING id`,
    );
    try {
      return await during();
    } finally {
      await engine.query(`UPDATE webhooks SET active = false WHERE id = $1`, [hook.id]);
    }
  }

  it('routes many cases in one transaction, each with its own decision, audit event, case event and timers', async () => {
    const ids = await unqueued(12);
    // On behalf of a request, as the relay routes: the fan-outs carry its id.
    const requestId = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
    const results = await subscribed(() => withRequestId(requestId, () => sut.executeMany(ids)));
    expect(results.map((r) => [r.caseId, r.changed])).toEqual(ids.map((id) => [id, true]));

    const cases = await engine.query<{ id: string; status: string; unit_code: string; triage_reason: string | null; routed_at: Date }>(
      `SELECT id, status, unit_code, triage_reason, routed_at FROM cases WHERE id = ANY($1)`,
      [ids],
    );
    // now() is the transaction's start: one value for all means one transaction.
    expect(new Set(cases.map((c) => c.routed_at.getTime())).size).toBe(1);
    const byId = new Map(cases.map((c) => [c.id, c]));
    ids.forEach((id, i) => {
      const r = results[i];
      expect(byId.get(id)).toMatchObject(
        r.decision?.kind === 'assign'
          ? { status: 'assigned', unit_code: 'P_BACH_KHOA', triage_reason: null }
          : { status: 'triage', unit_code: 'VP', triage_reason: 'no_matching_rule' },
      );
    });
    expect(results.filter((r) => r.decision?.kind === 'triage')).toHaveLength(4);
    await expectRoutedOnce(ids);

    const outbox = await engine.query<{ job_name: string; n: number }>(
      `SELECT job_name, count(*)::int AS n FROM outbox WHERE payload->>'caseId' = ANY($1) GROUP BY 1 ORDER BY 1`,
      [ids],
    );
    // One case event per case, and the next timer of the receive stage's ladder (warn; each firing chains the next).
    expect(outbox).toEqual([
      { job_name: 'case-event', n: 12 },
      { job_name: 'sla-timer', n: 12 },
    ]);
    const timers = await engine.query<{ level: string }>(
      `SELECT DISTINCT payload->>'level' AS level FROM outbox WHERE job_name = 'sla-timer' AND payload->>'caseId' = ANY($1)`,
      [ids],
    );
    expect(timers).toEqual([{ level: 'warn' }]);
    const events = await engine.query<{ id: string; case_id: string }>(
      `SELECT id::text, case_id FROM audit_events WHERE case_id = ANY($1) AND action IN ('route', 'route_to_triage')`,
      [ids],
    );
    const announced = await engine.query<{ event_id: string; case_id: string }>(
      `SELECT payload->>'eventId' AS event_id, payload->>'caseId' AS case_id FROM outbox WHERE job_name = 'case-event' AND payload->>'caseId' = ANY($1)`,
      [ids],
    );
    expect(announced.map((a) => `${a.case_id}/${a.event_id}`).sort()).toEqual(events.map((e) => `${e.case_id}/${e.id}`).sort());
    // Named in SQL (write_routing_pass) exactly as caseEventMessage names a fan-out, with the request's id.
    const rows = await engine.query<{ queue: string; job_id: string; payload: Record<string, string> }>(
      `SELECT queue, job_id, payload FROM outbox WHERE job_name = 'case-event' AND payload->>'caseId' = ANY($1)`,
      [ids],
    );
    for (const r of rows) {
      const made = caseEventMessage(r.payload.caseId, r.payload.eventId);
      expect(r).toEqual({ queue: made.queue, job_id: made.jobId, payload: { ...made.payload, requestId } });
    }
  });

  it("links a batch's likely duplicates: to an original outside the batch found as the cases are locked, to one inside it by a search after the write", async () => {
    const lamp = { lat: 21.0046, lng: 105.8436 };
    const away = { lat: lamp.lat + 0.01, lng: lamp.lng };
    const at = (point: { lat: number; lng: number }) => ({
      category: 'roads_lighting',
      description: 'Đèn đường phố Tạ Quang Bửu tắt cả tuần nay.',
      location: { ...point, wardCode: 'BACH_KHOA' },
    });
    const older = await submit(at(lamp));
    await sut.execute(older);
    // Each in turn, so that they are received in this order.
    const batch: string[] = [];
    for (const point of [lamp, away, away]) batch.push(await submit(at(point)));
    await engine.query(`DELETE FROM outbox WHERE payload->>'caseId' = ANY($1)`, [batch]);
    const { statements } = await recordStatements(() => sut.executeMany(batch));
    const linked = await engine.query<{ id: string; duplicate_of: string | null }>(`SELECT id, duplicate_of FROM cases WHERE id = ANY($1)`, [batch]);
    const originalOf = new Map(linked.map((c) => [c.id, c.duplicate_of]));
    // The first report at the lamp joins the older one; of the two 1.1 km away, the later joins the earlier.
    expect(batch.map((id) => originalOf.get(id))).toEqual([older, null, batch[1]]);
    // Only the last case's original was in the batch: its search is the one made after the write.
    expect(statements.filter((q) => q.includes('ORDER BY received_at, distance_m NULLS LAST'))).toHaveLength(1);
    await expectRoutedOnce([older, ...batch]);
  });

  it('writes no fan-out for the case events of a batch when nobody can receive them', async () => {
    const ids = await unqueued(6);
    const results = await sut.executeMany(ids);
    expect(results.every((r) => r.changed)).toBe(true);
    await expectRoutedOnce(ids);
    const outbox = await engine.query<{ job_name: string; n: number }>(
      `SELECT job_name, count(*)::int AS n FROM outbox WHERE payload->>'caseId' = ANY($1) GROUP BY 1 ORDER BY 1`,
      [ids],
    );
    // The timers only: no case-event job, and no state frozen for one.
    expect(outbox).toEqual([{ job_name: 'sla-timer', n: 6 }]);
    const frozen = await engine.query(`SELECT f.event_id FROM case_event_states f JOIN audit_events e ON e.id = f.event_id WHERE e.case_id = ANY($1)`, [ids]);
    expect(frozen).toEqual([]);
  });

  it('routing again, in a batch with repeats and unknown ids, changes nothing', async () => {
    const ids = await unqueued(3);
    await sut.executeMany(ids);
    const before = await engine.query(`SELECT * FROM cases WHERE id = ANY($1) ORDER BY id`, [ids]);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const again = await sut.executeMany([ids[0], ids[0].toUpperCase(), unknown, ids[1], ids[2]]);
    expect(again.map((r) => r.changed)).toEqual([false, false, false, false, false]);
    expect(again.map((r) => r.caseId)).toEqual([ids[0], ids[0].toUpperCase(), unknown, ids[1], ids[2]]);
    expect(await engine.query(`SELECT * FROM cases WHERE id = ANY($1) ORDER BY id`, [ids])).toEqual(before);
    await expectRoutedOnce(ids);
  });

  it('sees a designation change at once: a batch waits for the unit and routes on the new designees', async () => {
    const [id] = await unqueued(1);
    const [unit] = await engine.query<{ handler_id: string }>(`SELECT handler_id FROM units WHERE code = 'P_BACH_KHOA'`);
    const change = await engine.db.connect();
    try {
      // A designation change in progress: the unit row is locked and its handler cleared, not yet committed.
      await change.query('BEGIN');
      await change.query(`UPDATE units SET handler_id = NULL WHERE code = 'P_BACH_KHOA'`);
      const routing = sut.executeMany([id]);
      await routingWaitsForUnit();
      await change.query('COMMIT');
      const [r] = await routing;
      expect(r.decision).toMatchObject({ kind: 'triage', reason: 'unit_without_handler', intendedUnit: 'P_BACH_KHOA' });
      const [c] = await engine.query(`SELECT status, handler_id, triage_reason FROM cases WHERE id = $1`, [id]);
      expect(c).toEqual({ status: 'triage', handler_id: null, triage_reason: 'unit_without_handler' });
    } finally {
      await change.query('ROLLBACK').catch(() => undefined);
      await engine.query(`UPDATE units SET handler_id = $1 WHERE code = 'P_BACH_KHOA'`, [unit.handler_id]);
      change.release();
    }
  });

  it.each([
    ['that keeps the unit: its write finds the unit changed', true],
    ['that reads the unit: its read waits for the change', false],
  ])('sees a handler replaced while a batch waits, by a router %s; the case goes to the new handler', async (_how, keeps) => {
    const router = keeps ? sut : new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.config);
    const sidewalkCase = async () => {
      const id = await submit({ category: 'sidewalk_encroachment' });
      await engine.query(`DELETE FROM outbox WHERE payload->>'caseId' = $1`, [id]);
      return id;
    };
    // The kept router has the unit from an earlier case; the other has read the routing table only.
    if (keeps) await router.execute(await sidewalkCase());
    const id = await sidewalkCase();
    const [unit] = await engine.query<{ handler_id: string; leader_id: string }>(`SELECT handler_id, leader_id FROM units WHERE code = 'P_BACH_KHOA'`);
    const change = await engine.db.connect();
    try {
      // The handler is replaced by another officer (the unit's leader here), not yet committed.
      await change.query('BEGIN');
      await change.query(`UPDATE units SET handler_id = $1 WHERE code = 'P_BACH_KHOA'`, [unit.leader_id]);
      const routing = router.executeMany([id]);
      await routingWaitsForUnit();
      await change.query('COMMIT');
      const [r] = await routing;
      expect(r.decision).toMatchObject({ kind: 'assign', unitCode: 'P_BACH_KHOA', handlerId: unit.leader_id });
      const [c] = await engine.query(`SELECT status, handler_id FROM cases WHERE id = $1`, [id]);
      expect(c).toEqual({ status: 'assigned', handler_id: unit.leader_id });
    } finally {
      await change.query('ROLLBACK').catch(() => undefined);
      await engine.query(`UPDATE units SET handler_id = $1 WHERE code = 'P_BACH_KHOA'`, [unit.handler_id]);
      change.release();
    }
  });

  it('does not lock a case already routed: a designation change that holds the unit and then moves its cases is not deadlocked', async () => {
    const [done, fresh] = await Promise.all([submit({ category: 'sidewalk_encroachment' }), submit({ category: 'sidewalk_encroachment' })]);
    await engine.query(`DELETE FROM outbox WHERE payload->>'caseId' = ANY($1)`, [[done, fresh]]);
    await sut.executeMany([done]);
    const [{ unit_code: unit }] = await engine.query<{ unit_code: string }>(`SELECT unit_code FROM cases WHERE id = $1`, [done]);
    const change = await engine.db.connect();
    try {
      // As DesignateUnitOfficers does: the unit first, then the unit's open cases.
      await change.query('BEGIN');
      await change.query(`SELECT 1 FROM units WHERE code = $1 FOR NO KEY UPDATE`, [unit]);
      // The batch asks for the routed case again (a job delivered twice) and for a new one of the same unit.
      const routing = sut.executeMany([done, fresh]);
      await routingWaitsForUnit();
      // Had the batch locked the routed case, this would wait for it while it waits for the unit.
      await change.query(`UPDATE cases SET updated_at = now() WHERE id = $1`, [done]);
      await change.query('COMMIT');
      const results = await routing;
      expect(results.map((r) => r.changed)).toEqual([false, true]);
      await expectRoutedOnce([done, fresh]);
    } finally {
      await change.query('ROLLBACK').catch(() => undefined);
      change.release();
    }
  });

  // The relay routes inside its own transaction: a read on another connection there waited for a free one,
  // and with every other connection of the pool taken (relay lanes, the sealer's lease, the checkpoint) the
  // batch stood for the pool's 5 s connection time-out, failed and was routed again case by case.
  it('routes a batch on the connection of its own transaction, the routing table read included', async () => {
    const own = engine.api.get(DataSource);
    const oneConnection = new DataSource({
      ...own.options,
      extra: { ...(own.options.extra as Record<string, unknown>), max: 1, connectionTimeoutMillis: 1000 },
    } as typeof own.options);
    await oneConnection.initialize();
    try {
      // A router of its own: no routing table kept from an earlier batch.
      const router = new RouteCase(oneConnection, engine.api.get(SlaService), engine.api.get(Clock), engine.config);
      const ids = await unqueued(2);
      await router.executeMany(ids);
      await expectRoutedOnce(ids);
    } finally {
      await oneConnection.destroy();
    }
  });

  describe('through the worker', () => {
    afterEach(async () => {
      await engine.stopWorker();
      await engine.query(`DROP TRIGGER IF EXISTS refuse_case ON assignments`);
      await engine.query(`DROP FUNCTION IF EXISTS refuse_case()`);
    });

    it('routes a backlog in batches, each case once', async () => {
      // Accepted while no worker runs: the worker starts with a backlog of 40 routing jobs.
      const ids = await Promise.all(Array.from({ length: 40 }, () => submit()));
      await engine.startWorker();
      await waitFor(() => statusOf(ids), routed, { what: 'every case to be routed' });
      const [{ transactions }] = await engine.query<{ transactions: number }>(
        `SELECT count(DISTINCT routed_at)::int AS transactions FROM cases WHERE id = ANY($1)`,
        [ids],
      );
      expect(transactions).toBeLessThan(ids.length / 2);
      await expectRoutedOnce(ids);
      await waitFor(
        () => engine.query(`SELECT id FROM outbox`),
        (rows) => rows.length === 0,
        { what: 'the outbox to drain' },
      );
      // Nobody subscribes: the route events were never fanned out, and no fan-out job was queued.
      const events = await engine.query<{ id: string; case_id: string }>(
        `SELECT id::text, case_id FROM audit_events WHERE case_id = ANY($1) AND action IN ('route', 'route_to_triage')`,
        [ids],
      );
      expect(events).toHaveLength(ids.length);
      expect(await engine.query(`SELECT event_id FROM case_event_fanouts WHERE event_id = ANY($1::bigint[])`, [events.map((e) => e.id)])).toEqual([]);
      const caseEvents = engine.worker!.get(QueueRegistry).get(QueueName.CaseEvents);
      const jobs = await Promise.all(events.map((e) => caseEvents.getJob(jobIdFor(JobName.CaseEvent, { caseId: e.case_id, eventId: e.id }))));
      expect(jobs.filter((j) => j !== undefined)).toEqual([]);
    });

    it('does not let one bad case block the others of its batch, and routes it once it can be', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, () => submit()));
      const bad = ids[7];
      // A fault in PostgreSQL for one case only: its assignment is refused until the trigger goes.
      await engine.query(`
        CREATE FUNCTION refuse_case() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.case_id = '${bad}' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`);
      await engine.query(`CREATE TRIGGER refuse_case BEFORE INSERT ON assignments FOR EACH ROW EXECUTE FUNCTION refuse_case()`);
      // A batch is all or nothing: with the bad case in it, no case of it is routed.
      await expect(sut.executeMany(ids)).rejects.toThrow('refused for the test');
      expect(routed(await statusOf(ids))).toBe(false);
      expect((await statusOf(ids)).every((r) => r.status === 'received')).toBe(true);

      // The worker retries a failed batch case by case: the others go, the bad one fails alone.
      await engine.startWorker();
      const good = ids.filter((id) => id !== bad);
      await waitFor(() => statusOf(good), routed, { what: 'every other case to be routed' });
      expect(await statusOf([bad])).toEqual([{ id: bad, status: 'received' }]);

      await engine.query(`DROP TRIGGER refuse_case ON assignments`);
      // Its job is retried with backoff (1 s, then 2 s).
      await waitFor(() => statusOf([bad]), routed, { what: 'the bad case to be routed on retry', timeoutMs: 20000 });
      await expectRoutedOnce(ids);
    });
  });
});
