import { createHash } from 'node:crypto';
import { AutoCloseResolved, ExpireActionKeys } from '@fr/cases';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@fr/persistence';
import { PausedPastDue1767400000000 } from '../libs/persistence/src/migrations/1767400000000-PausedPastDue';
import { OfficerRole } from '@fr/domain';
import { jobIdFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { adminToken, apiContract, ApiSchema, createOfficer, DEV_KEYS, errorOf, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const CITIZEN = { name: 'Lê Thị Thu Trang', phone: '0913555777', email: 'trang.le@example.vn' };
const ANSWER =
  'UBND phường đã kiểm tra hiện trường ngày 28/11, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';

describe('handlers work their cases', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    const admin = await adminToken(engine);
    tokens.admin = admin;
    // The channel's status webhook: with nobody to receive them, case events would not be fanned out.
    const hook = await engine
      .http()
      .put('/v1/channels/ihanoi/webhook')
      .set(bearer('admin'))
      .send({ url: `${rx.url}/ihanoi` });
    expect(hook.status).toBe(200);
    rx.trust('/ihanoi', (hook.body as ApiSchema<'ChannelWebhookViewDto'>).secret!);
    const officers: [string, OfficerRole, string][] = [
      ['bk.handler2', 'HANDLER', 'P_BACH_KHOA'],
      ['bk.leader2', 'LEADER', 'P_BACH_KHOA'],
      ['tn.handler2', 'HANDLER', 'P_THANH_NHAN'],
      ['tn.leader2', 'LEADER', 'P_THANH_NHAN'],
      ['vp.supervisor2', 'SUPERVISOR', 'VP'],
      ['nv.auditor2', 'AUDITOR', 'NOI_VU'],
    ];
    for (const [username, role, unitCode] of officers) {
      tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
    }
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  async function newCase(over: Record<string, unknown> = {}) {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: CITIZEN,
        ...over,
      });
    expect(res.status).toBe(202);
    const accepted = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [accepted.id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return accepted;
  }
  const get = (who: string, id: string) => engine.http().get(`/v1/cases/${id}`).set(bearer(who));
  const act = (who: string, id: string, action: string, body: Record<string, unknown>) =>
    engine.http().post(`/v1/cases/${id}/${action}`).set(bearer(who)).send(body);
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  // The case as the action left it; an action that takes the case out of the caller's scope answers MovedOutOfScopeDto.
  const step = async <T = ApiSchema<'CaseDetailDto'>>(who: string, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await act(who, id, action, { expectedVersion: await version(id), ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };

  it('walks a case through its whole life over HTTP, every step in the timeline with its actor', async () => {
    const { id, trackingCode } = await newCase();
    const queue = await engine.http().get('/v1/cases?status=assigned').set(bearer('bk.handler2'));
    expect(queue.status).toBe(200);
    expect((queue.body as ApiSchema<'CasePageDto'>).items.map((c) => c.id)).toContain(id);

    const acked = await step('bk.handler2', id, 'acknowledge', { severity: 'normal' });
    expect(acked).toMatchObject({ status: 'in_progress', severity: 'normal', stage: 'resolve' });
    expect(acked.dueAt).toEqual(expect.any(String));

    await step('bk.handler2', id, 'request-info', { message: 'Đề nghị ông/bà cung cấp số nhà cụ thể và ảnh hiện trường.' });
    const waiting = await engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY);
    expect(waiting.body).toMatchObject({ status: 'awaiting_info', dueAt: null, infoRequest: { message: expect.stringContaining('số nhà') as unknown } });

    const reply = await engine
      .http()
      .post(`/v1/feedback/${trackingCode}/info`)
      .set(KEY)
      .send({ message: 'Số nhà 1 Đại Cồ Việt, ảnh gửi kèm.', attachments: [{ url: 'https://cdn.ihanoi.vn/a.jpg', kind: 'image' }] });
    expect(reply.status).toBe(200);
    expect((reply.body as ApiSchema<'InfoReplyResultDto'>).status).toBe('in_progress');

    const vague = await act('bk.handler2', id, 'resolve', { expectedVersion: await version(id), answer: 'Đã xử lý.' });
    expect(vague.status).toBe(422);
    expect(errorOf(vague).message).toMatch(/answer must say what was done/);

    const resolved = await step('bk.handler2', id, 'resolve', { answer: ANSWER, attachments: [{ url: 'https://cdn.hbt.gov.vn/after.jpg', kind: 'image' }] });
    expect(resolved).toMatchObject({ status: 'resolved', answer: ANSWER, dueAt: null });
    const seen = await engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY);
    expect(seen.body).toMatchObject({ status: 'resolved', answer: ANSWER });

    const rated = await engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(KEY).send({ score: 5, comment: 'Cảm ơn phường!' });
    expect(rated.status).toBe(200);
    expect(rated.body).toEqual({ trackingCode, status: 'closed', rating: 5 });

    const detail = (await get('bk.leader2', id)).body as ApiSchema<'CaseDetailDto'>;
    expect(detail.timeline.map((e) => `${e.action}:${e.from}->${e.to}`)).toEqual([
      'receive:null->received',
      'route:received->assigned',
      'acknowledge:assigned->in_progress',
      'request-info:in_progress->awaiting_info',
      'supply-info:awaiting_info->in_progress',
      'resolve:in_progress->resolved',
      'rate:resolved->resolved',
      'close:resolved->closed',
    ]);
    const actors = detail.timeline.map((e) => e.actor);
    expect(actors[0].ref).toBe('channel:ihanoi');
    expect(actors[1].ref).toBe('system:router');
    expect(actors[2]).toMatchObject({ ref: expect.stringMatching(/^officer:/) as unknown, role: 'HANDLER' });
    expect(actors[4].ref).toBe('citizen:ihanoi');
    expect(actors[7].ref).toBe('system:rating');
    expect(detail.messages.map((m) => m.kind)).toEqual(['info_request', 'info_reply']);
    // In the order written when the ids cross a power of ten (ordered as text, 10000 came before 9).
    await engine.query(`SELECT setval('case_messages_id_seq', 9999)`);
    await engine.query(`INSERT INTO case_messages (case_id, kind, author, body) VALUES ($1, 'note', 'system:test', 'Ghi chú nội bộ.')`, [id]);
    const later = (await get('bk.leader2', id)).body as ApiSchema<'CaseDetailDto'>;
    expect(later.messages.map((m) => m.kind)).toEqual(['info_request', 'info_reply', 'note']);

    // Every change the citizen should see went out as a case event for the channel (outbox -> queue).
    const visible = detail.timeline.filter((e) => !['receive', 'rate', 'note'].includes(e.action));
    const events = engine.worker!.get(QueueRegistry).get(QueueName.CaseEvents);
    for (const e of visible) {
      const jobId = jobIdFor(JobName.CaseEvent, { caseId: id, eventId: e.id });
      const job = await waitFor(
        () => events.getJob(jobId),
        (j) => !!j,
        { what: `case event ${e.action}` },
      );
      // Ids only, and the id of the request behind the event when there was one (not the auto-close).
      const { requestId, ...ids } = job!.data as Record<string, unknown>;
      expect(ids).toEqual({ caseId: id, eventId: e.id });
      if (requestId !== undefined) expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('pausing for information moves the deadline by exactly the paused working time', async () => {
    const { id, trackingCode } = await newCase();
    await step('bk.handler2', id, 'acknowledge', { severity: 'urgent' });
    await step('bk.handler2', id, 'request-info', { message: 'Xin gửi thêm ảnh.' });
    // Stored facts, placed in office hours: the stage began Fri 27/11 08:30 (+07:00), the pause at 09:00.
    await engine.query(`UPDATE cases SET stage_started_at = '2026-11-27T01:30:00Z' WHERE id = $1`, [id]);
    await engine.query(`UPDATE case_pauses SET started_at = '2026-11-27T02:00:00Z' WHERE case_id = $1`, [id]);
    const res = await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(KEY).send({ message: 'Ảnh đây.' });
    expect(res.status).toBe(200);

    const [row] = await engine.query<{ due_at: Date; started_at: Date; ended_at: Date }>(
      `SELECT c.due_at, p.started_at, p.ended_at FROM cases c JOIN case_pauses p ON p.case_id = c.id WHERE c.id = $1`,
      [id],
    );
    const { SlaService } = await import('@fr/sla');
    const { calendar } = engine.api.get(SlaService);
    const start = new Date('2026-11-27T01:30:00Z');
    const unpaused = calendar.addMinutes(start, 240);
    expect(unpaused.toISOString()).toBe('2026-11-27T06:30:00.000Z'); // 08:30 + 4h with the lunch break = 13:30
    const paused = calendar.minutesBetween(new Date(row.started_at), new Date(row.ended_at));
    expect(new Date(row.due_at).toISOString()).toBe(calendar.addMinutes(start, 240 + paused).toISOString());
    // minutesBetween counts milliseconds as fractions of a minute: compare to well under a millisecond.
    expect(calendar.minutesBetween(start, new Date(row.due_at)) - paused).toBeCloseTo(240, 6);
  });

  it('keeps a case that was late when it began to wait on the citizen overdue while it waits: in the queue, its overdue filter, the unit report and the export', async () => {
    const late = await newCase();
    const onTime = await newCase();
    for (const c of [late, onTime]) await step('bk.handler2', c.id, 'acknowledge', { severity: 'normal' });
    // The late one's stage began three weeks ago (stored facts moved back): its five working days are long past.
    await engine.query(
      `UPDATE cases SET stage_started_at = date_trunc('milliseconds', now()) - interval '21 days', due_at = date_trunc('milliseconds', now()) - interval '1 hour',
                        warn_at = date_trunc('milliseconds', now()) - interval '9 hours' WHERE id = $1`,
      [late.id],
    );
    for (const c of [late, onTime]) await step('bk.handler2', c.id, 'request-info', { message: 'Xin gửi thêm ảnh hiện trường.' });

    const queue = async (query: string) =>
      ((await engine.http().get(`/v1/cases?${query}`).set(bearer('bk.handler2')).expect(200)).body as ApiSchema<'CasePageDto'>).items;
    const mine = await queue('status=awaiting_info&limit=100');
    // No running deadline while the clock stands still; late all the same.
    expect(mine.find((c) => c.id === late.id)).toMatchObject({ status: 'awaiting_info', dueAt: null, overdue: true, atRisk: false });
    expect(mine.find((c) => c.id === onTime.id)).toMatchObject({ status: 'awaiting_info', dueAt: null, overdue: false, atRisk: false });
    const overdue = (await queue('overdue=true&limit=100')).map((c) => c.id);
    expect(overdue).toContain(late.id);
    expect(overdue).not.toContain(onTime.id);
    // Paged one by one, the running overdue ones first, then the waiting ones: each once.
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const res = (await engine
        .http()
        .get(`/v1/cases?overdue=true&limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer('bk.handler2'))
        .expect(200)) as { body: ApiSchema<'CasePageDto'> };
      walked.push(...res.body.items.map((c) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(overdue);

    // Home Affairs counts it late: waiting on the citizen does not take a late case out of the late rate.
    const day = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
    const report = (await engine.http().get(`/v1/audits/units/P_BACH_KHOA/cases?from=${day}&to=${day}`).set(bearer('nv.auditor2')).expect(200))
      .body as ApiSchema<'UnitCasesReportDto'>;
    expect(report.items.find((l) => l.trackingCode === late.trackingCode)).toMatchObject({ open: true, overdue: true });
    expect(report.items.find((l) => l.trackingCode === onTime.trackingCode)).toMatchObject({ open: true, overdue: false });
    const csv = (await engine.http().get(`/v1/audits/cases?unit=P_BACH_KHOA&from=${day}&to=${day}&format=csv`).set(bearer('nv.auditor2')).expect(200)).text;
    const row = (code: string) => csv.split('\r\n').find((l) => l.startsWith(`${code},`) || l.includes(`,${code},`));
    expect(row(late.trackingCode)).toMatch(/,open_overdue,/);
    expect(row(onTime.trackingCode)).toMatch(/,open,/);

    // Cases already waiting when the migration ran are found late from their state log, as above.
    const ds = new DataSource({ ...dataSourceOptions({ databaseUrl: engine.config.databaseOwnerUrl, dbPoolSize: 1 }) });
    await ds.initialize();
    const runner = ds.createQueryRunner();
    const migration = new PausedPastDue1767400000000();
    await migration.down(runner);
    expect(await engine.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'cases' AND column_name = 'paused_past_due'`)).toEqual([]);
    await migration.up(runner);
    await runner.release();
    await ds.destroy();
    const backfilled = await engine.query<{ id: string; paused_past_due: Date | null }>(`SELECT id, paused_past_due FROM cases WHERE id = ANY($1)`, [
      [late.id, onTime.id],
    ]);
    expect(Object.fromEntries(backfilled.map((r) => [r.id, r.paused_past_due !== null]))).toEqual({ [late.id]: true, [onTime.id]: false });

    // The citizen answers: the clock resumes, still late by what it was late when it stopped.
    expect((await engine.http().post(`/v1/feedback/${late.trackingCode}/info`).set(KEY).send({ message: 'Ảnh đây ạ.' })).status).toBe(200);
    expect((await queue('overdue=true&limit=100')).find((c) => c.id === late.id)).toMatchObject({ status: 'in_progress', overdue: true });
  });

  it('lets only a leader extend a deadline, once, by at most the original duration, with a reason', async () => {
    const { id, trackingCode } = await newCase();
    await step('bk.handler2', id, 'acknowledge', { severity: 'urgent' });
    const [c] = await engine.query<{ due_at: Date; stage_minutes: number }>(`SELECT due_at, stage_minutes FROM cases WHERE id = $1`, [id]);
    const { SlaService } = await import('@fr/sla');
    const { calendar } = engine.api.get(SlaService);
    const due = new Date(c.due_at);
    const handler = await act('bk.handler2', id, 'extend', {
      expectedVersion: await version(id),
      until: calendar.addMinutes(due, 60).toISOString(),
      reason: 'Chờ ý kiến Đội QLTTXD',
    });
    expect(handler.status).toBe(403);
    const tooFar = await act('bk.leader2', id, 'extend', {
      expectedVersion: await version(id),
      until: calendar.addMinutes(due, 241).toISOString(),
      reason: 'Chờ ý kiến',
    });
    expect(tooFar.status).toBe(422);
    expect(errorOf(tooFar).message).toMatch(/at most 240 working minutes/);
    const noReason = await act('bk.leader2', id, 'extend', { expectedVersion: await version(id), until: calendar.addMinutes(due, 60).toISOString() });
    expect(noReason.status).toBe(400);

    const until = calendar.addMinutes(due, 120);
    const extended = await step('bk.leader2', id, 'extend', { until: until.toISOString(), reason: 'Chờ ý kiến Đội QLTTXD' });
    expect(extended).toMatchObject({ dueAt: until.toISOString(), extensionCount: 1 });
    const again = await act('bk.leader2', id, 'extend', {
      expectedVersion: await version(id),
      until: calendar.addMinutes(until, 30).toISOString(),
      reason: 'lần nữa',
    });
    expect(again.status).toBe(422);
    expect(errorOf(again).message).toMatch(/already extended 1 time\(s\) since this stage began/);

    // Notes are internal: they never reach the citizen's status view, and they do not bump the version.
    const v = await version(id);
    const note = await act('bk.handler2', id, 'note', { text: 'Ghi chú nội bộ: đã gọi điện cho tổ trưởng dân phố.' });
    expect(note.status).toBe(200);
    expect(await version(id)).toBe(v);
    const status = await engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY);
    expect(JSON.stringify(status.body)).not.toContain('Ghi chú nội bộ');
    expect((status.body as ApiSchema<'FeedbackStatusDto'>).dueAt).toBe(until.toISOString());

    // Granted after the deadline passed, an extension would turn a late case into one on time: refused.
    const overdue = await newCase();
    await step('bk.handler2', overdue.id, 'acknowledge', { severity: 'normal' });
    // To the millisecond, as the engine writes deadlines (the queue's cursor below carries milliseconds).
    await engine.query(`UPDATE cases SET due_at = date_trunc('milliseconds', now()) - interval '1 minute' WHERE id = $1`, [overdue.id]);
    const [{ due_at: passed }] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [overdue.id]);
    const late = await act('bk.leader2', overdue.id, 'extend', {
      expectedVersion: await version(overdue.id),
      until: calendar.addMinutes(new Date(), 60).toISOString(),
      reason: 'Chờ ý kiến',
    });
    expect(late.status).toBe(422);
    expect(errorOf(late).message).toBe(
      `the deadline passed at ${new Date(passed).toISOString()}: an extension is granted before the deadline, so a late case stays late`,
    );

    // A transfer restarts the resolve clock at the new unit, with the full duration: its leader may extend that deadline once.
    await step('bk.handler2', id, 'transfer', { unitCode: 'P_THANH_NHAN', reason: 'Địa điểm thuộc phường Thanh Nhàn' });
    await step('tn.handler2', id, 'acknowledge', { severity: 'urgent' });
    const [moved] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [id]);
    const newUntil = calendar.addMinutes(new Date(moved.due_at), 60);
    const extendedThere = await step('tn.leader2', id, 'extend', { until: newUntil.toISOString(), reason: 'Chờ ý kiến phòng Quản lý đô thị' });
    expect(extendedThere).toMatchObject({ dueAt: newUntil.toISOString(), extensionCount: 2 });
    const thereAgain = await act('tn.leader2', id, 'extend', {
      expectedVersion: await version(id),
      until: calendar.addMinutes(newUntil, 30).toISOString(),
      reason: 'lần nữa',
    });
    expect(thereAgain.status).toBe(422);
  });

  it('transfers to another unit and returns to triage, counting both', async () => {
    const { id } = await newCase();
    const transferred = await step<ApiSchema<'MovedOutOfScopeDto'>>('bk.handler2', id, 'transfer', {
      unitCode: 'P_THANH_NHAN',
      reason: 'Địa điểm thuộc phường Thanh Nhàn',
    });
    expect(transferred).toEqual({ id, movedOutOfScope: true });
    const [tn] = await engine.query<{ handler_id: string }>(`SELECT handler_id FROM units WHERE code = 'P_THANH_NHAN'`);
    let c = (await get('tn.handler2', id)).body as ApiSchema<'CaseDetailDto'>;
    expect(c).toMatchObject({ status: 'assigned', unit: { code: 'P_THANH_NHAN' }, handlerId: tn.handler_id, transferCount: 1 });

    await step('tn.handler2', id, 'return', { reason: 'Không thuộc thẩm quyền phường' });
    c = (await get('vp.supervisor2', id)).body as ApiSchema<'CaseDetailDto'>;
    expect(c).toMatchObject({ status: 'triage', unit: { code: 'VP' }, handlerId: null, transferCount: 1, returnCount: 1 });

    await step('vp.supervisor2', id, 'assign', { unitCode: 'P_BACH_KHOA' });
    c = (await get('bk.handler2', id)).body as ApiSchema<'CaseDetailDto'>;
    expect(c).toMatchObject({ status: 'assigned', unit: { code: 'P_BACH_KHOA' }, transferCount: 1, returnCount: 1 });
    const history = await engine.query<{ unit_code: string; reason: string; ended_at: Date | null }>(
      `SELECT unit_code, reason, ended_at FROM assignments WHERE case_id = $1 ORDER BY id`,
      [id],
    );
    expect(history.map((h) => `${h.unit_code}:${h.reason}:${h.ended_at ? 'ended' : 'current'}`)).toEqual([
      'P_BACH_KHOA:route:ended',
      'P_THANH_NHAN:transfer:ended',
      'VP:return:ended',
      'P_BACH_KHOA:assign:current',
    ]);
    const missing = await act('bk.handler2', id, 'transfer', { expectedVersion: await version(id), unitCode: 'P_BACH_KHOA' });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).message).toMatch(/reason is required/);
    const nowhere = await act('bk.handler2', id, 'transfer', { expectedVersion: await version(id), unitCode: 'KHONG_CO', reason: 'Không rõ đơn vị' });
    expect(nowhere.status).toBe(422);
    expect(errorOf(nowhere).errors).toEqual([{ field: 'unitCode', problems: ["unit 'KHONG_CO' does not exist or is not active"] }]);
  });

  it('answers 409 naming the current state for an action the state does not allow', async () => {
    const { id } = await newCase();
    const res = await act('bk.handler2', id, 'resolve', { expectedVersion: await version(id), answer: ANSWER });
    expect(res.status).toBe(409);
    expect(errorOf(res).message).toMatch(/state 'assigned'/);
    expect(errorOf(res).state).toBe('assigned');
  });

  it('lets exactly one of two concurrent actions with the same expectedVersion succeed', async () => {
    const { id } = await newCase();
    const v = await version(id);
    const results = await Promise.all([
      act('bk.handler2', id, 'acknowledge', { expectedVersion: v, severity: 'normal' }),
      act('bk.leader2', id, 'acknowledge', { expectedVersion: v, severity: 'urgent' }),
      act('bk.handler2', id, 'transfer', { expectedVersion: v, unitCode: 'CONG_AN', reason: 'an ninh' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(await version(id)).toBe(v + 1);
    // A version no case can have is bad input, not a stale version.
    for (const bad of [2 ** 31, 2 ** 53 + 2, 1e300, 0, '2']) {
      const r = await act('bk.handler2', id, 'note', { expectedVersion: bad, text: 'ghi chú' });
      expect(r.status).toBe(400);
      expect(errorOf(r).message).toMatch(/^expectedVersion must be a whole number from 1 to 2147483647 \(the version last read\), got /);
    }
    const text = await act('bk.handler2', id, 'note', { expectedVersion: '2', text: 'ghi chú' });
    expect(errorOf(text).message).toBe("expectedVersion must be a whole number from 1 to 2147483647 (the version last read), got the text '2'");
  });

  describe('Idempotency-Key', () => {
    const keyed = (who: string, id: string, action: string, body: Record<string, unknown>, key: string) =>
      act(who, id, action, body).set('Idempotency-Key', key);
    const replayed = (res: { headers: Record<string, string | undefined> }) => res.headers['idempotent-replayed'] === 'true';
    const auditCount = async (id: string, action: string) =>
      Number((await engine.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE case_id = $1 AND action = $2`, [id, action]))[0].n);

    it('acts once for a retried key, answering the case as it is now; another body with the key is refused; without a key a retry is stale', async () => {
      const { id } = await newCase();
      const v = await version(id);
      const body = { expectedVersion: v, severity: 'normal' };
      const first = await keyed('bk.handler2', id, 'acknowledge', body, 'ack-1f3c');
      expect(first.status).toBe(200);
      expect(replayed(first)).toBe(false);
      // The answer was lost: the client sends the same request again, quoted as a structured-field string this time.
      await step('bk.handler2', id, 'note', { text: 'Đã liên hệ tổ dân phố.' });
      const again = await keyed('bk.handler2', id, 'acknowledge', body, '"ack-1f3c"');
      expect(again.status).toBe(200);
      expect(replayed(again)).toBe(true);
      expect(again.body).toMatchObject({ id, status: 'in_progress', severity: 'normal', version: v + 1 });
      expect((again.body as ApiSchema<'CaseDetailDto'>).timeline.filter((e) => e.action === 'acknowledge')).toHaveLength(1);
      expect(await auditCount(id, 'acknowledge')).toBe(1);
      expect(await version(id)).toBe(v + 1);
      // The same JSON written out again by another client: members in another order, the id in upper case.
      const rewritten = await keyed('bk.handler2', id.toUpperCase(), 'acknowledge', { severity: 'normal', expectedVersion: v }, 'ack-1f3c');
      expect(rewritten.status).toBe(200);
      expect(replayed(rewritten)).toBe(true);

      const other = await keyed('bk.handler2', id, 'acknowledge', { ...body, severity: 'urgent' }, 'ack-1f3c');
      expect(other.status).toBe(422);
      expect(errorOf(other).message).toMatch(/Idempotency-Key .*was used for another request/);
      // The key is the officer's own: a colleague's same key is a request of theirs.
      const colleague = await keyed('bk.leader2', id, 'note', { text: 'Theo dõi.' }, 'ack-1f3c');
      expect(colleague.status).toBe(200);
      expect(replayed(colleague)).toBe(false);
      // Neither the key nor the body is kept: their hashes.
      const rows = await engine.query<{ key_hash: Buffer; fingerprint: Buffer }>(`SELECT key_hash, fingerprint FROM case_action_keys WHERE case_id = $1`, [id]);
      expect(rows).toHaveLength(2);
      expect(rows.map((r) => [r.key_hash.length, r.fingerprint.length])).toEqual([
        [32, 32],
        [32, 32],
      ]);
      // Without a key, as before: the retry's version is stale.
      const unkeyed = await act('bk.handler2', id, 'acknowledge', body);
      expect(unkeyed.status).toBe(409);
    });

    it('applies an action once when two requests with one key arrive together: the other is a replay, or 409 while the first is under way', async () => {
      const { id } = await newCase();
      const v = await version(id);
      const body = { expectedVersion: v, severity: 'normal' };
      const both = await Promise.all([0, 1].map(() => keyed('bk.handler2', id, 'acknowledge', body, 'together-7')));
      const answers = both.map((r) => (r.status === 200 ? (replayed(r) ? 'replayed' : 'acted') : r.status)).sort();
      // Which it is depends on whether the second arrived before or after the first committed.
      expect([
        ['acted', 'replayed'],
        [409, 'acted'],
      ]).toContainEqual(answers);
      expect(await version(id)).toBe(v + 1);
      expect(await auditCount(id, 'acknowledge')).toBe(1);
    });

    it('answers a retry sent while the first request with its key is still under way 409 at once, with Retry-After; once the first is done, a retry replays it', async () => {
      const { id } = await newCase();
      const v = await version(id);
      const body = { expectedVersion: v, severity: 'normal' };
      const holder = await engine.db.connect();
      let first: Promise<Awaited<ReturnType<typeof keyed>>> | undefined;
      try {
        // The first request claims its key, then waits here for the case, held by this transaction.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM cases WHERE id = $1 FOR UPDATE', [id]);
        first = keyed('bk.handler2', id, 'acknowledge', body, 'slow-5').then((r) => r);
        await waitFor(
          () =>
            engine.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM cases%'`,
            ),
          ([r]) => r.n === 1,
          { what: 'the first request to wait for the case' },
        );
        const sent = Date.now();
        const retry = await keyed('bk.handler2', id, 'acknowledge', body, 'slow-5');
        expect(retry.status).toBe(409);
        expect(errorOf(retry).message).toMatch(/^a request with this Idempotency-Key is still under way/);
        expect(retry.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        // At once: not after the API's 5 s lock timeout.
        expect(Date.now() - sent).toBeLessThan(2000);
        // The first went on waiting for the case past the claim's short wait: the rest of its transaction kept the API's bound.
        await new Promise((r) => setTimeout(r, 300));
        await holder.query('COMMIT');
        const done = await first;
        expect([done.status, replayed(done)]).toEqual([200, false]);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
        await first?.catch(() => undefined);
      }
      const after = await keyed('bk.handler2', id, 'acknowledge', body, 'slow-5');
      expect([after.status, replayed(after)]).toEqual([200, true]);
      expect(await auditCount(id, 'acknowledge')).toBe(1);
      expect(await version(id)).toBe(v + 1);
    });

    it('replays a merge retried with its duplicateIds in another order (the merge takes them as a set)', async () => {
      // Three reports of one stall on the pavement, a few metres apart: the later two are linked to the first as duplicates.
      const stall = (n: number) =>
        newCase({
          description: `Quán nước lấn chiếm vỉa hè số 12 phố Tạ Quang Bửu, người đi bộ phải xuống lòng đường (phản ánh ${n}).`,
          location: { lat: 21.0009 + n / 111_195, lng: 105.8472, wardCode: 'BACH_KHOA' },
        });
      const original = await stall(0);
      const dups = [await stall(1), await stall(2)];
      const linked = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE duplicate_of = $1`, [original.id]);
      expect(linked.map((r) => r.id).sort()).toEqual(dups.map((d) => d.id).sort());
      await step('bk.handler2', original.id, 'acknowledge', { severity: 'normal' });
      const v = await version(original.id);
      const ids = dups.map((d) => d.id);
      const first = await keyed('bk.handler2', original.id, 'merge', { expectedVersion: v, duplicateIds: ids }, 'merge-2f');
      expect([first.status, replayed(first)]).toEqual([200, false]);
      const again = await keyed('bk.handler2', original.id, 'merge', { expectedVersion: v, duplicateIds: [...ids].reverse() }, 'merge-2f');
      expect([again.status, replayed(again)]).toEqual([200, true]);
      expect(await auditCount(original.id, 'merge')).toBe(1);
      // Another set of cases with the key is another request.
      const fewer = await keyed('bk.handler2', original.id, 'merge', { expectedVersion: v, duplicateIds: [ids[0]] }, 'merge-2f');
      expect(fewer.status).toBe(422);
    });

    it('keys the stored fingerprint, and still replays a request recorded before it was keyed (its row holding the plain SHA-256) within its day', async () => {
      const { id } = await newCase();
      const body = { text: 'Bà Lê Thị Thu Trang gọi lại, số 0913555777.' };
      const first = await keyed('bk.handler2', id, 'note', body, 'before-deploy-1');
      expect([first.status, replayed(first)]).toEqual([200, false]);
      const plain = createHash('sha256')
        .update(JSON.stringify(['note', id, body]), 'utf8')
        .digest();
      const [row] = await engine.query<{ fingerprint: Buffer }>(`SELECT fingerprint FROM case_action_keys WHERE case_id = $1`, [id]);
      expect(row.fingerprint.equals(plain)).toBe(false);
      // As the API before the upgrade wrote it.
      await engine.query(`UPDATE case_action_keys SET fingerprint = $2 WHERE case_id = $1`, [id, plain]);
      const again = await keyed('bk.handler2', id, 'note', body, 'before-deploy-1');
      expect([again.status, replayed(again)]).toEqual([200, true]);
      const other = await keyed('bk.handler2', id, 'note', { text: 'Ghi chú khác.' }, 'before-deploy-1');
      expect(other.status).toBe(422);
      expect(await auditCount(id, 'note')).toBe(1);
    });

    it("replays a retry that spells the case's id in the other case (a UUID is one id either way)", async () => {
      const { id } = await newCase();
      const note = (path: string) => keyed('bk.handler2', path, 'note', { text: 'Đã gọi lại cho người dân.' }, 'spelled-3');
      const first = await note(id.toUpperCase());
      expect(first.status).toBe(200);
      const again = await note(id);
      expect([again.status, replayed(again)]).toEqual([200, true]);
      expect(await auditCount(id, 'note')).toBe(1);
    });

    it('keeps no key for an action that failed: the retry acts anew', async () => {
      const { id } = await newCase();
      const v = await version(id);
      const early = await keyed('bk.handler2', id, 'resolve', { expectedVersion: v, answer: ANSWER }, 'retry-9');
      expect(early.status).toBe(409);
      expect(await engine.query(`SELECT 1 FROM case_action_keys WHERE case_id = $1`, [id])).toEqual([]);
      const later = await keyed('bk.handler2', id, 'acknowledge', { expectedVersion: v, severity: 'normal' }, 'retry-9');
      expect(later.status).toBe(200);
      expect(replayed(later)).toBe(false);
    });

    it('forgets a key after 24 hours: a later request acts anew, and the sweep deletes the old rows', async () => {
      const { id } = await newCase();
      const note = () => keyed('bk.handler2', id, 'note', { text: 'Nhắc tổ dân phố.' }, 'day-old');
      expect(replayed(await note())).toBe(false);
      expect(replayed(await note())).toBe(true);
      await engine.query(`UPDATE case_action_keys SET created_at = created_at - interval '25 hours' WHERE case_id = $1`, [id]);
      const anew = await note();
      expect(anew.status).toBe(200);
      expect(replayed(anew)).toBe(false);
      expect(await auditCount(id, 'note')).toBe(2);
      await engine.query(`UPDATE case_action_keys SET created_at = created_at - interval '25 hours' WHERE case_id = $1`, [id]);
      await engine.worker!.get(ExpireActionKeys).runOnce();
      expect(await engine.query(`SELECT 1 FROM case_action_keys WHERE case_id = $1`, [id])).toEqual([]);
    });

    it('refuses a malformed key with 400 naming the header', async () => {
      const { id } = await newCase();
      for (const bad of ['x'.repeat(256), '"unclosed', '""', 'two words', 'a, b', 'ké']) {
        const res = await keyed('bk.handler2', id, 'note', { text: 'Ghi chú.' }, bad);
        expect([bad, res.status]).toEqual([bad, 400]);
        expect(errorOf(res).message).toMatch(/^Idempotency-Key /);
      }
      expect(await auditCount(id, 'note')).toBe(0);
    });
  });

  it('accepts a rating once, only after resolution, and reopens on a low one', async () => {
    const { id, trackingCode } = await newCase();
    const rate = (score: unknown) => engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(KEY).send({ score });
    const early = await rate(4);
    expect(early.status).toBe(409);
    expect(errorOf(early).message).toBe("cannot rate a case in state 'assigned': a case is rated once answered (resolved), before it is closed");
    for (const bad of [0, 6, 3.5, '5', null]) {
      const r = await rate(bad);
      expect(r.status).toBe(400);
      expect(errorOf(r).message).toMatch(/score/);
    }
    await step('bk.handler2', id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler2', id, 'resolve', { answer: ANSWER });
    const low = await rate(1);
    expect(low.body).toEqual({ trackingCode, status: 'in_progress', rating: 1 });
    expect((await get('bk.handler2', id)).body).toMatchObject({ status: 'in_progress', reopenCount: 1 });
    const again = await rate(5);
    expect(again.status).toBe(409);
  });

  it("keeps each channel to its own cases: another channel's key finds nothing", async () => {
    const { id, trackingCode } = await newCase();
    await step('bk.handler2', id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler2', id, 'resolve', { answer: ANSWER });
    const other = { 'X-Api-Key': DEV_KEYS.hotline };
    expect((await engine.http().get(`/v1/feedback/${trackingCode}`).set(other)).status).toBe(404);
    expect((await engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(other).send({ score: 5 })).status).toBe(404);
    expect((await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(other).send({ message: 'x' })).status).toBe(404);
    expect((await get('bk.handler2', id)).body).toMatchObject({ status: 'resolved', rating: null });
  });

  it('closes resolved cases nobody rated after seven days; a closed case can no longer be rated', async () => {
    const { id, trackingCode } = await newCase();
    await step('bk.handler2', id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler2', id, 'resolve', { answer: ANSWER });
    const sut = engine.worker!.get(AutoCloseResolved);
    expect(await sut.runOnce(new Date(Date.now() + 6 * 86400000))).toBe(0);
    expect(await sut.runOnce(new Date(Date.now() + 8 * 86400000))).toBeGreaterThanOrEqual(1);
    expect((await get('bk.handler2', id)).body).toMatchObject({ status: 'closed' });

    const late = await engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(KEY).send({ score: 5 });
    expect(late.status).toBe(409);
    expect(errorOf(late).message).toMatch(/state 'closed'/);
    const rated = await engine.query(`SELECT 1 FROM audit_events WHERE case_id = $1 AND action = 'rate'`, [id]);
    expect(rated).toHaveLength(0);
    expect((await get('bk.handler2', id)).body).toMatchObject({ status: 'closed', rating: null });
  });

  it('closes a complaint found after intake as another legal track, telling the citizen where to take it', async () => {
    const WHERE = 'Gửi đơn khiếu nại tới Thanh tra quận Hai Bà Trưng, số 30 Lê Đại Hành (Luật Khiếu nại 2011).';
    const REASON = 'Nội dung là khiếu nại quyết định xử phạt hành chính, không phải phản ánh, kiến nghị.';
    const waiting = await newCase();
    await step('bk.handler2', waiting.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler2', waiting.id, 'request-info', { message: 'Đề nghị ông/bà gửi bản chụp quyết định xử phạt.' });

    // LEADER or SUPERVISOR only; a case outside the caller's unit is not found; both fields are required.
    const v = await version(waiting.id);
    expect((await act('bk.handler2', waiting.id, 'redirect-other-track', { expectedVersion: v, reason: REASON, whereToGo: WHERE })).status).toBe(403);
    expect((await act('tn.handler2', waiting.id, 'redirect-other-track', { expectedVersion: v, reason: REASON, whereToGo: WHERE })).status).toBe(404);
    const missing = await act('bk.leader2', waiting.id, 'redirect-other-track', { expectedVersion: v, reason: REASON });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).message).toMatch(/whereToGo/);
    expect(await version(waiting.id)).toBe(v);

    const closed = await step('bk.leader2', waiting.id, 'redirect-other-track', { reason: REASON, whereToGo: WHERE });
    expect(closed).toMatchObject({ status: 'closed', closedAs: 'other_track', whereToGo: WHERE, stage: null, dueAt: null, answer: null });
    expect(closed.closedAt).toEqual(expect.any(String));
    const last = closed.timeline[closed.timeline.length - 1];
    expect(last).toMatchObject({ action: 'redirect-other-track', from: 'awaiting_info', to: 'closed', reason: REASON });
    expect(last.data).toMatchObject({ closedAs: 'other_track', whereToGo: WHERE });
    // The pause ends with the case, and the citizen's channel is told (the event is fanned out).
    expect(await engine.query(`SELECT 1 FROM case_pauses WHERE case_id = $1 AND ended_at IS NULL`, [waiting.id])).toHaveLength(0);
    await waitFor(
      () => engine.query(`SELECT 1 FROM case_event_fanouts WHERE event_id = $1`, [last.id]),
      (r) => r.length === 1,
      { what: 'the fan-out of the redirect event' },
    );

    const status = await engine.http().get(`/v1/feedback/${waiting.trackingCode}`).set(KEY);
    expect(status.body).toMatchObject({ status: 'closed', answer: null, dueAt: null, otherTrack: { whereToGo: WHERE } });
    // The channel is told what the unit asked and where to turn, with the event: it need not come back to read them.
    const heard = async (action: string) =>
      (
        await waitFor(
          async () =>
            rx.calls
              .filter((c) => c.path === '/ihanoi' && c.verifiedWith !== null)
              .map((c) => JSON.parse(c.body) as Record<string, unknown>)
              .filter((b) => b.trackingCode === waiting.trackingCode && b.action === action),
          (found) => found.length === 1,
          { what: `the channel told of ${action}` },
        )
      )[0];
    expect(await heard('request-info')).toMatchObject({ status: 'awaiting_info', infoRequest: { message: 'Đề nghị ông/bà gửi bản chụp quyết định xử phạt.' } });
    expect(await heard('redirect-other-track')).toMatchObject({ status: 'closed', infoRequest: null, otherTrack: { whereToGo: WHERE } });
    expect(rx.calls.filter((c) => c.path === '/ihanoi').flatMap((c) => apiContract(engine.api).webhookProblems(c))).toEqual([]);
    // Open311's notes say where to turn too.
    const [request] = (await engine.http().get(`/open311/v2/requests/${waiting.trackingCode}.json`).expect(200)).body as { status_notes: string }[];
    expect(request.status_notes).toBe(`closed: ${WHERE}`);

    // Where to go names an office's telephone and e-mail: the citizen can read them; their own phone and name stay masked.
    const office = await newCase();
    await step('bk.handler2', office.id, 'acknowledge', { severity: 'normal' });
    const OFFICE_WHERE = `Bà ${CITIZEN.name} gửi đơn tới Ban Tiếp công dân quận, số 1 Lê Đại Hành, ĐT (024) 3978 4123, email tiepdan@hbt.gov.vn (không phải số ${CITIZEN.phone}).`;
    await step('bk.leader2', office.id, 'redirect-other-track', { reason: REASON, whereToGo: OFFICE_WHERE });
    const told = (await engine.http().get(`/v1/feedback/${office.trackingCode}`).set(KEY)).body as ApiSchema<'FeedbackStatusDto'>;
    expect(told.otherTrack?.whereToGo).toBe(
      'Bà Lê T. T. T. gửi đơn tới Ban Tiếp công dân quận, số 1 Lê Đại Hành, ĐT (024) 3978 4123, email tiepdan@hbt.gov.vn (không phải số 09******77).',
    );

    // Closed is final: no second redirect, no rating.
    expect((await act('bk.leader2', waiting.id, 'redirect-other-track', { expectedVersion: closed.version, reason: REASON, whereToGo: WHERE })).status).toBe(
      409,
    );
    expect((await engine.http().post(`/v1/feedback/${waiting.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(409);

    // A supervisor may do it from triage; a resolved case (answered) can no longer be redirected.
    const triaged = await newCase();
    await step('bk.handler2', triaged.id, 'return', { reason: 'Không thuộc thẩm quyền của phường' });
    expect(await step('vp.supervisor2', triaged.id, 'redirect-other-track', { reason: REASON, whereToGo: WHERE })).toMatchObject({
      status: 'closed',
      closedAs: 'other_track',
    });
    const answered = await newCase();
    await step('bk.handler2', answered.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler2', answered.id, 'resolve', { answer: ANSWER });
    const late = await act('bk.leader2', answered.id, 'redirect-other-track', {
      expectedVersion: await version(answered.id),
      reason: REASON,
      whereToGo: WHERE,
    });
    expect(late.status).toBe(409);
    expect(errorOf(late).message).toMatch(/state 'resolved'/);
  });

  it("shows the citizen's contact only to a handler of the case's unit", async () => {
    const { id } = await newCase();
    expect(((await get('bk.handler2', id)).body as ApiSchema<'CaseDetailDto'>).citizen).toEqual({ ...CITIZEN, masked: false });
    for (const who of ['bk.leader2', 'vp.supervisor2', 'nv.auditor2']) {
      const body = (await get(who, id)).body as ApiSchema<'CaseDetailDto'>;
      expect(body.citizen.masked).toBe(true);
      const text = JSON.stringify(body);
      for (const secret of Object.values(CITIZEN)) expect(text).not.toContain(secret);
    }
    const list = JSON.stringify((await engine.http().get('/v1/cases').set(bearer('bk.handler2'))).body);
    for (const secret of Object.values(CITIZEN)) expect(list).not.toContain(secret);
  });

  it('pages the queue by cursor, nearest deadline first, with limit at most 100', async () => {
    for (let i = 0; i < 3; i++) await newCase();
    const seen: string[] = [];
    let cursor: string | null = null;
    let dues: string[] = [];
    do {
      const res: { status: number; body: unknown } = await engine
        .http()
        .get(`/v1/cases?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer('vp.supervisor2'));
      expect(res.status).toBe(200);
      const page = res.body as ApiSchema<'CasePageDto'>;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.id));
      dues = dues.concat(page.items.map((c) => c.dueAt ?? '9999'));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const [{ n }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases`);
    expect(seen).toHaveLength(n);
    expect([...dues].sort()).toEqual(dues);
    expect((await engine.http().get('/v1/cases?limit=101').set(bearer('vp.supervisor2'))).status).toBe(400);
    expect((await engine.http().get('/v1/cases?cursor=garbage').set(bearer('vp.supervisor2'))).status).toBe(400);
    for (const forged of [
      ['1', '------------------------------------'],
      ['1', seen[0]],
      ['+275760-09-13T00:00:00.000Z', seen[0]],
    ]) {
      const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
      expect((await engine.http().get(`/v1/cases?cursor=${cursor}`).set(bearer('vp.supervisor2'))).status).toBe(400);
    }
    expect((await engine.http().get('/v1/cases?dueBefore=20260101T000000Z').set(bearer('vp.supervisor2'))).status).toBe(400);
    expect((await engine.http().get('/v1/cases?unit=%00').set(bearer('vp.supervisor2'))).status).toBe(400);
    // A mistyped unit is said to be one, not answered with an empty queue.
    const typo = await engine.http().get('/v1/cases?unit=P_BACH_KHAO').set(bearer('vp.supervisor2'));
    expect(typo.status).toBe(422);
    expect(errorOf(typo).errors).toEqual([{ field: 'unit', problems: ["unit 'P_BACH_KHAO' does not exist; GET /v1/units lists the units"] }]);
    expect((await engine.http().get('/v1/cases?unit=P_BACH_KHOA').set(bearer('vp.supervisor2'))).status).toBe(200);
    expect((await engine.http().get('/v1/cases?status=bogus').set(bearer('vp.supervisor2'))).status).toBe(400);
  });
});
