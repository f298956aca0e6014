import { maskEmail, maskName, maskPhone } from '@fr/domain';
import { QueueName, QueueRegistry } from '@fr/queue';
import { adminToken, bearer, createOfficer, DEFAULT_TEST_PASSWORD, DEV_KEYS, StdoutCapture, TestEngine, waitFor } from '@fr/testing';
import type { CaseDetailDto, CasePageDto } from '../apps/api/src/cases/case-view.dto';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { FeedbackAcceptedDto, FeedbackStatusDto } from '../apps/api/src/intake/feedback.dto';

/**
 * Citizens' personal data (DOMAIN/API.md): the contact is shown only to a handler of the case's unit,
 * masked for everyone else, never on the citizen-facing status view, and never written to the logs.
 * The engine logs JSON lines to process.stdout at level info (libs/config/src/logging.ts); this file
 * captures them for its whole run and checks them at the end.
 */

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const CITIZEN = { name: 'Khổng Thị Diệu Huyền', phone: '0968135792', email: 'dieu.huyen.khong@example.vn' };
const DESCRIPTION = 'Cống thoát nước trước nhà số 17 ngõ Quỳnh Lôi bốc mùi hôi thối suốt ba tuần, nước tràn lên vỉa hè.';
const INFO_REQUEST = 'Đề nghị ông/bà gửi ảnh hiện trường và thời điểm nước tràn.';
const INFO_REPLY = 'Nước tràn vào khoảng 6 giờ sáng hằng ngày, ảnh gửi kèm theo phản ánh.';
const NOTE = 'Ghi chú nội bộ: đã liên hệ Công ty Thoát nước Hà Nội, hẹn khảo sát thứ Năm.';
const ANSWER = 'UBND phường đã phối hợp Công ty Thoát nước Hà Nội nạo vét tuyến cống ngõ Quỳnh Lôi ngày 02/12, thay nắp ga bị vỡ; hiện không còn nước tràn.';
const WRONG_PASSWORD = 'Sai-mat-khau-Zq81!';

/** Every field the citizen-facing status view may carry (API.md, plus infoRequest and rating). */
// otherTrack holds only the officers' words on where to take a complaint or denunciation (redirect-other-track).
/** The fields of a request's log line this file reads; other log lines have no req and res. */
interface RequestLog {
  req: { id?: unknown; url?: unknown };
  res: { statusCode?: number };
  requestId?: unknown;
}
const STATUS_FIELDS = [
  'trackingCode',
  'status',
  'category',
  'unit',
  'submittedAt',
  'updatedAt',
  'dueAt',
  'answer',
  'infoRequest',
  'rating',
  'otherTrack',
  'duplicateOf',
];

describe("citizens' personal data", () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  let caseId: string;
  let trackingCode: string;

  // ---- stdout capture: every line the API and the worker log during this file -----------------
  let stdout: StdoutCapture;

  beforeAll(async () => {
    stdout = new StdoutCapture();

    engine = await TestEngine.start({ env: { LOG_LEVEL: 'info' } });
    tokens.admin = await adminToken(engine);
    const officers: [string, 'HANDLER' | 'LEADER' | 'SUPERVISOR' | 'AUDITOR', string][] = [
      ['pd.bk.handler', 'HANDLER', 'P_BACH_KHOA'], // will be the unit's designated handler
      ['pd.bk.handler.other', 'HANDLER', 'P_BACH_KHOA'], // same unit, not designated
      ['pd.bk.leader', 'LEADER', 'P_BACH_KHOA'],
      ['pd.tn.handler', 'HANDLER', 'P_THANH_NHAN'],
      ['pd.supervisor', 'SUPERVISOR', 'VP'],
      ['pd.auditor', 'AUDITOR', 'NOI_VU'],
    ];
    await Promise.all(
      officers.map(async ([username, role, unitCode]) => {
        const o = await createOfficer(engine, tokens.admin, { username, role, unitCode });
        tokens[username] = o.token;
        ids[username] = o.id;
      }),
    );
    const designated = await engine
      .http()
      .put('/v1/units/P_BACH_KHOA/designation')
      .set(bearer(tokens.admin))
      .send({ handlerId: ids['pd.bk.handler'], leaderId: ids['pd.bk.leader'] });
    expect(designated.status).toBe(200);

    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sanitation', description: DESCRIPTION, location: { wardCode: 'BACH_KHOA', address: 'Số 17 ngõ Quỳnh Lôi' }, citizen: CITIZEN });
    expect(res.status).toBe(202);
    ({ id: caseId, trackingCode } = res.body as FeedbackAcceptedDto);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [caseId]),
      (r) => r[0].status === 'assigned',
      {
        what: 'routing to Phường Bách Khoa',
      },
    );
  });

  afterAll(async () => {
    await engine?.close();
    stdout?.restore();
  });

  // ---- helpers -------------------------------------------------------------------------------

  const get = (who: string) => engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens[who]));
  const status = () => engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY);
  const version = async () => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [caseId]))[0].version;
  const act = async (who: string, action: string, body: Record<string, unknown>) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${caseId}/${action}`)
      .set(bearer(tokens[who]))
      .send({ expectedVersion: await version(), ...body });
    expect({ action, status: res.status }).toEqual({ action, status: 200 });
    return res.body as CaseDetailDto;
  };

  const RAW_CONTACT = Object.values(CITIZEN);
  const MASKED = { name: maskName(CITIZEN.name), phone: maskPhone(CITIZEN.phone), email: maskEmail(CITIZEN.email), masked: true };
  /** Asserts none of `secrets` appears in `text`, naming the one that does. */
  const expectNone = (text: string, secrets: string[], where: string) => {
    for (const secret of secrets) expect({ where, leaked: text.includes(secret) ? secret : null }).toEqual({ where, leaked: null });
  };

  /** The status view must carry only its contract fields and nothing of the citizen, the notes or the replies. */
  const expectCitizenSafeStatus = async (stage: string) => {
    const res = await status();
    expect(res.status).toBe(200);
    const body = res.body as FeedbackStatusDto;
    for (const key of Object.keys(body)) expect({ stage, key, allowed: STATUS_FIELDS.includes(key) }).toEqual({ stage, key, allowed: true });
    const text = JSON.stringify(body);
    expectNone(text, [...RAW_CONTACT, MASKED.name!, MASKED.phone!, MASKED.email!, DESCRIPTION, NOTE, INFO_REPLY], `status view (${stage})`);
    return body;
  };

  // ---- responses -----------------------------------------------------------------------------

  it("shows the contact to the unit's designated handler, unmasked", async () => {
    const [c] = await engine.query<{ handler_id: string }>(`SELECT handler_id FROM cases WHERE id = $1`, [caseId]);
    expect(c.handler_id).toBe(ids['pd.bk.handler']);
    const res = await get('pd.bk.handler');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ handlerId: ids['pd.bk.handler'], citizen: { ...CITIZEN, masked: false } });
  });

  it('shows it, unmasked, to another handler of the same unit too (scope is the unit, not the designation)', async () => {
    const res = await get('pd.bk.handler.other');
    expect(res.status).toBe(200);
    const view = res.body as CaseDetailDto;
    expect(view.handlerId).not.toBe(ids['pd.bk.handler.other']);
    expect(view.citizen).toEqual({ ...CITIZEN, masked: false });
  });

  it.each(['pd.bk.leader', 'pd.supervisor', 'pd.auditor'])('masks the contact for %s', async (who) => {
    const res = await get(who);
    expect(res.status).toBe(200);
    expect((res.body as CaseDetailDto).citizen).toEqual(MASKED);
    expectNone(JSON.stringify(res.body), RAW_CONTACT, `GET /v1/cases/{id} as ${who}`);
  });

  it('gives a handler of another unit nothing at all', async () => {
    const res = await get('pd.tn.handler');
    expect(res.status).toBe(404);
    expectNone(JSON.stringify(res.body), [...RAW_CONTACT, MASKED.name!, MASKED.phone!], 'GET /v1/cases/{id} as another unit');
  });

  it('keeps the contact out of every queue (list) response', async () => {
    for (const who of ['pd.bk.handler', 'pd.bk.leader', 'pd.supervisor', 'pd.auditor']) {
      const res = await engine.http().get('/v1/cases').set(bearer(tokens[who]));
      expect(res.status).toBe(200);
      expect((res.body as CasePageDto).items.map((c) => c.id)).toContain(caseId);
      expectNone(JSON.stringify(res.body), RAW_CONTACT, `GET /v1/cases as ${who}`);
    }
  });

  it("works the case to resolution: each action's response masks or shows the contact by the same rule, and the status view never has it", async () => {
    await expectCitizenSafeStatus('assigned');

    const acked = await act('pd.bk.handler', 'acknowledge', { severity: 'normal' });
    expect(acked.citizen).toEqual({ ...CITIZEN, masked: false });
    await expectCitizenSafeStatus('in_progress');

    const noted = await act('pd.bk.leader', 'note', { text: NOTE });
    expect(noted.citizen).toEqual(MASKED);
    expectNone(JSON.stringify(noted), RAW_CONTACT, 'note response to the leader');
    const supervised = await act('pd.supervisor', 'note', { text: 'Giám sát: theo dõi tiến độ.' });
    expect(supervised.citizen).toEqual(MASKED);
    expectNone(JSON.stringify(supervised), RAW_CONTACT, 'note response to the supervisor');

    await act('pd.bk.handler.other', 'request-info', { message: INFO_REQUEST });
    const waiting = await expectCitizenSafeStatus('awaiting_info');
    expect(waiting).toMatchObject({ status: 'awaiting_info', infoRequest: { message: INFO_REQUEST } });

    const reply = await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(KEY).send({ message: INFO_REPLY });
    expect(reply.status).toBe(200);
    expectNone(JSON.stringify(reply.body), [...RAW_CONTACT, INFO_REPLY], 'reply response');
    await expectCitizenSafeStatus('in_progress after the reply');

    const resolved = await act('pd.bk.handler', 'resolve', { answer: ANSWER });
    expect(resolved.status).toBe('resolved');
    const done = await expectCitizenSafeStatus('resolved');
    expect(done.answer).toBe(ANSWER);

    // The auditor reads the whole file, timeline and messages included, still masked.
    const audited = await get('pd.auditor');
    const file = audited.body as CaseDetailDto;
    expect(file.citizen).toEqual(MASKED);
    expect(file.messages.map((m) => m.kind)).toEqual(['note', 'note', 'info_request', 'info_reply']);
    expectNone(JSON.stringify(file), RAW_CONTACT, 'the audited case file');
  });

  it("masks contacts in the attachments' URLs (the citizen's, a reply's, the answer's) for everyone but the unit's handlers", async () => {
    // Apps upload under the citizen's number or e-mail; Open311's media_url masks it, and so must the case view.
    const photo = `https://cdn.example.vn/u/${CITIZEN.phone}/anh1.jpg`;
    // Percent-escaped, as an app's uploader may write it: the mask reads through the escapes.
    const reply = `https://cdn.example.vn/u/${encodeURIComponent(CITIZEN.email)}/anh2.jpg`;
    const after = `https://cdn.hbt.gov.vn/tra-loi/${CITIZEN.phone}.jpg`;
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sanitation',
        description: DESCRIPTION,
        location: { wardCode: 'BACH_KHOA' },
        citizen: CITIZEN,
        attachments: [{ url: photo, kind: 'image' }],
      });
    expect(res.status).toBe(202);
    const other = res.body as FeedbackAcceptedDto;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [other.id]),
      (r) => r[0].status === 'assigned',
      { what: 'routing the case with a photo' },
    );
    const step = async (action: string, body: Record<string, unknown>) => {
      const [{ version: v }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [other.id]);
      const r = await engine
        .http()
        .post(`/v1/cases/${other.id}/${action}`)
        .set(bearer(tokens['pd.bk.handler']))
        .send({ expectedVersion: v, ...body });
      expect({ action, status: r.status }).toEqual({ action, status: 200 });
    };
    await step('acknowledge', { severity: 'normal' });
    await step('request-info', { message: INFO_REQUEST });
    const replied = await engine
      .http()
      .post(`/v1/feedback/${other.trackingCode}/info`)
      .set(KEY)
      .send({ message: INFO_REPLY, attachments: [{ url: reply, kind: 'image' }] });
    expect(replied.status).toBe(200);
    await step('resolve', { answer: ANSWER, attachments: [{ url: after, kind: 'image' }] });

    const urls = (c: CaseDetailDto) => [...c.attachments, ...c.messages.flatMap((m) => m.attachments ?? []), ...c.resolutionAttachments].map((a) => a.url);
    const handler = await engine.http().get(`/v1/cases/${other.id}`).set(bearer(tokens['pd.bk.handler']));
    expect(urls(handler.body as CaseDetailDto)).toEqual([photo, reply, after]);
    for (const who of ['pd.bk.leader', 'pd.supervisor', 'pd.auditor']) {
      const view = await engine.http().get(`/v1/cases/${other.id}`).set(bearer(tokens[who]));
      expect(view.status).toBe(200);
      expect({ who, urls: urls(view.body as CaseDetailDto) }).toEqual({
        who,
        urls: [
          `https://cdn.example.vn/u/${MASKED.phone}/anh1.jpg`,
          `https://cdn.example.vn/u/${MASKED.email}/anh2.jpg`,
          `https://cdn.hbt.gov.vn/tra-loi/${MASKED.phone}.jpg`,
        ],
      });
      expectNone(JSON.stringify(view.body), RAW_CONTACT, `GET /v1/cases/{id} with attachments as ${who}`);
    }
  });

  it('rejects requests carrying personal data with an error (validation, malformed JSON, wrong password)', async () => {
    const withUnknownField = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sanitation', description: DESCRIPTION, location: { wardCode: 'BACH_KHOA' }, citizen: { ...CITIZEN, cccd: '001190012345' } });
    expect(withUnknownField.status).toBe(400);
    expect((withUnknownField.body as ErrorDto).message).toMatch(/citizen\.cccd|property cccd/);

    const badPhone = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sanitation', description: DESCRIPTION, location: { wardCode: 'BACH_KHOA' }, citizen: { ...CITIZEN, phone: `gọi ${CITIZEN.phone}` } });
    expect(badPhone.status).toBe(400);
    expect((badPhone.body as ErrorDto).message).toMatch(/phone/);

    const malformed = await engine
      .http()
      .post('/v1/feedback')
      .set({ ...KEY, 'Content-Type': 'application/json' })
      .send(`{"category":"sanitation","citizen":{"name":"${CITIZEN.name}","phone":"${CITIZEN.phone}","email":"${CITIZEN.email}"`);
    expect(malformed.status).toBe(400);

    const badReply = await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(KEY).send({ message: INFO_REPLY, phone: CITIZEN.phone });
    expect(badReply.status).toBe(400);

    const badNote = await engine
      .http()
      .post(`/v1/cases/${caseId}/note`)
      .set(bearer(tokens['pd.bk.handler']))
      .send({ text: `Công dân ${CITIZEN.name} gọi lại`, citizen: CITIZEN });
    expect(badNote.status).toBe(400);

    const wrongPassword = await engine.http().post('/v1/auth/login').send({ username: 'pd.bk.leader', password: WRONG_PASSWORD });
    expect(wrongPassword.status).toBe(401);

    const wrongKey = await engine.http().get(`/v1/feedback/${trackingCode}`).set('X-Api-Key', 'dev-ihanoi-key-but-wrong');
    expect(wrongKey.status).toBe(401);
  });

  // ---- logs (runs last: everything above has been logged by now) ------------------------------

  it('logs requests, but no name, phone, email, description, message, password, API key or token', async () => {
    // Let the worker finish what the actions above queued (citizen-facing events), so its lines are in too.
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`),
      (r) => r[0].n === 0,
      { what: 'the outbox to drain' },
    );
    for (const name of [QueueName.CaseEvents, QueueName.Notifications]) {
      const queue = engine.worker!.get(QueueRegistry).get(name);
      await waitFor(
        () => queue.getJobCounts('waiting', 'active'),
        (c) => c.waiting + c.active === 0,
        { what: `the ${name} queue to drain` },
      );
    }

    const output = stdout.text();
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Partial<RequestLog>];
      } catch {
        return [];
      }
    });
    // Request logs are there, successes and errors alike: the check below is about real traffic.
    const requests = records.filter((r): r is RequestLog => !!r.req && !!r.res);
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.some((r) => r.res.statusCode === 400)).toBe(true);
    expect(requests.some((r) => r.res.statusCode === 401 && String(r.req.url).includes('/v1/auth/login'))).toBe(true);
    expect(requests.some((r) => String(r.req.url).startsWith(`/v1/cases/${caseId}`))).toBe(true);
    // Every line of a request carries its id (X-Request-Id, echoed): a UUID unless the caller sent a valid one.
    expect(requests.filter((r) => typeof r.requestId !== 'string' || r.requestId !== r.req.id)).toEqual([]);

    const escaped = (s: string) => JSON.stringify(s).slice(1, -1); // as it would appear inside a JSON string
    // eslint-disable-next-line no-control-regex -- the ASCII range, NUL included, is the point
    const ascii = (s: string) => s.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const personal = [
      CITIZEN.name,
      CITIZEN.name.normalize('NFD'),
      ascii(CITIZEN.name),
      CITIZEN.phone,
      CITIZEN.email,
      DESCRIPTION,
      ascii(DESCRIPTION),
      INFO_REPLY,
      NOTE,
      INFO_REQUEST,
    ];
    const credentials = [
      WRONG_PASSWORD,
      DEFAULT_TEST_PASSWORD,
      DEV_KEYS.ihanoi,
      ...Object.values(tokens),
      ...Object.values(tokens).map((t) => t.split('.')[2]), // a token's signature alone is enough to matter
    ];
    expectNone(output, [...personal, ...personal.map(escaped)], 'logs (personal data)');
    expectNone(output, credentials, 'logs (credentials)');
  });
});
