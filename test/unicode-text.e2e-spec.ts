import { adminToken, bearer, createOfficer, DEV_KEYS, errorOf, submitRouted, TestEngine } from '@fr/testing';

/**
 * Text limits counted as PostgreSQL counts them (code points), and e-mail addresses compared as
 * stored (NFC), whatever form the caller's keyboard or library sent.
 */

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/**
 * A letter followed by a variation selector (U+FE0F, "show as emoji"): two code points that the
 * length check of class-validator (validator.js isLength) counts as one character.
 */
const paired = (n: number) => 'a\uFE0F'.repeat(n);
const FEEDBACK = { category: 'sanitation', description: 'Rác thải tập kết sai nơi quy định.', location: { wardCode: 'BACH_KHOA' } };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
/** The message of an error answer, GeoReport's (`[{ code, description }]`) or the API's own. */
const messageOf = (res: { body: unknown }) => (Array.isArray(res.body) ? (res.body as { description: string }[])[0].description : errorOf(res).message);
const form = (fields: Record<string, string>) => new URLSearchParams({ api_key: DEV_KEYS.ihanoi, service_code: 'sanitation', ...fields }).toString();

describe('Vietnamese text in any form', () => {
  let engine: TestEngine;
  let admin: string;
  let leader: string;
  let operator: string;
  let handler: string;
  let caseId: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
    leader = (await createOfficer(engine, admin, { username: 'limits.leader', role: 'LEADER', unitCode: 'P_BACH_KHOA' })).token;
    handler = (await createOfficer(engine, admin, { username: 'limits.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    operator = (await createOfficer(engine, admin, { username: 'limits.operator', role: 'OPERATOR', unitCode: 'VP' })).token;
    ({ id: caseId } = await submitRouted(engine, KEY, { ...FEEDBACK, citizen: { name: 'Trần Văn Minh', phone: '0912340001' } }));
  });
  afterAll(() => engine?.close());

  // Each field at its documented limit in letter + selector pairs: as many pairs as the limit is
  // twice the limit in code points. A varchar column refused it with a 500; a text column stored
  // twice what the contract allows.
  const overLimit: [string, () => Promise<{ status: number; body: unknown }>, RegExp][] = [
    [
      'intake title (200)',
      () =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...FEEDBACK, title: paired(200) }),
      /title/,
    ],
    [
      'intake address (500)',
      () =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...FEEDBACK, location: { address: paired(500) } }),
      /address/,
    ],
    [
      'intake externalId (100)',
      () =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...FEEDBACK, externalId: paired(100) }),
      /externalId/,
    ],
    [
      'intake citizen.name (200)',
      () =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...FEEDBACK, citizen: { name: paired(200) } }),
      /name/,
    ],
    [
      'intake description (5000)',
      () =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send({ ...FEEDBACK, description: paired(5000) }),
      /description/,
    ],
    [
      'Open311 address_string (500)',
      () =>
        engine
          .http()
          .post('/open311/v2/requests.json')
          .set(FORM)
          .send(form({ description: 'Rác', address_string: paired(500) })),
      /address_string/,
    ],
    [
      'Open311 first_name (200)',
      () =>
        engine
          .http()
          .post('/open311/v2/requests.json')
          .set(FORM)
          .send(form({ description: 'Rác', address_string: 'phường Bách Khoa', first_name: paired(200) })),
      /first_name/,
    ],
    [
      'hotline title (200)',
      () =>
        engine
          .http()
          .post('/v1/hotline/feedback')
          .set(bearer(operator))
          .send({ ...FEEDBACK, title: paired(200), citizen: { phone: '0912340002' } }),
      /title/,
    ],
    [
      'officer fullName (200)',
      () =>
        engine
          .http()
          .post('/v1/officers')
          .set(bearer(admin))
          .send({ username: 'limits.paired', password: 'Mật-khẩu-thử-2026', fullName: paired(200), role: 'HANDLER', unitCode: 'P_BACH_KHOA' }),
      /fullName/,
    ],
    [
      'notice title (200)',
      () =>
        engine
          .http()
          .post('/v1/notices')
          .set(bearer(leader))
          .send({ title: paired(200), body: 'Thông báo', kind: 'information' }),
      /title/,
    ],
    [
      'case note (5000)',
      () =>
        engine
          .http()
          .post(`/v1/cases/${caseId}/note`)
          .set(bearer(leader))
          .send({ text: paired(5000) }),
      /text/,
    ],
    [
      'privacy correction name (200)',
      () =>
        engine
          .http()
          .post('/v1/privacy/requests')
          .set(KEY)
          .send({ kind: 'correct', phone: '0912340001', corrections: { name: paired(200) } }),
      /name/,
    ],
  ];
  it.each(overLimit)('%s: twice the limit in code points is a 400 naming the field', async (_what, send, field) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(messageOf(res)).toMatch(field);
    expect(messageOf(res)).toMatch(/characters/);
  });

  it('takes the limit itself in code points: 100 pairs are a title of 200', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ ...FEEDBACK, title: paired(100), externalId: paired(50), location: { address: paired(250) } });
    expect(res.status).toBe(202);
    const [row] = await engine.query<{ title: string; address: string }>(`SELECT title, address FROM cases WHERE id = $1`, [(res.body as { id: string }).id]);
    expect([...row.title]).toHaveLength(200);
    expect([...row.address]).toHaveLength(500);
  });

  describe('a name is one line', () => {
    it.each([
      ['a line feed', 'Nguyễn Văn\nAn'],
      ['a carriage return and line feed', 'Nguyễn Văn\r\nAn'],
      ['a line separator', 'Nguyễn Văn\u2028An'],
    ])("an officer's fullName with %s is a 400, on creation and on change", async (_what, fullName) => {
      const created = await engine
        .http()
        .post('/v1/officers')
        .set(bearer(admin))
        .send({ username: 'limits.lines', password: 'Mật-khẩu-thử-2026', fullName, role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      expect(created.status).toBe(400);
      expect(errorOf(created).message).toMatch(/fullName must be one line/);
      const [{ id }] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'limits.leader'`);
      const changed = await engine.http().patch(`/v1/officers/${id}`).set(bearer(admin)).send({ fullName });
      expect(changed.status).toBe(400);
      expect(errorOf(changed).message).toMatch(/fullName must be one line/);
    });

    it("a unit's new name in a reorganisation plan with a line break is a 400 naming it", async () => {
      const res = await engine
        .http()
        .post('/v1/reorganisations?dryRun=true')
        .set(bearer(admin))
        .send({ name: 'Đổi tên', effectiveAt: '2027-03-01T00:00:00+07:00', renames: [{ unit: 'P_BACH_KHOA', name: 'Phường\nBách Khoa' }] });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(/renames\[0\]\.name must be one line/);
    });
  });

  // Codes are not trimmed: a space of any kind or a character that shows nothing, before, inside or after
  // one, is a 400 naming the field and the character, which the channel's log shows as nothing.
  describe('a category code or a ward code', () => {
    const held: [string, string, string][] = [
      ['a zero-width space after it', '\u200b', 'U+200B, a character that shows nothing'],
      ['a byte order mark before it', '\ufeff', 'U+FEFF, a character that shows nothing'],
      ['a no-break space after it', '\u00a0', 'U+00A0, a space'],
      ['a narrow no-break space after it', '\u202f', 'U+202F, a space'],
      ['a space after it', ' ', 'U+0020, a space'],
    ];
    const placed = (code: string, c: string) => (c === '\ufeff' ? `${c}${code}` : `${code}${c}`);

    it.each(held)('with %s is a 400 naming the field and the character, and nothing is stored', async (_what, c, named) => {
      const before = await engine.query<{ n: string }>(`SELECT count(*) AS n FROM cases`);
      const sends: [string, () => Promise<{ status: number; body: unknown }>][] = [
        [
          'location.wardCode',
          () =>
            engine
              .http()
              .post('/v1/feedback')
              .set(KEY)
              .send({ ...FEEDBACK, location: { wardCode: placed('BACH_KHOA', c) } }),
        ],
        [
          'category',
          () =>
            engine
              .http()
              .post('/v1/feedback')
              .set(KEY)
              .send({ ...FEEDBACK, category: placed('sanitation', c) }),
        ],
        [
          'location.wardCode',
          () =>
            engine
              .http()
              .post('/v1/hotline/feedback')
              .set(bearer(operator))
              .send({ ...FEEDBACK, location: { wardCode: placed('BACH_KHOA', c) }, citizen: { phone: '0912340003' } }),
        ],
        [
          'service_code',
          () =>
            engine
              .http()
              .post('/open311/v2/requests.json')
              .set(FORM)
              .send(form({ description: 'Rác', service_code: placed('sanitation', c), address_string: 'phường Bách Khoa' })),
        ],
        [
          'attribute[ward_code]',
          () =>
            engine
              .http()
              .post('/open311/v2/requests.json')
              .set(FORM)
              .send(form({ description: 'Rác', 'attribute[ward_code]': placed('BACH_KHOA', c) })),
        ],
      ];
      for (const [field, send] of sends) {
        const res = await send();
        expect([field, res.status]).toEqual([field, 400]);
        expect([field, messageOf(res).slice(0, field.length)]).toEqual([field, field]);
        expect(messageOf(res)).toContain(named);
      }
      expect(await engine.query<{ n: string }>(`SELECT count(*) AS n FROM cases`)).toEqual(before);
    });

    it('without such a character is told only what a code is', async () => {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({ ...FEEDBACK, location: { wardCode: 'BÁCH_KHOA' } });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toBe('location.wardCode: wardCode must be an area code (letters, digits, _ . -)');
    });
  });

  describe("a citizen's e-mail address", () => {
    const email = 'nguyễn.thị.hà@hbt.vn';
    let trackingCode: string;
    let id: string;
    beforeAll(async () => {
      ({ id, trackingCode } = await submitRouted(engine, KEY, { ...FEEDBACK, citizen: { name: 'Nguyễn Thị Hà', email } }));
    });

    it.each([
      ['a zero-width space in the domain', 'an@hbt.v\u200bn', 'U+200B'],
      ['a zero-width joiner in the local part', 'a\u200dn@hbt.vn', 'U+200D'],
      ['a variation selector at the end', 'an@hbt.vn\ufe0f', 'U+FE0F'],
      ['a soft hyphen', 'an@hbt\u00ad.vn', 'U+00AD'],
      ['an accent over no letter', 'an@hbt.\u0301vn', 'U+0301'],
    ])('is refused with %s (400), not stored where no lookup finds it', async (_what, invisible, codePoint) => {
      const before = await engine.query<{ n: string }>(`SELECT count(*) AS n FROM cases`);
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({ ...FEEDBACK, citizen: { email: invisible } });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(/citizen\.email/);
      expect(errorOf(res).message).toContain(codePoint);
      expect(await engine.query<{ n: string }>(`SELECT count(*) AS n FROM cases`)).toEqual(before);
      const correction = await engine
        .http()
        .post('/v1/privacy/requests')
        .set(KEY)
        .send({ kind: 'correct', email, corrections: { email: invisible } });
      expect(correction.status).toBe(400);
      expect(errorOf(correction).message).toMatch(/corrections\.email/);
    });

    it('stored with such a character before intake refused it, is still found by a data-subject request and in the contact reads', async () => {
      const stored = 'cu@hbt.v\u200bn';
      const earlier = await submitRouted(engine, KEY, { ...FEEDBACK, citizen: { name: 'Lê Văn Cũ', email: 'cu@hbt.vn' } });
      await engine.query(`UPDATE cases SET citizen_email = $2 WHERE id = $1`, [earlier.id, stored]);
      // The channel asks with the address as it holds it, the one the case was stored with.
      const access = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'access', email: stored });
      expect(access.status).toBe(201);
      expect((access.body as { trackingCodes: string[] }).trackingCodes).toEqual([earlier.trackingCode]);
      expect((await engine.http().get(`/v1/cases/${earlier.id}`).set(bearer(handler))).status).toBe(200);
      const reads = await engine.http().get('/v1/privacy/reads').query({ email: stored }).set(bearer(admin));
      expect(reads.status).toBe(200);
      expect((reads.body as { items: unknown[] }).items).toHaveLength(1);
    });

    it('is found by a data-subject request whether it is written composed (NFC) or decomposed (NFD)', async () => {
      for (const form of ['NFC', 'NFD'] as const) {
        const res = await engine
          .http()
          .post('/v1/privacy/requests')
          .set(KEY)
          .send({ kind: 'access', email: email.normalize(form) });
        expect(res.status).toBe(201);
        expect((res.body as { trackingCodes: string[] }).trackingCodes).toEqual([trackingCode]);
      }
    });

    it('is found in the contact reads whether it is written composed (NFC) or decomposed (NFD)', async () => {
      // A handler of the case's unit sees the contact whole: the read is recorded.
      expect((await engine.http().get(`/v1/cases/${id}`).set(bearer(handler))).status).toBe(200);
      for (const form of ['NFC', 'NFD'] as const) {
        const res = await engine
          .http()
          .get(`/v1/privacy/reads?email=${encodeURIComponent(email.normalize(form))}`)
          .set(bearer(admin));
        expect(res.status).toBe(200);
        expect((res.body as { items: unknown[] }).items).toHaveLength(1);
      }
    });
  });
});
