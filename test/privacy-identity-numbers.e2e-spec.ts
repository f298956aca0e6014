import { adminToken, bearer, createOfficer, DEV_KEYS, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';
import type { CaseDetailDto } from '../apps/api/src/cases/case-view.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { RegisteredWebhookDto } from '../apps/api/src/webhooks/webhooks.controller';

jest.setTimeout(60_000);

/**
 * A citizen identity number (CCCD, 12 digits) joined to a word by a dash: iHaNoi signs citizens in with
 * VNeID, whose account is the CCCD number, and integrators make their externalId of it ("VNeID-0011…");
 * citizens write "vneid-0011…" into descriptions, and apps upload photos under it. Only a UUID's last group
 * may follow a dash unmasked.
 */
describe('citizen identity numbers after a dash', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};
  const ID_IN_EXTERNAL_ID = '001190012345';
  const ID_IN_DESCRIPTION = '079085012346';
  const ID_IN_PHOTO = '036190012347';
  const externalId = `VNeID-${ID_IN_EXTERNAL_ID}`;
  let caseId: string;
  let trackingCode: string;

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    const admin = await adminToken(engine);
    tokens.handler = (await createOfficer(engine, admin, { username: 'cccd.bk.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    tokens.supervisor = (await createOfficer(engine, admin, { username: 'cccd.supervisor', role: 'SUPERVISOR', unitCode: 'VP' })).token;
    tokens.auditor = (await createOfficer(engine, admin, { username: 'cccd.auditor', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${rx.url}/subscriber`, events: ['case.status'] });
    expect(hook.status).toBe(201);
    rx.trust('/subscriber', (hook.body as RegisteredWebhookDto).secret!);

    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId,
        category: 'sanitation',
        description: `Rác thải ùn ứ đầu ngõ 12 Tạ Quang Bửu; tài khoản iHaNoi của tôi là vneid-${ID_IN_DESCRIPTION}.`,
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Lò Thị Quỳnh Hoa', phone: '0977123456' },
        attachments: [{ url: `https://cdn.ihanoi.vn/u/vneid-${ID_IN_PHOTO}/anh1.jpg`, kind: 'image' }],
      });
    expect(res.status).toBe(202);
    ({ id: caseId, trackingCode } = res.body as FeedbackAcceptedDto);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [caseId]),
      (r) => r[0].status === 'assigned',
      { what: 'routing to Phường Bách Khoa' },
    );
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  it("shows them whole to the unit's handler only", async () => {
    const view = (await engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens.handler))).body as CaseDetailDto;
    expect(JSON.stringify(view)).toContain(ID_IN_EXTERNAL_ID);
    expect(JSON.stringify(view)).toContain(ID_IN_DESCRIPTION);
    expect(JSON.stringify(view)).toContain(ID_IN_PHOTO);
    for (const who of ['supervisor', 'auditor']) {
      const res = await engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens[who]));
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      expect({ who, externalId: ID_IN_EXTERNAL_ID, leaked: text.includes(ID_IN_EXTERNAL_ID) }).toEqual({ who, externalId: ID_IN_EXTERNAL_ID, leaked: false });
      expect({ who, description: ID_IN_DESCRIPTION, leaked: text.includes(ID_IN_DESCRIPTION) }).toEqual({ who, description: ID_IN_DESCRIPTION, leaked: false });
      expect({ who, photo: ID_IN_PHOTO, leaked: text.includes(ID_IN_PHOTO) }).toEqual({ who, photo: ID_IN_PHOTO, leaked: false });
    }
  });

  it("masks them in the photo's URL Open311 shows to anyone", async () => {
    const res = await engine.http().get(`/open311/v2/requests/${trackingCode}.json`);
    expect(res.status).toBe(200);
    expect((res.body as { media_url: string }[])[0].media_url).toBe('https://cdn.ihanoi.vn/u/vneid-03********47/anh1.jpg');
  });

  it("masks the externalId's identity number in a subscriber's deliveries, as in the timeline", async () => {
    const calls = await waitFor(
      async () => rx.calls.filter((c) => c.path === '/subscriber' && c.body.includes(trackingCode)),
      (c) => c.length >= 1,
      { what: 'the delivery to the subscriber' },
    );
    expect((JSON.parse(calls[0].body) as { externalId: string }).externalId).toBe('VNeID-00********45');
    const stored = await engine.query<{ external_id: string }>(
      `SELECT d.payload->>'externalId' AS external_id FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
        WHERE e.case_id = $1 AND d.kind = 'webhook'`,
      [caseId],
    );
    expect(stored.map((r) => r.external_id)).not.toContainEqual(expect.stringContaining(ID_IN_EXTERNAL_ID));
  });
});

/**
 * A CCCD written in groups without its name before it ("0011-9001-2345", "079-185-012-346"), as citizens copy
 * it from the card into a description and handlers into notes: shown whole to every reader of the case. The
 * dates, hours and amounts beside it, grouped alike, are what the case is about and stay readable.
 */
describe('citizen identity numbers written in groups', () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ID_DASHED = '0011-9001-2345';
  const ID_IN_THREES = '079-185-012-346';
  const DATES_AND_AMOUNTS = ['07-12-2026 08-30', '1.200.000 đồng', '7KM3Q-9X2AB'];
  let caseId: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    tokens.handler = (await createOfficer(engine, admin, { username: 'cccd.groups.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    tokens.supervisor = (await createOfficer(engine, admin, { username: 'cccd.groups.supervisor', role: 'SUPERVISOR', unitCode: 'VP' })).token;
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        category: 'sanitation',
        description: `Tôi đã nộp hồ sơ hỗ trợ 1.200.000 đồng (mã 7KM3Q-9X2AB) hôm 07-12-2026 08-30, kèm bản chụp thẻ ${ID_DASHED}, nhưng rác vẫn ùn ứ đầu ngõ 12 Tạ Quang Bửu.`,
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Lò Thị Quỳnh Hoa', phone: '0977123457' },
      });
    expect(res.status).toBe(202);
    caseId = (res.body as FeedbackAcceptedDto).id;
    await waitFor(
      () => engine.query<{ status: string; version: number }>(`SELECT status, version FROM cases WHERE id = $1`, [caseId]),
      (r) => r[0].status === 'assigned',
      { what: 'routing to Phường Bách Khoa' },
    );
    const version = (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [caseId]))[0].version;
    const note = await engine
      .http()
      .post(`/v1/cases/${caseId}/note`)
      .set(bearer(tokens.handler))
      .send({ expectedVersion: version, text: `Đã đối chiếu với hồ sơ của chồng bà, số ${ID_IN_THREES}, hẹn gặp lúc 08-30 ngày 07-12-2026.` });
    expect(note.status).toBe(200);
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('masks them for a reader without contact rights, and leaves the dates, hours, amounts and codes beside them', async () => {
    const own = JSON.stringify((await engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens.handler))).body);
    expect(own).toContain(ID_DASHED);
    expect(own).toContain(ID_IN_THREES);
    const res = await engine.http().get(`/v1/cases/${caseId}`).set(bearer(tokens.supervisor));
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect({ dashed: text.includes(ID_DASHED), threes: text.includes(ID_IN_THREES) }).toEqual({ dashed: false, threes: false });
    expect(text).toContain('00********45');
    expect(text).toContain('07********46');
    for (const kept of DATES_AND_AMOUNTS) expect(text).toContain(kept);
  });
});
