import type { Server } from 'node:http';
import request from 'supertest';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, errorOf, TestEngine, waitFor } from '@fr/testing';

/**
 * An outside tester's attack on the endpoints added with issues 14, 16, 17 and 18: hostile input,
 * every role against every new endpoint, concurrent merges and plans, and personal data where it must
 * not be (responses, logs, queue payloads, audit events). Each answer is a 4xx with a message, never a 5xx.
 */

const CITIZEN = { name: 'Nguyễn Thị Bí Mật', phone: '0987654321', email: 'bi.mat.citizen@example.vn' };
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const ROLES = ['ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR', 'OPERATOR'] as const;
type Role = (typeof ROLES)[number];

describe('attack on the new endpoints', () => {
  let engine: TestEngine;
  const tok = {} as Record<Role, string>;
  const ids = {} as Record<Role, string>;
  const logged: string[] = [];
  let writeSpy: jest.SpyInstance;
  let original: { id: string; trackingCode: string };
  const dups: { id: string; trackingCode: string }[] = [];
  let handler2: string;

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return write(chunk, ...rest);
    });
    engine = await TestEngine.start({
      env: { LOG_LEVEL: 'info', FR_METRICS_TOKEN: 'attack-metrics-token-0123456789', FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' },
    });
    tok.ADMIN = await adminToken(engine);
    const units: Record<Role, string> = { ADMIN: 'VP', SUPERVISOR: 'VP', LEADER: 'QLDT', HANDLER: 'QLDT', AUDITOR: 'NOI_VU', OPERATOR: 'VP' };
    for (const role of ROLES.filter((r) => r !== 'ADMIN')) {
      const o = await createOfficer(engine, tok.ADMIN, { username: `attack.${role.toLowerCase()}`, role, unitCode: units[role] });
      tok[role] = o.token;
      ids[role] = o.id;
    }
    handler2 = (await createOfficer(engine, tok.ADMIN, { username: 'attack.handler2', role: 'HANDLER', unitCode: 'QLDT' })).id;
    [ids.ADMIN] = (await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'admin'`)).map((r) => r.id);
    const designate = await engine.http().put('/v1/units/QLDT/designation').set(bearer(tok.ADMIN)).send({ handlerId: ids.HANDLER, leaderId: ids.LEADER });
    expect(designate.status).toBe(200);
    // Three reports of one light, routed and linked: the oldest is the original.
    for (let i = 0; i < 3; i++) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({
          externalId: `attack-dup-${i}`,
          category: 'roads_lighting',
          description: `Đèn đường trên phố Trần Đại Nghĩa bị tắt mấy đêm nay (phản ánh ${i}).`,
          location: { wardCode: 'BACH_KHOA', lat: LIGHT.lat + i / 111_195, lng: LIGHT.lng },
          citizen: CITIZEN,
        });
      expect(res.status).toBe(202);
      const accepted = res.body as ApiSchema<'FeedbackAcceptedDto'>;
      if (i === 0) original = accepted;
      else dups.push(accepted);
      await waitFor(
        () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [accepted.id]),
        (r) => r[0]?.status !== 'received',
      );
    }
  });
  afterAll(async () => {
    await engine?.close();
    writeSpy?.mockRestore();
  });

  const as = (role: Role | 'anonymous' | 'channel') => (role === 'anonymous' ? {} : role === 'channel' ? KEY : bearer(tok[role]));
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const expectClientError = (res: { status: number; body: { message?: unknown } }, status?: number) => {
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(400);
    if (status) expect(res.status).toBe(status);
    expect(typeof res.body.message === 'string' || Array.isArray(res.body.message)).toBe(true);
  };

  describe('every role against every new endpoint: 401, 403 or 404, never a 5xx', () => {
    // Four columns exactly: a fifth argument would make jest pass a done callback.
    const officerEndpoints: [string, string, Role[], Record<string, unknown> | null][] = [
      ['get', '/v1/hotline/cases?phone=0987654321', ['OPERATOR'], null],
      ['post', '/v1/hotline/feedback', ['OPERATOR'], {}],
      ['get', '/v1/privacy/requests', ['SUPERVISOR', 'ADMIN', 'AUDITOR'], null],
      ['get', '/v1/privacy/reads', ['ADMIN', 'AUDITOR'], null],
      ['get', '/v1/reorganisations', ['ADMIN', 'SUPERVISOR', 'AUDITOR'], null],
      ['post', '/v1/reorganisations?dryRun=true', ['ADMIN'], {}],
      ['get', '/v1/audits/verify?since=checkpoint', ['AUDITOR', 'SUPERVISOR'], null],
      ['get', '/admin/queues', ['ADMIN'], null],
    ];
    it.each(officerEndpoints)('%s %s', async (method, path, allowed, body) => {
      for (const who of [...ROLES, 'anonymous', 'channel'] as const) {
        // The queue board is a mounted UI, outside the OpenAPI document the checked client holds to.
        const client = path.startsWith('/admin/') ? request(engine.api.getHttpServer() as Server) : engine.http();
        let req = client[method as 'get' | 'post'](path).set(as(who));
        if (body) req = req.send(body);
        const res = await req;
        expect(res.status).toBeLessThan(500);
        if (who === 'anonymous' || who === 'channel') expect([401, 404]).toContain(res.status);
        else if (!allowed.includes(who)) expect(res.status).toBe(403);
        else expect([401, 403]).not.toContain(res.status);
      }
    });

    it('cases: merge and unlink refuse operators and auditors; another unit does not see the case', async () => {
      for (const who of ['OPERATOR', 'AUDITOR', 'anonymous', 'channel'] as const) {
        const res = await engine
          .http()
          .post(`/v1/cases/${original.id}/merge`)
          .set(as(who))
          .send({ expectedVersion: 1, duplicateIds: [dups[0].id] });
        expect([401, 403]).toContain(res.status);
      }
    });

    it('metrics: no token, a wrong token, an officer token are refused', async () => {
      expect((await engine.http().get('/metrics')).status).toBe(401);
      expect((await engine.http().get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
      expect((await engine.http().get('/metrics').set(as('ADMIN'))).status).toBe(401);
      const ok = await engine.http().get('/metrics').set('Authorization', 'Bearer attack-metrics-token-0123456789');
      expect(ok.status).toBe(200);
      for (const v of Object.values(CITIZEN)) expect(ok.text).not.toContain(v);
    });

    it('health answers without leaking configuration', async () => {
      const res = await engine.http().get('/health');
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toMatch(/postgres:\/\/|redis:\/\/|password/i);
    });
  });

  describe('hostile input', () => {
    it('nearby: out-of-range, NaN, Infinity, unknown category, huge strings', async () => {
      for (const q of [
        'lat=91&lng=105&category=roads_lighting',
        'lat=-91&lng=105&category=roads_lighting',
        'lat=21&lng=181&category=roads_lighting',
        'lat=NaN&lng=105&category=roads_lighting',
        'lat=Infinity&lng=105&category=roads_lighting',
        'lat=1e400&lng=105&category=roads_lighting',
        'lat=21&lng=105',
        'lat=21&lat=22&lng=105&category=roads_lighting',
        `lat=21&lng=105&category=${'x'.repeat(5000)}`,
        'lat=21&lng=105&category=%27%3B%20DROP%20TABLE%20cases%3B--',
        'lat=21&lng=105&category[]=a',
        'lat=21&lng=105&category=__proto__',
        // Read as 0 (and 21) before: an empty or blank coordinate searched near (0, 0).
        'lat=&lng=&category=roads_lighting',
        'lat=%20&lng=105&category=roads_lighting',
        'lat=0x15&lng=105&category=roads_lighting',
      ]) {
        const res = await engine.http().get(`/v1/feedback/nearby?${q}`).set(KEY);
        expectClientError(res);
      }
      // The poles and the antimeridian are places like any other (a bounding box divides by cos(lat)).
      for (const q of ['lat=90&lng=0', 'lat=-90&lng=180', 'lat=89.99999999&lng=-180', 'lat=0&lng=180', 'lat=-0&lng=-0']) {
        const res = await engine.http().get(`/v1/feedback/nearby?${q}&category=roads_lighting`).set(KEY);
        expect([q, res.status]).toEqual([q, 200]);
      }
      const unknown = await engine.http().get('/v1/feedback/nearby?lat=21&lng=105&category=no_such_category').set(KEY);
      expectClientError(unknown, 422);
      const ok = await engine.http().get(`/v1/feedback/nearby?lat=${LIGHT.lat}&lng=${LIGHT.lng}&category=roads_lighting`).set(KEY);
      expect(ok.status).toBe(200);
      for (const v of Object.values(CITIZEN)) expect(JSON.stringify(ok.body)).not.toContain(v);
    });

    it('merge: wrong types, non-UUIDs, itself, unknown ids, an unlinked case', async () => {
      const v = await version(original.id);
      const merge = (body: Record<string, unknown>) => engine.http().post(`/v1/cases/${original.id}/merge`).set(as('HANDLER')).send(body);
      for (const body of [
        { expectedVersion: v },
        { expectedVersion: v, duplicateIds: [] },
        { expectedVersion: v, duplicateIds: 'x' },
        { expectedVersion: v, duplicateIds: ['not-a-uuid'] },
        { expectedVersion: v, duplicateIds: [1, 2] },
        { expectedVersion: v, duplicateIds: Array.from({ length: 101 }, () => dups[0].id) },
        { expectedVersion: 'one', duplicateIds: [dups[0].id] },
        { expectedVersion: -1, duplicateIds: [dups[0].id] },
        { expectedVersion: 1e300, duplicateIds: [dups[0].id] },
        { expectedVersion: v, duplicateIds: [original.id] },
        { expectedVersion: v, duplicateIds: ['00000000-0000-4000-8000-000000000000'] },
        { expectedVersion: v, duplicateIds: [dups[0].id.toUpperCase()], extra: 1 },
      ]) {
        expectClientError(await merge(body));
      }
      // What is wrong, once: a string is told it is not a list, and not also the list's size rule.
      const notList = await merge({ expectedVersion: v, duplicateIds: 'x' });
      expect((notList.body as { message: string }).message).toBe(
        'duplicateIds must be a list of case ids (uuid), such as ["0190d5a2-7c1e-7a3b-9f10-2b4c6d8e0f12"]',
      );
      expect((await merge({ expectedVersion: v, duplicateIds: Array.from({ length: 101 }, () => dups[0].id) })).body).toMatchObject({
        message: 'duplicateIds lists at most 100 case ids, got 101',
      });
      expect((await merge({ expectedVersion: v, duplicateIds: [1, 2] })).body).toMatchObject({ message: 'duplicateIds must hold case ids (uuid) only' });
      expectClientError(
        await engine
          .http()
          .post('/v1/cases/not-a-uuid/merge')
          .set(as('HANDLER'))
          .send({ expectedVersion: 1, duplicateIds: [dups[0].id] }),
        404,
      );
      expectClientError(await engine.http().post(`/v1/cases/${original.id}/no-such-action`).set(as('HANDLER')).send({ expectedVersion: v }));
      // Unlink on a case that is not linked.
      expectClientError(await engine.http().post(`/v1/cases/${original.id}/unlink`).set(as('HANDLER')).send({ expectedVersion: v }), 422);
    });

    it('hotline: lookups by hostile phones, unknown tracking codes, hostile bodies', async () => {
      for (const phone of ['', 'x'.repeat(31), "0' OR '1'='1", '%00', '<script>', '\u0301'.repeat(10)]) {
        const res = await engine.http().get('/v1/hotline/cases').query({ phone }).set(as('OPERATOR'));
        expect(res.status).toBeLessThan(500);
      }
      expectClientError(await engine.http().get('/v1/hotline/cases?phone=a&phone=b').set(as('OPERATOR')));
      expectClientError(await engine.http().get('/v1/hotline/cases').set(as('OPERATOR')));
      for (const code of ['NOPE0-00000', 'x'.repeat(500), '%27%3B--', '..%2F..%2Fetc']) {
        expectClientError(await engine.http().get(`/v1/hotline/cases/${code}`).set(as('OPERATOR')), 404);
        expectClientError(await engine.http().post(`/v1/hotline/cases/${code}/rating`).set(as('OPERATOR')).send({ score: 5 }));
        expectClientError(await engine.http().post(`/v1/hotline/cases/${code}/info`).set(as('OPERATOR')).send({ message: 'Thông tin bổ sung.' }));
      }
      for (const score of [0, 6, 2.5, 'five', null, Number.MAX_SAFE_INTEGER]) {
        expectClientError(await engine.http().post(`/v1/hotline/cases/${original.trackingCode}/rating`).set(as('OPERATOR')).send({ score }));
      }
      // A score in range but sent as text is told its type, once; not "must be from 1 to 5" twice.
      const asText = await engine.http().post(`/v1/hotline/cases/${original.trackingCode}/rating`).set(as('OPERATOR')).send({ score: '5' });
      expect(asText.status).toBe(400);
      expect(errorOf(asText).message).toBe('score must be an integer from 1 to 5 (a JSON number, not text)');
      const bodies = [
        { category: 'roads_lighting', description: 'a', location: { wardCode: 'BACH_KHOA', lat: 91, lng: 105 } },
        { category: 'roads_lighting', description: 'Đèn hỏng', location: { wardCode: 'BACH_KHOA' }, citizen: { phone: 12345 } },
        { category: 'roads_lighting', description: 'Đèn hỏng', location: { wardCode: 'BACH_KHOA' }, citizen: 'x' },
        { category: 'roads_lighting', description: 'x'.repeat(5001), location: { wardCode: 'BACH_KHOA' } },
        { category: 'no_such', description: 'Đèn hỏng', location: { wardCode: 'BACH_KHOA' } },
      ];
      for (const body of bodies) expectClientError(await engine.http().post('/v1/hotline/feedback').set(as('OPERATOR')).send(body));
      // Decomposed Vietnamese in the caller's phone-less contact is accepted and stored composed.
      const nfd = 'Nguyễn Thị Hoa'.normalize('NFD');
      const res = await engine
        .http()
        .post('/v1/hotline/feedback')
        .set(as('OPERATOR'))
        .send({
          category: 'roads_lighting',
          description: 'Đèn hỏng trước số 1 Đại Cồ Việt'.normalize('NFD'),
          location: { wardCode: 'BACH_KHOA' },
          citizen: { name: nfd, phone: '0911222333' },
        });
      expect(res.status).toBe(202);
      const [row] = await engine.query<{ citizen_name: string }>(`SELECT citizen_name FROM cases WHERE id = $1`, [
        (res.body as ApiSchema<'FeedbackAcceptedDto'>).id,
      ]);
      expect(row.citizen_name).toBe('Nguyễn Thị Hoa'.normalize('NFC'));
    });

    it('absences: hostile dates, unknown cover, non-UUID ids, bad absence ids', async () => {
      const path = `/v1/officers/${ids.HANDLER}/absences`;
      for (const body of [
        {},
        { from: 'yesterday', to: '2026-12-10T00:00:00+07:00', coverId: ids.LEADER },
        { from: '2026-12-10T00:00:00+07:00', to: '2026-12-01T00:00:00+07:00', coverId: ids.LEADER },
        { from: '2026-12-04T00:00:00+07:00', to: '2026-12-10T00:00:00+07:00', coverId: 'nope' },
        { from: '2026-12-04T00:00:00+07:00', to: '2026-12-10T00:00:00+07:00', coverId: '00000000-0000-4000-8000-000000000000' },
        { from: '2026-12-04T00:00:00+07:00', to: '2026-12-10T00:00:00+07:00', coverId: ids.HANDLER },
        { from: '+275760-09-13T00:00:00Z', to: '+275760-09-14T00:00:00Z', coverId: ids.LEADER },
        { from: '0000-01-01T00:00:00Z', to: '9999-12-31T23:59:59Z', coverId: ids.LEADER },
        { from: '2026-02-30T00:00:00Z', to: '2026-03-30T00:00:00Z', coverId: ids.LEADER },
      ]) {
        const res = await engine.http().post(path).set(as('ADMIN')).send(body);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 300) expect(errorOf(res).message).toBeTruthy();
      }
      // Week dates and basic formats pass IsISO8601 but not new Date(): refused naming the field.
      for (const [from, to, field] of [
        ['2026-W50', '2026-12-20T00:00:00+07:00', 'from'],
        ['2026-12-19T00:00:00+07:00', '20261220', 'to'],
        ['2026-12-19T00:00:00+07:00', '9999-12-31T00:00:00Z', 'to'],
      ]) {
        const res = await engine.http().post(path).set(as('ADMIN')).send({ from, to, coverId: handler2 });
        expectClientError(res, 400);
        expect(JSON.stringify(errorOf(res).message)).toContain(field);
      }
      expectClientError(await engine.http().post('/v1/officers/not-a-uuid/absences').set(as('ADMIN')).send({}), 400);
      expectClientError(await engine.http().get('/v1/officers/00000000-0000-4000-8000-000000000000/absences').set(as('ADMIN')), 404);
      for (const a of ['x', '-1', '99999999999999999999', '1.5', '0x10']) {
        expectClientError(await engine.http().delete(`${path}/${a}`).set(as('ADMIN')), 404);
      }
      // Another officer of the unit, an operator and an auditor cannot cancel it.
      const own = await engine
        .http()
        .post(path)
        .set(as('HANDLER'))
        .send({ from: '2027-05-01T00:00:00+07:00', to: '2027-05-02T00:00:00+07:00', coverId: handler2 });
      expect(own.status).toBe(201);
      const absence = own.body as ApiSchema<'AbsenceDto'>;
      for (const who of ['OPERATOR', 'AUDITOR', 'SUPERVISOR'] as const) {
        expect([403, 404]).toContain((await engine.http().delete(`${path}/${absence.id}`).set(as(who))).status);
      }
      expect((await engine.http().delete(`${path}/${absence.id}`).set(as('LEADER'))).status).toBe(204);
      // A handler cannot record another officer's absence.
      const other = await engine.http().post(`/v1/officers/${ids.LEADER}/absences`).set(as('HANDLER')).send({
        from: '2026-12-20T00:00:00+07:00',
        to: '2026-12-21T00:00:00+07:00',
        coverId: ids.HANDLER,
      });
      expect([403, 404]).toContain(other.status);
    });

    it('reorganisations: hostile plans are refused with what is wrong', async () => {
      const post = (body: unknown, q = '?dryRun=true') =>
        engine
          .http()
          .post(`/v1/reorganisations${q}`)
          .set(as('ADMIN'))
          .send(body as object);
      const base = { name: 'Thử', effectiveAt: '2027-01-01T00:00:00+07:00', renames: [{ unit: 'P_MINH_KHAI', name: 'Phường Minh Khai Mới' }] };
      for (const body of [
        [],
        { ...base, effectiveAt: 'tomorrow' },
        { ...base, effectiveAt: '2027-02-30T00:00:00+07:00' },
        { ...base, renames: 'x' },
        { ...base, renames: [{ unit: "P'; DROP TABLE units;--", name: 'x' }] },
        { ...base, newUnits: [{ code: 'P_X', name: 'X', kind: 'castle' }] },
        { ...base, renames: [{ unit: 'P_MINH_KHAI', name: 'x', aliases: ['y'.repeat(201)] }] },
        { ...base, newUnits: [{ code: 'P_X', name: 'X', kind: 'ward', handler: { username: 'p.x.handler', fullName: 'Đ'.repeat(201) } }] },
      ]) {
        const res = await post(body);
        expect([JSON.stringify(body).slice(0, 120), res.status]).toEqual([JSON.stringify(body).slice(0, 120), 400]);
        expect(errorOf(res).message).toBeTruthy();
      }
      // A misspelt list is refused, dry run or not, naming the field: read as empty, the plan was scheduled without its merger.
      const misspelt = { name: 'Thử', effectiveAt: '2027-01-01T00:00:00+07:00', mergers: [{ from: ['P_CAU_DEN'], into: 'P_MINH_KHAI' }] };
      for (const q of ['?dryRun=true', '']) {
        const res = await post(misspelt, q);
        expect(res.status).toBe(400);
        expect(errorOf(res).message).toContain('plan.mergers is not a field of a plan here (known: name, effectiveAt, triageUnit, newUnits, merges');
        expect(errorOf(res).errors?.map((e) => e.field)).toEqual(['mergers']);
      }
      // What the organisation does not know is reported by the dry run, and refused when scheduling.
      const unknownUnit = { ...base, merges: [{ into: 'NO_SUCH', from: ['P_CAU_DEN'] }] };
      expect(((await post(unknownUnit)).body as ApiSchema<'ReorganisationReportDto'>).unresolved.length).toBeGreaterThan(0);
      expectClientError(await post(unknownUnit, ''), 422);
      expectClientError(await post(base, '?dryRun=maybe'), 400);
      expectClientError(await engine.http().get('/v1/reorganisations/not-a-uuid').set(as('ADMIN')), 400);
      expectClientError(await engine.http().get('/v1/reorganisations/00000000-0000-4000-8000-000000000000').set(as('ADMIN')), 404);
    });

    it('reorganisations: a name or a unit name longer than its column is refused, not a 500', async () => {
      const base = { effectiveAt: '2027-01-01T00:00:00+07:00', renames: [{ unit: 'P_MINH_KHAI', name: 'Phường Minh Khai Mới' }] };
      for (const q of ['?dryRun=true', '']) {
        expectClientError(
          await engine
            .http()
            .post(`/v1/reorganisations${q}`)
            .set(as('ADMIN'))
            .send({ ...base, name: 'Đ'.repeat(301) }),
          400,
        );
        expectClientError(
          await engine
            .http()
            .post(`/v1/reorganisations${q}`)
            .set(as('ADMIN'))
            .send({ ...base, name: 'Thử', renames: [{ unit: 'P_MINH_KHAI', name: 'Đ'.repeat(201) }] }),
          400,
        );
      }
    });

    it('privacy: hostile requests and reads', async () => {
      for (const body of [
        {},
        { kind: 'steal' },
        { kind: 'access', phone: 'x' },
        { kind: 'access', email: 'not-an-email' },
        { kind: 'access', trackingCodes: 'x' },
        { kind: 'access', trackingCodes: Array.from({ length: 101 }, () => 'A') },
        { kind: 'correct', phone: CITIZEN.phone, corrections: 'x' },
        { kind: 'correct', phone: CITIZEN.phone, corrections: { phone: 'abc' } },
        { kind: 'access', phone: CITIZEN.phone, constructor: { prototype: 1 } },
      ]) {
        expectClientError(await engine.http().post('/v1/privacy/requests').set(KEY).send(body));
      }
      // Corrections sent, but all blank: said so, not "corrections is required".
      const blank = await engine
        .http()
        .post('/v1/privacy/requests')
        .set(KEY)
        .send({ kind: 'correct', phone: CITIZEN.phone, corrections: { name: '' } });
      expect(blank.status).toBe(400);
      expect(errorOf(blank).message).toBe('corrections holds no name, phone or email that is not blank: give at least one to hold instead');
      for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000', "'--"]) {
        expectClientError(await engine.http().get(`/v1/privacy/requests/${id}`).set(KEY), 404);
      }
      for (const q of [
        'caseId=nope',
        'phone=abc',
        'email=nope',
        'from=yesterday',
        'format=xml',
        'phone=a&phone=b',
        'caseId=a&caseId=b',
        'from=2026-W01',
        'to=20261201',
        'from=2026-02-30',
      ]) {
        expectClientError(await engine.http().get(`/v1/privacy/reads?${q}`).set(as('ADMIN')));
      }
      expect((await engine.http().get(`/v1/privacy/reads?caseId=${original.id}`).set(as('ADMIN'))).status).toBe(200);
      // Valid requests carry contact details: none may reach the audit trail, the outbox or the logs (below).
      for (const body of [
        { kind: 'access', phone: CITIZEN.phone },
        { kind: 'correct', email: CITIZEN.email, corrections: { email: 'moi.dia.chi@example.vn', name: 'Nguyễn Thị Bí Mật Mới' } },
      ]) {
        const res = await engine.http().post('/v1/privacy/requests').set(KEY).send(body);
        expect(res.status).toBe(201);
      }
      // Lookups by a citizen's contact: answered, and (below) never written to the logs.
      expect((await engine.http().get('/v1/privacy/reads').query({ phone: CITIZEN.phone }).set(as('ADMIN'))).status).toBe(200);
      expect((await engine.http().get('/v1/privacy/reads').query({ email: CITIZEN.email }).set(as('ADMIN'))).status).toBe(200);
      expect((await engine.http().get('/v1/privacy/reads').query({ email: CITIZEN.email }).set(as('HANDLER'))).status).toBe(403);
    });

    it('audits: verify and the CSV export refuse unknown values', async () => {
      for (const q of ['since=yesterday', 'since=checkpoint&since=checkpoint', 'since=checkpoint&from=2026-01-01']) {
        expectClientError(await engine.http().get(`/v1/audits/verify?${q}`).set(as('AUDITOR')));
      }
      expect((await engine.http().get('/v1/audits/verify?since=checkpoint').set(as('AUDITOR'))).status).toBe(200);
      for (const q of ['format=xls', 'from=NaN', 'unit=%00']) {
        expectClientError(await engine.http().get(`/v1/audits/cases?${q}`).set(as('AUDITOR')));
      }
    });
  });

  describe('concurrency', () => {
    it('two merges of the same group at once: one wins, the other is a 409', async () => {
      const v = await version(original.id);
      const [a, b] = await Promise.all(
        [0, 1].map(() =>
          engine
            .http()
            .post(`/v1/cases/${original.id}/merge`)
            .set(as('HANDLER'))
            .send({ expectedVersion: v, duplicateIds: dups.map((d) => d.id) }),
        ),
      );
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const rows = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'join_original'`);
      expect(rows[0].n).toBe(dups.length);
    });

    it("two officers made each other's cover at once: one absence is recorded, the other refused, never a 5xx", async () => {
      for (let day = 10; day < 16; day++) {
        const period = { from: `2027-03-${day}T00:00:00+07:00`, to: `2027-03-${day}T23:00:00+07:00` };
        const [a, b] = await Promise.all([
          engine
            .http()
            .post(`/v1/officers/${ids.HANDLER}/absences`)
            .set(as('ADMIN'))
            .send({ ...period, coverId: handler2 }),
          engine
            .http()
            .post(`/v1/officers/${handler2}/absences`)
            .set(as('ADMIN'))
            .send({ ...period, coverId: ids.HANDLER }),
        ]);
        expect([a.status, b.status].sort()).toEqual([201, 422]);
      }
    });

    it('the same plan scheduled twice at once is scheduled once', async () => {
      const plan = { name: 'Đổi tên đồng thời', effectiveAt: '2027-06-01T00:00:00+07:00', renames: [{ unit: 'P_BACH_MAI', name: 'Phường Bạch Mai Mới' }] };
      const [a, b] = await Promise.all([0, 1].map(() => engine.http().post('/v1/reorganisations').set(as('ADMIN')).send(plan)));
      expect([a.status, b.status].sort()).toEqual([201, 409]);
    });
  });

  describe('personal data', () => {
    it('a channel, an auditor and another operator never see the contact', async () => {
      const status = await engine.http().get(`/v1/feedback/${original.trackingCode}`).set(KEY);
      const hotline = await engine.http().get(`/v1/hotline/cases/${original.trackingCode}`).set(as('OPERATOR'));
      const list = await engine.http().get('/v1/privacy/requests').set(as('SUPERVISOR'));
      const reorgs = await engine.http().get('/v1/reorganisations').set(as('AUDITOR'));
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const csv = await engine
        .http()
        .get(`/v1/audits/cases?format=csv&from=${day(-7)}&to=${day(1)}`)
        .set(as('AUDITOR'));
      for (const res of [status, hotline, list, reorgs, csv]) {
        expect(res.status).toBe(200);
        for (const v of Object.values(CITIZEN)) expect(JSON.stringify(res.body) + res.text).not.toContain(v);
      }
      expect(csv.text).toContain(original.trackingCode);
    });

    it('no contact in the logs, queue payloads or audit events', async () => {
      const audit = await engine.query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM audit_events a`);
      const outbox = await engine.query<{ row: string }>(`SELECT row_to_json(o)::text AS row FROM outbox o`);
      const redis = engine['redis'] as import('ioredis').Redis;
      const keys = await engine.queueKeys();
      const values: string[] = [];
      for (const k of keys) {
        const type = await redis.type(k);
        if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(k)));
        else if (type === 'string') values.push((await redis.get(k)) ?? '');
        else if (type === 'list') values.push(JSON.stringify(await redis.lrange(k, 0, -1)));
      }
      const haystacks = {
        audit: audit.map((r) => r.row).join('\n'),
        outbox: outbox.map((r) => r.row).join('\n'),
        redis: values.join('\n'),
        logs: logged.join(''),
      };
      expect(logged.length).toBeGreaterThan(0);
      for (const [where, text] of Object.entries(haystacks)) {
        for (const v of [...Object.values(CITIZEN), '0911222333', 'Nguyễn Thị Hoa', 'moi.dia.chi@example.vn', 'Bí Mật Mới']) {
          if (text.includes(v)) throw new Error(`${v} found in ${where}`);
        }
      }
    });
  });
});
