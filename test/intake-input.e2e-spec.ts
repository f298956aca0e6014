import type { OpenAPIObject } from '@nestjs/swagger';
import { DEV_KEYS, rawRequest, TestEngine } from '@fr/testing';
import { createApiApp } from '../apps/api/src/bootstrap';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { HealthDto } from '../apps/api/src/health/health.controller';
import type { AreaDto, FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.hotline };
const valid = () => ({
  externalId: 'call-0001',
  category: 'sanitation',
  description: 'Rác thải tồn đọng ba ngày ở đầu ngõ 18 Lê Thanh Nghị, bốc mùi hôi thối.',
  location: { wardCode: 'BACH_KHOA' },
  citizen: { name: 'Trần Văn Bình', phone: '0987 654 321' },
});

describe('intake: idempotency and bad input', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    // No worker: these tests are about what intake stores, and nothing must route under them.
    engine = await TestEngine.start({ worker: false });
  });
  afterAll(() => engine?.close());

  const count = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases`))[0].n;
  const post = (body: unknown, headers: Record<string, string> = KEY) =>
    engine
      .http()
      .post('/v1/feedback')
      .set(headers)
      .send(body as object);

  it('gives one case for the same (channel, externalId) posted twice', async () => {
    const first = await post({ ...valid(), externalId: 'twice' });
    const second = await post({ ...valid(), externalId: 'twice', description: 'gửi lại' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const rows = await engine.query(`SELECT id FROM cases WHERE external_id = 'twice'`);
    expect(rows).toHaveLength(1);
    expect(await engine.query(`SELECT * FROM outbox WHERE payload->>'caseId' = $1`, [(first.body as FeedbackAcceptedDto).id])).toHaveLength(1);
  });

  it('gives one case for the same (channel, externalId) posted 20 times concurrently', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => post({ ...valid(), externalId: 'burst-1' })));
    const ids = new Set(responses.map((r) => (r.body as FeedbackAcceptedDto).id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    const [id] = [...ids];
    expect(await engine.query(`SELECT id FROM cases WHERE external_id = 'burst-1'`)).toHaveLength(1);
    expect(await engine.query(`SELECT id FROM audit_events WHERE case_id = $1`, [id])).toHaveLength(1);
    expect(await engine.query(`SELECT id FROM outbox WHERE payload->>'caseId' = $1`, [id])).toHaveLength(1);
  });

  it('keeps the same externalId from different channels apart', async () => {
    const a = await post({ ...valid(), externalId: 'shared-7' });
    const b = await post({ ...valid(), externalId: 'shared-7' }, { 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect((a.body as FeedbackAcceptedDto).id).not.toBe((b.body as FeedbackAcceptedDto).id);
  });

  const long = (n: number) => 'ă'.repeat(n);
  const cases: [string, () => unknown, number, RegExp][] = [
    ['missing description', () => ({ ...valid(), description: undefined }), 400, /^description is required$/],
    ['blank description', () => ({ ...valid(), description: '   ' }), 400, /description must not be blank/],
    ['missing category', () => ({ ...valid(), category: undefined }), 400, /^category is required$/],
    ['missing location', () => ({ ...valid(), location: undefined }), 400, /^location is required$/],
    [
      'a missing field beside a wrong one',
      () => ({ ...valid(), category: undefined, description: 42 }),
      400,
      /^category is required; description must be a string$/,
    ],
    ['oversized description', () => ({ ...valid(), description: long(5001) }), 400, /description must be shorter than or equal to 5000 characters/],
    ['oversized title', () => ({ ...valid(), title: long(201) }), 400, /title must be shorter than or equal to 200/],
    ['oversized externalId', () => ({ ...valid(), externalId: 'x'.repeat(101) }), 400, /externalId must be shorter than or equal to 100/],
    [
      'too many attachments',
      () => ({ ...valid(), attachments: Array.from({ length: 11 }, () => ({ url: 'https://a.vn/x.jpg', kind: 'image' })) }),
      400,
      /attachments must contain no more than 10/,
    ],
    ['an unknown field', () => ({ ...valid(), priority: 'high' }), 400, /property priority should not exist/],
    ['an unknown nested field', () => ({ ...valid(), citizen: { name: 'A', idNumber: '001' } }), 400, /citizen\.idNumber: property idNumber should not exist/],
    ['a number where text belongs', () => ({ ...valid(), description: 42 }), 400, /description must be a string/],
    ['text where a number belongs', () => ({ ...valid(), location: { lat: 'north' } }), 400, /location\.lat/],
    ['an out-of-range latitude', () => ({ ...valid(), location: { lat: 123, lng: 105 } }), 400, /^location\.lat: lat must be a latitude \(-90\.\.90\)$/],
    // The type's problem alone: no range problem for a value whose type is wrong.
    [
      'a latitude as text',
      () => ({ ...valid(), location: { lat: '21.0', lng: 105 } }),
      400,
      /^location\.lat: lat must be a number \(a JSON number, not text\)$/,
    ],
    ['attachments as an object', () => ({ ...valid(), attachments: { url: 'https://a.vn/x.jpg', kind: 'image' } }), 400, /^attachments must be an array$/],
    ['a bad phone number', () => ({ ...valid(), citizen: { phone: 'call me' } }), 400, /citizen\.phone: phone must be a phone number/],
    // Too short: the message says the length, in digits, as well as the characters it takes; spaced out to six
    // characters, five digits are still five (test/phone-fields.e2e-spec.ts has every phone field).
    [
      'a phone number of five digits',
      () => ({ ...valid(), citizen: { phone: '12345' } }),
      400,
      /^citizen\.phone: phone must be a phone number of 6 to 20 digits \(with spaces, \. \( \) - and a leading \+: 20 characters at most\)$/,
    ],
    [
      'a phone number of five digits spaced out',
      () => ({ ...valid(), citizen: { phone: '12 345' } }),
      400,
      /^citizen\.phone: phone must be a phone number of 6 to 20 digits/,
    ],
    ['a bad attachment url', () => ({ ...valid(), attachments: [{ url: 'javascript:alert(1)', kind: 'image' }] }), 400, /attachments\[0\]\.url/],
    ['a NUL character', () => ({ ...valid(), description: 'abc\u0000def' }), 400, /description must not contain NUL characters/],
    ['a bad submittedAt', () => ({ ...valid(), submittedAt: 'yesterday' }), 400, /submittedAt must be an ISO 8601/],
    ['an array body', () => [valid()], 400, /^the request body must be a JSON object, not an array$/],
    ['a NUL in a code', () => ({ ...valid(), category: 'sanitation\u0000' }), 400, /category must not contain NUL/],
    ['a lone surrogate', () => ({ ...valid(), externalId: 'ab\udc00' }), 400, /externalId is not valid Unicode text/],
    ['a lone surrogate in free text', () => ({ ...valid(), description: 'rác \ud800 thải' }), 400, /description is not valid Unicode/],
    // XML cannot carry them: Open311's XML answers dropped them while JSON showed them.
    [
      'a noncharacter in an address',
      () => ({ ...valid(), location: { wardCode: 'BACH_KHOA', address: 'abc \ufffe def' } }),
      400,
      /^location\.address is not valid Unicode text \(it contains the noncharacter U\+FFFE\)$/,
    ],
    [
      'a C1 control character in free text',
      () => ({ ...valid(), description: 'Rác thải\u0085ở ngõ 5 chưa được thu gom.' }),
      400,
      /^description must not contain control characters \(U\+0085\)/,
    ],
    [
      'a right-to-left override in a name',
      () => ({ ...valid(), citizen: { name: 'Nguyễn \u202eVăn' } }),
      400,
      /^citizen\.name must not contain bidirectional control characters/,
    ],
    [
      'a bidi isolate in free text',
      () => ({ ...valid(), description: 'Rác thải \u2067ở ngõ 5\u2069 chưa được thu gom.' }),
      400,
      /^description must not contain bidirectional/,
    ],
    ['attachments that are not objects', () => ({ ...valid(), attachments: [[]] }), 400, /each attachment must be an object/],
    ['a week date that no clock can read', () => ({ ...valid(), submittedAt: '2026-W01-1' }), 400, /submittedAt must be an ISO 8601 date-time/],
    ['a date past 2100', () => ({ ...valid(), submittedAt: '9999-12-31T23:59:59Z' }), 400, /submittedAt must be between the years 2000 and 2099/],
    // Date.parse took these for 2 March, 10:00 UTC (17:00 in Hanoi) and midnight UTC.
    [
      'a day that does not exist',
      () => ({ ...valid(), submittedAt: '2026-02-30T10:00:00Z' }),
      400,
      /submittedAt '2026-02-30T10:00:00Z' is not a real date and time/,
    ],
    ['a time without its offset', () => ({ ...valid(), submittedAt: '2026-01-01T10:00:00' }), 400, /submittedAt must be an ISO 8601 date-time with its offset/],
    [
      'a latitude without its longitude',
      () => ({ ...valid(), location: { wardCode: 'BACH_KHOA', lat: 21.0 } }),
      400,
      /location.lat and location.lng go together/,
    ],
    ['a description of zero-width spaces only', () => ({ ...valid(), description: '\u200b'.repeat(30) }), 400, /description must not be blank/],
    // Accents with no letter under them show nothing.
    ['a description of combining marks only', () => ({ ...valid(), description: '\u0301\u0323'.repeat(10) }), 400, /description must not be blank/],
    ['a bare date', () => ({ ...valid(), submittedAt: '2026-01-01' }), 400, /submittedAt must be an ISO 8601 date-time with its offset/],
    [
      'a submittedAt a day ahead of the clock',
      () => ({ ...valid(), submittedAt: new Date(Date.now() + 86_400_000).toISOString() }),
      422,
      /^submittedAt \S+ is later than now \(\S+\): the sender's clock is wrong; leave submittedAt out and the time of receipt is used$/,
    ],
    ['an unknown category', () => ({ ...valid(), category: 'ufo_sighting' }), 422, /category 'ufo_sighting' is not a known category/],
    ['a complaint (another legal track)', () => ({ ...valid(), category: 'complaint_denunciation' }), 422, /Law on Complaints/],
    [
      'an unknown wardCode',
      () => ({ ...valid(), location: { wardCode: 'KHONG_TON_TAI' } }),
      422,
      /^location\.wardCode 'KHONG_TON_TAI' is not a known area code; GET \/v1\/areas lists them$/,
    ],
  ];

  it.each(cases)('refuses %s with a message naming the problem, and stores nothing', async (_what, body, status, message) => {
    const before = await count();
    const res = await post(body());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String) as unknown });
    expect((res.body as ErrorDto).message).toMatch(message);
    expect(await count()).toBe(before);
  });

  it('keeps a past submittedAt, and takes a clock a few minutes ahead as the time of receipt', async () => {
    const past = await post({ ...valid(), externalId: 'sent-earlier', submittedAt: '2026-11-29T09:15:00+07:00' });
    const ahead = await post({ ...valid(), externalId: 'clock-ahead', submittedAt: new Date(Date.now() + 3 * 60_000).toISOString() });
    const future = await post({ ...valid(), externalId: 'clock-wrong', submittedAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.status).toBe(422);
    expect((future.body as ErrorDto & { errors: unknown }).errors).toEqual([
      { field: 'submittedAt', problems: [expect.stringMatching(/^submittedAt .* is later than now/) as unknown] },
    ]);
    const sevenDigits = await post({ ...valid(), externalId: 'dotnet-clock', submittedAt: '2026-11-29T09:15:00.1234567+07:00' });
    expect([past.status, ahead.status, sevenDigits.status]).toEqual([202, 202, 202]);
    const rows = await engine.query<{ external_id: string; submitted_at: Date; received_at: Date }>(
      `SELECT external_id, submitted_at, received_at FROM cases WHERE external_id IN ('sent-earlier', 'clock-ahead') ORDER BY external_id`,
    );
    expect(rows[0].external_id).toBe('clock-ahead');
    expect(rows[0].submitted_at.getTime()).toBe(rows[0].received_at.getTime());
    expect(rows[1].submitted_at.toISOString()).toBe('2026-11-29T02:15:00.000Z');
  });

  it('takes an optional text that shows nothing (blanks, zero-width characters, accents over nothing) as absent, not as text', async () => {
    const res = await post({
      ...valid(),
      externalId: 'shows-nothing',
      location: { wardCode: 'BACH_KHOA', address: ' \u200b ' },
      citizen: { name: '\u0301\u0301', phone: '0987 654 322' },
    });
    expect(res.status).toBe(202);
    expect(await engine.query(`SELECT citizen_name, address FROM cases WHERE external_id = 'shows-nothing'`)).toEqual([{ citizen_name: null, address: null }]);
  });

  it('names the field of an unknown code and where to find the valid ones', async () => {
    const ward = await post({ ...valid(), externalId: 'unknown-ward', location: { wardCode: 'PHUONG_CU', address: 'Số 5 phố Huế' } });
    expect(ward.body).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: "location.wardCode 'PHUONG_CU' is not a known area code; GET /v1/areas lists them",
      errors: [{ field: 'location.wardCode', problems: ["location.wardCode 'PHUONG_CU' is not a known area code; GET /v1/areas lists them"] }],
    });
    const category = await post({ ...valid(), category: 'ufo_sighting' });
    expect((category.body as ErrorDto).errors).toEqual([{ field: 'category', problems: [expect.stringContaining('GET /v1/categories lists them')] }]);
    // Every code GET /v1/areas lists is accepted, in any case, as routing matches it.
    const areas = (await engine.http().get('/v1/areas').set(KEY)).body as AreaDto[];
    for (const [i, code] of [areas[0].code, areas.at(-1)!.code.toLowerCase()].entries()) {
      expect((await post({ ...valid(), externalId: `listed-ward-${i}`, location: { wardCode: code } })).status).toBe(202);
    }
    expect(await engine.query(`SELECT id FROM cases WHERE external_id = 'unknown-ward'`)).toEqual([]);
  });

  it('refuses JSON nested far too deep, without exhausting the stack', async () => {
    const before = await count();
    const body = JSON.stringify(valid()).replace(/}$/, `, "attachments": ${'['.repeat(10000)}${']'.repeat(10000)}}`);
    const res = await engine.http().post('/v1/feedback').set(KEY).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect((res.body as ErrorDto).message).toMatch(/attachments\[0\].* is nested more than 16 levels deep/);
    expect(await count()).toBe(before);
  });

  it('refuses malformed JSON', async () => {
    const before = await count();
    const res = await engine.http().post('/v1/feedback').set(KEY).set('Content-Type', 'application/json').send('{"category": "sanitation",');
    expect(res.status).toBe(400);
    expect((res.body as ErrorDto).message).toMatch(/JSON/);
    // Valid JSON that is not an object: the message says so, not that it is invalid JSON.
    for (const body of ['null', '42', '"hello"']) {
      const scalar = await engine.http().post('/v1/feedback').set(KEY).set('Content-Type', 'application/json').send(body);
      expect([body, scalar.status, (scalar.body as ErrorDto).message]).toEqual([body, 400, 'the request body must be a JSON object']);
    }
    expect(await count()).toBe(before);
  });

  it('refuses a JSON body naming a key twice in one object (the parser keeps the last, a gateway may read the first)', async () => {
    const before = await count();
    const twice = JSON.stringify(valid()).replace(/^\{/, '{"category":"complaint_denunciation",');
    const res = await engine.http().post('/v1/feedback').set(KEY).set('Content-Type', 'application/json').send(twice);
    expect(res.status).toBe(400);
    expect((res.body as ErrorDto).message).toBe("the JSON body names 'category' twice in one object: send each field once");
    const login = await engine
      .http()
      .post('/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"username":"admin","password":"wrong","password":"admin"}');
    expect(login.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('refuses a body that is not JSON with 415, saying what to send', async () => {
    const before = await count();
    for (const [type, body] of [
      ['text/plain', 'Hàng quán lấn chiếm vỉa hè'],
      ['application/x-www-form-urlencoded', 'category=sanitation&description=r%C3%A1c'],
      ['application/xml', '<feedback/>'],
    ]) {
      const res = await engine.http().post('/v1/feedback').set(KEY).set('Content-Type', type).send(body);
      expect(res.status).toBe(415);
      expect((res.body as ErrorDto).message).toContain(`send the body as application/json, not ${type}`);
    }
    expect(await count()).toBe(before);
  });

  it('reads a body sent with a +json media type as JSON (it was left unparsed and refused as empty)', async () => {
    for (const [i, type] of ['application/problem+json', 'application/vnd.ihanoi.feedback+json; charset=utf-8'].entries()) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .set('Content-Type', type)
        .send(JSON.stringify({ ...valid(), externalId: `plus-json-${i}` }));
      expect(res.status).toBe(202);
    }
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .set('Content-Type', 'application/ld+json')
      .send(JSON.stringify({ ...valid(), title: null, description: 7 }));
    expect(res.status).toBe(400);
    expect((res.body as ErrorDto).message).toMatch(/^description must be/); // only what is wrong, not a list of every field
  });

  it('refuses a body over the size limit with 413, before parsing it', async () => {
    const before = await count();
    const res = await post({ ...valid(), description: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect((res.body as ErrorDto).message).toMatch(/larger than/);
    expect(await count()).toBe(before);
  });

  it("accepts a channel's previous key beside its new one while the key is rotated (FR_KEY_<CHANNEL>_PREVIOUS)", async () => {
    const app = await createApiApp({
      ...engine.config,
      channelKeys: { ...engine.config.channelKeys, hotline_1022: 'hotline-key-of-2027-rotation' },
      previousChannelKeys: { hotline_1022: DEV_KEYS.hotline },
    });
    try {
      const send = (key: string, externalId: string) =>
        engine
          .http(app)
          .post('/v1/feedback')
          .set('X-Api-Key', key)
          .send({ ...valid(), externalId });
      expect((await send('hotline-key-of-2027-rotation', 'rotation-new')).status).toBe(202);
      expect((await send(DEV_KEYS.hotline, 'rotation-old')).status).toBe(202);
      expect((await send('hotline-key-of-2026-rotation', 'rotation-other')).status).toBe(401);
      const rows = await engine.query<{ external_id: string; channel_code: string }>(
        `SELECT external_id, channel_code FROM cases WHERE external_id LIKE 'rotation-%' ORDER BY external_id`,
      );
      expect(rows).toEqual([
        { external_id: 'rotation-new', channel_code: 'hotline_1022' },
        { external_id: 'rotation-old', channel_code: 'hotline_1022' },
      ]);
    } finally {
      await app.close();
    }
  });

  it('refuses a missing or bad API key', async () => {
    const before = await count();
    const none = await post(valid(), {});
    expect(none.status).toBe(401);
    expect((none.body as ErrorDto).message).toMatch(/missing X-Api-Key/);
    const bad = await post(valid(), { 'X-Api-Key': 'dev-ihanoi-key-x' });
    expect(bad.status).toBe(401);
    expect((bad.body as ErrorDto).message).toMatch(/invalid X-Api-Key/);
    // The right key sent twice: Node joins the two, which read as a wrong key.
    const body = JSON.stringify(valid());
    // An array value is sent as two header lines.
    const sent = await rawRequest(
      `${await engine.url()}/v1/feedback`,
      'POST',
      { 'Content-Type': 'application/json', 'X-Api-Key': [DEV_KEYS.ihanoi, DEV_KEYS.ihanoi] },
      body,
    );
    const twice = { status: sent.status, message: sent.message };
    expect(twice).toEqual({ status: 401, message: 'X-Api-Key is sent 2 times; send it once' });
    expect((await engine.http().get('/v1/categories')).status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('answers /health and serves the OpenAPI description', async () => {
    const health = await engine.http().get('/health');
    expect(health.status).toBe(200);
    expect((health.body as HealthDto).details).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
    const doc = await engine.http().get('/docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys((doc.body as OpenAPIObject).paths)).toEqual(expect.arrayContaining(['/v1/feedback', '/v1/feedback/{trackingCode}']));
  });
});
