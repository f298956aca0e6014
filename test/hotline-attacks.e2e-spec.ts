import { INestApplication } from '@nestjs/common';
import { createApiApp } from '@fr/api';
import { phoneLookupKey } from '@fr/persistence';
import { adminToken, bearer, createOfficer, TestEngine, waitFor } from '@fr/testing';

// Boot and several officers (argon2) take longer than Jest's 5 s default.
jest.setTimeout(60_000);

const CALL = {
  category: 'sidewalk_encroachment',
  description: 'Người gọi phản ánh quán nước lấn chiếm vỉa hè ngõ 40 Tạ Quang Bửu.',
  location: { wardCode: 'BACH_KHOA' },
};

/** The 1022 desk as a hostile integrator and a careless operator use it (issue 14 item 1). */
describe('hotline desk under attack', () => {
  let engine: TestEngine;
  const t: Record<'op1' | 'op2' | 'opUnit' | 'handler', string> = { op1: '', op2: '', opUnit: '', handler: '' };
  let op1Id = '';

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_HOTLINE_UNITS: 'NOI_VU' } });
    const admin = await adminToken(engine);
    const op1 = await createOfficer(engine, admin, { username: 'attack.op1', role: 'OPERATOR', unitCode: 'VP' });
    op1Id = op1.id;
    t.op1 = op1.token;
    t.op2 = (await createOfficer(engine, admin, { username: 'attack.op2', role: 'OPERATOR', unitCode: 'VP' })).token;
    t.opUnit = (await createOfficer(engine, admin, { username: 'attack.op.noivu', role: 'OPERATOR', unitCode: 'NOI_VU' })).token;
    t.handler = (await createOfficer(engine, admin, { username: 'attack.bk.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    const [bk] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'attack.bk.handler'`);
    const [leader] = await engine.query<{ leader_id: string }>(`SELECT leader_id FROM units WHERE code = 'P_BACH_KHOA'`);
    const put = await engine.http().put('/v1/units/P_BACH_KHOA/designation').set(bearer(admin)).send({ handlerId: bk.id, leaderId: leader.leader_id });
    expect(put.status).toBe(200);
  });
  afterAll(() => engine?.close());

  const enter = (who: keyof typeof t, body: Record<string, unknown>) =>
    engine
      .http()
      .post('/v1/hotline/feedback')
      .set(bearer(t[who]))
      .send({ ...CALL, ...body });
  const caseRow = async (id: string) => (await engine.query<{ status: string; version: number }>(`SELECT status, version FROM cases WHERE id = $1`, [id]))[0];
  const act = async (id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(t.handler))
      .send({ expectedVersion: (await caseRow(id)).version, ...body });
    expect({ action, status: res.status }).toEqual({ action, status: 200 });
  };

  it('relaying a caller answer is not a read of their contact: no contact_reads row for the operator who entered the call', async () => {
    const entered = await enter('op1', { citizen: { name: 'Trần Thị Hỏi', phone: '0912 555 101' } });
    expect(entered.status).toBe(202);
    const { id, trackingCode } = entered.body as { id: string; trackingCode: string };
    await waitFor(
      () => caseRow(id),
      (r) => r.status === 'assigned',
      { what: 'routing' },
    );
    await act(id, 'acknowledge', { severity: 'normal' });
    await act(id, 'request-info', { message: 'Xin cho biết số nhà cụ thể.' });
    const info = await engine.http().post(`/v1/hotline/cases/${trackingCode}/info`).set(bearer(t.op1)).send({ message: 'Số nhà 12, ngõ 40.' });
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ trackingCode, status: 'in_progress' });
    // The answer holds no contact; recording a read there would tell the citizen (access request) and an
    // investigation of a breach that the operator saw their data when they did not.
    // (The handler's reads, through the case an action returns, are theirs.)
    expect(await engine.query(`SELECT officer_id FROM contact_reads WHERE case_id = $1 AND officer_id = $2`, [id, op1Id])).toEqual([]);
  });

  it("'+84 (0)912…' and a number said without its leading 0 are the caller's one number", async () => {
    const written = await enter('op1', { citizen: { name: 'Lê Văn Số', phone: '+84 (0)912 555 202' } });
    expect(written.status).toBe(202);
    const noTrunk = await enter('op2', { citizen: { name: 'Lê Văn Số', phone: '912 555 202' } });
    expect(noTrunk.status).toBe(202);
    for (const asked of ['0912555202', '+84912555202', '+84 (0)912 555 202', '912555202']) {
      const found = await engine
        .http()
        .get(`/v1/hotline/cases?phone=${encodeURIComponent(asked)}`)
        .set(bearer(t.op1));
      expect({ asked, status: found.status }).toEqual({ asked, status: 200 });
      expect({ asked, codes: (found.body as { trackingCode: string }[]).map((c) => c.trackingCode).sort() }).toEqual({
        asked,
        codes: [(written.body as { trackingCode: string }).trackingCode, (noTrunk.body as { trackingCode: string }).trackingCode].sort(),
      });
    }
    // A case stored before, under the key of the number as written then ('+84 (0)…' kept its 0), is found too.
    const before = await enter('op1', { citizen: { phone: '0912 555 203' } });
    const beforeId = (before.body as { id: string }).id;
    await engine.query(`UPDATE cases SET citizen_phone_key = $2 WHERE id = $1`, [beforeId, phoneLookupKey(engine.config.phoneKeySecret, '00912555203')]);
    const found = await engine.http().get('/v1/hotline/cases?phone=0912555203').set(bearer(t.op2));
    expect((found.body as { trackingCode: string }[]).map((c) => c.trackingCode)).toEqual([(before.body as { trackingCode: string }).trackingCode]);
    // Still an index lookup, with the earlier keys beside the number's own.
    const client = await engine.db.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT tracking_code FROM cases WHERE citizen_phone_key = ANY($1::bpchar[])`, [
        ['0'.repeat(64), '1'.repeat(64)],
      ]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Cond: \(citizen_phone_key = ANY/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it("another operator's externalId is a 409, not that operator's case (and their caller's report is not dropped silently)", async () => {
    const first = await enter('op1', { externalId: 'CALL-20261206-1', citizen: { name: 'Người Gọi Một', phone: '0912555301' } });
    expect(first.status).toBe(202);
    // The same operator's retry is the same case, as for any channel.
    const retry = await enter('op1', { externalId: 'CALL-20261206-1', citizen: { name: 'Người Gọi Một', phone: '0912555301' } });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id: (first.body as { id: string }).id });
    const other = await enter('op2', { externalId: 'CALL-20261206-1', citizen: { name: 'Người Gọi Hai', phone: '0987555302' } });
    expect(other.status).toBe(409);
    const text = JSON.stringify(other.body);
    expect(text).toContain('externalId');
    // Neither the case nor its tracking code is handed to the other operator.
    expect(text).not.toContain((first.body as { id: string }).id);
    expect(text).not.toContain((first.body as { trackingCode: string }).trackingCode);
  });

  it('a phone the desk could never find the caller by is refused at entry (400), not stored unkeyed', async () => {
    for (const phone of ['12345678', '091 255 52', '0912 555 501 23 45']) {
      const refused = await enter('op1', { citizen: { name: 'Vũ Văn Ngắn', phone } });
      expect({ phone, status: refused.status }).toEqual({ phone, status: 400 });
      expect((refused.body as { message: string }).message).toContain('citizen.phone');
      // Named as the body's other fields are: the field, and its problem without the field before it.
      expect((refused.body as { errors: unknown }).errors).toEqual([
        { field: 'citizen.phone', problems: [expect.stringMatching(/^phone is not a number the desk can find/) as unknown] },
      ]);
    }
    expect(await engine.query(`SELECT id FROM cases WHERE citizen_name = 'Vũ Văn Ngắn'`)).toEqual([]);
    // A channel's citizen typed what they typed: its intake is unchanged.
    const web = await engine
      .http()
      .post('/v1/feedback')
      .set('X-Api-Key', 'dev-web_portal-key')
      .send({ ...CALL, citizen: { phone: '12345678' } });
    expect(web.status).toBe(202);
  });

  describe('an operator whose unit is no longer a hotline unit', () => {
    let apiB: INestApplication;
    beforeAll(async () => {
      // The deployment dropped NOI_VU from FR_HOTLINE_UNITS and restarted: its operators are no longer the desk's.
      apiB = await createApiApp({ ...engine.config, hotlineUnits: [] });
    });
    afterAll(() => apiB?.close());

    it('is refused the desk (403), while the office operators keep it', async () => {
      const entered = await enter('op1', { citizen: { name: 'Đặng Văn Đơn', phone: '0912555401' } });
      const { trackingCode } = entered.body as { trackingCode: string };
      const desk = (who: keyof typeof t) => ({
        get: (path: string) => engine.http(apiB).get(`/v1/hotline${path}`).set(bearer(t[who])),
        post: (path: string, body: Record<string, unknown>) => engine.http(apiB).post(`/v1/hotline${path}`).set(bearer(t[who])).send(body),
      });
      const tries = [
        await desk('opUnit').post('/feedback', { ...CALL, citizen: { phone: '0912555402' } }),
        await desk('opUnit').get('/cases?phone=0912555401'),
        await desk('opUnit').get(`/cases/${trackingCode}`),
        await desk('opUnit').post(`/cases/${trackingCode}/info`, { message: 'x' }),
        await desk('opUnit').post(`/cases/${trackingCode}/rating`, { score: 5 }),
      ];
      expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
      expect((tries[0].body as { message: string }).message).toContain('FR_HOTLINE_UNITS');
      expect((await desk('op1').get(`/cases/${trackingCode}`)).status).toBe(200);
      // On the engine that still lists NOI_VU, the same operator is the desk's.
      expect((await engine.http().get(`/v1/hotline/cases/${trackingCode}`).set(bearer(t.opUnit))).status).toBe(200);
    });
  });
});
