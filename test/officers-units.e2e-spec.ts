import { OfficerRole } from '@fr/domain';
import { adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { OfficerIdentityDto } from '../apps/api/src/auth/auth.dto';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { OfficerDto } from '../apps/api/src/officers/officer.dto';
import type { CoverageGapDto, DesignationResultDto, UnitDto } from '../apps/api/src/units/unit.dto';

const ROLES: OfficerRole[] = ['ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR'];
const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

describe('officers and units', () => {
  let engine: TestEngine;
  let adminId: string;
  const token = {} as Record<OfficerRole, string>;

  beforeAll(async () => {
    engine = await TestEngine.start();
    token.ADMIN = await adminToken(engine);
    adminId = ((await engine.http().get('/v1/auth/me').set(bearer(token.ADMIN))).body as OfficerIdentityDto).id;
    for (const [role, unitCode] of [
      ['SUPERVISOR', 'VP'],
      ['LEADER', 'P_THANH_NHAN'],
      ['HANDLER', 'P_THANH_NHAN'],
      ['AUDITOR', 'NOI_VU'],
    ] as const) {
      token[role] = (await createOfficer(engine, token.ADMIN, { username: `role.${role.toLowerCase()}`, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  const as = (role: OfficerRole | null) => {
    const auth = (req: ReturnType<ReturnType<TestEngine['http']>['get']>) => (role ? req.set(bearer(token[role])) : req);
    return {
      get: (url: string) => auth(engine.http().get(url)),
      post: (url: string, body: object) => auth(engine.http().post(url)).send(body),
      patch: (url: string, body: object) => auth(engine.http().patch(url)).send(body),
      put: (url: string, body: object) => auth(engine.http().put(url)).send(body),
    };
  };
  const officerId = async (username: string) => (await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = $1`, [username]))[0].id;

  describe('access', () => {
    const newOfficer = { username: 'x.access', password: 'long-enough-1', fullName: 'X', role: 'HANDLER', unitCode: 'VP' };
    const designation = { handlerId: null, leaderId: null };
    const endpoints: { name: string; call: (role: OfficerRole | null) => Promise<{ status: number; body: any }>; allowed: OfficerRole[] }[] = [
      { name: 'POST /v1/officers', call: (r) => as(r).post('/v1/officers', newOfficer), allowed: ['ADMIN'] },
      // AUDITOR reads everything (API.md): Home Affairs checks who each unit designated.
      { name: 'GET /v1/officers', call: (r) => as(r).get('/v1/officers'), allowed: ['ADMIN', 'SUPERVISOR', 'AUDITOR'] },
      { name: 'PATCH /v1/officers/:id', call: (r) => as(r).patch(`/v1/officers/${adminId}`, { fullName: 'Quản trị hệ thống' }), allowed: ['ADMIN'] },
      { name: 'GET /v1/units', call: (r) => as(r).get('/v1/units'), allowed: ROLES },
      { name: 'PUT /v1/units/:code/designation', call: (r) => as(r).put('/v1/units/KHONG_CO/designation', designation), allowed: ['ADMIN'] },
      { name: 'GET /v1/units/coverage', call: (r) => as(r).get('/v1/units/coverage'), allowed: ['ADMIN', 'SUPERVISOR', 'AUDITOR'] },
      { name: 'GET /v1/auth/me', call: (r) => as(r).get('/v1/auth/me'), allowed: ROLES },
    ];

    it.each(endpoints.map((e) => [e.name, e] as const))('%s answers 401 without a token', async (_name, e) => {
      const res = await e.call(null);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/missing access token/) as unknown });
    });

    it.each(endpoints.flatMap((e) => ROLES.filter((r) => !e.allowed.includes(r)).map((r) => [e.name, r, e] as const)))(
      '%s answers 403 to %s, naming the role',
      async (name, role, e) => {
        const res = await e.call(role);
        expect(res.status).toBe(403);
        const [method, path] = name.split(' ');
        expect(res.body).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          message: `role ${role} may not ${method} ${path} (allowed: ${e.allowed.join(', ')})`,
        });
      },
    );

    it.each(endpoints.flatMap((e) => e.allowed.filter((r) => r !== 'ADMIN').map((r) => [e.name, r, e] as const)))(
      '%s lets %s through',
      async (_name, role, e) => {
        expect((await e.call(role)).status).toBe(200);
      },
    );
  });

  describe('officers', () => {
    it('creates an officer and returns the account without any secret', async () => {
      const res = await as('ADMIN').post('/v1/officers', {
        username: 'Can.Bo.Moi',
        password: 'Mat-khau-rat-dai',
        fullName: 'Trần Văn Mới'.normalize('NFD'),
        role: 'HANDLER',
        unitCode: 'P_DONG_TAM',
      });
      expect(res.status).toBe(201);
      const created = res.body as OfficerDto;
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
        username: 'can.bo.moi',
        fullName: 'Trần Văn Mới'.normalize('NFC'),
        role: 'HANDLER',
        unitCode: 'P_DONG_TAM',
        active: true,
        email: null,
      });
      const [event] = await engine.query<{ case_id: string | null; actor: string; data: Record<string, unknown> }>(
        `SELECT case_id, actor, data FROM audit_events WHERE action = 'officer_created' AND data->>'officerId' = $1`,
        [created.id],
      );
      expect(event).toEqual({
        case_id: null,
        actor: `officer:${adminId}`,
        data: {
          officerId: created.id,
          username: 'can.bo.moi',
          fullName: 'Trần Văn Mới'.normalize('NFC'),
          role: 'HANDLER',
          unitCode: 'P_DONG_TAM',
          emailSet: false,
        },
      });
    });

    it('refuses a username that exists in any letter case with 409', async () => {
      const res = await as('ADMIN').post('/v1/officers', {
        username: 'VP.Handler',
        password: 'long-enough-1',
        fullName: 'Trùng',
        role: 'HANDLER',
        unitCode: 'VP',
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: "username 'vp.handler' is already taken" });
    });

    it.each([
      ['an unknown unit', { unitCode: 'KHONG_CO' }, 422, /unit 'KHONG_CO' does not exist/],
      // The office supervises and administers: neither role sits in a ward or a department (DOMAIN.md).
      [
        'a SUPERVISOR in a ward',
        { role: 'SUPERVISOR', unitCode: 'P_DONG_TAM' },
        422,
        /^unitCode: a SUPERVISOR belongs to the office \(Văn phòng HĐND&UBND: VP\); unit 'P_DONG_TAM' is a ward$/,
      ],
      ['an ADMIN in a department', { role: 'ADMIN', unitCode: 'TU_PHAP' }, 422, /^unitCode: an ADMIN belongs to the office/],
      ['a password under 8 characters', { password: 'short12' }, 400, /password must be longer than or equal to 8 characters/],
      ['a password of spaces', { password: '        ' }, 400, /password must have at least 8 visible characters/],
      ['a password of one character repeated', { password: 'aaaaaaaaaa' }, 400, /not repeat one character/],
      ['a common password', { password: 'password' }, 400, /^password is one of the most common passwords/],
      ['a common password in capitals', { password: 'Admin1234' }, 400, /^password is one of the most common passwords/],
      ['a password of digits in order', { password: '12345678' }, 400, /^password is one of the most common passwords/],
      ['a short pattern repeated', { password: 'abababab' }, 400, /^password must not repeat one character or a short pattern/],
      ['a password containing the username', { password: 'Hop.Le-2026!' }, 400, /^password must not contain the username$/],
      ['an unknown role', { role: 'CITIZEN' }, 400, /role must be one of ADMIN, SUPERVISOR, LEADER, HANDLER, AUDITOR/],
      ['a blank name', { fullName: '   ' }, 400, /fullName must not be blank/],
      ['a bad username', { username: 'có dấu' }, 400, /username must be 3 to 64 unaccented Latin letters \(a-z, A-Z\), digits/],
      ['an unknown field', { passwordHash: 'x' }, 400, /property passwordHash should not exist/],
      ['an e-mail address without a domain', { email: 'lanhdao@' }, 400, /^email must be an e-mail address/],
      ['two e-mail addresses', { email: 'a@hbt.gov.vn, b@hbt.gov.vn' }, 400, /^email must be an e-mail address/],
      [
        'an e-mail address over 254 characters',
        { email: `${'a'.repeat(60)}@${'b'.repeat(200)}.vn` },
        400,
        /email must be shorter than or equal to 254 characters/,
      ],
    ])('refuses %s', async (_what, over, status, message) => {
      const body = { username: 'hop.le', password: 'long-enough-1', fullName: 'Hợp Lệ', role: 'HANDLER', unitCode: 'VP', ...over };
      const res = await as('ADMIN').post('/v1/officers', body);
      expect(res.status).toBe(status);
      expect((res.body as ErrorDto).message).toMatch(message);
    });

    it('lists officers by unit, role and active flag', async () => {
      const tuPhap = await as('SUPERVISOR').get('/v1/officers?unit=TU_PHAP');
      expect(tuPhap.status).toBe(200);
      expect(tuPhap.body).toEqual([
        {
          id: expect.any(String) as unknown,
          username: 'tu.phap.leader',
          fullName: 'Hoàng Minh Hương',
          role: 'LEADER',
          unitCode: 'TU_PHAP',
          active: true,
          email: null,
        },
      ]);
      const auditors = await as('ADMIN').get('/v1/officers?role=AUDITOR');
      expect((auditors.body as OfficerDto[]).map((o) => o.username).sort()).toEqual(['noi.vu.auditor', 'role.auditor']);
      expect(JSON.stringify((await as('ADMIN').get('/v1/officers')).body)).not.toMatch(/password|argon/i);
      expect((await as('ADMIN').get('/v1/officers?role=CITIZEN')).status).toBe(400);
      expect((await as('ADMIN').get('/v1/officers?active=maybe')).status).toBe(400);
      expect((await as('ADMIN').get('/v1/officers?active=false')).body).toEqual([]);
    });

    it('updates an officer, audits the change without the password, and answers 404/400 for bad ids and bodies', async () => {
      const { id } = await createOfficer(engine, token.ADMIN, { username: 'sua.doi', role: 'HANDLER', unitCode: 'P_CAU_DEN' });
      const res = await as('ADMIN').patch(`/v1/officers/${id}`, { fullName: 'Đã Sửa', role: 'LEADER', password: 'Mat-khau-thay-doi' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id, username: 'sua.doi', fullName: 'Đã Sửa', role: 'LEADER', unitCode: 'P_CAU_DEN', active: true, email: null });
      const [event] = await engine.query<{ actor: string; data: any }>(
        `SELECT actor, data FROM audit_events WHERE action = 'officer_updated' AND data->>'officerId' = $1`,
        [id],
      );
      expect(event.actor).toBe(`officer:${adminId}`);
      expect(event.data).toMatchObject({
        changes: { fullName: { to: 'Đã Sửa' }, role: { from: 'HANDLER', to: 'LEADER' } },
        passwordChanged: true,
        tokensRevoked: true,
      });
      expect(JSON.stringify(event.data)).not.toContain('Mat-khau-thay-doi');

      expect((await as('ADMIN').patch('/v1/officers/00000000-0000-4000-8000-000000000000', { fullName: 'Ai' })).status).toBe(404);
      // Each 400 names its fields in `errors`, as the validation pipe's do.
      const badId = (await as('ADMIN').patch('/v1/officers/not-a-uuid', { fullName: 'Ai' })).body as ErrorDto;
      expect(badId.message).toBe('id must be an officer id (a UUID)');
      expect(badId.errors?.map((e) => e.field)).toEqual(['id']);
      const nothing = (await as('ADMIN').patch(`/v1/officers/${id}`, {})).body as ErrorDto;
      expect(nothing.message).toMatch(/nothing to update/);
      expect(nothing.errors?.map((e) => e.field)).toEqual(['fullName', 'role', 'unitCode', 'password', 'active', 'email']);
      expect((await as('ADMIN').patch(`/v1/officers/${id}`, { password: 'ngan' })).status).toBe(400);
      for (const [password, message] of [
        ['12345678', /^password is one of the most common passwords/],
        ['abababab', /^password must not repeat one character or a short pattern/],
        ['sua.doi.2026', /^password must not contain the username$/],
      ] as const) {
        const weak = await as('ADMIN').patch(`/v1/officers/${id}`, { password });
        expect(weak.status).toBe(400);
        expect((weak.body as ErrorDto).message).toMatch(message);
      }
      // Unknown officer: 404 before any judgment of the password.
      expect((await as('ADMIN').patch('/v1/officers/00000000-0000-4000-8000-000000000000', { password: 'Mat-khau-thay-doi' })).status).toBe(404);
      const unknownUnit = await as('ADMIN').patch(`/v1/officers/${id}`, { unitCode: 'KHONG_CO' });
      expect(unknownUnit.status).toBe(422);
      // Named as every unknown code is, so a client shows it beside the field.
      expect((unknownUnit.body as ErrorDto & { errors?: unknown }).errors).toEqual([
        { field: 'unitCode', problems: ["unit 'KHONG_CO' does not exist; GET /v1/units lists the units"] },
      ]);
      // Nor made a supervisor where they are, nor a supervisor moved out of the office.
      expect(((await as('ADMIN').patch(`/v1/officers/${id}`, { role: 'SUPERVISOR' })).body as ErrorDto).message).toMatch(/a SUPERVISOR belongs to the office/);
      const supervisor = await createOfficer(engine, token.ADMIN, { username: 'giam.sat.moi', role: 'SUPERVISOR', unitCode: 'VP' });
      expect((await as('ADMIN').patch(`/v1/officers/${supervisor.id}`, { unitCode: 'P_CAU_DEN' })).status).toBe(422);
      expect((await as('ADMIN').patch(`/v1/officers/${supervisor.id}`, { unitCode: 'P_CAU_DEN', role: 'HANDLER' })).status).toBe(200);
    });

    it("sets, changes and removes an officer's e-mail address, and the trail says only that it changed", async () => {
      const created = await as('ADMIN').post('/v1/officers', {
        username: 'co.thu.dien',
        password: 'Mat-khau-rat-dai',
        fullName: 'Phạm Thu Điền',
        role: 'HANDLER',
        unitCode: 'P_DONG_TAM',
        email: ' thu.dien@hbt.gov.vn ',
      });
      expect(created.status).toBe(201);
      const { id, email } = created.body as OfficerDto;
      expect(email).toBe('thu.dien@hbt.gov.vn');
      const stored = async () => (await engine.query<{ email: string | null }>(`SELECT email FROM officers WHERE id = $1`, [id]))[0].email;
      expect(await stored()).toBe('thu.dien@hbt.gov.vn');

      const changed = await as('ADMIN').patch(`/v1/officers/${id}`, { email: 'dien.pt@hbt.gov.vn' });
      expect(changed.status).toBe(200);
      expect((changed.body as OfficerDto).email).toBe('dien.pt@hbt.gov.vn');
      // An address is no credential: changing it leaves the officer's tokens alone.
      const listed = (await as('ADMIN').get('/v1/officers?unit=P_DONG_TAM&role=HANDLER')).body as OfficerDto[];
      expect(listed.find((o) => o.id === id)?.email).toBe('dien.pt@hbt.gov.vn');

      // null removes it; a PATCH of null alone is a change here, not an empty body.
      const removed = await as('ADMIN').patch(`/v1/officers/${id}`, { email: null });
      expect(removed.status).toBe(200);
      expect((removed.body as OfficerDto).email).toBeNull();
      expect(await stored()).toBeNull();
      const bad = await as('ADMIN').patch(`/v1/officers/${id}`, { email: 'không phải thư' });
      expect(bad.status).toBe(400);
      expect((bad.body as ErrorDto).message).toMatch(/^email must be an e-mail address/);
      expect(await stored()).toBeNull();

      const events = await engine.query<{ action: string; data: Record<string, unknown> }>(
        `SELECT action, data FROM audit_events WHERE action IN ('officer_created', 'officer_updated') AND data->>'officerId' = $1 ORDER BY id`,
        [id],
      );
      expect(events.map((e) => [e.action, e.data.emailSet ?? e.data.emailChanged, e.data.tokensRevoked])).toEqual([
        ['officer_created', true, undefined],
        ['officer_updated', true, false],
        ['officer_updated', true, false],
      ]);
      expect(JSON.stringify(events)).not.toMatch(/hbt\.gov\.vn/);
    });

    // Disabling a designee is allowed: its unit then goes to triage and the supervisors are told (test/cover.e2e-spec.ts).
    it("refuses to move or re-role a unit's designee, and to disable or re-role an admin's own account", async () => {
      const handler = await officerId('p.bach.khoa.handler');
      const res = await as('ADMIN').patch(`/v1/officers/${handler}`, { unitCode: 'VP' });
      expect(res.status).toBe(409);
      expect((res.body as ErrorDto).message).toBe(
        "officer 'p.bach.khoa.handler' is the designated handler of unit 'P_BACH_KHOA'; designate someone else first (PUT /v1/units/P_BACH_KHOA/designation)",
      );
      expect((await as('ADMIN').patch(`/v1/officers/${handler}`, { role: 'LEADER' })).status).toBe(409);
      expect((await as('ADMIN').patch(`/v1/officers/${handler}`, { fullName: 'Đỗ Thanh Hiếu' })).status).toBe(200);
      expect((await as('ADMIN').patch(`/v1/officers/${adminId}`, { active: false })).status).toBe(422);
      expect((await as('ADMIN').patch(`/v1/officers/${adminId}`, { role: 'AUDITOR' })).status).toBe(422);
    });
  });

  describe('units', () => {
    it('lists units with their designated handler and leader', async () => {
      const res = await as('HANDLER').get('/v1/units');
      expect(res.status).toBe(200);
      const byCode = new Map((res.body as UnitDto[]).map((u) => [u.code, u]));
      expect(byCode.get('P_BACH_KHOA')).toEqual({
        code: 'P_BACH_KHOA',
        name: 'Phường Bách Khoa',
        kind: 'ward',
        active: true,
        validFrom: null,
        validTo: null,
        successors: [],
        predecessors: [],
        aliases: [],
        handler: { id: await officerId('p.bach.khoa.handler'), username: 'p.bach.khoa.handler', fullName: 'Đỗ Thanh Hiếu', active: true },
        leader: { id: await officerId('p.bach.khoa.leader'), username: 'p.bach.khoa.leader', fullName: 'Hồ Văn Thủy', active: true },
      });
      expect(byCode.get('TU_PHAP')).toMatchObject({ handler: null, leader: { username: 'tu.phap.leader' } });
    });

    it('reads ?at=<date> as the start of that day in Hanoi, not as midnight UTC (07:00 there)', async () => {
      // A unit begun at 03:00 on 4 March, Hanoi time: not yet there at the day's start, there by its end.
      await engine.query(
        `INSERT INTO units (code, name, kind, active, valid_from) VALUES ('T_AT_DAY', 'Đơn vị thử', 'department', false, '2026-03-04T03:00:00+07:00')`,
      );
      try {
        const codes = async (at: string) => ((await as('HANDLER').get(`/v1/units?at=${encodeURIComponent(at)}`)).body as UnitDto[]).map((u) => u.code);
        expect(await codes('2026-03-04')).not.toContain('T_AT_DAY');
        expect(await codes('2026-03-04T00:00:00+07:00')).not.toContain('T_AT_DAY');
        expect(await codes('2026-03-05')).toContain('T_AT_DAY');
      } finally {
        await engine.query(`DELETE FROM units WHERE code = 'T_AT_DAY'`);
      }
    });

    it('reports the units lacking a designee: TU_PHAP its handler, THANH_TRA its leader', async () => {
      const res = await as('AUDITOR').get('/v1/units/coverage');
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { code: 'THANH_TRA', name: 'Thanh tra quận', kind: 'department', missing: ['leader'], absences: [] },
        { code: 'TU_PHAP', name: 'Phòng Tư pháp', kind: 'department', missing: ['handler'], absences: [] },
      ]);
    });

    it.each([
      [
        'a handler of another unit',
        async () => ({ handlerId: await officerId('vp.handler') }),
        /handlerId: officer 'vp.handler' belongs to unit 'VP', not 'TU_PHAP'/,
      ],
      [
        'a leader as handler',
        async () => ({ handlerId: await officerId('tu.phap.leader') }),
        /handlerId: officer 'tu.phap.leader' has role LEADER; a unit's designated handler must have role HANDLER/,
      ],
      ['an unknown officer', async () => ({ handlerId: '00000000-0000-4000-8000-000000000000' }), /handlerId: no officer has id/],
      [
        'a handler as leader',
        async () => ({ handlerId: null, leaderId: await officerId('vp.handler') }),
        /leaderId: officer 'vp.handler' belongs to unit 'VP'/,
      ],
    ])('refuses %s with 422', async (_what, body, message) => {
      const valid: Record<string, string | null> = { handlerId: null, leaderId: await officerId('tu.phap.leader') };
      const res = await as('ADMIN').put('/v1/units/TU_PHAP/designation', { ...valid, ...(await body()) });
      expect(res.status).toBe(422);
      expect((res.body as ErrorDto).message).toMatch(message);
    });

    it('refuses a disabled officer, a missing field and an unknown unit', async () => {
      const { id } = await createOfficer(engine, token.ADMIN, { username: 'tu.phap.nghi', role: 'HANDLER', unitCode: 'TU_PHAP' });
      expect((await as('ADMIN').patch(`/v1/officers/${id}`, { active: false })).status).toBe(200);
      const leaderId = await officerId('tu.phap.leader');
      const disabled = await as('ADMIN').put('/v1/units/TU_PHAP/designation', { handlerId: id, leaderId });
      expect(disabled.status).toBe(422);
      expect((disabled.body as ErrorDto).message).toMatch(/officer 'tu.phap.nghi' is disabled/);

      const missing = await as('ADMIN').put('/v1/units/TU_PHAP/designation', { leaderId });
      expect(missing.status).toBe(400);
      expect((missing.body as ErrorDto).message).toBe('handlerId is required');
      const notAnId = await as('ADMIN').put('/v1/units/TU_PHAP/designation', { handlerId: 'tu.phap.nghi', leaderId });
      expect((notAnId.body as ErrorDto).message).toMatch(/handlerId must be an officer id \(a UUID\), or null to clear the designation/);
      expect((await as('ADMIN').put('/v1/units/KHONG_CO/designation', { handlerId: null, leaderId: null })).status).toBe(404);
    });

    it('designates a handler for TU_PHAP, which leaves the coverage report', async () => {
      const { id } = await createOfficer(engine, token.ADMIN, { username: 'tu.phap.handler', role: 'HANDLER', unitCode: 'TU_PHAP' });
      const leaderId = await officerId('tu.phap.leader');
      const res = await as('ADMIN').put('/v1/units/TU_PHAP/designation', { handlerId: id.toUpperCase(), leaderId });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ unit: { code: 'TU_PHAP', handler: { id, username: 'tu.phap.handler' }, leader: { id: leaderId } }, movedCases: 0 });
      const [event] = await engine.query<{ case_id: null; actor: string; data: any }>(
        `SELECT case_id, actor, data FROM audit_events WHERE action = 'designation_changed' AND data->>'unitCode' = 'TU_PHAP'`,
      );
      expect(event).toEqual({
        case_id: null,
        actor: `officer:${adminId}`,
        data: { unitCode: 'TU_PHAP', fromHandlerId: null, toHandlerId: id, fromLeaderId: leaderId, toLeaderId: leaderId, movedCases: 0 },
      });
      const coverage = await as('SUPERVISOR').get('/v1/units/coverage');
      expect((coverage.body as CoverageGapDto[]).map((u) => u.code)).toEqual(['THANH_TRA']);
    });

    describe('moving open cases to new designees', () => {
      const submit = async (category: string, location: object) => {
        const res = await engine.http().post('/v1/feedback').set(KEY).send({
          category,
          description: 'Vỉa hè trước nhà văn hóa bị lấn chiếm làm bãi trông xe.',
          location,
        });
        expect(res.status).toBe(202);
        return (res.body as FeedbackAcceptedDto).id;
      };
      const cases = (ids: string[]) =>
        engine.query<{ id: string; status: string; unit_code: string; handler_id: string; leader_id: string; version: number }>(
          `SELECT id, status, unit_code, handler_id, leader_id, version FROM cases WHERE id = ANY($1) ORDER BY id`,
          [ids],
        );

      it('moves the open cases in one transaction, with assignment rows and audit events', async () => {
        const ward = { wardCode: 'THANH_LUONG' };
        const ids = await Promise.all([1, 2, 3].map(() => submit('sidewalk_encroachment', ward)));
        const elsewhere = await submit('sidewalk_encroachment', { wardCode: 'BACH_KHOA' });
        const all = [...ids, elsewhere];
        await waitFor(
          () => cases(all),
          (rows) => rows.every((r) => r.status === 'assigned'),
          { what: 'the cases to be routed' },
        );
        const [assigned, working, resolved] = ids;
        await engine.query(`UPDATE cases SET status = 'in_progress' WHERE id = $1`, [working]);
        await engine.query(`UPDATE cases SET status = 'resolved' WHERE id = $1`, [resolved]);
        const before = new Map((await cases(all)).map((c) => [c.id, c]));
        const oldHandler = await officerId('p.thanh.luong.handler');
        expect(before.get(assigned)!.handler_id).toBe(oldHandler);

        const handler = await createOfficer(engine, token.ADMIN, { username: 'p.thanh.luong.handler2', role: 'HANDLER', unitCode: 'P_THANH_LUONG' });
        const leader = await createOfficer(engine, token.ADMIN, { username: 'p.thanh.luong.leader2', role: 'LEADER', unitCode: 'P_THANH_LUONG' });
        const res = await as('ADMIN').put('/v1/units/P_THANH_LUONG/designation', { handlerId: handler.id, leaderId: leader.id });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ unit: { handler: { id: handler.id }, leader: { id: leader.id } }, movedCases: 2 });

        const after = new Map((await cases(all)).map((c) => [c.id, c]));
        for (const id of [assigned, working]) {
          expect(after.get(id)).toMatchObject({
            status: before.get(id)!.status,
            handler_id: handler.id,
            leader_id: leader.id,
            version: before.get(id)!.version + 1,
          });
          const rows = await engine.query<{ handler_id: string; reason: string; ended_at: Date | null }>(
            `SELECT handler_id, reason, ended_at FROM assignments WHERE case_id = $1 ORDER BY id`,
            [id],
          );
          expect(rows).toEqual([
            { handler_id: oldHandler, reason: 'route', ended_at: expect.any(Date) as unknown },
            { handler_id: handler.id, reason: 'designation', ended_at: null },
          ]);
          const events = await engine.query(`SELECT actor, from_state, to_state, reason, data FROM audit_events WHERE case_id = $1 AND action = 'reassign'`, [
            id,
          ]);
          expect(events).toEqual([
            {
              actor: `officer:${adminId}`,
              from_state: before.get(id)!.status,
              to_state: before.get(id)!.status,
              reason: 'designation changed',
              data: expect.objectContaining({ fromHandlerId: oldHandler, toHandlerId: handler.id, reason: 'designation changed' }) as unknown,
            },
          ]);
        }
        // A resolved case and another unit's case stay as they were.
        expect(after.get(resolved)).toEqual(before.get(resolved));
        expect(after.get(elsewhere)).toEqual(before.get(elsewhere));
        const [unitEvent] = await engine.query<{ data: any }>(
          `SELECT data FROM audit_events WHERE action = 'designation_changed' AND data->>'unitCode' = 'P_THANH_LUONG'`,
        );
        expect(unitEvent.data).toMatchObject({ fromHandlerId: oldHandler, toHandlerId: handler.id, movedCases: 2 });

        // New cases follow the new designation; the former designee may now be disabled.
        const fresh = await submit('sidewalk_encroachment', ward);
        const [routed] = await waitFor(
          () => cases([fresh]),
          (rows) => rows[0]?.status === 'assigned',
          { what: 'the new case to be routed' },
        );
        expect(routed.handler_id).toBe(handler.id);
        expect((await as('ADMIN').patch(`/v1/officers/${oldHandler}`, { active: false })).status).toBe(200);

        // The same designation again moves nothing and records nothing.
        const again = await as('ADMIN').put('/v1/units/P_THANH_LUONG/designation', { handlerId: handler.id, leaderId: leader.id });
        expect((again.body as DesignationResultDto).movedCases).toBe(0);
        const unitEvents = await engine.query(`SELECT id FROM audit_events WHERE action = 'designation_changed' AND data->>'unitCode' = 'P_THANH_LUONG'`);
        expect(unitEvents).toHaveLength(1);
      });

      it('clearing the handler leaves open cases without a handler and puts the unit in the coverage report', async () => {
        const id = await submit('sidewalk_encroachment', { wardCode: 'DONG_MAC' });
        await waitFor(
          () => cases([id]),
          (rows) => rows[0]?.status === 'assigned',
          { what: 'the case to be routed' },
        );
        const leaderId = await officerId('p.dong.mac.leader');
        const res = await as('ADMIN').put('/v1/units/P_DONG_MAC/designation', { handlerId: null, leaderId });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ unit: { handler: null, leader: { id: leaderId } }, movedCases: 1 });
        expect((await cases([id]))[0]).toMatchObject({ handler_id: null, leader_id: leaderId });
        const coverage = await as('ADMIN').get('/v1/units/coverage');
        expect(coverage.body).toContainEqual({ code: 'P_DONG_MAC', name: 'Phường Đống Mác', kind: 'ward', missing: ['handler'], absences: [] });
      });
    });
  });
});
