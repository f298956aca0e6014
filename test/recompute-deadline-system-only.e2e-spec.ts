import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

describe('recompute_deadline is the system’s alone, on a waiting case too', () => {
  let engine: TestEngine;
  let handler: string;
  let sup: string;
  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.fin2', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    sup = (await createOfficer(engine, admin, { username: 'sup.fin2', role: 'SUPERVISOR', unitCode: 'VP' })).token;
  });
  afterAll(() => engine?.close());

  it('officers get no recompute_deadline through the action path', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({ category: 'sidewalk_encroachment', description: 'Quán nước lấn chiếm vỉa hè phố Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } });
    const id = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0]?.status !== 'received',
      { what: 'routing' },
    );
    for (const [action, body] of [
      ['acknowledge', { severity: 'normal' }],
      ['request-info', { message: 'Xin gửi thêm ảnh hiện trường.' }],
    ] as const) {
      const [{ version: v }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
      const r = await engine
        .http()
        .post(`/v1/cases/${id}/${action}`)
        .set(bearer(handler))
        .send({ expectedVersion: v, ...body });
      expect([r.status, r.body]).toEqual([200, expect.anything()]);
    }
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    for (const token of [handler, sup]) {
      for (const action of ['recompute_deadline', 'recompute-deadline', 'RECOMPUTE_DEADLINE', 'recompute_deadline%00']) {
        const r = await engine.http().post(`/v1/cases/${id}/${action}`).set(bearer(token)).send({ expectedVersion: version });
        expect([400, 403, 404]).toContain(r.status);
      }
    }
    const [after] = await engine.query<{ version: number; status: string }>(`SELECT version, status FROM cases WHERE id = $1`, [id]);
    expect(after).toEqual({ version, status: 'awaiting_info' });
  });
});
