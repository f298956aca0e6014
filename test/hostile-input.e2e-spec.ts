import { createConnection } from 'node:net';
import { Agent, get, IncomingMessage, Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { maskEmail, maskPhone } from '@fr/domain';
import { IntakeController } from '../apps/api/src/intake/intake.controller';
import { UnitsController } from '../apps/api/src/units/units.controller';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, errorOf, rawRequest, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const valid = () => ({
  category: 'sanitation',
  description: 'Rác thải tồn đọng ba ngày ở đầu ngõ 18 Lê Thanh Nghị, bốc mùi hôi thối.',
  location: { wardCode: 'BACH_KHOA' },
});

/** What an attack run as a hostile integrator found (issue 10): each answer must be a 4xx, never a 500. */
describe('hostile input', () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    engine = await TestEngine.start();
    tokens.admin = await adminToken(engine);
    for (const [username, role, unitCode] of [
      ['hi.bk.handler', 'HANDLER', 'P_BACH_KHOA'],
      ['hi.bk.leader', 'LEADER', 'P_BACH_KHOA'],
      ['hi.supervisor', 'SUPERVISOR', 'VP'],
    ] as const) {
      const o = await createOfficer(engine, tokens.admin, { username, role, unitCode });
      tokens[username] = o.token;
      ids[username] = o.id;
    }
    const res = await engine
      .http()
      .put('/v1/units/P_BACH_KHOA/designation')
      .set(bearer(tokens.admin))
      .send({ handlerId: ids['hi.bk.handler'], leaderId: ids['hi.bk.leader'] });
    expect(res.status).toBe(200);
  });
  afterAll(() => engine?.close());

  it("tells keep-alive clients it keeps idle connections 65 s (Node's default is 5 s), so a reused connection is not reset", async () => {
    const base = await engine.url();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = get(`${base}/health`, { agent }, (r) => {
          r.resume();
          r.on('end', () => resolve(r));
        });
        req.on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      // Clients (Node's agent, undici) stop reusing a connection by this hint, proxies by their own 60 s.
      expect(res.headers['keep-alive']).toBe('timeout=65');
    } finally {
      agent.destroy();
    }
    // A body announced and not sent is cut after 70 s (Node's default: 300 s, a slowloris's friend).
    expect((engine.api.getHttpServer() as Server).requestTimeout).toBe(70_000);
  });

  it('refuses a query parameter an endpoint does not take, naming it and the ones it takes, instead of dropping it', async () => {
    const officer = bearer(tokens['hi.bk.handler']);
    // Misspelt: before, 200 with the active units only, as if the parameter had not been sent.
    const misspelt = await engine.http().get('/v1/units?inclde=inactive').set(officer);
    expect(misspelt.status).toBe(400);
    expect(errorOf(misspelt).message).toBe("unknown query parameter(s) 'inclde': it takes at, include");
    const all = await engine.http().get('/v1/units?include=inactive&at=2026-01-01T00:00:00Z').set(officer);
    expect(all.status).toBe(200);
    const calendar = await engine.http().get('/v1/calendars/2026?unit=P_BACH_KHOA&year=2027').set(officer);
    expect(calendar.status).toBe(400);
    expect(errorOf(calendar).message).toBe("unknown query parameter(s) 'year': it takes unit");
    expect((await engine.http().get('/v1/calendars/2026').set(officer)).status).toBe(200);
    // Still refused after the first request built the check's list (one app per process in production).
    expect((await engine.http().get('/v1/units?inclde=inactive').set(officer)).status).toBe(400);
    // A GET that takes no query parameter at all refuses one too: before, a filter nobody offers answered the whole list.
    for (const [path, auth] of [
      ['/v1/categories?foo=1', KEY],
      ['/v1/areas?active=true', KEY],
      ['/v1/auth/me?x=1', officer],
    ] as const) {
      const res = await engine.http().get(path).set(auth);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(errorOf(res).message).toMatch(/^unknown query parameter\(s\) '[a-z]+': it takes none$/);
    }
    expect((await engine.http().get('/v1/categories').set(KEY)).status).toBe(200);
    // The board page passes its query on to /board/view: a link to the board at a date still opens.
    expect((await engine.http().get('/board?at=2026-03-01T10:00:00%2B07:00&from=2026-01-01T00:00:00%2B07:00')).status).toBe(200);
    expect(errorOf(await engine.http().get('/board?unit=P_BACH_KHOA')).message).toBe("unknown query parameter(s) 'unit': it takes at, from");
    // One that takes its parameters as an object says which it takes too.
    // A '+' left unescaped in a URL is a space: the offset of a date-time, the shape the API's messages give, is still read as one.
    const due = await engine.http().get('/v1/cases?dueBefore=2026-12-10T00:00:00+07:00').set(officer);
    expect(due.status).toBe(200);
    expect((await engine.http().get('/v1/cases?dueBefore=2026-12-10T00:00:00 07:00x').set(officer)).status).toBe(400);
    const cases = await engine.http().get('/v1/cases?stauts=assigned').set(officer);
    expect(cases.status).toBe(400);
    expect(errorOf(cases).message).toBe('property stauts should not exist: it takes status, unit, assignee, overdue, dueBefore, cursor, limit');
  });

  it("refuses a field an action does not take, naming it and the ones it takes, instead of dropping it, even as null (the action's body has no such field); its own fields take null as left out", async () => {
    const sent = await engine.http().post('/v1/feedback').set(KEY).send(valid());
    const id = (sent.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    const routed = await waitFor(
      async () => (await engine.query<{ status: string; version: number }>(`SELECT status, version FROM cases WHERE id = $1`, [id]))[0],
      (c) => c.status === 'assigned',
      { what: 'the case to be routed' },
    );
    const handler = bearer(tokens['hi.bk.handler']);
    const acknowledge = (body: Record<string, unknown>) =>
      engine
        .http()
        .post(`/v1/cases/${id}/acknowledge`)
        .set(handler)
        .send({ expectedVersion: routed.version, ...body });
    const extra = await acknowledge({ reason: 'đã tiếp nhận', answer: 'x' });
    expect(extra.status).toBe(400);
    expect(errorOf(extra).message).toBe("'reason', 'answer' are not a field of the action 'acknowledge': it takes expectedVersion, severity");
    expect(errorOf(extra).errors?.map((e) => e.field)).toEqual(['reason', 'answer']);
    expect((await engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]))[0].status).toBe('assigned');
    const nullOfAnother = await acknowledge({ reason: null, severity: 'urgent' });
    expect(nullOfAnother.status).toBe(400);
    expect(errorOf(nullOfAnother).message).toBe("'reason' is not a field of the action 'acknowledge': it takes expectedVersion, severity");
    // A required field is asked for before the case is read: a stale version does not answer 409 first.
    const transfer = await engine
      .http()
      .post(`/v1/cases/${id}/transfer`)
      .set(handler)
      .send({ expectedVersion: routed.version + 7, unitCode: 'P_BACH_MAI', reason: null });
    expect(transfer.status).toBe(400);
    expect(errorOf(transfer).errors).toEqual([{ field: 'reason', problems: ['reason is required for this action'] }]);
    const acked = await acknowledge({ severity: null });
    expect(acked.status).toBe(200);
    expect((await engine.query<{ severity: string }>(`SELECT severity FROM cases WHERE id = $1`, [id]))[0].severity).toBe('normal');
  });

  it('puts the query check on the handlers that take named query parameters, and GETs that take none, so intake pays no interceptor chain', () => {
    const interceptors = (handler: unknown) =>
      ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler as object) ?? []) as object[]).map((i) => i.constructor.name);
    expect(interceptors(UnitsController.prototype.list)).toEqual(['KnownQueryInterceptor']);
    expect(interceptors(IntakeController.prototype.submit)).toEqual([]);
    expect(interceptors(IntakeController.prototype.rating)).toEqual([]);
  });

  const count = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases`))[0].n;
  /** Sends the bytes as they are (superagent would otherwise serialise a Buffer as JSON). */
  const postRaw = (body: string | Buffer) =>
    engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .set('Content-Type', 'application/json')
      .serialize((b: string | Buffer) => b as unknown as string)
      .send(body as string);

  describe('null in an optional field means the field is absent', () => {
    it.each([
      ['title', { title: null }],
      ['externalId', { externalId: null }],
      ['location.address', { location: { wardCode: 'BACH_KHOA', address: null } }],
      ['location.wardCode', { location: { wardCode: null, address: '25 Tạ Quang Bửu, phường Bách Khoa' } }],
      ['location.lat and lng', { location: { wardCode: 'BACH_KHOA', lat: null, lng: null } }],
      ['citizen.name', { citizen: { name: null, phone: '0912345678' } }],
      ['citizen.phone', { citizen: { name: 'Lê Thị Hoa', phone: null } }],
      ['citizen.email', { citizen: { name: 'Lê Thị Hoa', email: null } }],
      ['citizen', { citizen: null }],
      ['attachments and submittedAt', { attachments: null, submittedAt: null }],
    ])('accepts %s: null', async (_field, patch) => {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({ ...valid(), ...patch });
      expect(res.status).toBe(202);
      const [row] = await engine.query<Record<string, unknown>>(
        `SELECT title, external_id, address, ward_code, citizen_name, citizen_phone, citizen_email FROM cases WHERE id = $1`,
        [(res.body as ApiSchema<'FeedbackAcceptedDto'>).id],
      );
      if ('title' in patch) expect(row.title).toBeNull();
      if ('externalId' in patch) expect(row.external_id).toBeNull();
    });

    it('still refuses null where a value is required, naming the field', async () => {
      const before = await count();
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({ ...valid(), description: null });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(/description/);
      expect(await count()).toBe(before);
    });

    it('treats {"fullName": null} on PATCH /v1/officers/{id} as no fullName: nothing to change, the name kept', async () => {
      const nameOf = async () =>
        (await engine.query<{ full_name: string }>(`SELECT full_name FROM officers WHERE id = $1`, [ids['hi.bk.leader']]))[0].full_name;
      const name = await nameOf();
      const patch = (body: object) => engine.http().patch(`/v1/officers/${ids['hi.bk.leader']}`).set(bearer(tokens.admin)).send(body);
      const alone = await patch({ fullName: null });
      expect(alone.status).toBe(400);
      expect(errorOf(alone).message).toMatch(/nothing to update/);
      const withOther = await patch({ fullName: null, active: true });
      expect(withOther.status).toBe(200);
      expect((withOther.body as ApiSchema<'OfficerDto'>).fullName).toBe(name);
      expect(await nameOf()).toBe(name);
    });
  });

  it.each(['0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z'])('refuses a hand-made cursor dated %s with 400', async (due) => {
    const cursor = Buffer.from(JSON.stringify([due, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const res = await engine.http().get(`/v1/cases?cursor=${cursor}`).set(bearer(tokens['hi.supervisor']));
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/cursor/);
  });

  it.each([
    ['/v1/cases?dueBefore=2026-02-30T00:00:00Z', "dueBefore '2026-02-30T00:00:00Z' is not a real date and time"],
    ['/v1/cases?dueBefore=2026-02-01T00:00:00', 'dueBefore must be an ISO 8601 date-time with its offset'],
    ['/v1/compliance/board?at=2026-02-30T00:00:00Z', "at '2026-02-30T00:00:00Z' is not a real date and time"],
    ['/v1/units?at=2024-02-30', "at '2024-02-30' is not a real date"],
    ['/v1/units?at=', 'at must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset'],
    ['/v1/cases?dueBefore=2099-12-31T23:00:00-12:00', 'dueBefore must be between the years 2000 and 2099'],
    ['/v1/cases?dueBefore=2026-12-01T10:00:00-13:00', "dueBefore '2026-12-01T10:00:00-13:00' is not a real date and time"],
  ])('refuses a day that does not exist or a time without offset instead of rolling it over: %s', async (path, message) => {
    const res = await engine.http().get(path).set(bearer(tokens['hi.supervisor']));
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toContain(message);
  });

  it('refuses a board whose from is after its at (it counted no notice and found no gap)', async () => {
    const res = await engine.http().get('/v1/compliance/board?at=2026-03-01T10:00:00Z&from=2026-12-01T00:00:00Z').set(bearer(tokens['hi.supervisor']));
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/^from \(2026-12-01T00:00:00.000Z\) is after at \(2026-03-01T10:00:00.000Z\)/);
    // The page's view takes the same query and says the same.
    const view = await engine.http().get('/board/view?at=2026-03-01&from=2026-12-01').set(bearer(tokens['hi.supervisor']));
    expect(view.status).toBe(400);
    expect(errorOf(view).message).toMatch(/^from \(2026-11-30T17:00:00.000Z\) is after at \(2026-03-01T16:59:59.999Z\)/);
  });

  it('refuses a body of thousands of fields or items before validating it, and lists at most 50 problems', async () => {
    const keys: Record<string, unknown> = {
      username: 'a',
      password: 'b',
      ...Object.fromEntries(Array.from({ length: 21000 }, (_, i): [string, number] => [`k${i}`, 1])),
    };
    const login = await engine.http().post('/v1/auth/login').send(keys);
    expect(login.status).toBe(400);
    expect(errorOf(login).message).toBe('the request has 21002 fields; no object here takes more than 100');
    const items = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ ...valid(), attachments: Array.from({ length: 20000 }, () => ({})) });
    expect(items.status).toBe(400);
    expect(errorOf(items).message).toBe('attachments has 20000 items; no list here takes more than 1000');
    const sixty = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`extra${i}`, 1]));
    const many = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ ...valid(), ...sixty });
    expect(many.status).toBe(400);
    expect((many.body as { errors: unknown[] }).errors).toHaveLength(50);
    // The fields it takes are said once, at the first unknown one.
    expect(errorOf(many).message).toMatch(
      /^60 problems, the first 50 in errors: property extra0 should not exist: it takes [a-zA-Z, ]+; property extra1 should not exist; /,
    );
  });

  it('answers a body that is not what its Content-Encoding says with 400, not 500', async () => {
    const base = await engine.url();
    const post = async (path: string, headers: Record<string, string>, body: Buffer) => {
      const res = await rawRequest(`${base}${path}`, 'POST', { ...headers, 'Content-Length': String(body.length) }, body);
      return { status: res.status, message: res.message ?? '' };
    };
    const json = { ...KEY, 'Content-Type': 'application/json' };
    const truncated = gzipSync(JSON.stringify(valid())).subarray(0, 12);
    for (const [encoding, body] of [
      ['gzip', Buffer.from('{}')],
      ['deflate', Buffer.from('{}')],
      ['br', Buffer.from('{}')],
      ['gzip', truncated],
    ] as const) {
      const res = await post('/v1/feedback', { ...json, 'Content-Encoding': encoding }, body);
      expect(res.status).toBe(400);
      expect(res.message).toMatch(new RegExp(`^the request body is not valid ${encoding} data \\(`));
    }
    const form = await post(
      '/open311/v2/requests.json',
      { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' },
      Buffer.from('service_code=other'),
    );
    expect(form.status).toBe(400);
    // Compressed as declared, it is read as any body.
    const ok = await post('/v1/feedback', { ...json, 'Content-Encoding': 'gzip' }, gzipSync(JSON.stringify({ ...valid(), externalId: 'gzip-ok' })));
    expect(ok.status).toBe(202);
  });

  it('reads whole-number parameters written in digits only', async () => {
    for (const limit of ['0x10', '1e1', '+5', '%201', '', 'Infinity', '0b11']) {
      const res = await engine.http().get(`/v1/cases?limit=${limit}`).set(bearer(tokens['hi.supervisor']));
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toBe('limit must be a whole number from 1 to 100');
    }
    expect((await engine.http().get('/v1/cases?limit=16').set(bearer(tokens['hi.supervisor']))).status).toBe(200);
    const year = await engine.http().get('/v1/calendars/0x7EA').set(bearer(tokens.admin));
    expect(year.status).toBe(400);
    expect(errorOf(year).message).toBe("year must be a whole number written in digits, got '0x7EA'");
  });

  it('refuses a one-value query parameter given twice with one message; a list parameter takes repeats', async () => {
    const twice = await engine.http().get('/v1/cases?limit=100&limit=5').set(bearer(tokens['hi.supervisor']));
    expect(twice.status).toBe(400);
    expect(errorOf(twice).message).toBe('query parameter limit is given more than once; give it once');
    // Named in `errors` like every other 400 about a field.
    expect(errorOf(twice).errors).toEqual([{ field: 'limit', problems: ['query parameter limit is given more than once; give it once'] }]);
    const units = await engine.http().get('/v1/units?at=2026-01-01&at=2026-02-01').set(bearer(tokens['hi.supervisor']));
    expect(units.status).toBe(400);
    expect(errorOf(units).message).toBe('query parameter at is given more than once; give it once');
    const statuses = await engine.http().get('/v1/cases?status=assigned&status=triage&limit=5').set(bearer(tokens['hi.supervisor']));
    expect(statuses.status).toBe(200);
    const mixed = await engine.http().get('/v1/cases?status=assigned&status=in_progress,triage&limit=5').set(bearer(tokens['hi.supervisor']));
    expect(mixed.status).toBe(200);
  });

  it('answers a known path asked with another method 405 with Allow (OPTIONS: 204 with Allow), and an unknown path 404', async () => {
    const put = await engine.http().put('/v1/feedback').set(KEY).send(valid());
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('OPTIONS, POST');
    expect(errorOf(put)).toMatchObject({ statusCode: 405, error: 'Method Not Allowed', message: 'PUT is not allowed here; allowed: OPTIONS, POST' });
    const options = await engine.http().options('/v1/categories').set(KEY);
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
    // A path with a parameter: the route GET /v1/feedback/{trackingCode} matches it.
    const del = await engine.http().delete('/v1/feedback/7KM3Q-9X2AB').set(KEY);
    expect(del.status).toBe(405);
    expect(del.headers.allow).toContain('GET');
    expect((await engine.http().put('/v1/no-such-thing').set(KEY)).status).toBe(404);
    // A handler's own 404 in the router's words (metrics are off here) stays a 404 for the method it takes.
    expect((await engine.http().get('/metrics')).status).toBe(404);
    expect((await engine.http().options('/v1/no-such-thing').set(KEY)).status).toBe(404);
  });

  it('refuses invalid UTF-8 instead of turning it into U+FFFD: X\\xFF and X\\xFE never become one case', async () => {
    const before = await count();
    for (const byte of [0xff, 0xfe]) {
      const json = Buffer.concat([Buffer.from('{"externalId":"X'), Buffer.from([byte]), Buffer.from(`",${JSON.stringify(valid()).slice(1)}`)]);
      const res = await postRaw(json);
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(/not valid UTF-8/);
    }
    expect(await count()).toBe(before);
    // Valid UTF-8 still goes through.
    expect((await postRaw(JSON.stringify({ ...valid(), externalId: 'X\u00ff' }))).status).toBe(202);
  });

  it('names a hostile key in the answer cut short and with its invisible characters escaped, never raw', async () => {
    const key = `x\u202Eabc${'k'.repeat(5000)}`;
    const res = await postRaw(JSON.stringify({ ...valid(), [key]: 'v' }));
    expect(res.status).toBe(400);
    const body = errorOf(res);
    expect(body.errors?.map((e) => e.field)).toEqual([`x\\u202eabc${'k'.repeat(35)}`]);
    expect(res.text).not.toContain('\u202E');
    expect(res.text.length).toBeLessThan(2000);
  });

  it('refuses a query string whose percent-encoded bytes are not UTF-8, rather than looking up U+FFFD', async () => {
    const res = await engine.http().get('/v1/units?include=%FF').set(bearer(tokens['hi.supervisor']));
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toBe('the query string is not valid UTF-8: percent-encode the UTF-8 bytes of each character (á is %C3%A1)');
    // Valid UTF-8, percent-encoded, still goes through to the operation's own checks.
    const units = await engine.http().get('/v1/units?unitCode=Ph%C6%B0%E1%BB%9Dng').set(bearer(tokens['hi.supervisor']));
    expect(errorOf(units).message).toMatch(/unknown query parameter/);
  });

  it("answers what Node cannot parse in the API's JSON (GeoReport's format under /open311): headers past 16 KB 431, a chunk's extensions past 16 KB 413 (and the connection closed), a malformed request 400", async () => {
    const { hostname, port } = new URL(await engine.url());
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = createConnection(Number(port), hostname, () => socket.end(request));
        let text = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (text += d));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
    const long = await raw(`GET /v1/areas?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(long).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(long).toMatch(/Content-Type: application\/json; charset=utf-8/);
    expect(JSON.parse(long.slice(long.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      message: 'the request line and headers are longer than the 16384 bytes allowed: shorten the query or the headers',
    });
    // Under /open311 in GeoReport v2's error format, as every other error there: JSON, or XML for .xml.
    const geoJson = await raw(`GET /open311/v2/requests.json?service_request_id=${'AAAAA-AAAAA,'.repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(geoJson).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(geoJson.slice(geoJson.indexOf('\r\n\r\n') + 4))).toEqual([
      { code: 431, description: 'the request line and headers are longer than the 16384 bytes allowed: shorten the query or the headers' },
    ]);
    const geoXml = await raw(`GET /open311/v2/requests.xml?service_request_id=${'AAAAA-AAAAA,'.repeat(2000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(geoXml).toMatch(/^HTTP\/1\.1 431 /);
    expect(geoXml).toMatch(/Content-Type: (application|text)\/xml/);
    expect(geoXml.slice(geoXml.indexOf('\r\n\r\n') + 4)).toMatch(/<errors><error><code>431<\/code><description>the request line and headers/);
    // A chunk's extensions past Node's 16 KB: 413, as Node answers it, not a 400.
    const extended = await raw(
      `POST /v1/feedback HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
    );
    expect(extended).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    const tooLong = JSON.parse(extended.slice(extended.indexOf('\r\n\r\n') + 4)) as { statusCode: number; message: string };
    expect(tooLong.statusCode).toBe(413);
    expect(tooLong.message).toMatch(/chunk's extensions/);
    // Closed once answered, as Node does, also when the client keeps its own side open (only ended, the
    // server's side stayed open, with a request already in Express, until the client left).
    const server = engine.api.getHttpServer() as Server;
    const connections = () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    const before = await connections();
    const held = createConnection({ port: Number(port), host: hostname, allowHalfOpen: true });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        held.setEncoding('latin1');
        held.on('data', (d: string) => (text += d));
        held.on('end', () => resolve(text));
        held.on('error', reject);
        held.write(
          `POST /v1/feedback HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n`,
        );
      });
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      await waitFor(connections, (n) => n <= before, { what: 'the server to close its side of the connection' });
    } finally {
      held.destroy();
    }
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('answers Expect: 100-continue with 413 at once for a body announced too large, and with 100 Continue otherwise', async () => {
    const url = new URL(await engine.url());
    /** Sends the head; returns what the server says before any body is sent, then (for a 100) sends the body. */
    const exchange = (length: number, body?: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = createConnection(Number(url.port), url.hostname);
        let answer = '';
        let sent = false;
        socket.on('data', (chunk) => {
          answer += chunk.toString('utf8');
          if (body !== undefined && !sent && answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
            sent = true;
            socket.write(body);
          }
        });
        // Connection: close: the server closes once it has answered.
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
        socket.write(
          `POST /v1/feedback HTTP/1.1\r\nHost: ${url.host}\r\nX-Api-Key: ${DEV_KEYS.hotline}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        );
      });
    const refused = await exchange(1_000_000_000);
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    expect(refused).not.toContain('100 Continue');
    expect(refused).toContain('request body is larger than the 262144 bytes allowed');
    const body = JSON.stringify({ ...valid(), externalId: 'expect-continue' });
    const accepted = await exchange(Buffer.byteLength(body), body);
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 /);
  });

  it('answers in its own JSON what Node refused bare or not at all: no Host, two Hosts, an Expect it cannot meet, CONNECT', async () => {
    const url = new URL(await engine.url());
    const exchange = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = createConnection(Number(url.port), url.hostname, () => socket.write(head));
        let got = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (got += d));
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
      });
    const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { statusCode: number; message: string };
    const noHost = await exchange('GET /v1/categories HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(noHost)).toMatchObject({ statusCode: 400, message: 'the Host header is missing: an HTTP/1.1 request must name its host' });
    const twoHosts = await exchange('GET /open311/v2/discovery.json HTTP/1.1\r\nHost: good.example\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
    expect(twoHosts).toMatch(/^HTTP\/1\.1 400 /);
    expect(twoHosts).not.toContain('good.example/open311');
    const expect200 = await exchange(`POST /v1/feedback HTTP/1.1\r\nHost: ${url.host}\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n`);
    expect(expect200).toMatch(/^HTTP\/1\.1 417 /);
    expect(bodyOf(expect200)).toMatchObject({ statusCode: 417, message: 'Expect: 200-ok is not supported; only 100-continue is' });
    const connect = await exchange('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    expect(connect).toMatch(/^HTTP\/1\.1 405 /);
    expect(bodyOf(connect)).toMatchObject({ statusCode: 405 });
    // HTTP/1.0 needs no Host.
    expect(await exchange('GET /v1/categories HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 (200|401) /);
    // Node keeps the first of each; a gateway in front may have read the other.
    const admin = await adminToken(engine);
    const twoTokens = await exchange(
      `GET /v1/units/coverage HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${admin}\r\nauthorization: Bearer other\r\nConnection: close\r\n\r\n`,
    );
    expect(twoTokens).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(twoTokens)).toMatchObject({ statusCode: 400, message: 'the Authorization header is sent 2 times; send it once' });
    const twoTypes = await exchange(
      `POST /v1/feedback HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(bodyOf(twoTypes)).toMatchObject({ statusCode: 400, message: 'the Content-Type header is sent 2 times; send it once' });
    const once = await exchange(`GET /v1/units/coverage HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${admin}\r\nConnection: close\r\n\r\n`);
    expect(once).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers a body announced too large with 413 before it is sent, and closes the connection', async () => {
    const url = new URL(await engine.url());
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(Number(url.port), url.hostname);
      let got = '';
      socket.on('data', (chunk) => (got += chunk.toString('utf8')));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      // No Expect, keep-alive, and no body at all: the answer cannot wait for ten gigabytes.
      socket.write(
        `POST /v1/feedback HTTP/1.1\r\nHost: ${url.host}\r\nX-Api-Key: ${DEV_KEYS.hotline}\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('request body is larger than the 262144 bytes allowed');
  });

  it('cuts off a chunked body that goes on past twice the limit instead of reading it to its end', async () => {
    const url = new URL(await engine.url());
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const limit = 64 * 1024 * 1024;
    const written = await new Promise<number>((resolve) => {
      const socket = createConnection(Number(url.port), url.hostname);
      let sent = 0;
      let closed = false;
      socket.on('close', () => {
        closed = true;
        resolve(sent);
      });
      socket.on('error', () => undefined);
      socket.write(
        `POST /v1/feedback HTTP/1.1\r\nHost: ${url.host}\r\nX-Api-Key: ${DEV_KEYS.hotline}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const pump = () => {
        while (!closed && sent < limit) {
          sent += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`)) return void socket.once('drain', pump);
        }
        if (!closed) resolve(sent);
      };
      pump();
    });
    // Closed long before the client was done: what it wrote is the server's cut-off plus the sockets' buffers.
    expect(written).toBeLessThan(limit);
  });

  it('answers a DELETE with a body of another type than JSON 415, as the document says, before doing anything', async () => {
    const [{ id: officerId }, { id: coverId }] = await engine.query<{ id: string }>(`SELECT id FROM officers ORDER BY username LIMIT 2`);
    const [{ id: absenceId }] = await engine.query<{ id: string }>(
      `INSERT INTO officer_absences (officer_id, cover_id, starts_at, ends_at, created_by) VALUES ($1, $2, now() + interval '1 day', now() + interval '2 days', $1) RETURNING id::text AS id`,
      [officerId, coverId],
    );
    for (const type of ['text/plain', 'application/xml']) {
      const res = await engine
        .http()
        .delete(`/v1/officers/${officerId}/absences/${absenceId}`)
        .set(bearer(tokens.admin))
        .set('Content-Type', type)
        .send('<huy-vang-mat/>');
      expect([type, res.status]).toEqual([type, 415]);
    }
    expect(await engine.query(`SELECT cancelled_at FROM officer_absences WHERE id = $1`, [absenceId])).toEqual([{ cancelled_at: null }]);
    expect((await engine.http().delete(`/v1/officers/${officerId}/absences/${absenceId}`).set(bearer(tokens.admin))).status).toBe(204);
  });

  it('takes text/calendar and text/csv only where an import reads them: elsewhere 415, before doing anything', async () => {
    const [{ id: officerId }, { id: coverId }] = await engine.query<{ id: string }>(`SELECT id FROM officers ORDER BY username LIMIT 2`);
    const [{ id: absenceId }] = await engine.query<{ id: string }>(
      `INSERT INTO officer_absences (officer_id, cover_id, starts_at, ends_at, created_by) VALUES ($1, $2, now() + interval '1 day', now() + interval '2 days', $1) RETURNING id::text AS id`,
      [officerId, coverId],
    );
    for (const type of ['text/calendar', 'text/csv']) {
      const deleted = await engine
        .http()
        .delete(`/v1/officers/${officerId}/absences/${absenceId}`)
        .set(bearer(tokens.admin))
        .set('Content-Type', type)
        .send('BEGIN:VCALENDAR');
      // A body-less POST was carried out too (a recompute, not its dry run), and a JSON one got 400 "title is required".
      const recomputed = await engine.http().post('/v1/calendars/2030/recompute-deadlines').set(bearer(tokens.admin)).set('Content-Type', type).send('a,b');
      const published = await engine.http().post('/v1/notices').set(bearer(tokens.admin)).set('Content-Type', type).send('title,body');
      expect([type, deleted.status, recomputed.status, published.status]).toEqual([type, 415, 415, 415]);
    }
    expect(await engine.query(`SELECT cancelled_at FROM officer_absences WHERE id = $1`, [absenceId])).toEqual([{ cancelled_at: null }]);
    // The imports still take them.
    const ics = await engine.http().post('/v1/calendars/2030/ics').set(bearer(tokens.admin)).set('Content-Type', 'text/calendar').send('not a calendar');
    expect(ics.status).toBe(400);
    const csv = await engine.http().post('/v1/compliance/figures').set(bearer(tokens.admin)).set('Content-Type', 'text/csv').send('a,b\r\n');
    expect(csv.status).toBe(400);
  });

  it('refuses a body in another charset than UTF-8: UTF-32 code points out of range never become U+FFFD and one case', async () => {
    const before = await count();
    // Two externalIds that a UTF-32 decoder would both have turned into 'ext32-\uFFFD'.
    for (const [charset, codePoint] of [
      ['utf-32le', 0x110000],
      ['utf-32le', 0x7fffffff],
      ['utf-16le', 0x41],
      ['"ISO-8859-1"', 0x41],
      ['utf8', 0x41],
    ] as const) {
      const text = JSON.stringify({ ...valid(), externalId: 'ext32-@' });
      const codes = [...text].map((ch) => (ch === '@' ? codePoint : ch.codePointAt(0)!));
      const bytes = Buffer.alloc(codes.length * 4);
      codes.forEach((c, i) => bytes.writeUInt32LE(c >>> 0, i * 4));
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .set('Content-Type', `application/json; charset=${charset}`)
        .serialize((b: string | Buffer) => b as unknown as string)
        .send(bytes as unknown as string);
      expect(res.status).toBe(415);
      expect(errorOf(res).message).toBe(`charset ${charset.replace(/"/g, '')} is not accepted: send the body encoded as UTF-8`);
    }
    expect(await count()).toBe(before);
    for (const type of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; Charset=Utf-8']) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .set('Content-Type', type)
        .send(JSON.stringify({ ...valid(), externalId: `charset-${type}` }));
      expect(res.status).toBe(202);
    }
  });

  it.each([
    ['an externalId', { externalId: '\ufb2c'.repeat(100) }, /externalId must be shorter than or equal to 100 characters/],
    ['an e-mail address', { citizen: { email: `${'\u0344'.repeat(20)}@${`${'\u0344'.repeat(60)}.`.repeat(2)}vn` } }, /citizen\.email/],
  ])('checks the length of %s in the stored (NFC) form: text that NFC lengthens past the column is a 400, not a 500', async (_what, patch, message) => {
    const before = await count();
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ ...valid(), ...patch });
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(message);
    expect(await count()).toBe(before);
  });

  it.each([
    ['__proto__', `{"__proto__":{"x":1},`, /property __proto__ should not exist/, '__proto__'],
    ['constructor', `{"constructor":"x",`, /property constructor should not exist/, 'constructor'],
    ['hasOwnProperty', `{"hasOwnProperty":"x",`, /property hasOwnProperty should not exist/, 'hasOwnProperty'],
    ['toString in a nested object', `{"citizen":{"name":"An","toString":"x"},`, /property citizen\.toString should not exist/, 'citizen.toString'],
    [
      '__proto__ in a nested object',
      `{"location":{"wardCode":"BACH_KHOA","__proto__":{"wardCode":"x"}},"category":"sanitation","description":"abc"}`,
      /location\.__proto__/,
      'location.__proto__',
    ],
  ])('refuses %s as a field like any unknown field', async (_what, head, message, field) => {
    const before = await count();
    const body = head.endsWith(',') ? head + JSON.stringify(valid()).slice(1) : head;
    const res = await postRaw(body);
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(message);
    expect(errorOf(res).errors?.map((e) => e.field)).toEqual([field]);
    expect(await count()).toBe(before);
  });

  it('masks phone numbers and e-mail addresses in free text, the address too, for roles without contact rights', async () => {
    const phones = ['0912 345 678', '+84 987 654 321', '024 3825 1234'];
    const email = 'hoa.le@example.vn';
    // Written into the address, a contact is as personal as in the description.
    const addressPhone = '0903123456';
    const addressEmail = 'nha18@example.vn';
    const base = valid();
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        ...base,
        title: `Rác ở ngõ 18, gọi ${phones[0]}`,
        description: `Liên hệ ${phones[1]} hoặc ${phones[2]}, email ${email}. Rác tồn đọng ba ngày.`,
        location: { ...base.location, address: `Ngõ 18 Tạ Quang Bửu (gọi ${addressPhone}, ${addressEmail})` },
        citizen: { name: 'Lê Thị Hoa', phone: '0912345678', email },
      });
    expect(res.status).toBe(202);
    const caseId = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [caseId]),
      (r) => r[0].status === 'assigned',
      {
        what: 'routing to Phường Bách Khoa',
      },
    );
    const note = await engine
      .http()
      .post(`/v1/cases/${caseId}/note`)
      .set(bearer(tokens['hi.bk.handler']))
      .send({ text: `Đã gọi lại số ${phones[0]}, hẹn gặp chiều nay.` });
    expect(note.status).toBe(200);

    const seen = async (who: string) => JSON.stringify((await engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens[who]))).body);
    const listed = async (who: string) => JSON.stringify((await engine.http().get(`/v1/cases?limit=100`).set(bearer(tokens[who]))).body);
    for (const who of ['hi.bk.leader', 'hi.supervisor']) {
      const view = await seen(who);
      for (const p of phones) {
        expect({ who, leaked: view.includes(p) }).toEqual({ who, leaked: false });
        expect(view).toContain(maskPhone(p));
      }
      expect(view).not.toContain(email);
      expect(view).toContain(maskEmail(email));
      expect({ who, leaked: view.includes(addressPhone) || view.includes(addressEmail) }).toEqual({ who, leaked: false });
      expect(view).toContain(`Ngõ 18 Tạ Quang Bửu (gọi ${maskPhone(addressPhone)}, ${maskEmail(addressEmail)})`);
      expect(await listed(who)).not.toContain(phones[0]);
    }
    // The unit's handler, who may call the citizen, reads the text as written.
    const handlerView = await seen('hi.bk.handler');
    for (const p of phones) expect(handlerView).toContain(p);
    expect(handlerView).toContain(email);
    expect(handlerView).toContain(`Ngõ 18 Tạ Quang Bửu (gọi ${addressPhone}, ${addressEmail})`);
  });
});
