import { GetUnitMetrics, parsePeriod } from '@fr/audit';
import { MIGRATIONS } from '@fr/persistence';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { QueryRunner } from 'typeorm';

jest.setTimeout(120_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const BK = 'P_BACH_KHOA';
const TN = 'P_THANH_NHAN';

/**
 * Migration 1767440000000-PassedOnLate on hand-overs written by the engine itself, with the system
 * clock as in a deployment: the assignment's `started_at` is the action's `now`, taken inside its
 * transaction, and the state log's `at` is the transaction's start (now()), a little earlier. The
 * backfill must read the deadline the unit had before the hand-over, not the one the hand-over logged.
 */
describe('PassedOnLate backfill on hand-overs the engine wrote (system clock)', () => {
  let engine: TestEngine;
  let handler = '';

  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.handler.migr', role: 'HANDLER', unitCode: BK })).token;
  });
  afterAll(() => engine?.close());

  const intake = async (n: number) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `migr-${n}`,
        category: 'sidewalk_encroachment',
        description: `Hàng quán lấn chiếm vỉa hè trước số ${n} Tạ Quang Bửu, người đi bộ phải xuống lòng đường.`,
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => engine.query<{ status: string; unit_code: string }>(`SELECT status, unit_code FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status === 'assigned' && r[0].unit_code === BK,
      { what: 'routing to the ward' },
    );
    return id;
  };
  const step = async (id: string, action: string, body: Record<string, unknown>) => {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(handler))
      .send({ expectedVersion: version, ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  it('backfills the deadline the unit had passed, and the unit report counts the case passed on late', async () => {
    const late = await intake(1);
    const inTime = await intake(2);
    const returned = await intake(3);
    // Their receive deadlines passed an hour ago (as a week-old case's would have).
    await engine.query(`UPDATE cases SET due_at = now() - interval '1 hour', warn_at = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`, [
      [late, returned],
    ]);
    await step(late, 'transfer', { unitCode: TN, reason: 'Thuộc địa bàn phường Thanh Nhàn' });
    await step(inTime, 'transfer', { unitCode: TN, reason: 'Thuộc địa bàn phường Thanh Nhàn' });
    await step(returned, 'return', { reason: 'Không thuộc thẩm quyền của phường' });
    const recorded = `SELECT case_id::text, passed_due_at <= started_at AS late FROM assignments WHERE reason IN ('transfer', 'return') ORDER BY case_id`;
    const expected = [
      { case_id: late, late: true },
      { case_id: inTime, late: false },
      { case_id: returned, late: true },
    ].sort((a, b) => a.case_id.localeCompare(b.case_id));
    expect(await engine.query(recorded)).toEqual(expected);
    // The same rows as the version before the migration wrote them: no passed_due_at; then the migration.
    const q = { query: (sql: string) => engine.query(sql) } as unknown as QueryRunner;
    const migration = new (MIGRATIONS.find((m) => m.name === 'PassedOnLate1767440000000')!)();
    await migration.down(q);
    await migration.up(q);
    expect(await engine.query(recorded)).toEqual(expected);

    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const period = parsePeriod(today, today);
    const metrics = engine.api.get(GetUnitMetrics);
    const now = new Date();
    const facts = await metrics.execute(period, now, 'facts');
    expect(facts).toEqual(await metrics.execute(period, now, 'raw'));
    expect(facts.units.find((u) => u.unitCode === BK)).toMatchObject({ passedOnLate: 2, onTime: { due: 2, late: 2 } });
  });
});
