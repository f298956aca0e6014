import { execFileSync } from 'node:child_process';
import { SealAuditEvents } from '@fr/audit';
import { CASE_ACTIONS, OfficerRole } from '@fr/domain';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { QueueName, QueueRegistry } from '@fr/queue';
import { SlaService } from '@fr/sla';
import { adminToken, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const CITIZEN = { name: 'Nguyễn Thị Lan', phone: '0912345678', email: 'lan.nguyen@example.vn' };
const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';
/** Monday 2 March 2026, 08:00 in Hanoi: a working day. */
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';

/** Free text officers write, each naming the citizen the way handlers do ("bà Lan ở số 12 gọi lại"). */
const TEXT = {
  transfer: 'Chuyển theo địa bàn: bà Lan ở số 12 gọi lại, 0912345678',
  returned: 'Trả lại: bà Nguyễn Thị Lan báo sai địa bàn',
  extend: 'Gia hạn: chờ bà Lan (lan.nguyen@example.vn) gửi ảnh',
  note: 'Ghi chú: đã gọi bà Lan số 0912345678',
  reopen: 'Mở lại theo đề nghị của bà Lan',
  close: 'Đóng sau khi bà Lan xác nhận',
  whereToGo: 'Thanh tra quận, số 30 Lê Đại Hành; bà Lan mang theo quyết định',
  otherTrack: 'Khiếu nại của bà Lan về quyết định xử phạt',
  review: 'Trả lời bà Lan chưa có ảnh hiện trường',
  request: 'Đề nghị bà Lan gửi ảnh',
  reply: 'Ảnh đây, Lan 0912345678',
};

describe('personal data: the trail holds none, contact details are erased after the retention period', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    tokens.admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [
      ['bk.handler.pd', 'HANDLER', 'P_BACH_KHOA'],
      ['bk.leader.pd', 'LEADER', 'P_BACH_KHOA'],
      ['tn.handler.pd', 'HANDLER', 'P_THANH_NHAN'],
      ['vp.supervisor.pd', 'SUPERVISOR', 'VP'],
      ['nv.auditor.pd', 'AUDITOR', 'NOI_VU'],
    ];
    for (const [username, role, unitCode] of officers) {
      tokens[username] = (await createOfficer(engine, tokens.admin, { username, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  let sent = 0;
  async function newCase(location: Record<string, unknown> = { wardCode: 'BACH_KHOA' }): Promise<{ id: string; trackingCode: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        // As hotline desks make it, of the caller's number: erased with the contact (checked by the dump below).
        externalId: `1022-${CITIZEN.phone}-${++sent}`,
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location,
        citizen: CITIZEN,
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
    return res.body as { timeline: { action: string; reason: string | null; data: Record<string, unknown> }[] };
  };
  const citizen = (trackingCode: string, what: 'info' | 'rating', body: Record<string, unknown>) =>
    engine.http().post(`/v1/feedback/${trackingCode}/${what}`).set(KEY).send(body);

  /** Every case action of the transition table, and the other events a case gets (review), over HTTP. */
  async function everyAction(): Promise<string[]> {
    const a = await newCase();
    await step('bk.handler.pd', a.id, 'transfer', { unitCode: 'P_THANH_NHAN', reason: TEXT.transfer });
    await step('tn.handler.pd', a.id, 'return', { reason: TEXT.returned });
    await step('vp.supervisor.pd', a.id, 'assign', { unitCode: 'P_BACH_KHOA' });
    await step('bk.handler.pd', a.id, 'acknowledge', { severity: 'normal' });
    const [{ due_at }] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [a.id]);
    const until = engine.api.get(SlaService).calendar.addMinutes(new Date(due_at), 60);
    await step('bk.leader.pd', a.id, 'extend', { until: until.toISOString(), reason: TEXT.extend });
    await step('bk.handler.pd', a.id, 'note', { text: TEXT.note });
    await step('bk.handler.pd', a.id, 'request-info', { message: TEXT.request });
    expect((await citizen(a.trackingCode, 'info', { message: TEXT.reply })).status).toBe(200);
    await step('bk.handler.pd', a.id, 'resolve', { answer: ANSWER });
    await step('bk.leader.pd', a.id, 'reopen', { reason: TEXT.reopen });
    await step('bk.handler.pd', a.id, 'resolve', { answer: ANSWER });
    await step('vp.supervisor.pd', a.id, 'close', { reason: TEXT.close });
    const around = (days: number) => new Date(clock.now().getTime() + days * 86_400_000).toISOString().slice(0, 10);
    const drawn = await engine
      .http()
      .post('/v1/audits/samples')
      .set(bearer('nv.auditor.pd'))
      .send({ from: around(-7), to: around(1), size: 200, seed: 'privacy', unitCode: 'P_BACH_KHOA' });
    expect((drawn.body as { caseIds: string[] }).caseIds).toContain(a.id);
    const review = await engine
      .http()
      .post('/v1/audits/reviews')
      .set(bearer('nv.auditor.pd'))
      .send({ caseId: a.id, scores: { addressesIssue: 2, evidence: 0, lawful: 2, politeClear: 1 }, comment: TEXT.review });
    expect(review.status).toBe(201);

    const b = await newCase();
    await step('bk.handler.pd', b.id, 'acknowledge', { severity: 'normal' });
    // A day off added to 2026 after b's deadline was set: the deadline is counted again, by the system.
    const year = (await engine.http().get('/v1/calendars/2026').set(bearer('admin'))).body as { daysOff: unknown[] };
    const put = (doc: object) => engine.http().put('/v1/calendars/2026').set(bearer('admin')).send(doc);
    expect((await put({ ...year, daysOff: [...year.daysOff, { date: '2026-03-04', name: 'Nghỉ bù' }] })).status).toBe(200);
    expect((await engine.http().post('/v1/calendars/2026/recompute-deadlines').set(bearer('admin'))).body).toMatchObject({ moved: 1 });
    expect((await put(year)).status).toBe(200);
    await step('bk.handler.pd', b.id, 'resolve', { answer: ANSWER });
    expect((await citizen(b.trackingCode, 'rating', { score: 5, comment: 'Cảm ơn, Lan 0912345678' })).status).toBe(200);

    const c = await newCase();
    const closed = await step('bk.leader.pd', c.id, 'redirect-other-track', { reason: TEXT.otherTrack, whereToGo: TEXT.whereToGo });
    // Officers still read the texts: the timeline puts them back from outside the chain.
    expect(closed.timeline[closed.timeline.length - 1]).toMatchObject({ reason: TEXT.otherTrack, data: { whereToGo: TEXT.whereToGo } });
    // Duplicates: three reports of one spot link to the first; one is unlinked, one merged and closed with it.
    const spot = { wardCode: 'BACH_KHOA', lat: 21.00512, lng: 105.84321 };
    const group: string[] = [];
    for (let i = 0; i < 3; i++) {
      // A minute apart, so the first is the oldest and the original.
      clock.set(clock.now().getTime() + 60_000);
      group.push((await newCase(spot)).id);
    }
    const links = await engine.query<{ id: string; duplicate_of: string | null }>(`SELECT id, duplicate_of FROM cases WHERE id = ANY($1::uuid[])`, [group]);
    const d = links.find((r) => r.duplicate_of === null)!.id;
    const [e, f] = links.filter((r) => r.duplicate_of === d).map((r) => r.id);
    await step('bk.handler.pd', f, 'unlink');
    await step('bk.handler.pd', d, 'merge', { duplicateIds: [e] });
    for (const id of [d, f]) {
      await step('bk.handler.pd', id, 'acknowledge', { severity: 'normal' });
      await step('bk.handler.pd', id, 'resolve', { answer: ANSWER });
      await step('vp.supervisor.pd', id, 'close', { reason: TEXT.close });
    }
    return [a.id, b.id, c.id, ...group];
  }

  it("no audit event of any action holds the citizen's contact or an officer's free text in clear, and the trail verifies", async () => {
    const ids = await everyAction();
    const actions = await engine.query<{ action: string }>(`SELECT DISTINCT action FROM audit_events WHERE case_id = ANY($1::uuid[])`, [ids]);
    const seen = new Set(actions.map((r) => r.action));
    // Routing to triage happens to cases no rule routes; every other action of the table was driven here.
    for (const action of CASE_ACTIONS.filter((x) => x !== 'route_to_triage')) expect(seen).toContain(action);
    expect(seen).toContain('review');

    await engine.worker!.get(SealAuditEvents).sealAll('test');
    // Every chained column of every event, and every seal, as text.
    const rows = await engine.query<{ line: string }>(
      `SELECT concat_ws('|', e.id, e.case_id, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data::text, e.occurred_at,
                        encode(s.prev_hash, 'escape'), encode(s.hash, 'escape')) AS line
         FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id`,
    );
    const trail = rows.map((r) => r.line).join('\n');
    const secrets = [CITIZEN.name, CITIZEN.phone, CITIZEN.email, 'bà Lan', 'Lan 0912345678', ...Object.values(TEXT)];
    for (const secret of secrets) expect(trail).not.toContain(secret);
    // The texts are kept aside, each under its event's salted hash.
    const aside = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event_texts WHERE body LIKE '%Lan%'`);
    expect(aside[0].n).toBeGreaterThanOrEqual(7);

    const verify = await engine.http().get('/v1/audits/verify').set(bearer('nv.auditor.pd'));
    expect(verify.body).toMatchObject({ ok: true, firstBrokenEventId: null });
  });

  it('two years after closing, the contact details are gone from every table; metrics, trail and tamper detection remain', async () => {
    const d = await newCase();
    await step('bk.handler.pd', d.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.pd', d.id, 'resolve', { answer: ANSWER });
    expect((await citizen(d.trackingCode, 'rating', { score: 4 })).status).toBe(200);
    const metrics = () => engine.http().get('/v1/audits/units?from=2026-03-01&to=2026-03-31').set(bearer('nv.auditor.pd'));
    const before = (await metrics()).body as unknown;
    const sut = engine.worker!.get(EraseExpiredContactDetails);

    // The daily job is scheduled by the worker (BullMQ job scheduler).
    const queue = engine.worker!.get(QueueRegistry).get(QueueName.Privacy);
    await waitFor(
      () => queue.getJobSchedulers(),
      (s) => s.length === 1,
      { what: 'the daily privacy sweep scheduled' },
    );

    clock.advance({ days: 729 });
    expect((await sut.runOnce()).erased).toBe(0);
    clock.advance({ days: 2 });
    const first = await sut.runOnce();
    expect(first.erased).toBeGreaterThanOrEqual(4);
    expect((await sut.runOnce()).erased).toBe(0); // idempotent
    await engine.worker!.get(SealAuditEvents).sealAll('test');

    const dump = execFileSync('pg_dump', [engine.superuserUrl], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(dump).toContain(d.trackingCode); // the case is still there
    for (const secret of [CITIZEN.phone, CITIZEN.email, CITIZEN.name, TEXT.transfer, TEXT.note]) expect(dump).not.toContain(secret);

    expect((await metrics()).body).toEqual(before);
    const view = (await engine.http().get(`/v1/cases/${d.id}`).set(bearer('bk.handler.pd'))).body as {
      citizen: Record<string, unknown>;
      timeline: { action: string; actor: { ref: string }; data: Record<string, unknown> }[];
    };
    expect(view.citizen).toMatchObject({ name: null, phone: null, email: null });
    expect(view.timeline[view.timeline.length - 1]).toMatchObject({
      action: 'contact_erased',
      actor: { ref: 'system:retention' },
      data: { afterCloseDays: 730, fields: expect.arrayContaining(['name', 'phone', 'email', 'externalId']) as unknown },
    });
    const verify = () => engine.http().get('/v1/audits/verify').set(bearer('nv.auditor.pd'));
    expect((await verify()).body).toMatchObject({ ok: true, firstBrokenEventId: null });

    // The owner of the database turns the append-only trigger off and edits a kept event: still caught.
    const [victim] = await engine.query<{ id: string }>(`SELECT id::text AS id FROM audit_events WHERE case_id = $1 AND action = 'acknowledge'`, [d.id]);
    const owner = await engine.db.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      await owner.query(`UPDATE audit_events SET data = data || '{"severity": "urgent"}' WHERE id = $1`, [victim.id]);
      await owner.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      await owner.query('COMMIT');
    } finally {
      owner.release();
    }
    expect((await verify()).body).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
  });
});
