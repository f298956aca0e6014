import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

function feedback(over: Record<string, unknown> = {}) {
  return {
    category: 'sidewalk_encroachment',
    title: 'Lấn chiếm vỉa hè',
    description: 'Quán trà đá bày bàn ghế kín vỉa hè trước số 25 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
    location: { wardCode: 'BACH_KHOA', address: 'Số 25 Tạ Quang Bửu' },
    citizen: { name: 'Nguyễn Thị Hoa', phone: '0912345678', email: 'hoa@example.vn' },
    ...over,
  };
}

describe('intake -> routing -> assignment', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());

  async function submit(body: Record<string, unknown>) {
    const res = await engine.http().post('/v1/feedback').set(KEY).send(body);
    expect(res.status).toBe(202);
    return res.body as { id: string; trackingCode: string; status: string };
  }

  async function routed(id: string) {
    const [row] = await waitFor(
      () => engine.query<Record<string, any>>(`SELECT * FROM cases WHERE id = $1`, [id]),
      (rows) => rows[0]?.status !== 'received',
      { what: `case ${id} to be routed` },
    );
    return row;
  }

  async function designees(unit: string) {
    const [u] = await engine.query<{ handler_id: string; leader_id: string }>(`SELECT handler_id, leader_id FROM units WHERE code = $1`, [unit]);
    return u;
  }

  it("assigns a ward category to that ward's designated handler and leader", async () => {
    const { id, trackingCode, status } = await submit(feedback());
    expect(status).toBe('received');
    expect(trackingCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);

    const c = await routed(id);
    const ward = await designees('P_BACH_KHOA');
    expect(c).toMatchObject({ status: 'assigned', unit_code: 'P_BACH_KHOA', handler_id: ward.handler_id, leader_id: ward.leader_id });
    expect(c.routing_rule_id).toBe('sidewalk-to-ward');

    const timeline = await engine.query(`SELECT actor, action, from_state, to_state, data FROM audit_events WHERE case_id = $1 ORDER BY id`, [id]);
    expect(timeline).toEqual([
      expect.objectContaining({ actor: 'channel:ihanoi', action: 'receive', from_state: null, to_state: 'received' }),
      expect.objectContaining({ actor: 'system:router', action: 'route', from_state: 'received', to_state: 'assigned' }),
    ]);
    expect(timeline[1].data).toMatchObject({ ruleId: 'sidewalk-to-ward', unitCode: 'P_BACH_KHOA', handlerId: ward.handler_id });
  });

  it('finds the ward from the address when no wardCode is given, even with street names that are ward names', async () => {
    const { id } = await submit(feedback({ category: 'sanitation', location: { address: '120 phố Bạch Mai, Phường Thanh Nhàn, Hai Bà Trưng, Hà Nội' } }));
    expect(await routed(id)).toMatchObject({ status: 'assigned', unit_code: 'P_THANH_NHAN', area_code: 'THANH_NHAN' });
  });

  it('sends a public-order category to Công an quận', async () => {
    const { id } = await submit(feedback({ category: 'public_order', description: 'Nhóm thanh niên tụ tập gây ồn ào sau 23 giờ.' }));
    const c = await routed(id);
    expect(c).toMatchObject({ status: 'assigned', unit_code: 'CONG_AN', handler_id: (await designees('CONG_AN')).handler_id });
  });

  it.each([
    [
      'an address naming no ward (an unknown wardCode is refused at intake)',
      { location: { address: 'Số 7 ngõ Không Tên' } },
      'area_unknown',
      /the address names no known ward/,
    ],
    ['an unmatched category', { category: 'other' }, 'no_matching_rule', /no routing rule matches category 'other'/],
    ['a unit without a designated handler', { category: 'civil_status' }, 'unit_without_handler', /unit 'TU_PHAP' has no designated handler/],
  ])('puts %s in triage at the office, with the reason', async (_what, over, reason, detail) => {
    const { id, trackingCode } = await submit(feedback(over));
    const c = await routed(id);
    expect(c).toMatchObject({ status: 'triage', unit_code: 'VP', handler_id: null, triage_reason: reason });
    const [event] = await engine.query<{ reason: string; data: { triageReason?: string } }>(
      `SELECT reason, data FROM audit_events WHERE case_id = $1 AND action = 'route_to_triage'`,
      [id],
    );
    expect(event.reason).toMatch(detail);
    expect(event.data.triageReason).toBe(reason);

    const status = await engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY);
    expect(status.body).toMatchObject({ status: 'triage', unit: { code: 'VP' } });
  });

  it('shows the status with the unit and no personal data', async () => {
    const { id, trackingCode } = await submit(feedback({ externalId: 'status-check-1' }));
    await routed(id);
    const res = await engine
      .http()
      .get(`/v1/feedback/${trackingCode.toLowerCase().replace('-', '')}`)
      .set(KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      trackingCode,
      status: 'assigned',
      category: { code: 'sidewalk_encroachment', name: 'Trật tự đô thị, lấn chiếm vỉa hè' },
      unit: { code: 'P_BACH_KHOA', name: 'Phường Bách Khoa' },
      answer: null,
    });
    const text = JSON.stringify(res.body);
    for (const secret of ['Nguyễn Thị Hoa', '0912345678', 'hoa@example.vn', id]) expect(text).not.toContain(secret);

    expect((await engine.http().get('/v1/feedback/ZZZZZ-ZZZZZ').set(KEY)).status).toBe(404);
    expect((await engine.http().get('/v1/feedback/not-a-code').set(KEY)).status).toBe(404);
  });

  it('stores Vietnamese text in NFC whatever form the channel sends', async () => {
    const decomposed = 'Đèn đường hỏng'.normalize('NFD');
    const { id } = await submit(feedback({ category: 'roads_lighting', description: decomposed }));
    const [row] = await engine.query<{ description: string }>(`SELECT description FROM cases WHERE id = $1`, [id]);
    expect(row.description).toBe('Đèn đường hỏng'.normalize('NFC'));
    expect(row.description).not.toBe(decomposed);
  });

  it('routing the same case twice changes nothing', async () => {
    const { id } = await submit(feedback());
    await routed(id);
    const before = await engine.query(`SELECT * FROM cases WHERE id = $1`, [id]);
    // receive and route; and link, as earlier tests reported the same problem at the same place (issue 14).
    const events = () => engine.query<{ action: string }>(`SELECT action FROM audit_events WHERE case_id = $1 ORDER BY id`, [id]);
    const eventsBefore = await events();
    expect(eventsBefore.map((e) => e.action).filter((a) => a !== 'link')).toEqual(['receive', 'route']);
    const { RouteCase } = await import('@fr/routing');
    const sut = engine.worker!.get(RouteCase);
    expect(await sut.execute(id)).toMatchObject({ changed: false });
    expect(await engine.query(`SELECT * FROM cases WHERE id = $1`, [id])).toEqual(before);
    expect(await events()).toEqual(eventsBefore);
  });

  it('lists categories and areas for channels', async () => {
    const cats = await engine.http().get('/v1/categories').set(KEY);
    expect(cats.body).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'public_order', name: 'An ninh trật tự' })]));
    // Only what a channel may offer: complaints and denunciations follow another law and are refused at intake.
    expect((cats.body as { code: string; accepted: boolean }[]).filter((c) => c.code === 'complaint_denunciation' || !c.accepted)).toEqual([]);
    const areas = await engine.http().get('/v1/areas').set(KEY);
    expect(areas.body).toHaveLength(18);
    expect(areas.body).toEqual(expect.arrayContaining([{ code: 'PHO_HUE', name: 'Phường Phố Huế', unitCode: 'P_PHO_HUE' }]));
  });
});
