import { OfficerRole } from '@fr/domain';
import { adminToken, apiContract, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { CaseDetailDto } from '../apps/api/src/cases/case-view.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { ContactReadsDto } from '../apps/api/src/privacy/privacy-reads.dto';
import type { SubjectRequestSummaryDto, SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const PHONE = '0987111222';
const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';

describe("citizens' data: records of reads and subject requests through their channel", () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    // More requests than the per-key window allows (30): the limit itself is test/login-limits.e2e-spec.ts's.
    engine = await TestEngine.start({ env: { FR_PRIVACY_LIMIT_PER_CHANNEL: '200' } });
    tokens.admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [
      ['bk.handler.dsr', 'HANDLER', 'P_BACH_KHOA'],
      ['bk.leader.dsr', 'LEADER', 'P_BACH_KHOA'],
      ['vp.supervisor.dsr', 'SUPERVISOR', 'VP'],
      ['nv.auditor.dsr', 'AUDITOR', 'NOI_VU'],
      ['vp.operator.dsr', 'OPERATOR', 'VP'],
    ];
    for (const [username, role, unitCode] of officers) {
      tokens[username] = (await createOfficer(engine, tokens.admin, { username, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  async function newCase(
    phone: string,
    address?: string,
    citizen: { name: string; email: string } = { name: 'Trần Văn Minh', email: 'minh.tran@example.vn' },
  ): Promise<{ id: string; trackingCode: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA', ...(address ? { address } : {}) },
        citizen: { ...citizen, phone },
      });
    expect(res.status).toBe(202);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [(res.body as FeedbackAcceptedDto).id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return res.body as { id: string; trackingCode: string };
  }
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const step = async (who: string, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(who))
      .send({ expectedVersion: await version(id), ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const contact = async (id: string) =>
    (await engine.query<{ citizen_phone: string | null; citizen_name: string | null }>(`SELECT citizen_phone, citizen_name FROM cases WHERE id = $1`, [id]))[0];
  const request = (body: Record<string, unknown>) => engine.http().post('/v1/privacy/requests').set(KEY).send(body);
  /** What the 1022 hotline finds by a caller's number. */
  const hotlineFinds = async (phone: string) => {
    const res = await engine
      .http()
      .get(`/v1/hotline/cases?phone=${encodeURIComponent(phone)}`)
      .set(bearer('vp.operator.dsr'));
    expect(res.status).toBe(200);
    return (res.body as { trackingCode: string }[]).map((c) => c.trackingCode).sort();
  };

  let closed: { id: string; trackingCode: string };
  let open: { id: string; trackingCode: string };

  it('records every unmasked read of contact details; an ADMIN lists the readers by phone, an AUDITOR exports by case', async () => {
    closed = await newCase(PHONE, 'Số 1 Đại Cồ Việt, nhà ông Trần Văn Minh');
    open = await newCase('+84 987 111 222'); // the same number, written another way
    expect(((await engine.http().get(`/v1/cases/${closed.id}`).set(bearer('bk.handler.dsr'))).body as CaseDetailDto).citizen).toMatchObject({
      phone: PHONE,
      masked: false,
    });
    expect(((await engine.http().get(`/v1/cases/${closed.id}`).set(bearer('bk.leader.dsr'))).body as CaseDetailDto).citizen).toMatchObject({ masked: true });

    const byPhone = await engine
      .http()
      .get(`/v1/privacy/reads?phone=${encodeURIComponent('+84987111222')}`)
      .set(bearer('admin'));
    expect(byPhone.status).toBe(200);
    const reads = byPhone.body as ContactReadsDto;
    expect(reads.readers).toEqual([expect.objectContaining({ username: 'bk.handler.dsr', role: 'HANDLER', unitCode: 'P_BACH_KHOA', reads: 1 })]);
    expect(reads.items).toEqual([expect.objectContaining({ caseId: closed.id, trackingCode: closed.trackingCode })]);
    // Found through a keyed hash: the phone is stored nowhere in the records.
    const stored = await engine.query<{ row: string }>(`SELECT row_to_json(r)::text AS row FROM contact_reads r`);
    for (const r of stored) expect(r.row).not.toContain(PHONE.slice(1));

    expect((await engine.http().get(`/v1/privacy/reads?phone=${PHONE}`).set(bearer('nv.auditor.dsr'))).status).toBe(403);
    const csv = await engine.http().get(`/v1/privacy/reads?caseId=${closed.id}&format=csv`).set(bearer('nv.auditor.dsr'));
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text).toContain('bk.handler.dsr');
    expect((await engine.http().get('/v1/privacy/reads').set(bearer('admin'))).status).toBe(400);
    const reversed = await engine
      .http()
      .get(
        `/v1/privacy/reads?caseId=${closed.id}&from=${encodeURIComponent('2026-12-31T00:00:00+07:00')}&to=${encodeURIComponent('2026-01-01T00:00:00+07:00')}`,
      )
      .set(bearer('nv.auditor.dsr'));
    expect(reversed.status).toBe(400);
    expect((reversed.body as { message: string }).message).toMatch(/^to \(2026-01-01T00:00:00\+07:00\) is before from/);
    const unknown = await engine.http().get('/v1/privacy/reads?caseId=7d3c9a3e-2f4b-4c1e-9a57-0b1f2c3d4e5f').set(bearer('nv.auditor.dsr'));
    expect(unknown.status).toBe(404);
    expect((await engine.http().get(`/v1/privacy/reads?caseId=${closed.id}`).set(bearer('bk.handler.dsr'))).status).toBe(403);
  });

  it('takes a date for from and to as a day in Hanoi: from its local midnight, to through its end', async () => {
    const [reader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.handler.dsr'`);
    // The edges of December 2020 in Hanoi, a millisecond either side.
    const edges = ['2020-11-30T23:59:59.999+07:00', '2020-12-01T00:00:00+07:00', '2020-12-31T23:59:59.999+07:00', '2021-01-01T00:00:00+07:00'];
    for (const at of edges) {
      await engine.query(`INSERT INTO contact_reads (case_id, officer_id, read_at) VALUES ($1, $2, $3)`, [closed.id, reader.id, at]);
    }
    const readAt = async (period: string) => {
      const res = await engine.http().get(`/v1/privacy/reads?caseId=${closed.id}${period}`).set(bearer('nv.auditor.dsr'));
      expect(res.status).toBe(200);
      return (res.body as ContactReadsDto).items.map((r) => r.readAt).filter((t) => t < '2022');
    };
    const [, dec1, dec31, jan1] = edges.map((e) => new Date(e).toISOString());
    expect(await readAt('&from=2020-12-01&to=2020-12-31')).toEqual([dec1, dec31]);
    expect(await readAt('&from=2020-12-31&to=2020-12-31')).toEqual([dec31]);
    expect(await readAt(`&from=2020-12-31&to=${encodeURIComponent('2021-01-01T00:00:00.001+07:00')}`)).toEqual([dec31, jan1]);
    const reversed = await engine.http().get(`/v1/privacy/reads?caseId=${closed.id}&from=2020-12-02&to=2020-12-01`).set(bearer('nv.auditor.dsr'));
    expect(reversed.status).toBe(400);
    expect((reversed.body as { message: string }).message).toMatch(/^to \(2020-12-01\) is before from \(2020-12-02\)/);
    const bad = await engine.http().get(`/v1/privacy/reads?caseId=${closed.id}&to=31/12/2020`).set(bearer('nv.auditor.dsr'));
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(
      /^to must be a date \(YYYY-MM-DD, a day in Asia\/Ho_Chi_Minh\) or an ISO 8601 date-time with its offset/,
    );
    await engine.query(`DELETE FROM contact_reads WHERE case_id = $1 AND read_at < '2022-01-01'`, [closed.id]);
  });

  it("answers an access request with the citizen's cases, what is held, and who read it, within its deadline", async () => {
    const res = await request({ kind: 'access', phone: PHONE });
    expect(res.status).toBe(201);
    const answer = res.body as SubjectRequestViewDto;
    expect(answer).toMatchObject({ kind: 'access', status: 'answered', trackingCodes: [closed.trackingCode, open.trackingCode] });
    expect(new Date(answer.dueAt).getTime() - new Date(answer.receivedAt).getTime()).toBe(72 * 3600_000);
    expect(answer.cases).toEqual([
      expect.objectContaining({
        trackingCode: closed.trackingCode,
        contact: { name: 'Trần Văn Minh', formerNames: [], phone: PHONE, email: 'minh.tran@example.vn' },
      }),
      expect.objectContaining({ trackingCode: open.trackingCode, contact: expect.objectContaining({ phone: '+84 987 111 222' }) as unknown }),
    ]);
    expect(answer.reads).toEqual([{ trackingCode: closed.trackingCode, readAt: expect.any(String) as unknown, unitCode: 'P_BACH_KHOA', role: 'HANDLER' }]);
    // The texts the citizen wrote are held about them too: the address names them here.
    expect(answer.cases![0].provided).toEqual({
      title: null,
      description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
      address: 'Số 1 Đại Cồ Việt, nhà ông Trần Văn Minh',
      attachments: [],
      ratingComment: null,
      replies: [],
    });
    expect((await engine.http().get(`/v1/privacy/requests/${answer.id}`).set(KEY)).body).toMatchObject({ id: answer.id, status: 'answered' });
    // Another channel does not see it; a request needs a phone or an e-mail.
    expect((await engine.http().get(`/v1/privacy/requests/${answer.id}`).set({ 'X-Api-Key': DEV_KEYS.hotline })).status).toBe(404);
    expect((await request({ kind: 'access' })).status).toBe(400);
    // An empty list is not "all of them": a deletion meant for no case must not erase every one.
    const empty = await request({ kind: 'delete', phone: PHONE, trackingCodes: [] });
    expect(empty.status).toBe(400);
    expect((empty.body as { message: string }).message).toBe("trackingCodes, when given, lists at least one case; leave it out for all of the citizen's cases");
    // A value that is not a tracking code is named, not dropped (the request was answered for the rest).
    const junk = await request({ kind: 'delete', phone: PHONE, trackingCodes: [closed.trackingCode, 'a', 'a', 'not-a-code'] });
    expect(junk.status).toBe(400);
    expect((junk.body as { message: string }).message).toBe("trackingCodes holds 2 values that are not tracking codes (XXXXX-XXXXX): 'a', 'not-a-code'");
  });

  it('corrects the contact details held', async () => {
    const res = await request({ kind: 'correct', phone: PHONE, corrections: { name: 'Trần Văn Mạnh' } });
    expect(res.body).toMatchObject({ status: 'answered', fields: ['name'], trackingCodes: [closed.trackingCode, open.trackingCode] });
    expect(await contact(open.id)).toMatchObject({ citizen_name: 'Trần Văn Mạnh' });
    expect(await contact(closed.id)).toMatchObject({ citizen_name: 'Trần Văn Mạnh' });
  });

  it('finds a case by its corrected phone on the hotline, and no longer by the old one', async () => {
    const other = await newCase('0912000333');
    expect(await hotlineFinds('0912000333')).toEqual([other.trackingCode]);
    const res = await request({ kind: 'correct', phone: '0912000333', trackingCodes: [other.trackingCode], corrections: { phone: '+84 913 000 444' } });
    expect(res.body).toMatchObject({ status: 'answered', fields: ['phone'] });
    expect(await hotlineFinds('0912000333')).toEqual([]);
    expect(await hotlineFinds('0913000444')).toEqual([other.trackingCode]);
  });

  it("does not reach another person's cases through a shared phone number or e-mail address", async () => {
    const family = '0977000111';
    const husband = await newCase(family, undefined, { name: 'Lê Văn Hùng', email: 'hung.le@example.vn' });
    const wife = await newCase(family, undefined, { name: 'Phạm Thị Hạnh', email: 'hanh.pham@example.vn' });
    const byPhone = await request({ kind: 'access', phone: family });
    expect(byPhone.status).toBe(409);
    expect((byPhone.body as { message: string }).message).toBe(
      "the phone number is on the cases of more than one name: give name, the requester's name as the channel verified it",
    );
    const corrected = await request({ kind: 'correct', phone: family, corrections: { name: 'Phạm Thị Hạnh' } });
    expect(corrected.status).toBe(409);
    expect(await contact(husband.id)).toMatchObject({ citizen_name: 'Lê Văn Hùng' });
    // The phone or the e-mail address: the family's phone still reaches both of them.
    const both = await request({ kind: 'access', phone: family, email: 'hanh.pham@example.vn' });
    expect(both.status).toBe(409);
    // His new number and his e-mail address: his older case under the old number is his.
    const newNumber = await request({ kind: 'access', phone: '0999999999', email: 'hung.le@example.vn' });
    expect((newNumber.body as { trackingCodes: string[] }).trackingCodes).toEqual([husband.trackingCode]);
    // A case without a name beside a named one on the same phone may be someone else's.
    const shared = '0944555666';
    const unnamed = await newCase(shared, undefined, { name: '', email: 'khong.ten@example.vn' });
    await newCase(shared, undefined, { name: 'Đỗ Văn Nam', email: 'nam.do@example.vn' });
    const rename = await request({ kind: 'correct', phone: shared, corrections: { name: 'Đỗ Văn Nam Anh' } });
    expect(rename.status).toBe(409);
    expect((rename.body as { message: string }).message).toBe(
      "the phone number is on cases with a name and on cases without one, which may be someone else's: give name, the requester's name as the channel verified it",
    );
    expect(await contact(unnamed.id)).toMatchObject({ citizen_name: null });
    // A tracking code is no proof (Open311 lists them all): her code alone, asked by the family's phone, is refused.
    expect((await request({ kind: 'access', phone: family, trackingCodes: [wife.trackingCode] })).status).toBe(409);
    // Her name as the channel verified it: only her cases, written without diacritics or not.
    const own = await request({ kind: 'access', phone: family, name: 'Pham Thi Hanh' });
    expect(own.status).toBe(201);
    expect((own.body as { trackingCodes: string[] }).trackingCodes).toEqual([wife.trackingCode]);
    const stray = await request({ kind: 'delete', phone: family, trackingCodes: [wife.trackingCode], corrections: { name: 'X' } });
    expect(stray.status).toBe(400);
    expect((stray.body as { message: string }).message).toBe("corrections go with kind 'correct' only; a 'delete' request changes nothing held");
  });

  it('erases a closed case at once and an open one when it closes, telling the citizen it waits', async () => {
    await step('bk.handler.dsr', closed.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.dsr', closed.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${closed.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(200);

    // The channel has a status webhook: it is told the request waits, then that it was answered.
    await engine.query(`UPDATE channels SET webhook_url = 'https://hooks.ihanoi.example/status' WHERE code = 'ihanoi'`);
    const res = await request({ kind: 'delete', phone: PHONE });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'waiting_for_closure', waitingFor: [open.trackingCode], answeredAt: null });
    expect(await contact(closed.id)).toEqual({ citizen_phone: null, citizen_name: null });
    expect((await contact(open.id)).citizen_phone).not.toBeNull();
    // No lookup copy survives the erasure: the hotline no longer finds the case by the number, and the
    // duplicate search's folded address (which held the name written in it) is gone with the address.
    expect(await engine.query(`SELECT citizen_phone_key, address, address_key FROM cases WHERE id = $1`, [closed.id])).toEqual([
      { citizen_phone_key: null, address: null, address_key: null },
    ]);
    expect(await hotlineFinds(PHONE)).toEqual([open.trackingCode]);

    await step('bk.handler.dsr', open.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.dsr', open.id, 'resolve', { answer: ANSWER });
    await step('vp.supervisor.dsr', open.id, 'close', {});
    expect(await contact(open.id)).toEqual({ citizen_phone: null, citizen_name: null });
    expect(await hotlineFinds(PHONE)).toEqual([]);
    const { id: requestId } = res.body as SubjectRequestViewDto;
    const after = await engine.http().get(`/v1/privacy/requests/${requestId}`).set(KEY);
    // A channel's answer is its own: no shared cache may keep it and hand it to another caller.
    expect(after.headers['cache-control']).toBe('private, no-cache');
    expect(after.headers.vary).toMatch(/X-Api-Key/i);
    // Its own cache asks again, and an unchanged answer is a 304.
    const again = await engine.http().get(`/v1/privacy/requests/${requestId}`).set(KEY).set('If-None-Match', String(after.headers.etag));
    expect(again.status).toBe(304);
    expect(after.body).toMatchObject({ status: 'answered', waitingFor: [], answeredAt: expect.any(String) as unknown });
    const told = await engine.query<{ event_key: string; payload: Record<string, unknown> }>(
      `SELECT event_key, payload FROM deliveries WHERE kind = 'channel' AND target = 'ihanoi' AND event_key LIKE 'privacy-request.%' ORDER BY id`,
    );
    expect(told.map((d) => d.event_key)).toEqual([`privacy-request.${requestId}.waiting_for_closure`, `privacy-request.${requestId}.answered`]);
    expect(told[0].payload).toMatchObject({ event: 'privacy.request', requestId, status: 'waiting_for_closure', waitingFor: [open.trackingCode] });
    expect(told[1].payload).toMatchObject({ status: 'answered', waitingFor: [] });
    // As the document's webhooks describe privacy.request, field by field.
    expect(told.flatMap((d) => apiContract(engine.api).webhookPayloadProblems(d.payload))).toEqual([]);
    expect(JSON.stringify(told)).not.toContain(PHONE.slice(1));

    // Supervisors follow every request and its deadline, with nothing personal in the list.
    const list = await engine.http().get('/v1/privacy/requests').set(bearer('vp.supervisor.dsr'));
    expect(list.status).toBe(200);
    expect((list.body as SubjectRequestSummaryDto[]).map((r) => r.kind)).toEqual(['delete', 'access', 'access', 'correct', 'correct', 'access']);
    expect(JSON.stringify(list.body)).not.toContain(PHONE.slice(1));
    expect((await engine.http().get('/v1/privacy/requests').set(bearer('bk.handler.dsr'))).status).toBe(403);
    // Home Affairs follows the requests' deadlines too: nothing personal is listed.
    const audited = await engine.http().get('/v1/privacy/requests').set(bearer('nv.auditor.dsr'));
    expect(audited.status).toBe(200);
    expect(audited.body).toEqual(list.body);
    const verify = await engine.http().get('/v1/audits/verify').set(bearer('nv.auditor.dsr'));
    expect(verify.body).toMatchObject({ ok: true });
  });

  it("keeps the citizen's name masked in the answer kept after the erasure, and the old name after a correction", async () => {
    const phone = '0966123123';
    const c = await newCase(phone, undefined, { name: 'Vũ Thị Lan', email: 'lan.vu@example.vn' });
    const answer = 'Đã liên hệ bà Vũ Thị Lan (0966 123 123); phường đã dọn hàng quán lấn chiếm trước cổng trường ngày 05/12.';
    await step('bk.handler.dsr', c.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.dsr', c.id, 'resolve', { answer });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score: 4 })).status).toBe(200);
    const open311 = async () => JSON.stringify((await engine.http().get(`/open311/v2/requests/${c.trackingCode}.json`)).body);
    expect(await open311()).toContain('Vũ T. L.');

    // Reads masked by the name the case held; the retention default keeps the answer, so the erasure masks it in place.
    const erased = await request({ kind: 'delete', phone, trackingCodes: [c.trackingCode] });
    expect(erased.status).toBe(201);
    const [row] = await engine.query<{ answer: string; citizen_name: string | null }>(`SELECT answer, citizen_name FROM cases WHERE id = $1`, [c.id]);
    expect(row.citizen_name).toBeNull();
    expect(row.answer).toContain('bà Vũ T. L. (09******23)');
    expect(row.answer).not.toContain('Vũ Thị Lan');
    expect(await open311()).not.toContain('Vũ Thị Lan');
    const asLeader = await engine.http().get(`/v1/cases/${c.id}`).set(bearer('bk.leader.dsr'));
    expect(JSON.stringify(asLeader.body)).not.toContain('Vũ Thị Lan');

    // A corrected name: the old one is masked where it was written.
    const other = await newCase('0966123124', undefined, { name: 'Lê Văn Tám', email: 'tam.le@example.vn' });
    await step('bk.handler.dsr', other.id, 'note', { text: 'Ông Lê Văn Tám gọi lại hỏi tiến độ.' });
    const corrected = await request({ kind: 'correct', phone: '0966123124', corrections: { name: 'Lê Văn Tâm' } });
    expect(corrected.status).toBe(201);
    const [message] = await engine.query<{ body: string }>(`SELECT body FROM case_messages WHERE case_id = $1 ORDER BY id DESC LIMIT 1`, [other.id]);
    expect(message.body).toBe('Ông Lê V. T. gọi lại hỏi tiến độ.');
  });

  it('tells the webhooks admins subscribed of every request, also through a channel without a webhook and when answered at once', async () => {
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer('admin'))
      .send({ url: 'https://93.184.215.14/privacy', events: ['privacy.request'] });
    expect(hook.status).toBe(201);
    const HOTLINE = { 'X-Api-Key': DEV_KEYS.hotline };
    const phone = '0912555666';
    const fed = await engine
      .http()
      .post('/v1/feedback')
      .set(HOTLINE)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Xe máy đỗ kín vỉa hè phố Tạ Quang Bửu, người đi bộ phải đi xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Phạm Thu Hà', phone },
      });
    expect(fed.status).toBe(202);
    expect(await engine.query(`SELECT webhook_url FROM channels WHERE code = 'hotline_1022'`)).toEqual([{ webhook_url: null }]);

    const access = await engine.http().post('/v1/privacy/requests').set(HOTLINE).send({ kind: 'access', phone });
    expect(access.status).toBe(201);
    expect(access.body).toMatchObject({ status: 'answered' });
    const erase = await engine.http().post('/v1/privacy/requests').set(HOTLINE).send({ kind: 'delete', phone });
    expect(erase.status).toBe(201);
    expect(erase.body).toMatchObject({ status: 'waiting_for_closure' });

    const told = await engine.query<{ kind: string; event_key: string; payload: Record<string, unknown> }>(
      `SELECT kind, event_key, payload FROM deliveries WHERE event_key IN ($1, $2) ORDER BY id`,
      [
        `privacy-request.${(access.body as SubjectRequestViewDto).id}.answered`,
        `privacy-request.${(erase.body as SubjectRequestViewDto).id}.waiting_for_closure`,
      ],
    );
    expect(told.map((d) => [d.kind, d.event_key])).toEqual([
      ['webhook', `privacy-request.${(access.body as SubjectRequestViewDto).id}.answered`],
      ['webhook', `privacy-request.${(erase.body as SubjectRequestViewDto).id}.waiting_for_closure`],
    ]);
    expect(told[0].payload).toMatchObject({ event: 'privacy.request', kind: 'access', status: 'answered' });
    expect(told.flatMap((d) => apiContract(engine.api).webhookPayloadProblems(d.payload))).toEqual([]);
    expect(JSON.stringify(told)).not.toContain(phone.slice(1));
  });

  it('tells people apart on a shared phone whatever their names are written in: a name of no letter is no name', async () => {
    const shared = '0966000222';
    const dung = await newCase(shared, undefined, { name: 'Lê Văn Dũng', email: 'dung.le@example.vn' });
    const placeholder = await newCase(shared, undefined, { name: '-', email: 'an.danh@example.vn' });
    const wei = await newCase(shared, undefined, { name: '张伟', email: 'zhang.wei@example.vn' });
    // "张伟" and "-" folded to nothing: neither a name nor none, and the phone alone took all three.
    const byPhone = await request({ kind: 'access', phone: shared });
    expect(byPhone.status).toBe(409);
    // Two such names matched each other: "-" reached Zhang Wei's case.
    const dash = await request({ kind: 'delete', phone: shared, name: '-' });
    expect(dash.status).toBe(400);
    expect((dash.body as { message: string }).message).toBe("name holds no letter: give the requester's name as the channel verified it");
    const own = await request({ kind: 'access', phone: shared, name: '张伟' });
    expect(own.status).toBe(201);
    expect((own.body as { trackingCodes: string[] }).trackingCodes).toEqual([wei.trackingCode]);
    // A correction to accents over nothing would leave a case with a name that names nobody.
    const blank = await request({ kind: 'correct', phone: shared, name: 'Le Van Dung', corrections: { name: '\u0301\u0300' } });
    expect(blank.status).toBe(400);
    expect(await contact(dung.id)).toMatchObject({ citizen_name: 'Lê Văn Dũng' });
    expect(await contact(placeholder.id)).toMatchObject({ citizen_name: '-' });
  });

  it("returns the same request for the channel's own id sent again, also by concurrent retries: one request, one record", async () => {
    const phone = '0987333444';
    await newCase(phone);
    const body = { kind: 'delete', phone, externalId: 'ihn-dsr-0001' };
    const first = await request(body);
    expect(first.status).toBe(201);
    const { id } = first.body as SubjectRequestViewDto;
    // A retry after a lost answer, and five at once: the same request, 200, nothing new recorded.
    const again = await request(body);
    expect(again.status).toBe(200);
    expect((again.body as SubjectRequestViewDto).id).toBe(id);
    const burst = await Promise.all(Array.from({ length: 5 }, () => request({ ...body, externalId: 'ihn-dsr-0002' })));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(burst.map((r) => (r.body as SubjectRequestViewDto).id)).size).toBe(1);
    const ids = [id, (burst[0].body as SubjectRequestViewDto).id];
    const stored = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM privacy_requests WHERE id = ANY($1::uuid[])`, [ids]);
    expect(stored[0].n).toBe(2);
    const recorded = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'privacy_request_received' AND data->>'requestId' = ANY($1::text[])`,
      [ids],
    );
    expect(recorded[0].n).toBe(2);
    // Integrators make such ids of the caller's number, and the request outlives the erasure it asked
    // for: only a keyed hash of the id is kept, in no column of the request in clear.
    const rows = await engine.query<{ row: string }>(`SELECT row_to_json(r)::text AS row FROM privacy_requests r`);
    for (const r of rows) expect(r.row).not.toMatch(/ihn-dsr-000[12]|69686e2d6473722d/);
    expect(JSON.stringify([first.body, again.body, burst.map((r) => r.body as unknown)])).not.toContain('ihn-dsr');
    // Another channel's id space is its own.
    const other = await engine.http().post('/v1/privacy/requests').set({ 'X-Api-Key': DEV_KEYS.hotline }).send(body);
    expect(other.status).toBe(201);
    expect((other.body as SubjectRequestViewDto).id).not.toBe(id);
    const tooLong = await request({ ...body, externalId: 'x'.repeat(101) });
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toMatch(/externalId/);
  });

  it("refuses an externalId sent again with another request: the first request's answer holds its citizen's data", async () => {
    const first = await newCase('0987555111', undefined, { name: 'Phạm Thị Lan', email: 'lan.pham@example.vn' });
    await newCase('0987555222', undefined, { name: 'Đỗ Văn Minh', email: 'minh.do@example.vn' });
    const answered = await request({ kind: 'access', phone: '0987555111', externalId: 'ihn-dsr-0100' });
    expect(answered.status).toBe(201);
    expect((answered.body as SubjectRequestViewDto).trackingCodes).toEqual([first.trackingCode]);
    // A channel that reuses its ids (a counter per user, a reset) sends another citizen's deletion under it:
    // answered with the first request, Minh read Lan's contact and cases, and his deletion was never made.
    for (const other of [
      { kind: 'delete', phone: '0987555222' },
      { kind: 'access', phone: '0987555222' },
      { kind: 'delete', phone: '0987555111' },
      { kind: 'access', phone: '0987555111', email: 'lan.pham@example.vn' },
      // The same phone, another name (a shared family phone), or fewer cases: another answer.
      { kind: 'access', phone: '0987555111', name: 'Phạm Văn Hùng' },
      { kind: 'access', phone: '0987555111', trackingCodes: [first.trackingCode] },
    ]) {
      const reused = await request({ ...other, externalId: 'ihn-dsr-0100' });
      expect(reused.status).toBe(409);
      expect(JSON.stringify(reused.body)).not.toContain('Phạm Thị Lan');
      expect((reused.body as { message: string }).message).toMatch(/externalId/);
    }
    // The same request again is still a retry, with its phone written otherwise.
    const retry = await request({ kind: 'access', phone: '+84 987 555 111', externalId: 'ihn-dsr-0100' });
    expect(retry.status).toBe(200);
    expect((retry.body as SubjectRequestViewDto).id).toBe((answered.body as SubjectRequestViewDto).id);

    // A request naming its citizen is retried with the name as the channel wrote it, whatever its case or accents' form.
    const named = await request({ kind: 'access', phone: '0987555111', name: 'Phạm Thị Lan', externalId: 'ihn-dsr-0101' });
    expect(named.status).toBe(201);
    const again = await request({ kind: 'access', phone: '0987555111', name: 'PHẠM THỊ LAN'.normalize('NFD'), externalId: 'ihn-dsr-0101' });
    expect([again.status, (again.body as SubjectRequestViewDto).id]).toEqual([200, (named.body as SubjectRequestViewDto).id]);
    const otherName = await request({ kind: 'access', phone: '0987555111', name: 'Phạm Văn Hùng', externalId: 'ihn-dsr-0101' });
    expect(otherName.status).toBe(409);
  });

  it('tells apart two people on one phone whose names differ only in their diacritics, and finds either by the name with them', async () => {
    const family = '0966000777';
    const tu = await newCase(family, undefined, { name: 'Lê Văn Tú', email: 'tu.le@example.vn' });
    const tư = await newCase(family, undefined, { name: 'Lê Văn Tư', email: 'tu.le@example.vn' });
    const byPhone = await request({ kind: 'access', phone: family });
    expect(byPhone.status).toBe(409);
    expect((byPhone.body as { message: string }).message).toMatch(/more than one name/);
    const his = await request({ kind: 'access', phone: family, name: 'Lê Văn Tú' });
    expect((his.body as { trackingCodes: string[] }).trackingCodes).toEqual([tu.trackingCode]);
    const hisBrother = await request({ kind: 'access', phone: family, name: 'LÊ VĂN TƯ' });
    expect((hisBrother.body as { trackingCodes: string[] }).trackingCodes).toEqual([tư.trackingCode]);
    // Typed without diacritics, the name is either's: neither one's cases go to whoever asks so.
    const either = await request({ kind: 'correct', phone: family, name: 'Le Van Tu', corrections: { email: 'tu@example.vn' } });
    expect(either.status).toBe(409);
    expect((either.body as { message: string }).message).toMatch(/diacritics/);
    expect((await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE citizen_email = 'tu@example.vn'`))[0].n).toBe(0);
  });
});
