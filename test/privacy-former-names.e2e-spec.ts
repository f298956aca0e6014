import { OfficerRole } from '@fr/domain';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, startWebhookReceiver, submitRouted, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';
import type { RegisteredWebhookDto } from '../apps/api/src/webhooks/webhooks.controller';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const PHONE = '0978456123';
const FORMER = 'Đặng Quốc Tuấn';
const CURRENT = 'Đặng Quốc Toản';
/** The former name as the maskers write it; its family name is the current one's, so only the whole name says whose it is. */
const FORMER_FORMS = [FORMER, 'Dang Quoc Tuan', 'Đặng Tuấn'];

/**
 * A citizen corrects their name (a subject request): the text written before, and officers who keep
 * calling them by the name they first gave, still hold the former one. Reads mask the names a case
 * holds, so the former name is held too, as personal data: masked wherever the current one is, given
 * back by an access request, erased with the contact details.
 */
describe('a name the citizen gave before correcting it', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};
  let c: { id: string; trackingCode: string };

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    const admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [
      ['former.bk.handler', 'HANDLER', 'P_BACH_KHOA'],
      ['former.tn.handler', 'HANDLER', 'P_THANH_NHAN'],
      ['former.supervisor', 'SUPERVISOR', 'VP'],
      ['former.auditor', 'AUDITOR', 'NOI_VU'],
    ];
    for (const [username, role, unitCode] of officers) tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${rx.url}/subscriber`, events: ['case.status'] });
    expect(hook.status).toBe(201);
    rx.trust('/subscriber', (hook.body as RegisteredWebhookDto).secret!);
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  const act = (who: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(tokens[who]), c.id, action, body);
  const leaks = (text: string) => FORMER_FORMS.filter((f) => text.toLowerCase().includes(f.toLowerCase()));

  it('is masked for every reader without contact rights after the correction, in text written before it and after', async () => {
    c = await submitRouted(engine, KEY, {
      category: 'sidewalk_encroachment',
      description: 'Hàng quán lấn chiếm vỉa hè ngõ 17 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
      location: { wardCode: 'BACH_KHOA' },
      citizen: { name: FORMER, phone: PHONE },
    });
    await act('former.bk.handler', 'note', { text: `Đã gọi ông ${FORMER}, hẹn kiểm tra chiều nay.` });
    await act('former.bk.handler', 'transfer', { unitCode: 'P_THANH_NHAN', reason: `Ông ${FORMER} báo địa điểm thuộc phường Thanh Nhàn.` });

    const corrected = await engine
      .http()
      .post('/v1/privacy/requests')
      .set(KEY)
      .send({ kind: 'correct', phone: PHONE, corrections: { name: CURRENT } });
    expect(corrected.body).toMatchObject({ status: 'answered', fields: ['name'], trackingCodes: [c.trackingCode] });

    // Officers who spoke with the citizen before go on using the name they know.
    await act('former.tn.handler', 'acknowledge', { severity: 'normal' });
    await act('former.tn.handler', 'request-info', { message: `Đề nghị ông ${FORMER} gửi ảnh hiện trường.` });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/info`).set(KEY).send({ message: 'Ảnh đã gửi qua ứng dụng.' })).status).toBe(200);
    await act('former.tn.handler', 'resolve', { answer: `Đã làm việc với ông ${FORMER}; UBND phường đã thu dọn bàn ghế lấn chiếm.` });
    expect(
      (
        await engine
          .http()
          .post(`/v1/feedback/${c.trackingCode}/rating`)
          .set(KEY)
          .send({ score: 5, comment: `Cảm ơn, ${FORMER}` })
      ).status,
    ).toBe(200);

    for (const who of ['former.supervisor', 'former.auditor']) {
      const view = await engine.http().get(`/v1/cases/${c.id}`).set(bearer(tokens[who]));
      expect(view.status).toBe(200);
      const text = JSON.stringify(view.body);
      expect({ who, leaked: leaks(text) }).toEqual({ who, leaked: [] });
      expect(text).toContain('Đặng Q. T.');
    }
    // The case's handler reads the text as written.
    const asHandler = (await engine.http().get(`/v1/cases/${c.id}`).set(bearer(tokens['former.tn.handler']))).body as { answer: string };
    expect(asHandler.answer).toContain(FORMER);

    const delivered = await waitFor(
      async () => rx.calls.filter((x) => x.path === '/subscriber' && x.body.includes('"infoRequest":{')),
      (calls) => calls.length >= 1,
      { what: "the request for information at the admin's webhook" },
    );
    for (const d of delivered) expect(leaks(d.body)).toEqual([]);
    const subscriberCalls = await waitFor(
      async () => rx.calls.filter((x) => x.path === '/subscriber' && x.body.includes('"answer":"')),
      (calls) => calls.length >= 1,
      { what: "the answer at the admin's webhook" },
    );
    for (const d of subscriberCalls) expect(leaks(d.body)).toEqual([]);
    const open311 = await engine.http().get(`/open311/v2/requests/${c.trackingCode}.json`);
    expect(leaks(JSON.stringify(open311.body))).toEqual([]);
    const status = await engine.http().get(`/v1/feedback/${c.trackingCode}`).set(KEY);
    expect(leaks(JSON.stringify(status.body))).toEqual([]);
  });

  it('is held as personal data: the access request gives it back, and no job payload or chained event holds it', async () => {
    const access = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'access', phone: PHONE });
    expect(access.status).toBe(201);
    expect((access.body as SubjectRequestViewDto).cases).toEqual([
      expect.objectContaining({ trackingCode: c.trackingCode, contact: { name: CURRENT, formerNames: [FORMER], phone: PHONE, email: null } }),
    ]);
    const chained = await engine.query<{ row: string }>(`SELECT row_to_json(e)::text AS row FROM audit_events e WHERE case_id = $1`, [c.id]);
    for (const e of chained) expect(leaks(e.row)).toEqual([]);
    const jobs = await engine.query<{ row: string }>(`SELECT row_to_json(o)::text AS row FROM outbox o`);
    for (const o of jobs) expect(leaks(o.row)).toEqual([]);
  });

  it('is erased with the contact details, and what is kept of the text no longer reads it whole', async () => {
    const erased = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: PHONE });
    expect(erased.body).toMatchObject({ status: 'answered', trackingCodes: [c.trackingCode] });
    const [held] = await engine.query<{ row: string }>(`SELECT row_to_json(c)::text AS row FROM cases c WHERE id = $1`, [c.id]);
    expect(leaks(held.row)).toEqual([]);
    expect(held.row).toContain('Đặng Q. T.'); // the answer, which the default policy keeps, masked
    const dump = JSON.stringify(
      await engine.query(
        `SELECT (SELECT json_agg(m) FROM case_messages m WHERE m.case_id = $1) AS messages,
                (SELECT json_agg(t) FROM audit_event_texts t JOIN audit_events e ON e.id = t.event_id WHERE e.case_id = $1) AS texts,
                (SELECT json_agg(f) FROM case_event_states f JOIN audit_events e ON e.id = f.event_id WHERE e.case_id = $1) AS frozen,
                (SELECT json_agg(d.payload) FROM deliveries d) AS payloads`,
        [c.id],
      ),
    );
    expect(leaks(dump)).toEqual([]);
    // Read as the supervisor reads it now, with no name left to mask by.
    const view = await engine.http().get(`/v1/cases/${c.id}`).set(bearer(tokens['former.supervisor']));
    expect(leaks(JSON.stringify(view.body))).toEqual([]);
  });
});
