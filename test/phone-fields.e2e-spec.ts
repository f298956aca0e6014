import { adminToken, bearer, createOfficer, DEV_KEYS, errorOf, TestEngine } from '@fr/testing';

// Boot and two officers (argon2) take longer than Jest's 5 s default.
jest.setTimeout(60_000);

/** What every channel's phone field says when it refuses a number: the length it takes, in digits, and how it may be written. */
const CHANNEL_RULE = 'phone must be a phone number of 6 to 20 digits (with spaces, . ( ) - and a leading +: 20 characters at most)';
/** The hotline's: a number the desk can find the caller by. */
const DESK_ENTRY_RULE = 'phone is not a number the desk can find the caller by (9 to 11 digits, a leading +84 read as 0); check it with the caller';
const DESK_SEARCH_RULE = 'phone must be a phone number of 9 to 11 digits (a leading +84 is read as 0)';

/** An error's message; Open311 answers GeoReport's list of `{ code, description }`. */
function said(res: { body: unknown }): string | undefined {
  return Array.isArray(res.body) ? (res.body as { description?: string }[])[0]?.description : errorOf(res).message;
}

/** Lengths outside what a channel's phone field takes, however they are written. */
const TOO_SHORT = ['12345', '12 345', '(12) 3-45', '+1.2.3.4.5', '------'];
const TOO_LONG = ['0'.repeat(21), `+${'0'.repeat(20)}`, '0912 345 678 901 234 567'];

/**
 * Every place that takes a phone refuses one of a length it does not take with a 400 whose message says the
 * length it takes, once (no second, generic message beside it): intake, Open311's `phone`, subject requests
 * (`phone` and `corrections.phone`), the records of reads, and the hotline's entry and search.
 */
describe('phone fields: a refused length is said, in digits, the same way everywhere', () => {
  let engine: TestEngine;
  let admin = '';
  let operator = '';
  const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
  const CALL = {
    category: 'sidewalk_encroachment',
    description: 'Quán nước lấn chiếm vỉa hè ngõ 40 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
    location: { wardCode: 'BACH_KHOA' },
  };

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_PRIVACY_LIMIT_PER_CHANNEL: '500', FR_PRIVACY_LIMIT_PER_CHANNEL_DAY: '5000' } });
    admin = await adminToken(engine);
    operator = (await createOfficer(engine, admin, { username: 'phone.rule.op', role: 'OPERATOR', unitCode: 'VP' })).token;
  });
  afterAll(() => engine?.close());

  const places: [string, (phone: string) => Promise<{ status: number; body: unknown }>, (phone: string) => string][] = [
    [
      'intake',
      (phone) =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...CALL, citizen: { phone } }),
      () => `citizen.phone: ${CHANNEL_RULE}`,
    ],
    [
      'Open311',
      (phone) =>
        engine
          .http()
          .post('/open311/v2/requests.json')
          .type('form')
          .send(
            new URLSearchParams({
              api_key: DEV_KEYS.ihanoi,
              service_code: 'sidewalk_encroachment',
              address_string: 'ngõ 40 Tạ Quang Bửu',
              description: 'Lấn chiếm vỉa hè.',
              phone,
            }).toString(),
          ),
      () => `phone: ${CHANNEL_RULE}`,
    ],
    ['a subject request', (phone) => engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'access', phone }), () => CHANNEL_RULE],
    [
      "a subject request's correction",
      (phone) => engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'correct', email: 'minh.tran@example.vn', corrections: { phone } }),
      () => `corrections.phone: ${CHANNEL_RULE}`,
    ],
    [
      'the records of reads',
      (phone) =>
        engine
          .http()
          .get(`/v1/privacy/reads?phone=${encodeURIComponent(phone)}`)
          .set(bearer(admin)),
      () => CHANNEL_RULE,
    ],
    [
      "the hotline's entry",
      (phone) =>
        engine
          .http()
          .post('/v1/hotline/feedback')
          .set(bearer(operator))
          .send({ ...CALL, citizen: { phone } }),
      () => `citizen.phone: ${DESK_ENTRY_RULE}`,
    ],
    [
      "the hotline's search",
      (phone) =>
        engine
          .http()
          .get(`/v1/hotline/cases?phone=${encodeURIComponent(phone)}`)
          .set(bearer(operator)),
      () => DESK_SEARCH_RULE,
    ],
  ];

  for (const [place, send, message] of places) {
    it(`${place}: too few or too many digits is a 400 that says the length it takes`, async () => {
      const answers = [];
      for (const phone of [...TOO_SHORT, ...TOO_LONG]) {
        const res = await send(phone);
        answers.push({ phone, status: res.status, message: said(res) });
      }
      expect(answers).toEqual([...TOO_SHORT, ...TOO_LONG].map((phone) => ({ phone, status: 400, message: message(phone) })));
    });
  }

  it("the hotline also refuses what a channel takes but the desk could not find the caller by, in the desk's words", async () => {
    for (const phone of ['123456', '12345678', '091234567890']) {
      const entry = await engine
        .http()
        .post('/v1/hotline/feedback')
        .set(bearer(operator))
        .send({ ...CALL, citizen: { phone } });
      expect({ phone, status: entry.status, message: said(entry) }).toEqual({ phone, status: 400, message: `citizen.phone: ${DESK_ENTRY_RULE}` });
      expect((entry.body as { errors: unknown }).errors).toEqual([{ field: 'citizen.phone', problems: [DESK_ENTRY_RULE] }]);
    }
  });

  it("the desk's search says its rule for a number of more than 30 characters too, not only a length", async () => {
    const phone = '0912 345 678 901 234 567 890 123 456';
    const res = await engine
      .http()
      .get(`/v1/hotline/cases?phone=${encodeURIComponent(phone)}`)
      .set(bearer(operator));
    expect({ status: res.status, message: said(res) }).toEqual({ status: 400, message: `${DESK_SEARCH_RULE}; this is ${phone.length} characters` });
  });

  it('says a phone that is not text is not text, and nothing more', async () => {
    const number = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ ...CALL, citizen: { phone: 912345678 } });
    expect({ status: number.status, message: said(number) }).toEqual({ status: 400, message: 'citizen.phone: phone must be a string' });
    const desk = await engine
      .http()
      .post('/v1/hotline/feedback')
      .set(bearer(operator))
      .send({ ...CALL, citizen: { phone: 912345678 } });
    expect({ status: desk.status, message: said(desk) }).toEqual({ status: 400, message: 'citizen.phone: phone must be a string' });
    const twice = await engine.http().get('/v1/privacy/reads?phone=0912345678&phone=0912345679').set(bearer(admin));
    expect(twice.status).toBe(400);
    expect(said(twice)).toBe('query parameter phone is given more than once; give it once');
  });

  it('still takes the numbers it took', async () => {
    for (const phone of ['123456', '0912 345 678', '+84 912 345 678', '(024) 3825 1234', '0912-345-678', '0'.repeat(20), `+${'0'.repeat(19)}`]) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({ ...CALL, citizen: { phone } });
      expect({ phone, status: res.status }).toEqual({ phone, status: 202 });
      const reads = await engine
        .http()
        .get(`/v1/privacy/reads?phone=${encodeURIComponent(phone)}`)
        .set(bearer(admin));
      expect({ phone, status: reads.status }).toEqual({ phone, status: 200 });
    }
    for (const phone of ['0912 345 678', '+84 912 345 678', '(024) 3825 1234']) {
      const res = await engine
        .http()
        .post('/v1/hotline/feedback')
        .set(bearer(operator))
        .send({ ...CALL, citizen: { phone } });
      expect({ phone, status: res.status }).toEqual({ phone, status: 202 });
      expect(
        (
          await engine
            .http()
            .get(`/v1/hotline/cases?phone=${encodeURIComponent(phone)}`)
            .set(bearer(operator))
        ).status,
      ).toBe(200);
    }
  });
});
