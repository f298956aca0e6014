import { adminToken, bearer, createOfficer, DEV_KEYS, StdoutCapture, TestEngine } from '@fr/testing';

jest.setTimeout(60_000);

/**
 * A citizen's name, phone number or ID number sent where it does not belong (a hotline desk's externalId made of
 * the caller's number, a name typed where a tracking code goes, a form field named with it, a body that is not
 * JSON): an error answer quoting it back puts it in every log of answers and before a reader who may not see it.
 * Neither the answer nor the API's log lines may hold it.
 */
describe("citizens' names and numbers in error answers", () => {
  let engine: TestEngine;
  const t: Record<'op1' | 'op2' | 'handler', string> = { op1: '', op2: '', handler: '' };
  let stdout: StdoutCapture;
  const NAME = 'Nguyễn Văn Thành';
  const PHONE = '0987654321';
  const ID_NUMBER = '001190012345';
  // Any part of the name or numbers, as written or without diacritics.
  const PERSONAL = /Nguy[eễ]n|V[aă]n[ -]Th|Th[aà]nh|0987654321|0987 654 321|0912345678|001190012345|Dang-Thi|Thu-Ha/i;
  const CALL = {
    category: 'sidewalk_encroachment',
    description: 'Người gọi phản ánh quán nước lấn chiếm vỉa hè ngõ 40 Tạ Quang Bửu.',
    location: { wardCode: 'BACH_KHOA' },
  };

  beforeAll(async () => {
    stdout = new StdoutCapture();
    engine = await TestEngine.start({ env: { LOG_LEVEL: 'info' } });
    const admin = await adminToken(engine);
    t.op1 = (await createOfficer(engine, admin, { username: 'errnames.op1', role: 'OPERATOR', unitCode: 'VP' })).token;
    t.op2 = (await createOfficer(engine, admin, { username: 'errnames.op2', role: 'OPERATOR', unitCode: 'VP' })).token;
    t.handler = (await createOfficer(engine, admin, { username: 'errnames.bk.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(async () => {
    await engine?.close();
    stdout?.restore();
  });

  /** What each answer quoted of the name or numbers, and its status: collected, so one leak does not hide the next. */
  const quotedIn = (what: string, res: { status: number; body: unknown; text: string }) => {
    const answer = `${JSON.stringify(res.body)} ${res.text ?? ''}`;
    return { what, status: res.status, quoted: PERSONAL.exec(answer)?.[0] ?? null, answer };
  };
  const unquoted = (what: string, status: number) => ({ what, status, quoted: null, answer: expect.any(String) as unknown });

  it("answers a hotline call entered under another operator's externalId without quoting the externalId", async () => {
    const answers = [];
    for (const externalId of ['1022-0912345678', '1022-Dang-Thi-Thu-Ha']) {
      const call = { ...CALL, externalId, citizen: { name: 'Đặng Thị Thu Hà', phone: '0912345678' } };
      expect((await engine.http().post('/v1/hotline/feedback').set(bearer(t.op1)).send(call)).status).toBe(202);
      const again = await engine.http().post('/v1/hotline/feedback').set(bearer(t.op2)).send(call);
      expect((again.body as { message: string }).message).toMatch(/externalId/);
      answers.push(quotedIn(externalId, again));
    }
    expect(answers).toEqual(['1022-0912345678', '1022-Dang-Thi-Thu-Ha'].map((id) => unquoted(id, 409)));
    // A subject request under an externalId sent before with another request.
    const privacy = (phone: string) =>
      engine
        .http()
        .post('/v1/privacy/requests')
        .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
        .send({ kind: 'access', phone, externalId: `VNeID-${ID_NUMBER}` });
    expect((await privacy('0912000111')).status).toBe(201);
    expect(quotedIn('subject request', await privacy('0912000222'))).toEqual(unquoted('subject request', 409));
  });

  it('answers a body that is not JSON without repeating the text around the error', async () => {
    const bodies = [`{"citizen":{"name":${NAME},"phone":"${PHONE}"}}`, `{"description":"CCCD ${ID_NUMBER}", "citizen": {"phone": Gọi ${PHONE}}}`];
    const answers = [];
    for (const raw of bodies) {
      const res = await engine.http().post('/v1/feedback').set({ 'X-Api-Key': DEV_KEYS.ihanoi, 'Content-Type': 'application/json' }).send(raw);
      expect((res.body as { message: string }).message).toMatch(/JSON/);
      answers.push(quotedIn(raw, res));
    }
    expect(answers).toEqual(bodies.map((raw) => unquoted(raw, 400)));
  });

  it('answers a name or a number typed where a tracking code, a status or a field name goes without quoting it', async () => {
    const path = (v: string) => encodeURIComponent(v);
    const form = { api_key: DEV_KEYS.ihanoi, service_code: 'sanitation', description: 'Rác thải ùn ứ đầu ngõ 12 Tạ Quang Bửu ba ngày.' };
    const probes: [string, PromiseLike<{ status: number; body: unknown; text: string }>, number][] = [
      [
        'hotline case by name',
        engine
          .http()
          .get(`/v1/hotline/cases/${path(NAME)}`)
          .set(bearer(t.op1)),
        404,
      ],
      ['hotline case by a name without diacritics', engine.http().get('/v1/hotline/cases/Nguyen-Van-Thanh').set(bearer(t.op1)), 404],
      ['Open311 request by name', engine.http().get(`/open311/v2/requests/${path(NAME)}.json`), 404],
      ['Open311 ids', engine.http().get(`/open311/v2/requests.json?service_request_id=${path(`${NAME},${PHONE}`)}`), 400],
      ['Open311 ids, a number first', engine.http().get(`/open311/v2/requests.json?service_request_id=${path(`0987 654 321,${NAME}`)}`), 400],
      ['Open311 status', engine.http().get(`/open311/v2/requests.json?status=${path(`${NAME} ${PHONE}`)}`), 400],
      [
        'Open311 field named so',
        engine
          .http()
          .post('/open311/v2/requests.json')
          .type('form')
          .send({ ...form, [`${NAME} ${PHONE}`]: 'x' }),
        400,
      ],
      [
        'Open311 attribute named so',
        engine
          .http()
          .post('/open311/v2/requests.json')
          .type('form')
          .send({ ...form, [`attribute[${PHONE}]`]: 'x' }),
        400,
      ],
      [
        'intake field named so',
        engine
          .http()
          .post('/v1/feedback')
          .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
          .send({ ...CALL, citizen: { name: NAME, [`${NAME} ${ID_NUMBER}`]: PHONE } }),
        400,
      ],
      [
        'query parameter named so',
        engine
          .http()
          .get(`/v1/cases?${path(NAME)}=1&limit=5`)
          .set(bearer(t.handler)),
        400,
      ],
      [
        'query parameter named by a number',
        engine
          .http()
          .get(`/v1/categories?${path(PHONE)}=1`)
          .set({ 'X-Api-Key': DEV_KEYS.ihanoi }),
        400,
      ],
    ];
    const answers = [];
    for (const [what, res] of probes) answers.push(quotedIn(what, await res));
    expect(answers).toEqual(probes.map(([what, , status]) => unquoted(what, status)));
  });

  it('keeps quoting what holds nothing personal: a tracking code, a status, a field', async () => {
    const notFound = await engine.http().get('/v1/hotline/cases/7KM3Q-9X2AB').set(bearer(t.op1));
    expect((notFound.body as { message: string }).message).toContain("'7KM3Q-9X2AB'");
    const status = await engine.http().get('/open311/v2/requests.json?status=opened');
    expect(JSON.stringify(status.body)).toContain("'opened'");
    const field = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({ ...CALL, citizen: { nam: 'x' } });
    expect((field.body as { message: string }).message).toContain('property nam should not exist');
  });

  // Runs last: every request above has been logged by now.
  it('logs none of it', () => {
    const lines = stdout.text().split('\n');
    const leaked = lines.filter((l) => PERSONAL.test(l) || PERSONAL.test(decodeURIComponentSafe(l)));
    expect(leaked).toEqual([]);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
