import { createHmac, randomUUID } from 'node:crypto';
import type { CaseState, OfficerRole } from '@fr/domain';
import { SlaService } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, errorOf, TestEngine, waitFor } from '@fr/testing';
import { OFFICER_ACTION_SPECS } from '../apps/api/src/cases/case-actions';

/**
 * Who may do what on the officer case endpoints (API.md "Officers"; roles per action from
 * libs/domain/src/case-state-machine.ts). Every refusal is tried on a case in a state where the action
 * is otherwise allowed, with a valid body and the right expectedVersion, so that the only reason for
 * the refusal is who is asking; and every refusal must leave the case exactly as it was.
 *
 *   401  no token, or a token the API did not issue
 *   403  ADMIN and OPERATOR anywhere on cases, AUDITOR on any action, a role the state machine never allows
 *   404  a case outside the caller's unit (HANDLER, LEADER), an unknown action, a malformed or unknown id
 *   409  an action the case's state does not allow (naming the state), a stale expectedVersion
 */

// Boot, officer creation (argon2) and ~60 cases take longer than Jest's 5 s default.
jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';

const ACTIONS = ['acknowledge', 'request-info', 'transfer', 'return', 'assign', 'resolve', 'extend', 'reopen', 'close', 'note'] as const;
type Action = (typeof ACTIONS)[number];

/** The officer roles each action admits, whatever the unit (the state machine's role table). */
const MAY: Record<Action, OfficerRole[]> = {
  acknowledge: ['HANDLER', 'LEADER', 'SUPERVISOR'],
  'request-info': ['HANDLER', 'LEADER'],
  transfer: ['HANDLER', 'LEADER', 'SUPERVISOR'],
  return: ['HANDLER', 'LEADER'],
  assign: ['SUPERVISOR'],
  resolve: ['HANDLER', 'LEADER'],
  extend: ['LEADER'],
  reopen: ['LEADER', 'SUPERVISOR'],
  close: ['HANDLER', 'LEADER', 'SUPERVISOR'],
  note: ['HANDLER', 'LEADER', 'SUPERVISOR'],
};

/** Units of the officers below: BK owns the test cases, VP is the triage office, TN is "another unit". */
const UNITS = { BK: 'P_BACH_KHOA', VP: 'VP', TN: 'P_THANH_NHAN' } as const;
type UnitKey = keyof typeof UNITS;

/** Officers by key: 'ADMIN', 'AUDITOR', 'SUPERVISOR', and '<unit>.<role>' for unit-scoped ones. */
type Who = 'ADMIN' | 'AUDITOR' | 'SUPERVISOR' | 'OPERATOR' | `${UnitKey}.${'HANDLER' | 'LEADER'}`;
const UNIT_OFFICERS: Who[] = ['BK.HANDLER', 'BK.LEADER', 'VP.HANDLER', 'VP.LEADER', 'TN.HANDLER', 'TN.LEADER'];

/** The officer holding `role` for a case of unit `owner` (SUPERVISOR, AUDITOR and ADMIN have no unit scope). */
const officer = (role: OfficerRole, owner: UnitKey): Who => (role === 'HANDLER' || role === 'LEADER' ? `${owner}.${role}` : role);

/**
 * How each action is exercised: the state a fresh case is driven to (where the action is allowed),
 * the unit that then owns it, a valid body, and the state after success.
 */
interface Scenario {
  state: Exclude<CaseState, 'received' | 'merged'>;
  owner: UnitKey;
  body: (id: string) => Promise<Record<string, unknown>> | Record<string, unknown>;
  after: CaseState;
  /** The answer given long enough ago that the citizen can no longer rate it: the unit may close it. */
  settled?: boolean;
}

describe('authorization of the officer case endpoints', () => {
  let engine: TestEngine;
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;

  beforeAll(async () => {
    engine = await TestEngine.start();
    tokens.ADMIN = await adminToken(engine);
    const accounts: [Who, OfficerRole, string][] = [
      ['AUDITOR', 'AUDITOR', 'NOI_VU'],
      ['SUPERVISOR', 'SUPERVISOR', 'VP'],
      // A 1022 hotline operator reaches cases through /v1/hotline only.
      ['OPERATOR', 'OPERATOR', 'VP'],
      ...UNIT_OFFICERS.map((who): [Who, OfficerRole, string] => {
        const [unit, role] = who.split('.') as [UnitKey, OfficerRole];
        return [who, role, UNITS[unit]];
      }),
    ];
    await Promise.all(
      accounts.map(async ([who, role, unitCode]) => {
        const o = await createOfficer(engine, tokens.ADMIN, { username: `authz.${who.toLowerCase()}`, role, unitCode });
        tokens[who] = o.token;
        ids[who] = o.id;
      }),
    );
  });
  afterAll(() => engine?.close());

  // ---- helpers -------------------------------------------------------------------------------

  const row = async (id: string) =>
    (await engine.query<{ status: CaseState; version: number; unit_code: string }>(`SELECT status, version, unit_code FROM cases WHERE id = $1`, [id]))[0];

  /** Everything an action could change: the row's state and clocks, and its audit events and messages. */
  const snapshot = async (id: string) => {
    const [c] = await engine.query<
      { status: CaseState; version: number; unit_code: string; extension_count: number; messages: number } & Record<string, unknown>
    >(
      `SELECT status, version, unit_code, handler_id, leader_id, severity, due_at, extension_count, transfer_count, return_count,
              reopen_count, resolved_at, closed_at, updated_at,
              (SELECT count(*)::int FROM audit_events e WHERE e.case_id = c.id) AS events,
              (SELECT count(*)::int FROM case_messages m WHERE m.case_id = c.id) AS messages
         FROM cases c WHERE id = $1`,
      [id],
    );
    return c;
  };

  const get = (who: Who, id: string) => engine.http().get(`/v1/cases/${id}`).set(bearer(tokens[who]));
  const list = (who: Who, query = '') => engine.http().get(`/v1/cases${query}`).set(bearer(tokens[who]));
  const post = (who: Who, id: string, action: string, body: Record<string, unknown>) =>
    engine.http().post(`/v1/cases/${id}/${action}`).set(bearer(tokens[who])).send(body);

  /** One action with the case's current version; anything but 200 fails the test. */
  const step = async (who: Who, id: string, action: string, body: Record<string, unknown>) => {
    const res = await post(who, id, action, { expectedVersion: (await row(id)).version, ...body });
    if (res.status !== 200) throw new Error(`${who} ${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  /** A case submitted by a channel and routed to Phường Bách Khoa (status 'assigned'). */
  const newCase = async (): Promise<string> => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè ngõ 40 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Văn Thử', phone: '0912000111' },
      });
    expect(res.status).toBe(202);
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => row(id),
      (r) => r.status !== 'received',
      { what: 'routing' },
    );
    return id;
  };

  /** Real actions, by Bách Khoa's handler, that take a fresh case to each state. */
  const PATHS: Record<Exclude<CaseState, 'received' | 'merged'>, [string, Record<string, unknown>][]> = {
    assigned: [],
    triage: [['return', { reason: 'Không thuộc thẩm quyền của phường' }]],
    in_progress: [['acknowledge', { severity: 'normal' }]],
    awaiting_info: [
      ['acknowledge', { severity: 'normal' }],
      ['request-info', { message: 'Đề nghị cung cấp số nhà cụ thể.' }],
    ],
    resolved: [
      ['acknowledge', { severity: 'normal' }],
      ['resolve', { answer: ANSWER }],
    ],
    closed: [
      ['acknowledge', { severity: 'normal' }],
      ['resolve', { answer: ANSWER }],
      ['close', {}],
    ],
  };

  /** As if the citizen's rating window (sla.yaml autoCloseDays) had passed since the answer. */
  const settle = (id: string) => engine.query(`UPDATE cases SET resolved_at = resolved_at - interval '8 days' WHERE id = $1`, [id]);
  const caseIn = async (state: Exclude<CaseState, 'received' | 'merged'>, settled = false): Promise<string> => {
    const id = await newCase();
    for (const [action, body] of PATHS[state]) {
      if (action === 'close') await settle(id);
      await step('BK.HANDLER', id, action, body);
    }
    if (settled) await settle(id);
    expect((await row(id)).status).toBe(state);
    return id;
  };

  /** A deadline extension the policy accepts: one working hour past the current resolve deadline. */
  const oneHourLater = async (id: string) => {
    const [c] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [id]);
    return engine.api.get(SlaService).calendar.addMinutes(new Date(c.due_at), 60).toISOString();
  };

  const SCENARIOS: Record<Action, Scenario> = {
    acknowledge: { state: 'assigned', owner: 'BK', body: () => ({ severity: 'normal' }), after: 'in_progress' },
    'request-info': { state: 'in_progress', owner: 'BK', body: () => ({ message: 'Đề nghị gửi ảnh hiện trường.' }), after: 'awaiting_info' },
    transfer: { state: 'assigned', owner: 'BK', body: () => ({ unitCode: UNITS.TN, reason: 'Địa điểm thuộc phường Thanh Nhàn' }), after: 'assigned' },
    return: { state: 'assigned', owner: 'BK', body: () => ({ reason: 'Không thuộc thẩm quyền của phường' }), after: 'triage' },
    assign: { state: 'triage', owner: 'VP', body: () => ({ unitCode: UNITS.BK }), after: 'assigned' },
    resolve: { state: 'in_progress', owner: 'BK', body: () => ({ answer: ANSWER }), after: 'resolved' },
    extend: {
      state: 'in_progress',
      owner: 'BK',
      body: async (id) => ({ until: await oneHourLater(id), reason: 'Chờ ý kiến Đội QLTTXD' }),
      after: 'in_progress',
    },
    reopen: { state: 'resolved', owner: 'BK', body: () => ({ reason: 'Công dân phản ánh chưa xử lý dứt điểm' }), after: 'in_progress' },
    close: { state: 'resolved', owner: 'BK', body: () => ({}), after: 'closed', settled: true },
    note: { state: 'assigned', owner: 'BK', body: () => ({ text: 'Đã gọi điện cho tổ trưởng dân phố.' }), after: 'assigned' },
  };

  /** The answer a caller gets for a case outside its scope: the same as for a case that does not exist. */
  const expectNotFound = (res: { status: number; body: any }, id: string) => {
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: `case '${id}' not found` });
  };

  // ---- (a) authentication --------------------------------------------------------------------

  describe('without a valid access token', () => {
    /** A well-formed HS256 token for a real officer, signed with a key the API does not have. */
    const forged = () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: ids.SUPERVISOR, role: 'SUPERVISOR', unit: 'VP', ver: 0, iat: now, exp: now + 3600 })}`;
      return `${unsigned}.${createHmac('sha256', 'not-the-api-secret').update(unsigned).digest('base64url')}`;
    };
    /** The same claims with `alg: none` and no signature. */
    const unsigned = () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: ids.SUPERVISOR, role: 'SUPERVISOR', unit: 'VP', ver: 0 })}.`;
    };
    const CREDENTIALS: [string, () => string | null][] = [
      ['no Authorization header', () => null],
      ['a garbage bearer token', () => 'Bearer garbage'],
      ['a token signed with another key', () => `Bearer ${forged()}`],
      ["an 'alg: none' token", () => `Bearer ${unsigned()}`],
      ['a valid token under another scheme', () => `Basic ${tokens.SUPERVISOR}`],
    ];
    const ENDPOINTS: [string, (id: string) => ['get' | 'post', string]][] = [
      ['GET /v1/cases', () => ['get', '/v1/cases']],
      ['GET /v1/cases/{id}', (id) => ['get', `/v1/cases/${id}`]],
      ...ACTIONS.map((a): [string, (id: string) => ['get' | 'post', string]] => [`POST /v1/cases/{id}/${a}`, (id) => ['post', `/v1/cases/${id}/${a}`]]),
    ];

    it.each(ENDPOINTS)('%s answers 401 and changes nothing', async (_, endpoint) => {
      const id = await newCase();
      const before = await snapshot(id);
      const [method, path] = endpoint(id);
      for (const [what, header] of CREDENTIALS) {
        let req = engine.http()[method](path);
        const h = header();
        if (h) req = req.set('Authorization', h);
        const res = await (method === 'post' ? req.send({ expectedVersion: before.version, severity: 'normal', text: 'x' }) : req);
        expect({ what, status: res.status, error: errorOf(res).error }).toEqual({ what, status: 401, error: 'Unauthorized' });
      }
      expect(await snapshot(id)).toEqual(before);
    });
  });

  // ---- (b, c) reading ------------------------------------------------------------------------

  describe('reading', () => {
    const READERS: [Who, number][] = [
      ['ADMIN', 403],
      ['OPERATOR', 403],
      ['AUDITOR', 200],
      ['SUPERVISOR', 200],
      ['BK.HANDLER', 200],
      ['BK.LEADER', 200],
      ['TN.HANDLER', 404],
      ['TN.LEADER', 404],
    ];

    it.each(READERS)('GET /v1/cases/{id} of a Bách Khoa case as %s -> %i', async (who, expected) => {
      const id = await newCase();
      const res = await get(who, id);
      if (expected === 404) expectNotFound(res, id);
      else expect(res.status).toBe(expected);
      if (expected === 200) expect(res.body).toMatchObject({ id, unit: { code: UNITS.BK } });
      if (expected === 403) expect(errorOf(res).message).toMatch(new RegExp(`role ${who} may not GET`));
    });

    it('GET /v1/cases: ADMIN 403; the case is in the queue of its unit, supervisors and auditors, never of another unit', async () => {
      const id = await newCase();
      expect((await list('ADMIN')).status).toBe(403);
      expect((await list('OPERATOR')).status).toBe(403);
      const queues: [Who, string, boolean][] = [
        // Pages long enough for every case this file has made so far (the default page is 20).
        ['AUDITOR', '?limit=100', true],
        ['AUDITOR', `?unit=${UNITS.BK}&limit=100`, true],
        ['SUPERVISOR', `?unit=${UNITS.BK}&status=assigned&limit=100`, true],
        ['BK.HANDLER', '?status=assigned&limit=100', true],
        ['BK.LEADER', '?limit=100', true],
        ['TN.HANDLER', '', false],
        ['TN.HANDLER', `?unit=${UNITS.BK}`, false],
        ['TN.HANDLER', `?unit=${UNITS.BK}&status=assigned&limit=100`, false],
        ['TN.LEADER', '', false],
        ['TN.LEADER', `?unit=${UNITS.BK}`, false],
      ];
      for (const [who, query, listed] of queues) {
        const res = await list(who, query);
        expect(res.status).toBe(200);
        const page = res.body as ApiSchema<'CasePageDto'>;
        const seen = page.items.map((c) => c.id);
        expect({ who, query, listed: seen.includes(id) }).toEqual({ who, query, listed });
        if (who.startsWith('TN.')) {
          // Whatever the filter, another unit's queue holds only its own unit's cases.
          for (const c of page.items) expect(c.unit!.code).toBe(UNITS.TN);
        }
      }
    });
  });

  // ---- (b, c) acting: one block per action -----------------------------------------------------

  describe.each(ACTIONS)('POST /v1/cases/{id}/%s', (action) => {
    const s = SCENARIOS[action];
    const foreignUnits: UnitKey[] = s.owner === 'BK' ? ['TN'] : ['TN', 'BK'];
    /** The officers who may act: [who, role]. */
    const allowed = MAY[action].map((role) => [officer(role, s.owner), role] as const);

    /** Expected answer for every caller who must be refused, on a case of `owner` in state `s.state`. */
    // A unit that held the case before (Bách Khoa, which returned it to triage) is told it has left its queue (409).
    const heldBefore = (u: UnitKey) => u === 'BK' && PATHS[s.state].some(([a]) => a === 'return');
    const refusals = (): [Who, 403 | 404 | 409][] => [
      ['ADMIN', 403],
      ['AUDITOR', 403],
      ['OPERATOR', 403],
      ...(['HANDLER', 'LEADER', 'SUPERVISOR'] as OfficerRole[])
        .filter((role) => !MAY[action].includes(role))
        .map((role): [Who, 403] => [officer(role, s.owner), 403]),
      ...foreignUnits.flatMap((u): [Who, 404 | 409][] => [
        [`${u}.HANDLER`, heldBefore(u) ? 409 : 404],
        [`${u}.LEADER`, heldBefore(u) ? 409 : 404],
      ]),
    ];

    it(`refuses roles that may never ${action} (403) and other units (404) in state '${s.state}', changing nothing`, async () => {
      const id = await caseIn(s.state, s.settled);
      const before = await snapshot(id);
      const body = { expectedVersion: before.version, ...(await s.body(id)) };
      for (const [who, expected] of refusals()) {
        const res = await post(who, id, action, body);
        if (expected === 404) {
          expectNotFound(res, id);
        } else if (expected === 409) {
          expect({ who, status: res.status }).toEqual({ who, status: 409 });
          expect(errorOf(res).message).toMatch(/is no longer with unit '.+': it was handed on/);
        } else {
          expect({ who, status: res.status }).toEqual({ who, status: 403 });
          const role = who.includes('.') ? who.split('.')[1] : who;
          expect(errorOf(res).message).toMatch(new RegExp(`role ${role} may not`));
          expect(errorOf(res).state).toBeUndefined(); // a refused role does not learn the case's state
        }
        expect(await snapshot(id)).toEqual(before);
      }
      // The very same request from a role that may act succeeds: the refusals were about who asked.
      const [first] = allowed[0];
      const ok = await post(first, id, action, body);
      expect({ who: first, status: ok.status, body: ok.status === 200 ? undefined : (ok.body as unknown) }).toEqual({
        who: first,
        status: 200,
        body: undefined,
      });
    });

    it.each(allowed)(`lets %s ${action} a case in state '${s.state}'`, async (who, role) => {
      const id = await caseIn(s.state, s.settled);
      const before = await snapshot(id);
      const res = await post(who, id, action, { expectedVersion: before.version, ...(await s.body(id)) });
      expect({ who, status: res.status, body: res.status === 200 ? undefined : (res.body as unknown) }).toEqual({ who, status: 200, body: undefined });

      const leavesScope = (action === 'transfer' || action === 'return') && role !== 'SUPERVISOR';
      if (leavesScope) expect(res.body).toEqual({ id, movedOutOfScope: true });
      else expect(res.body).toMatchObject({ id, status: s.after });

      const after = await snapshot(id);
      expect(after.status).toBe(s.after);
      if (action === 'note') {
        expect(after.version).toBe(before.version); // a note does not race other officers' actions
        expect(after.messages).toBe(before.messages + 1);
      } else {
        expect(after.version).toBe(before.version + 1);
      }
      if (action === 'extend') expect(after.extension_count).toBe(1);
      if (action === 'transfer') expect(after.unit_code).toBe(UNITS.TN);
      if (action === 'return') expect(after.unit_code).toBe(UNITS.VP);
      if (action === 'assign') expect(after.unit_code).toBe(UNITS.BK);
    });

    it(`answers 409 to a stale or future expectedVersion, changing nothing`, async () => {
      const id = await caseIn(s.state, s.settled);
      const before = await snapshot(id);
      const who = officer(MAY[action][0], s.owner);
      for (const expectedVersion of [before.version - 1, before.version + 1]) {
        const res = await post(who, id, action, { ...(await s.body(id)), expectedVersion });
        expect(res.status).toBe(409);
        expect(errorOf(res).message).toMatch(new RegExp(`expectedVersion ${expectedVersion}, current version ${before.version}`));
        expect(await snapshot(id)).toEqual(before);
      }
    });
  });

  // ---- (d) unknown targets -------------------------------------------------------------------

  describe('a unit that handed the case on', () => {
    it('is told so (409) for a moment after, with neither state nor destination; later, or once another unit held it, the case is not found', async () => {
      const id = await caseIn('assigned');
      await step('BK.HANDLER', id, 'transfer', { unitCode: UNITS.TN, reason: 'Địa điểm thuộc phường Thanh Nhàn' });
      // A colleague at Bách Khoa, with the version they had loaded: the transfer came first.
      const late = await post('BK.LEADER', id, 'acknowledge', { expectedVersion: (await row(id)).version - 1, severity: 'normal' });
      expect(late.status).toBe(409);
      expect(errorOf(late).message).toBe(`case ${id} is no longer with unit '${UNITS.BK}': it was handed on; it has left your queue`);
      expect(errorOf(late).state).toBeUndefined();
      expect((await get('BK.LEADER', id)).status).toBe(404);
      // Long after the hand-over, Bách Khoa no longer learns that the case exists.
      await engine.query(`UPDATE assignments SET ended_at = ended_at - interval '1 hour' WHERE case_id = $1 AND ended_at IS NOT NULL`, [id]);
      expectNotFound(await post('BK.LEADER', id, 'acknowledge', { expectedVersion: (await row(id)).version, severity: 'normal' }), id);
      // Returned by Thanh Nhàn to triage just now: Thanh Nhàn held it last, Bách Khoa gets 404 again.
      await step('TN.HANDLER', id, 'return', { reason: 'Không thuộc thẩm quyền của phường' });
      expectNotFound(await post('BK.HANDLER', id, 'acknowledge', { expectedVersion: (await row(id)).version, severity: 'normal' }), id);
      expect((await post('TN.HANDLER', id, 'acknowledge', { expectedVersion: (await row(id)).version, severity: 'normal' })).status).toBe(409);
    });
  });

  describe('unknown actions and ids', () => {
    it.each([
      'supply-info', // the citizen's action: reachable only through POST /v1/feedback/{code}/info
      'rate',
      'route',
      'route_to_triage',
      'delete',
      'ACKNOWLEDGE',
      'constructor',
      '__proto__',
      'hasOwnProperty',
    ])('POST /v1/cases/{id}/%s -> 404, changing nothing', async (action) => {
      const id = await newCase();
      const before = await snapshot(id);
      for (const who of ['SUPERVISOR', 'BK.LEADER'] as Who[]) {
        const res = await post(who, id, action, { expectedVersion: before.version, message: 'Đề nghị gửi ảnh.' });
        expect(res.status).toBe(404);
        expect(errorOf(res).message).toMatch(/^action '.*' not found$/);
      }
      expect(await snapshot(id)).toEqual(before);
    });

    /** A body valid for any action, so that only the id can be what is wrong. */
    const EVERY_FIELD = {
      expectedVersion: 2,
      severity: 'normal',
      message: 'Đề nghị gửi ảnh.',
      unitCode: UNITS.TN,
      reason: 'Kiểm tra',
      answer: ANSWER,
      until: new Date(Date.now() + 30 * 86400000).toISOString(),
      text: 'Ghi chú',
    };
    /** Every field the action takes, so that no action fails validation first. */
    const fieldsOf = (action: Action) =>
      Object.fromEntries(
        Object.entries(EVERY_FIELD).filter(([k]) => k === 'expectedVersion' || (OFFICER_ACTION_SPECS[action].fields as readonly string[]).includes(k)),
      );

    const BAD_IDS = ['not-a-uuid', '12345', `${randomUUID()}0`, encodeURIComponent("' OR '1'='1"), '00000000-0000-0000-0000-00000000000g'];

    it.each(BAD_IDS)("a non-uuid id '%s' -> 404 on GET and on every action", async (bad) => {
      for (const who of ['SUPERVISOR', 'BK.HANDLER'] as Who[]) {
        const read = await engine.http().get(`/v1/cases/${bad}`).set(bearer(tokens[who]));
        expect(read.status).toBe(404);
        for (const action of ACTIONS) {
          const res = await post(who, bad, action, fieldsOf(action));
          expect({ action, status: res.status }).toEqual({ action, status: 404 });
        }
      }
    });

    it("a random uuid -> 404 on GET and on every action, the same answer as for another unit's case", async () => {
      const missing = randomUUID();
      for (const who of ['SUPERVISOR', 'BK.HANDLER', 'BK.LEADER'] as Who[]) {
        expectNotFound(await get(who, missing), missing);
        for (const action of ACTIONS) expectNotFound(await post(who, missing, action, fieldsOf(action)), missing);
      }
    });
  });

  // ---- (e) state conflicts -------------------------------------------------------------------

  describe('actions the state does not allow', () => {
    const BLOCKED: [Action, Exclude<CaseState, 'received' | 'merged'>, Who][] = [
      ['acknowledge', 'in_progress', 'BK.HANDLER'],
      ['request-info', 'assigned', 'BK.HANDLER'],
      ['request-info', 'awaiting_info', 'BK.LEADER'],
      ['transfer', 'resolved', 'SUPERVISOR'],
      ['return', 'resolved', 'BK.LEADER'],
      ['assign', 'assigned', 'SUPERVISOR'],
      ['resolve', 'assigned', 'BK.HANDLER'],
      ['resolve', 'awaiting_info', 'BK.HANDLER'],
      ['extend', 'resolved', 'BK.LEADER'],
      ['reopen', 'in_progress', 'BK.LEADER'],
      ['close', 'in_progress', 'BK.HANDLER'],
      ['note', 'closed', 'BK.HANDLER'],
    ];

    it.each(BLOCKED)('%s in state %s (by %s) -> 409 naming the state, changing nothing', async (action, state, who) => {
      const id = await caseIn(state);
      const before = await snapshot(id);
      const body = {
        expectedVersion: before.version,
        ...(action === 'extend' ? { until: new Date(Date.now() + 86400000).toISOString(), reason: 'x' } : await SCENARIOS[action].body(id)),
      };
      const res = await post(who, id, action, body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', state });
      expect(errorOf(res).message).toContain(`'${state}'`);
      expect(await snapshot(id)).toEqual(before);
    });

    it('checks the role before the state: a role that may never act gets 403 without learning the state', async () => {
      const id = await caseIn('in_progress'); // assign is not allowed here for anyone
      for (const who of ['BK.HANDLER', 'BK.LEADER'] as Who[]) {
        const res = await post(who, id, 'assign', { expectedVersion: (await row(id)).version, unitCode: UNITS.TN });
        expect(res.status).toBe(403);
        expect(errorOf(res).state).toBeUndefined();
        expect(errorOf(res).message).not.toContain('in_progress');
      }
    });
  });
});
