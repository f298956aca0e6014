import { SubmitFeedback } from '@fr/intake';
import { OutboxRelay } from '@fr/queue';
import { RouteOnReceipt } from '@fr/routing';
import { ApiSchema, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * The API routes what it receives, right after the commit (RouteOnReceipt); the routing job's outbox
 * row, written with the case and held back from the relays meanwhile, is what a failure falls back on.
 */
describe('routing on receipt', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    // No worker: whatever gets routed here, the API routed.
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
        externalId: `on-receipt-${++n}-${Date.now()}`,
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè trước số 12 phố Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Thị Hoà', phone: '0912345678' },
      });
    expect(res.status).toBe(202);
    return (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
  };
  const cases = (ids: string[]) =>
    engine.query<{ id: string; status: string; unit_code: string | null }>(`SELECT id, status, unit_code FROM cases WHERE id = ANY($1) ORDER BY id`, [ids]);
  const routingRows = (ids: string[]) =>
    engine.query<{ id: string; held_until: Date | null }>(
      `SELECT id::text, held_until FROM outbox WHERE job_name = 'route-case' AND payload->>'caseId' = ANY($1)`,
      [ids],
    );
  const events = (id: string) =>
    engine.query<{ action: string }>(`SELECT action FROM audit_events WHERE case_id = $1 ORDER BY id`, [id]).then((r) => r.map((e) => e.action));

  it('routes each case in the API process, once, and leaves no routing job behind', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => submit()));
    await waitFor(
      () => cases(ids),
      (rows) => rows.length === 20 && rows.every((r) => r.status === 'assigned'),
      { what: 'the API to route every case' },
    );
    for (const r of await cases(ids)) expect(r.unit_code).toBe('P_BACH_KHOA');
    // Deleted by the routing transaction: no job will run for these cases.
    expect(await routingRows(ids)).toEqual([]);
    expect(await events(ids[0])).toEqual(['receive', 'route']);
    const assignments = await engine.query(`SELECT case_id FROM assignments WHERE case_id = ANY($1)`, [ids]);
    expect(assignments).toHaveLength(20);
    // Routing's own outbox rows (the SLA timer, the case event) are there for the workers.
    const others = await engine.query<{ job_name: string }>(`SELECT job_name FROM outbox WHERE payload->>'caseId' = $1 ORDER BY job_name`, [ids[0]]);
    expect(others.map((o) => o.job_name)).toContain('sla-timer');
  });

  it('a case the API never routes (its process died after the commit) is routed by a worker once the hold ends, once', async () => {
    const router = engine.api.get(RouteOnReceipt);
    const received = jest.spyOn(router, 'received').mockImplementation(() => undefined);
    let id: string;
    try {
      id = await submit();
    } finally {
      received.mockRestore();
    }
    const [row] = await routingRows([id]);
    expect(row.held_until).not.toBeNull();
    expect(new Date(row.held_until!).getTime()).toBeGreaterThan(Date.now());

    const worker = await engine.startWorker();
    try {
      const relay = worker.get(OutboxRelay);
      // Still held: no relay takes it (the worker's own relay loop does not either).
      await relay.publishBatch();
      expect(await routingRows([id])).toHaveLength(1);
      expect((await cases([id]))[0].status).toBe('received');
      // The hold ends (as 5 s later): the relay's next pass takes it, a worker routes the case.
      await engine.query(`UPDATE outbox SET held_until = now() - interval '1 second' WHERE id = $1`, [row.id]);
      await waitFor(
        () => cases([id]),
        (rows) => rows[0].status === 'assigned',
        { what: 'a worker to route the case' },
      );
      expect(await routingRows([id])).toEqual([]);
      expect(await events(id)).toEqual(['receive', 'route']);
    } finally {
      await engine.stopWorker();
    }
  });

  it('a job the relay took anyway finds the case routed and changes nothing', async () => {
    // The hold ended while the case still waited here: the API and a worker both get to it.
    const router = engine.api.get(RouteOnReceipt);
    const received = jest.spyOn(router, 'received').mockImplementation(() => undefined);
    let id: string;
    try {
      id = await submit();
    } finally {
      received.mockRestore();
    }
    const [row] = await routingRows([id]);
    await engine.query(`UPDATE outbox SET held_until = now() - interval '1 second' WHERE id = $1`, [row.id]);
    await engine.startWorker();
    try {
      router.received(id, row.id);
      await waitFor(
        () => cases([id]),
        (rows) => rows[0].status === 'assigned',
        { what: 'the case to be routed' },
      );
      await waitFor(
        () => engine.query(`SELECT id FROM outbox WHERE payload->>'caseId' = $1`, [id]),
        (rows) => rows.length === 0,
        { what: 'the outbox to drain' },
      );
      expect(await events(id)).toEqual(['receive', 'route']);
      expect(await engine.query(`SELECT case_id FROM assignments WHERE case_id = $1`, [id])).toHaveLength(1);
    } finally {
      await engine.stopWorker();
    }
  });

  it('with FR_ROUTE_ON_RECEIPT_HOLD_MS=0 the API routes nothing and the job goes to the relays at once', async () => {
    const other = await TestEngine.start({ worker: false, env: { FR_ROUTE_ON_RECEIPT_HOLD_MS: '0' } });
    try {
      const submitFeedback = other.api.get(SubmitFeedback);
      const r = await submitFeedback.execute({
        channel: 'ihanoi',
        externalId: 'hold-zero-1',
        category: 'sanitation',
        description: 'Rác thải ùn ứ ở đầu ngõ 128 Quỳnh Mai.',
        location: { address: 'ngõ 128 Quỳnh Mai, phường Quỳnh Mai' },
      });
      const rows = await other.query<{ held_until: Date | null }>(`SELECT held_until FROM outbox WHERE payload->>'caseId' = $1`, [r.id]);
      expect(rows).toEqual([{ held_until: null }]);
      expect((await other.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [r.id]))[0].status).toBe('received');
    } finally {
      await other.close();
    }
  });
});
