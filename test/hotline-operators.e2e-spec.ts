import { adminToken, ApiSchema, bearer, createOfficer, TestEngine, waitFor } from '@fr/testing';

// Boot and four officers (argon2) take longer than Jest's 5 s default.
jest.setTimeout(60_000);

const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';
const CALLER = { name: 'Phạm Văn Gọi', phone: '0912 888 777' };

/** Issue 14 item 1: 1022 hotline operators enter calls and answer callers about their cases. */
describe('hotline operators', () => {
  let engine: TestEngine;
  const t: Record<'op1' | 'op2' | 'handler', string> = { op1: '', op2: '', handler: '' };
  let op1Id = '';

  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    const op1 = await createOfficer(engine, admin, { username: 'hotline.op1', role: 'OPERATOR', unitCode: 'VP', fullName: 'Đỗ Thị Tổng Đài' });
    op1Id = op1.id;
    t.op1 = op1.token;
    t.op2 = (await createOfficer(engine, admin, { username: 'hotline.op2', role: 'OPERATOR', unitCode: 'VP' })).token;
    t.handler = (await createOfficer(engine, admin, { username: 'hotline.bk.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    // The unit's designated handler is the one whose queue the case reaches.
    const [bk] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'hotline.bk.handler'`);
    const [leader] = await engine.query<{ leader_id: string }>(`SELECT leader_id FROM units WHERE code = 'P_BACH_KHOA'`);
    const put = await engine.http().put('/v1/units/P_BACH_KHOA/designation').set(bearer(admin)).send({ handlerId: bk.id, leaderId: leader.leader_id });
    expect(put.status).toBe(200);
    // An operator belongs to the office or a hotline unit, not to a ward.
    const ward = await engine.http().post('/v1/officers').set(bearer(admin)).send({
      username: 'hotline.ward',
      password: 'Mat-khau-2026!',
      fullName: 'Không Hợp Lệ',
      role: 'OPERATOR',
      unitCode: 'P_BACH_KHOA',
    });
    expect(ward.status).toBe(422);
  });
  afterAll(() => engine?.close());

  const hotline = (who: keyof typeof t) => ({
    get: (path: string) => engine.http().get(`/v1/hotline${path}`).set(bearer(t[who])),
    post: (path: string, body: Record<string, unknown>) => engine.http().post(`/v1/hotline${path}`).set(bearer(t[who])).send(body),
  });
  const caseRow = async (id: string) =>
    (
      await engine.query<{ status: string; version: number; channel_code: string; entered_by: string | null; citizen_phone_key: string | null }>(
        `SELECT status, version, channel_code, entered_by, citizen_phone_key FROM cases WHERE id = $1`,
        [id],
      )
    )[0];
  const act = async (id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(t.handler))
      .send({ expectedVersion: (await caseRow(id)).version, ...body });
    expect({ action, status: res.status }).toEqual({ action, status: 200 });
  };

  it('an entered call routes like any other, the operator on the case and in its history; found by phone, masked for other operators', async () => {
    const entered = await hotline('op1').post('/feedback', {
      category: 'sidewalk_encroachment',
      description: 'Người gọi phản ánh quán nước lấn chiếm vỉa hè ngõ 40 Tạ Quang Bửu.',
      location: { wardCode: 'BACH_KHOA' },
      citizen: CALLER,
    });
    expect(entered.status).toBe(202);
    const { id, trackingCode } = entered.body as { id: string; trackingCode: string };
    const routed = await waitFor(
      () => caseRow(id),
      (r) => r.status !== 'received',
      { what: 'routing' },
    );
    expect(routed).toMatchObject({ status: 'assigned', channel_code: 'hotline_1022', entered_by: op1Id });
    // The phone is kept as a keyed hash for lookup, not as a second copy of the number.
    expect(routed.citizen_phone_key).toMatch(/^[0-9a-f]{64}$/);
    expect(routed.citizen_phone_key).not.toContain('0912888777');

    const detail = await engine.http().get(`/v1/cases/${id}`).set(bearer(t.handler));
    expect(detail.status).toBe(200);
    const seen = detail.body as ApiSchema<'CaseDetailDto'>;
    expect(seen.enteredBy).toEqual({ id: op1Id, name: 'Đỗ Thị Tổng Đài' });
    expect(seen.timeline[0]).toMatchObject({ action: 'receive', actor: { ref: `officer:${op1Id}`, name: 'Đỗ Thị Tổng Đài', role: 'OPERATOR' } });
    expect(seen.timeline[1]).toMatchObject({ action: 'route', to: 'assigned' });

    // Written another way, the same number finds the case: tracking codes and statuses only.
    const mine = await hotline('op1').get('/cases?phone=%2B84%20912%20888%20777');
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([{ trackingCode, status: 'assigned', category: 'sidewalk_encroachment', submittedAt: expect.any(String) as unknown }]);
    // As dialled from abroad (0084), and in full-width digits: the same number.
    for (const written of ['0084912888777', '\uff10\uff19\uff11\uff12\uff18\uff18\uff18\uff17\uff17\uff17']) {
      const same = await hotline('op1').get(`/cases?phone=${encodeURIComponent(written)}`);
      expect(same.body).toEqual(mine.body);
    }
    // Another operator, another number: nothing, not a near match.
    const other = await hotline('op2').get('/cases?phone=0912888778');
    expect(other.status).toBe(200);
    expect(other.body).toEqual([]);
    expect((await hotline('op2').get('/cases?phone=abc')).status).toBe(400);

    // The contact is whole for the operator who entered the call, masked for any other.
    const asOp1 = await hotline('op1').get(`/cases/${trackingCode.toLowerCase()}`);
    expect(asOp1.status).toBe(200);
    expect(asOp1.body).toMatchObject({
      trackingCode,
      status: 'assigned',
      enteredByMe: true,
      citizen: { name: CALLER.name, phone: CALLER.phone, masked: false },
    });
    const asOp2 = await hotline('op2').get(`/cases/${trackingCode}`);
    expect(asOp2.body).toMatchObject({ enteredByMe: false, citizen: { name: 'Phạm V. G.', phone: '09******77', masked: true } });
    expect(JSON.stringify(asOp2.body)).not.toContain('888 777');
    // The unmasked read is recorded, as the case view's are (the handler's above); the masked one is not.
    const reads = await engine.query<{ username: string }>(
      `SELECT o.username FROM contact_reads r JOIN officers o ON o.id = r.officer_id WHERE r.case_id = $1`,
      [id],
    );
    expect(reads.map((r) => r.username).sort()).toEqual(['hotline.bk.handler', 'hotline.op1']);

    // The caller's answer to a request and their rating, given by phone, recorded under the operator.
    await act(id, 'acknowledge', { severity: 'normal' });
    await act(id, 'request-info', { message: 'Anh Gọi (0912 888 777) xin cho biết số nhà cụ thể của quán.' });
    // What an officer wrote is read to any operator with the numbers in it masked, as Open311 shows it.
    const asked = await hotline('op2').get(`/cases/${trackingCode}`);
    expect(asked.body).toMatchObject({ status: 'awaiting_info', infoRequest: { message: 'Anh Gọi (09******77) xin cho biết số nhà cụ thể của quán.' } });
    const info = await hotline('op2').post(`/cases/${trackingCode}/info`, { message: 'Số nhà 12, ngõ 40.' });
    expect(info.body).toEqual({ trackingCode, status: 'in_progress' });
    await act(id, 'resolve', { answer: ANSWER });
    const status = await hotline('op2').get(`/cases/${trackingCode}`);
    expect(status.body).toMatchObject({ status: 'resolved', answer: ANSWER });
    const rating = await hotline('op1').post(`/cases/${trackingCode}/rating`, { score: 5 });
    expect(rating.body).toEqual({ trackingCode, status: 'closed', rating: 5 });
    const { timeline } = (await engine.http().get(`/v1/cases/${id}`).set(bearer(t.handler))).body as ApiSchema<'CaseDetailDto'>;
    expect(timeline.filter((e) => e.action === 'supply-info' || e.action === 'rate').map((e) => e.actor.role)).toEqual(['OPERATOR', 'OPERATOR']);
  });

  it('the lookup is an index match on the keyed hash; other roles cannot use the desk', async () => {
    const client = await engine.db.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT tracking_code FROM cases WHERE citizen_phone_key = $1`, ['0'.repeat(64)]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('cases_citizen_phone_key_idx');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await hotline('handler').get('/cases?phone=0912888777')).status).toBe(403);
    expect((await engine.http().get('/v1/cases').set(bearer(t.op1))).status).toBe(403);
  });
});
