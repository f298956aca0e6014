import { PoolClient } from 'pg';
import { ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS } from '@fr/intake';
import { Metrics } from '@fr/metrics';
import { jobIdFor, JobName } from '@fr/queue';
import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

let n = 0;
function feedback(over: Record<string, unknown> = {}) {
  return {
    externalId: `route-at-intake-${++n}-${Date.now()}`,
    category: 'sidewalk_encroachment',
    description: 'Quán trà đá bày bàn ghế kín vỉa hè trước số 25 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
    location: { wardCode: 'BACH_KHOA', address: `Số ${n} Tạ Quang Bửu` },
    citizen: { name: 'Nguyễn Thị Hoa', phone: '0912345678' },
    ...over,
  };
}

async function submit(engine: TestEngine, body: Record<string, unknown> = feedback()) {
  const res = await engine.http().post('/v1/feedback').set(KEY).send(body);
  expect([200, 202]).toContain(res.status);
  return res.body as { id: string; trackingCode: string; status: string };
}

const routingJobs = (engine: TestEngine, id: string) =>
  engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE job_id = $1`, [jobIdFor(JobName.RouteCase, { caseId: id })]);

async function outcomes(engine: TestEngine): Promise<Record<string, number>> {
  const { values } = await engine.api.get(Metrics).routedAtIntake.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value]));
}

/** Each case once: one receive and one routing event, one assignment. */
async function routedOnce(engine: TestEngine, ids: string[]) {
  const rows = await engine.query<{ id: string; status: string; events: string[]; assignments: number }>(
    `SELECT c.id, c.status,
            (SELECT array_agg(e.action ORDER BY e.id) FROM audit_events e WHERE e.case_id = c.id) AS events,
            (SELECT count(*)::int FROM assignments a WHERE a.case_id = c.id) AS assignments
       FROM cases c WHERE c.id = ANY($1::uuid[]) ORDER BY c.id`,
    [ids],
  );
  expect(rows).toHaveLength(ids.length);
  for (const r of rows) {
    expect(r).toMatchObject({ status: 'assigned', events: ['receive', 'route'], assignments: 1 });
  }
}

/**
 * The API routes a case in the transaction that stores it (SubmitFeedback), up to FR_ROUTE_AT_INTAKE at
 * once; the others, and any whose routing fails, go to the outbox relay as before. These engines run no
 * worker unless a test starts one: whatever is routed without one was routed by the API.
 */
describe('routing at intake', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
  });
  afterAll(() => engine?.close());

  it('stores the case already routed, with its receive clock and no routing job, and answers where it went', async () => {
    const { id, status } = await submit(engine);
    expect(status).toBe('assigned');
    const [c] = await engine.query<Record<string, unknown>>(`SELECT status, unit_code, handler_id, routed_at, received_at FROM cases WHERE id = $1`, [id]);
    expect(c).toMatchObject({ status: 'assigned', unit_code: 'P_BACH_KHOA' });
    expect(c.handler_id).not.toBeNull();
    expect(c.routed_at).not.toBeNull();
    await routedOnce(engine, [id]);
    expect(await routingJobs(engine, id)).toEqual([{ n: 0 }]);
    // The receive clock's timers wait in the outbox for a relay, written in the same commit.
    const [timers] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'caseId' = $1`, [id]);
    expect(timers.n).toBeGreaterThan(0);
    expect((await outcomes(engine)).routed).toBeGreaterThanOrEqual(1);
  });

  it('sends a case no rule takes to triage, and says so', async () => {
    const { id, status } = await submit(engine, feedback({ category: 'other' }));
    expect(status).toBe('triage');
    expect(await engine.query(`SELECT status, triage_reason FROM cases WHERE id = $1`, [id])).toEqual([
      { status: 'triage', triage_reason: 'no_matching_rule' },
    ]);
  });

  it('answers a repeat of the externalId with the case as routed, storing nothing new', async () => {
    const body = feedback();
    const first = await submit(engine, body);
    const res = await engine.http().post('/v1/feedback').set(KEY).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: first.id, trackingCode: first.trackingCode, status: 'assigned' });
    expect(await engine.query(`SELECT count(*)::int AS n FROM cases WHERE external_id = $1`, [body.externalId])).toEqual([{ n: 1 }]);
  });

  it('links a second report of one place to the first, in the second one’s transaction', async () => {
    const place = { wardCode: 'BACH_KHOA', address: 'Số 99 Tạ Quang Bửu', lat: 21.0045, lng: 105.8452 };
    const first = await submit(engine, feedback({ location: place }));
    const second = await submit(engine, feedback({ location: place }));
    expect(await engine.query(`SELECT duplicate_of::text AS duplicate_of FROM cases WHERE id = $1`, [second.id])).toEqual([{ duplicate_of: first.id }]);
  });
});

describe('routing at intake, beyond its bound or failing', () => {
  let engine: TestEngine;
  let holder: PoolClient | undefined;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_ROUTE_AT_INTAKE: '1' } });
  });
  afterAll(async () => {
    holder?.release();
    await engine?.close();
  });

  it('queues a case for the relay while the bound is reached, and one whose routing waits for a lock past its bound; the relay routes both once', async () => {
    await submit(engine); // The unit's state is read and kept by the API's router before the lock below.
    // A designation change holds the unit: the next submission's routing waits for it.
    holder = await engine.db.connect();
    await holder.query(`BEGIN`);
    await holder.query(`SELECT 1 FROM units WHERE code = 'P_BACH_KHOA' FOR UPDATE`);
    const before = await outcomes(engine);
    const startedAt = Date.now();
    const waiting = submit(engine);
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`),
      ([r]) => r.n > 0,
      { what: 'the first routing at intake to wait for the unit' },
    );
    const queued = await submit(engine);
    expect(queued.status).toBe('received');
    expect(await routingJobs(engine, queued.id)).toEqual([{ n: 1 }]);
    expect((await outcomes(engine)).busy).toBe((before.busy ?? 0) + 1);

    // The unit is still held: the first gives up waiting after ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS and is queued too.
    const timedOut = await waiting;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS);
    expect(timedOut.status).toBe('received');
    expect(await routingJobs(engine, timedOut.id)).toEqual([{ n: 1 }]);
    expect((await outcomes(engine)).failed).toBe((before.failed ?? 0) + 1);
    await holder.query(`ROLLBACK`);
    holder.release();
    holder = undefined;

    await engine.startWorker();
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = ANY($1::uuid[])`, [[queued.id, timedOut.id]]),
      (rows) => rows.every((c) => c.status !== 'received'),
      { what: 'the relay to route the queued cases' },
    );
    await routedOnce(engine, [queued.id, timedOut.id]);
  });
});

describe('routing at intake when routing fails', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
  });
  afterAll(() => engine?.close());

  it('stores the case with its routing job instead, for the relay to route once routing works again', async () => {
    // No triage unit: the routing table cannot be read, so no case can be routed (the first read of this engine's router).
    await engine.query(`UPDATE system_state SET key = 'triage_unit_away' WHERE key = 'triage_unit'`);
    const { id, status } = await submit(engine);
    expect(status).toBe('received');
    expect(await engine.query(`SELECT status FROM cases WHERE id = $1`, [id])).toEqual([{ status: 'received' }]);
    expect(await routingJobs(engine, id)).toEqual([{ n: 1 }]);
    expect(await engine.query(`SELECT action FROM audit_events WHERE case_id = $1`, [id])).toEqual([{ action: 'receive' }]);
    expect((await outcomes(engine)).failed).toBe(1);

    await engine.query(`UPDATE system_state SET key = 'triage_unit' WHERE key = 'triage_unit_away'`);
    await engine.startWorker();
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      ([c]) => c.status !== 'received',
      { what: 'the relay to route the case' },
    );
    await routedOnce(engine, [id]);
  });
});

describe('routing at intake switched off (FR_ROUTE_AT_INTAKE=0)', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_ROUTE_AT_INTAKE: '0' } });
  });
  afterAll(() => engine?.close());

  it('queues every case for the relay', async () => {
    const { id, status } = await submit(engine);
    expect(status).toBe('received');
    expect(await routingJobs(engine, id)).toEqual([{ n: 1 }]);
    expect(await outcomes(engine)).toEqual({});
  });
});
