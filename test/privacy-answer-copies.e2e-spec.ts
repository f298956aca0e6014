import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa: roads_lighting goes to QLDT. */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const FIRST = { name: 'Hoàng Văn Thành', phone: '0988123456' };
const SECOND = { name: 'Lê Thị Hoa', phone: '0977000222' };
/** Handlers write the citizen's name into answers; the answer of a merged group reaches every citizen of it. */
const ANSWER = 'Đã liên hệ ông Hoàng Văn Thành (0988 123 456) và bà Lê Thị Hoa; Phòng Quản lý đô thị đã thay bóng đèn trên phố Trần Đại Nghĩa ngày 04/03.';

/**
 * The answer a handler wrote reaches readers beyond the unit: the citizens of the merged duplicates
 * (closed with the original's answer), the channels' webhooks, Open311's keyless reads. The name of
 * the original's citizen written into it is masked wherever phones are, and an erasure that covers
 * the answer (retention.yaml `freeText: [answer]`) reaches its copies: the duplicates' and the
 * deliveries' payloads, which a redelivery sent again whole.
 */
describe("the citizen's name in an answer, and the answer's copies at erasure", () => {
  let engine: TestEngine;
  let configDir: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'fr-answer-copies-'));
    cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
    const retention = join(configDir, 'retention.yaml');
    const yaml = readFileSync(retention, 'utf8');
    const withAnswer = yaml.replace(/^(\s*freeText: \[)/m, '$1answer, ');
    expect(withAnswer).not.toBe(yaml);
    writeFileSync(retention, withAnswer);
    engine = await TestEngine.start({ env: { FR_CONFIG_DIR: configDir, FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    const admin = await adminToken(engine);
    tokens.qldt = (await createOfficer(engine, admin, { username: 'copies.qldt', role: 'HANDLER', unitCode: 'QLDT' })).token;
    tokens.nv = (await createOfficer(engine, admin, { username: 'copies.nv', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    // The channel's status webhook: each case event becomes a delivery with its payload frozen.
    await engine.query(`UPDATE channels SET webhook_url = 'https://hooks.ihanoi.example/status' WHERE code = 'ihanoi'`);
  });
  afterAll(async () => {
    await engine?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  let n = 0;
  async function report(citizen: { name: string; phone: string }) {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `answer-copies-${++n}`,
        category: 'roads_lighting',
        description: `Đèn đường trên phố Trần Đại Nghĩa không sáng, phản ánh lần ${n}.`,
        location: { lat: LIGHT.lat + n / 1_000_000, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
        citizen,
      });
    expect(res.status).toBe(202);
    const c = res.body as { id: string; trackingCode: string };
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [c.id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return c;
  }
  const act = (id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(tokens.qldt), id, action, body);
  const deliveredAnswers = (ids: string[]) =>
    engine.query<{ answer: string | null }>(
      `SELECT d.payload->>'answer' AS answer FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
        WHERE e.case_id = ANY($1::uuid[]) AND d.payload ? 'answer' AND e.action IN ('resolve', 'close_with_original', 'close', 'rate')`,
      [ids],
    );

  let original: { id: string; trackingCode: string };
  let duplicate: { id: string; trackingCode: string };

  it("masks the original's citizen in the answer its duplicate's citizen, Open311 and the webhooks read", async () => {
    original = await report(FIRST);
    duplicate = await report(SECOND);
    expect((await engine.query<{ duplicate_of: string }>(`SELECT duplicate_of::text FROM cases WHERE id = $1`, [duplicate.id]))[0].duplicate_of).toBe(
      original.id,
    );
    await act(original.id, 'merge', { duplicateIds: [duplicate.id] });
    await act(original.id, 'acknowledge', { severity: 'normal' });
    await act(original.id, 'resolve', { answer: ANSWER });
    const masked = 'Đã liên hệ ông Hoàng V. T. (09******56)';

    const status = await engine.http().get(`/v1/feedback/${duplicate.trackingCode}`).set(KEY);
    expect(status.body).toMatchObject({ status: 'closed' });
    expect((status.body as { answer: string }).answer.startsWith(masked)).toBe(true);
    const open311 = await engine.http().get(`/open311/v2/requests/${original.trackingCode}.json`);
    expect(open311.status).toBe(200);
    expect(JSON.stringify(open311.body)).toContain(masked);
    expect(JSON.stringify(open311.body)).not.toContain(FIRST.name);
    // The group's answer names its other citizen too: masked on the original's public read as well.
    expect(JSON.stringify(open311.body)).toContain('và bà Lê T. H.;');
    expect((status.body as { answer: string }).answer).toContain('và bà Lê T. H.;');
    // The auditor reads the case, not its citizen: masked as its contact fields are.
    const asAuditor = await engine.http().get(`/v1/cases/${duplicate.id}`).set(bearer(tokens.nv));
    expect((asAuditor.body as { answer: string }).answer.startsWith(masked)).toBe(true);

    const sent = await waitFor(
      () => deliveredAnswers([original.id, duplicate.id]),
      (rows) => rows.length >= 2,
      { what: "the deliveries of the group's answer" },
    );
    for (const d of sent) expect(d.answer?.startsWith(masked)).toBe(true);
    // The unit's own handler reads the answer as written.
    const asHandler = await engine.http().get(`/v1/cases/${original.id}`).set(bearer(tokens.qldt));
    expect((asHandler.body as { answer: string }).answer).toBe(ANSWER);
  });

  it("erasing the original's answer erases its duplicates' copies and the deliveries' payloads, and the trail still verifies", async () => {
    expect((await engine.http().post(`/v1/feedback/${original.trackingCode}/rating`).set(KEY).send({ score: 4 })).status).toBe(200);
    const erased = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: FIRST.phone });
    expect(erased.status).toBe(201);
    expect(erased.body).toMatchObject({ status: 'answered', trackingCodes: [original.trackingCode] });

    const answers = await engine.query<{ id: string; answer: string | null; citizen_name: string | null }>(
      `SELECT id::text, answer, citizen_name FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [[original.id, duplicate.id]],
    );
    expect(answers.map((a) => a.answer)).toEqual([null, null]);
    // The duplicate's citizen asked nothing: their own contact stays.
    expect(answers.find((a) => a.id === duplicate.id)?.citizen_name).toBe(SECOND.name);
    const sent = await deliveredAnswers([original.id, duplicate.id]);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.map((d) => d.answer)).toEqual(sent.map(() => null));
    const frozen = await engine.query(
      `SELECT f.answer FROM case_event_states f JOIN audit_events e ON e.id = f.event_id WHERE e.case_id = ANY($1::uuid[]) AND f.answer IS NOT NULL`,
      [[original.id, duplicate.id]],
    );
    expect(frozen).toEqual([]);
    const dump = JSON.stringify(await engine.query(`SELECT payload FROM deliveries`));
    expect(dump).not.toContain('Hoàng Văn Thành');
    expect(dump).not.toContain('Hoàng V. T.');

    const verify = await engine.http().get('/v1/audits/verify').set(bearer(tokens.nv));
    expect(verify.body).toMatchObject({ ok: true });
  });

  it("erases what the unit asked (the thread's messages) from the deliveries' payloads too, as the policy erases the thread", async () => {
    const asked = await report({ name: 'Đỗ Minh Quân', phone: '0966555444' });
    const QUESTION = 'Đề nghị ông gửi ảnh cột đèn số 12 trước cửa nhà số 7 Trần Đại Nghĩa.';
    await act(asked.id, 'acknowledge', { severity: 'normal' });
    await act(asked.id, 'request-info', { message: QUESTION });
    const payloadOf = () =>
      engine.query<{ info: unknown }>(
        `SELECT d.payload->'infoRequest' AS info FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
          WHERE e.case_id = $1 AND e.action = 'request-info'`,
        [asked.id],
      );
    expect((await waitFor(payloadOf, (rows) => rows.length === 1, { what: 'the delivery of the request' }))[0].info).toEqual({ message: QUESTION });
    expect((await engine.http().post(`/v1/feedback/${asked.trackingCode}/info`).set(KEY).send({ message: 'Ảnh đã gửi.' })).status).toBe(200);
    await act(asked.id, 'resolve', { answer: 'Phòng Quản lý đô thị đã thay bóng đèn cột số 12 ngày 05/03.' });
    expect((await engine.http().post(`/v1/feedback/${asked.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(200);
    expect((await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: '0966555444' })).status).toBe(201);
    expect(await payloadOf()).toEqual([{ info: null }]);
  });
});
