import { GetUnitMetrics, parsePeriod } from '@fr/audit';
import { OfficerRole } from '@fr/domain';
import { adminToken, ApiSchema, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';

describe('a case returned unacknowledged and acknowledged when given back (2e2ae8f): the daily facts report it as the raw data do', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [
      ['bk.handler.bounce', 'HANDLER', 'P_BACH_KHOA'],
      ['vp.supervisor.bounce', 'SUPERVISOR', 'VP'],
    ];
    for (const [username, role, unitCode] of officers) tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
  });
  afterAll(() => engine?.close());

  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const step = async (who: string, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(who))
      .send({ expectedVersion: await version(id), ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  it('counts the acknowledgement the same whether the period is read from the daily facts or the raw data', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
      });
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status === 'assigned',
      { what: 'routing' },
    );
    clock.set('2026-03-02T10:00:00+07:00');
    await step('bk.handler.bounce', id, 'return', { reason: 'Không thuộc thẩm quyền của phường' });
    clock.set('2026-03-04T09:00:00+07:00');
    await step('vp.supervisor.bounce', id, 'assign', { unitCode: 'P_BACH_KHOA' });
    clock.set('2026-03-04T10:00:00+07:00');
    await step('bk.handler.bounce', id, 'acknowledge', { severity: 'normal' });

    const metrics = engine.api.get(GetUnitMetrics);
    const period = parsePeriod('2026-03-01', '2026-03-08');
    const ward = (r: Awaited<ReturnType<GetUnitMetrics['execute']>>) => r.units.find((u) => u.unitCode === 'P_BACH_KHOA')!;
    const raw = ward(await metrics.execute(period, clock.now(), 'raw'));
    const facts = ward(await metrics.execute(period, clock.now(), 'facts'));
    // (The audit trail's times are the database's, not the ManualClock's: on time is not judged here.)
    expect(raw).toMatchObject({ received: 1, acknowledged: 1 });
    expect(facts).toEqual(raw);
  });
});
