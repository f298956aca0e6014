import { Job, Queue } from 'bullmq';
import { jobIdFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import {
  Clock,
  EscalationLevel,
  FireEscalation,
  FireEscalationResult,
  ladderTimes,
  SlaReconciler,
  SlaReconcileResult,
  SlaService,
  slaTimerPayload,
  Stage,
} from '@fr/sla';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import { Maintenance } from '../apps/worker/src/maintenance.service';
import type { EscalationPageDto, NotificationDto } from '../apps/api/src/notifications/notification.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const CITIZEN = { name: 'Nguyễn Văn Bình', phone: '0987654321', email: 'binh.nguyen@example.vn' };
const DESCRIPTION = 'Quán nước chiếm hết vỉa hè số 5 Tạ Quang Bửu, xe máy dựng kín lối đi.';
const ANSWER = 'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu chủ quán thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';
const MINUTE = 60_000;
const DAY = 86_400_000;

interface Run {
  caseId: string;
  stage: Stage;
  stageStartedAt: Date;
  dueAt: Date;
  warnAt: Date | null;
}

describe('SLA clocks and the escalation ladder', () => {
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const as = (who: string) => bearer(tokens[who]);

  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    tokens.admin = admin;
    for (const [username, role, unitCode] of [
      ['bk.xuly', 'HANDLER', 'P_BACH_KHOA'],
      ['bk.lanhdao', 'LEADER', 'P_BACH_KHOA'],
      ['tn.lanhdao', 'LEADER', 'P_THANH_NHAN'],
      ['vp.giamsat', 'SUPERVISOR', 'VP'],
      ['nv.kiemtra', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      const o = await createOfficer(engine, admin, { username, role, unitCode });
      tokens[username] = o.token;
      ids[username] = o.id;
    }
    const res = await engine
      .http()
      .put('/v1/units/P_BACH_KHOA/designation')
      .set(bearer(admin))
      .send({ handlerId: ids['bk.xuly'], leaderId: ids['bk.lanhdao'] });
    expect(res.status).toBe(200);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => engine?.close());

  const worker = () => engine.worker!;
  const sla = () => worker().get(SlaService);
  const slaQueue = (): Queue => worker().get(QueueRegistry).get(QueueName.Sla);
  /** Moves the worker's clock (escalations are judged by it); BullMQ's delays stay in real time. */
  const setNow = (t: Date) => jest.spyOn(worker().get(Clock), 'now').mockReturnValue(t);
  /** One full reconcile pass (the worker's own boot-time pass may hold the lock for a moment). */
  const reconcile = (options: { full?: boolean } = {}) =>
    waitFor(
      () => worker().get(SlaReconciler).runOnce(options),
      (r): r is SlaReconcileResult => r !== null,
      {
        what: 'an SLA reconcile pass',
      },
    ) as Promise<SlaReconcileResult>;

  async function newCase() {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description: DESCRIPTION, location: { wardCode: 'BACH_KHOA' }, citizen: CITIZEN });
    expect(res.status).toBe(202);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [(res.body as FeedbackAcceptedDto).id]),
      (r) => r[0].status === 'assigned',
      { what: 'routing' },
    );
    return res.body as { id: string; trackingCode: string };
  }
  const step = (who: string, id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, as(who), id, action, body);
  async function runOf(caseId: string): Promise<Run> {
    const [c] = await engine.query<{ stage: Stage; stage_started_at: Date; due_at: Date; warn_at: Date | null }>(
      `SELECT stage, stage_started_at, due_at, warn_at FROM cases WHERE id = $1`,
      [caseId],
    );
    expect(c.due_at).not.toBeNull();
    return { caseId, stage: c.stage, stageStartedAt: new Date(c.stage_started_at), dueAt: new Date(c.due_at), warnAt: c.warn_at && new Date(c.warn_at) };
  }
  /** The timer job id of each level of a stage run, and when the level is due. */
  function timersOf(run: Run) {
    return Object.fromEntries(
      ladderTimes(sla().calendar, sla().policy.escalation, run).map(({ rung, fireAt }) => [
        rung.level,
        { jobId: jobIdFor(JobName.SlaTimer, slaTimerPayload(run, rung.level)), fireAt },
      ]),
    ) as Record<EscalationLevel, { jobId: string; fireAt: Date }>;
  }
  const stateOf = async (jobId: string) => (await (await slaQueue().getJob(jobId))?.getState()) ?? 'absent';
  const waitForTimer = (jobId: string) =>
    waitFor(
      () => stateOf(jobId),
      (s) => s === 'delayed',
      { what: `timer ${jobId}` },
    );
  /** The levels of a stage run whose timers wait in Redis: the ladder is chained, so at most the next one. */
  const delayedLevels = async (run: Run) => {
    const levels: string[] = [];
    for (const [level, t] of Object.entries(timersOf(run))) if ((await stateOf(t.jobId)) === 'delayed') levels.push(level);
    return levels.sort();
  };
  const outboxDrained = (caseId: string) =>
    waitFor(
      () => engine.query(`SELECT id FROM outbox WHERE payload->>'caseId' = $1`, [caseId]),
      (rows) => rows.length === 0,
      { what: 'the outbox to drain' },
    );
  /** Lets a delayed timer fire now and returns what it did. */
  async function fireTimer(jobId: string) {
    const job = (await slaQueue().getJob(jobId)) as Job;
    await job.promote();
    await waitFor(
      () => stateOf(jobId),
      (s) => s === 'completed',
      { what: `timer ${jobId} to run` },
    );
    // What the SLA timer processor returned, as BullMQ stored it.
    return (await slaQueue().getJob(jobId))!.returnvalue as FireEscalationResult;
  }
  const escalations = (caseId: string) =>
    engine.query<{ id: string; stage: string; level: string; resolved_at: Date | null }>(
      `SELECT id, stage, level, resolved_at FROM escalations WHERE case_id = $1 ORDER BY id`,
      [caseId],
    );
  const inbox = async (who: string, query = '') => {
    const res = await engine.http().get(`/v1/notifications${query}`).set(as(who));
    expect(res.status).toBe(200);
    return res.body as {
      items: { id: string; caseId: string; title: string; readAt: string | null; escalation: { level: string; stage: string } }[];
      unread: number;
    };
  };
  const levelsIn = async (who: string, caseId: string) =>
    (await inbox(who, '?limit=100')).items
      .filter((n) => n.caseId === caseId)
      .map((n) => `${n.escalation.stage}:${n.escalation.level}`)
      .sort();

  it('tells the unit leader once when a case breaches, however often its timer fires', async () => {
    const { id, trackingCode } = await newCase();
    const run = await runOf(id);
    expect(run.stage).toBe('receive');
    const timers = timersOf(run);
    // Routing scheduled the run's next timer only (warn), in its own transaction, carrying ids and times
    // only (and the id of the intake request whose routing set it); each firing chains the next level.
    await waitForTimer(timers.warn.jobId);
    expect(await delayedLevels(run)).toEqual(['warn']);
    const { requestId, ...timer } = (await slaQueue().getJob(timers.warn.jobId))!.data as Record<string, unknown>;
    expect(timer).toEqual({ caseId: id, stage: 'receive', level: 'warn', stageStartedAt: run.stageStartedAt.getTime(), dueAt: run.dueAt.getTime() });
    if (requestId !== undefined) expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    setNow(new Date(run.dueAt.getTime() + MINUTE));
    expect(await fireTimer(timers.warn.jobId)).toMatchObject({ outcome: 'fired', recipients: 1 });
    await waitForTimer(timers['1'].jobId);
    expect(await fireTimer(timers['1'].jobId)).toMatchObject({ outcome: 'fired', recipients: 2 });
    // Level 1's firing wrote level 2's timer in its transaction; nothing else waits for this run.
    await waitForTimer(timers['2'].jobId);
    expect(await delayedLevels(run)).toEqual(['2']);
    // A timer woken before its level is due (a long timer is capped by the outbox) goes back to sleep.
    await (await slaQueue().getJob(timers['2'].jobId))!.promote();
    await waitFor(
      () => stateOf(timers['2'].jobId),
      (s) => s === 'delayed',
      { what: 'the early timer to sleep again' },
    );
    const level2 = (await slaQueue().getJob(timers['2'].jobId))!.timestamp;
    // The same level again, from a duplicate timer and from two reconcile passes: nothing new, and
    // level 2's timer is the same job (the duplicate's next timer has its job id).
    expect(
      await worker()
        .get(FireEscalation)
        .execute({ ...run, level: '1' }),
    ).toEqual({ outcome: 'duplicate' });
    await reconcile();
    await reconcile();
    await outboxDrained(id);
    expect(await delayedLevels(run)).toEqual(['2']);
    expect((await slaQueue().getJob(timers['2'].jobId))!.timestamp).toBe(level2);

    expect((await escalations(id)).map((e) => e.level).sort()).toEqual(['1', 'warn']);
    expect(await levelsIn('bk.lanhdao', id)).toEqual(['receive:1']);
    expect(await levelsIn('bk.xuly', id)).toEqual(['receive:1', 'receive:warn']);
    expect(await levelsIn('vp.giamsat', id)).toEqual([]);
    // Each escalation wrote its audit event in the transaction that recorded it.
    const audit = await engine.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE case_id = $1 AND action = 'escalate' ORDER BY id`,
      [id],
    );
    expect(audit).toHaveLength(2);
    expect(audit.map((a) => a.data)).toEqual([
      expect.objectContaining({ stage: 'receive', level: 'warn' }),
      expect.objectContaining({ stage: 'receive', level: '1' }),
    ]);
    // Each escalation links to its own event on the chain.
    const links = await engine.query<{ id: string; event_escalation: string }>(
      `SELECT e.id::text AS id, a.data->>'escalationId' AS event_escalation FROM escalations e JOIN audit_events a ON a.id = e.audit_event_id WHERE e.case_id = $1`,
      [id],
    );
    expect(links).toHaveLength(2);
    for (const l of links) expect(l.event_escalation).toBe(l.id);

    // The leader's inbox: one unread notification naming the case, without the citizen's data.
    const unread = await inbox('bk.lanhdao', '?unread=true');
    expect(unread.unread).toBe(1);
    expect(unread.items).toHaveLength(1);
    const [n] = unread.items;
    expect(n).toMatchObject({ caseId: id, readAt: null, escalation: { stage: 'receive', level: '1' } });
    expect(n.title).toContain(trackingCode);
    const text = JSON.stringify(unread);
    for (const secret of [...Object.values(CITIZEN), DESCRIPTION]) expect(text).not.toContain(secret);

    expect((await engine.http().post(`/v1/notifications/${n.id}/read`).set(as('bk.xuly'))).status).toBe(404);
    expect((await engine.http().post(`/v1/notifications/not-a-number/read`).set(as('bk.lanhdao'))).status).toBe(404);
    const read = await engine.http().post(`/v1/notifications/${n.id}/read`).set(as('bk.lanhdao'));
    expect(read.status).toBe(200);
    const { readAt } = read.body as NotificationDto;
    expect(readAt).toEqual(expect.any(String));
    const again = await engine.http().post(`/v1/notifications/${n.id}/read`).set(as('bk.lanhdao'));
    expect((again.body as NotificationDto).readAt).toBe(readAt);
    expect(await inbox('bk.lanhdao', '?unread=true')).toMatchObject({ items: [], unread: 0 });
    expect((await inbox('bk.lanhdao')).items).toHaveLength(1);

    // Escalations: a leader sees their own unit's, supervisors and auditors everyone's; handlers and admins none.
    const list = async (who: string, query: string) => engine.http().get(`/v1/escalations${query}`).set(as(who));
    const mine = await list('bk.lanhdao', '?level=1&open=true');
    expect(mine.status).toBe(200);
    expect((mine.body as EscalationPageDto).items).toEqual([
      expect.objectContaining({
        caseId: id,
        trackingCode,
        stage: 'receive',
        level: '1',
        open: true,
        unit: expect.objectContaining({ code: 'P_BACH_KHOA' }) as unknown,
      }),
    ]);
    expect(((await list('tn.lanhdao', '?open=true')).body as EscalationPageDto).items).toEqual([]);
    for (const who of ['vp.giamsat', 'nv.kiemtra']) {
      expect(((await list(who, '?level=1')).body as EscalationPageDto).items.map((e) => e.caseId)).toContain(id);
    }
    expect((await list('bk.xuly', '')).status).toBe(403);
    expect((await list('admin', '')).status).toBe(403);
    expect((await list('vp.giamsat', '?level=4')).status).toBe(400);
    // A mistyped unit is named (422), as the cases' and notices' lists do, not answered as a unit with no escalations.
    expect(((await list('vp.giamsat', '?unit=P_BACH_KHOA')).body as EscalationPageDto).items.map((e) => e.caseId)).toContain(id);
    const typo = await list('vp.giamsat', '?unit=P_BACHKHOA');
    expect([typo.status, (typo.body as { message: string }).message]).toEqual([422, "unit 'P_BACHKHOA' does not exist; GET /v1/units lists the units"]);

    // Three working days past the deadline: the office, then Home Affairs, each told once.
    setNow(new Date(sla().calendar.add(run.dueAt, { days: 3 }).getTime() + MINUTE));
    expect((await reconcile()).fired).toBeGreaterThanOrEqual(2);
    await reconcile();
    expect((await escalations(id)).map((e) => e.level).sort()).toEqual(['1', '2', '3', 'warn']);
    expect(await levelsIn('vp.giamsat', id)).toEqual(['receive:2', 'receive:3']);
    expect(await levelsIn('nv.kiemtra', id)).toEqual(['receive:3']);
    expect(await levelsIn('bk.lanhdao', id)).toEqual(['receive:1']);

    // Acknowledging ends the receive stage: its escalations close.
    await step('bk.xuly', id, 'acknowledge', { severity: 'normal' });
    expect((await escalations(id)).every((e) => e.resolved_at !== null)).toBe(true);
    expect(((await list('vp.giamsat', '?open=true&limit=100')).body as EscalationPageDto).items.map((e) => e.caseId)).not.toContain(id);
    expect(((await list('vp.giamsat', '?open=false&limit=100')).body as EscalationPageDto).items.filter((e) => e.caseId === id)).toHaveLength(4);
  });

  it('fires nothing for a case resolved before its deadline: the timers arrive and do nothing', async () => {
    const { id } = await newCase();
    const receive = await runOf(id);
    await step('bk.xuly', id, 'acknowledge', { severity: 'urgent' });
    const resolve = await runOf(id);
    await waitForTimer(timersOf(receive).warn.jobId);
    await waitForTimer(timersOf(resolve).warn.jobId);
    await step('bk.xuly', id, 'resolve', { answer: ANSWER });

    setNow(new Date(sla().calendar.add(resolve.dueAt, { days: 5 }).getTime()));
    expect(await fireTimer(timersOf(receive).warn.jobId)).toMatchObject({ outcome: 'stale' });
    expect(await fireTimer(timersOf(resolve).warn.jobId)).toEqual({ outcome: 'stale', reason: 'the case is resolved' });
    // A stale timer chains nothing.
    expect(await delayedLevels(receive)).toEqual([]);
    expect(await delayedLevels(resolve)).toEqual([]);
    await reconcile();
    expect(await escalations(id)).toEqual([]);
    expect(await engine.query(`SELECT id FROM notifications WHERE case_id = $1`, [id])).toEqual([]);
  });

  it('holds the timers while the clock is paused and schedules new ones at the moved deadline', async () => {
    const { id, trackingCode } = await newCase();
    // Stored facts: the resolve clock started about five working days ago, so a pause can span working time.
    const calendar = sla().calendar;
    let back = Date.now();
    while (calendar.minutesBetween(new Date(back), new Date()) < 5 * calendar.dayMinutes) back -= DAY;
    const started = calendar.nextOpening(new Date(back));
    await engine.query(`UPDATE cases SET resolve_from = $2 WHERE id = $1`, [id, started]);
    await step('bk.xuly', id, 'acknowledge', { severity: 'complex' });
    const before = await runOf(id);
    expect(before.stageStartedAt.getTime()).toBe(started.getTime());
    await waitForTimer(timersOf(before).warn.jobId);

    await step('bk.xuly', id, 'request-info', { message: 'Đề nghị gửi ảnh hiện trường.' });
    setNow(new Date(calendar.add(before.dueAt, { days: 5 }).getTime()));
    for (const level of ['warn', '1', '2', '3'] as const) {
      expect(
        await worker()
          .get(FireEscalation)
          .execute({ ...before, level }),
      ).toEqual({ outcome: 'stale', reason: 'the clock is paused' });
    }
    jest.restoreAllMocks();

    // The pause began one working hour into the stage; the citizen answers now.
    await engine.query(`UPDATE case_pauses SET started_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [id, calendar.addMinutes(started, 60)]);
    const reply = await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(KEY).send({ message: 'Ảnh hiện trường gửi kèm.' });
    expect(reply.status).toBe(200);
    const after = await runOf(id);
    expect(after.stageStartedAt.getTime()).toBe(before.stageStartedAt.getTime());
    expect(after.dueAt.getTime()).toBeGreaterThan(before.dueAt.getTime());

    const oldTimers = timersOf(before);
    const newTimers = timersOf(after);
    await waitForTimer(newTimers.warn.jobId);
    for (const level of ['warn', '1', '2', '3'] as const) {
      expect(newTimers[level].jobId).not.toBe(oldTimers[level].jobId);
      expect(newTimers[level].fireAt.getTime()).toBeGreaterThan(oldTimers[level].fireAt.getTime());
    }
    // An old timer that still arrives finds the deadline moved; the reconciler removes the one still waiting.
    setNow(new Date(oldTimers['1'].fireAt.getTime() + MINUTE));
    expect(
      await worker()
        .get(FireEscalation)
        .execute({ ...before, level: '1' }),
    ).toEqual({ outcome: 'stale', reason: 'the deadline has moved' });
    jest.restoreAllMocks();
    expect(await stateOf(oldTimers.warn.jobId)).toBe('delayed');
    expect((await reconcile({ full: true })).pruned).toBeGreaterThanOrEqual(1);
    expect(await delayedLevels(before)).toEqual([]);
    expect(await delayedLevels(after)).toEqual(['warn']);
    expect(await escalations(id)).toEqual([]);

    setNow(new Date(newTimers['1'].fireAt.getTime()));
    expect(await fireTimer(newTimers.warn.jobId)).toMatchObject({ outcome: 'fired' });
    await waitForTimer(newTimers['1'].jobId);
    expect(await fireTimer(newTimers['1'].jobId)).toMatchObject({ outcome: 'fired' });
    expect(await levelsIn('bk.lanhdao', id)).toEqual(['resolve:1']);
  });

  it('a case past its deadline that waits on the citizen resumes as far past it: the later levels wait as long as it did', async () => {
    const { id, trackingCode } = await newCase();
    // Stored facts: the resolve clock started long enough ago that its deadline has passed.
    const calendar = sla().calendar;
    let back = Date.now();
    while (calendar.minutesBetween(new Date(back), new Date()) < 40 * calendar.dayMinutes) back -= DAY;
    await engine.query(`UPDATE cases SET resolve_from = $2 WHERE id = $1`, [id, calendar.nextOpening(new Date(back))]);
    await step('bk.xuly', id, 'acknowledge', { severity: 'normal' });
    const before = await runOf(id);
    expect(before.dueAt.getTime()).toBeLessThan(Date.now());

    // It began to wait one working hour past the deadline, and the citizen answers now, days later.
    await step('bk.xuly', id, 'request-info', { message: 'Đề nghị gửi ảnh hiện trường.' });
    await engine.query(`UPDATE case_pauses SET started_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [id, calendar.addMinutes(before.dueAt, 60)]);
    const reply = await engine.http().post(`/v1/feedback/${trackingCode}/info`).set(KEY).send({ message: 'Ảnh hiện trường gửi kèm.' });
    expect(reply.status).toBe(200);
    const after = await runOf(id);
    // As far past the deadline as when it paused: one working hour (the clock runs on while the test does).
    const past = calendar.minutesBetween(after.dueAt, new Date());
    expect(past).toBeGreaterThanOrEqual(60);
    expect(past).toBeLessThan(65);
    // Level 2 (a working day past the deadline) is hours away, not due the moment the case resumed.
    expect(timersOf(after)['2'].fireAt.getTime()).toBeGreaterThan(Date.now() + 60 * MINUTE);
    expect(timersOf(before)['2'].fireAt.getTime()).toBeLessThan(Date.now());
  });

  it('warns of no resolve deadline already past when the stage begins: an acknowledgement that late starts at level 1', async () => {
    const { id } = await newCase();
    const calendar = sla().calendar;
    let back = Date.now();
    while (calendar.minutesBetween(new Date(back), new Date()) < 40 * calendar.dayMinutes) back -= DAY;
    await engine.query(`UPDATE cases SET resolve_from = $2 WHERE id = $1`, [id, calendar.nextOpening(new Date(back))]);
    await step('bk.xuly', id, 'acknowledge', { severity: 'normal' });
    const run = await runOf(id);
    expect(run.dueAt.getTime()).toBeLessThan(Date.now());
    expect(run.warnAt).toBeNull();
    // Every level past the deadline fires, one after the other; "75% of the time used" is not said of a case already late.
    const levels = await waitFor(
      () => escalations(id),
      (rows) => rows.filter((e) => e.stage === 'resolve').length >= 3,
      { what: 'the resolve levels' },
    );
    expect(levels.filter((e) => e.stage === 'resolve').map((e) => e.level)).toEqual(['1', '2', '3']);
    expect(await levelsIn('bk.xuly', id)).not.toContain('resolve:warn');
    // A sweep finds nothing left to fire for it.
    await reconcile({ full: true });
    expect((await escalations(id)).filter((e) => e.stage === 'resolve').map((e) => e.level)).toEqual(['1', '2', '3']);
  });

  it('fires a burst of breaches in one batch, judging each timer by itself and telling each person once', async () => {
    const [a, b, c, d] = [await newCase(), await newCase(), await newCase(), await newCase()];
    const runs = { a: await runOf(a.id), b: await runOf(b.id), c: await runOf(c.id), d: await runOf(d.id) };
    await step('bk.xuly', d.id, 'acknowledge', { severity: 'normal' }); // d's receive run is over
    const latest = Math.max(...Object.values(runs).map((r) => r.dueAt.getTime()));
    setNow(new Date(latest + MINUTE));
    const results = await worker()
      .get(FireEscalation)
      .executeMany([
        { ...runs.a, level: '1' },
        { ...runs.b, level: 'warn' },
        { ...runs.a, level: '1' }, // the same level twice in one batch
        { ...runs.b, level: '1' },
        { ...runs.c, level: '2' }, // a working day after the deadline: not yet
        { ...runs.c, level: '1', dueAt: new Date(runs.c.dueAt.getTime() - MINUTE) }, // a deadline that has moved since
        { ...runs.d, level: '1' },
        { ...runs.c, level: '9' as EscalationLevel },
      ]);
    expect(results.map((r) => r.outcome)).toEqual(['fired', 'fired', 'duplicate', 'fired', 'early', 'stale', 'stale', 'unknown-level']);
    expect(results[0]).toMatchObject({ recipients: 2 });
    expect(results[1]).toMatchObject({ recipients: 1 });
    expect(results[5]).toEqual({ outcome: 'stale', reason: 'the deadline has moved' });
    expect(results[6]).toEqual({ outcome: 'stale', reason: 'the stage run has changed' });

    // Firing the same batch again records nothing new.
    const again = await worker()
      .get(FireEscalation)
      .executeMany([
        { ...runs.a, level: '1' },
        { ...runs.b, level: 'warn' },
        { ...runs.b, level: '1' },
      ]);
    expect(again.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect((await escalations(a.id)).map((e) => e.level)).toEqual(['1']);
    expect((await escalations(b.id)).map((e) => e.level).sort()).toEqual(['1', 'warn']);
    expect(await escalations(c.id)).toEqual([]);
    expect(await escalations(d.id)).toEqual([]);
    expect(await levelsIn('bk.lanhdao', a.id)).toEqual(['receive:1']);
    expect(await levelsIn('bk.xuly', a.id)).toEqual(['receive:1']);
    expect(await levelsIn('bk.lanhdao', b.id)).toEqual(['receive:1']);
    expect(await levelsIn('bk.xuly', b.id)).toEqual(['receive:1', 'receive:warn']);
    // Each notification names its own case.
    const titles = (await inbox('bk.lanhdao', '?limit=100')).items.filter((n) => n.caseId === a.id || n.caseId === b.id);
    for (const n of titles) expect(n.title).toContain(n.caseId === a.id ? a.trackingCode : b.trackingCode);
  });

  it('fires timers that fall due together through the queue, each once', async () => {
    const cases = [await newCase(), await newCase(), await newCase(), await newCase(), await newCase()];
    const runs = await Promise.all(cases.map((c) => runOf(c.id)));
    setNow(new Date(Math.max(...runs.map((r) => r.dueAt.getTime())) + MINUTE));
    // The warn timers of the five cases fall due at the same moment, then the level-1 timers their firings wrote.
    for (const level of ['warn', '1'] as const) {
      const jobIds = runs.map((r) => timersOf(r)[level].jobId);
      await Promise.all(jobIds.map(waitForTimer));
      await Promise.all(jobIds.map(async (jobId) => (await slaQueue().getJob(jobId))!.promote()));
      await Promise.all(
        jobIds.map((jobId) =>
          waitFor(
            () => stateOf(jobId),
            (s) => s === 'completed',
            { what: `timer ${jobId} to run` },
          ),
        ),
      );
      const outcomes = await Promise.all(jobIds.map(async (jobId) => ((await slaQueue().getJob(jobId))!.returnvalue as FireEscalationResult).outcome));
      expect(outcomes).toEqual(jobIds.map(() => 'fired'));
    }
    for (const c of cases) {
      expect((await escalations(c.id)).map((e) => e.level).sort()).toEqual(['1', 'warn']);
      expect(await levelsIn('bk.lanhdao', c.id)).toEqual(['receive:1']);
      expect(await levelsIn('bk.xuly', c.id)).toEqual(['receive:1', 'receive:warn']);
    }
    // On the trail with the firing, each escalation linked to its own event.
    const links = await engine.query<{ id: string; event_escalation: string | null }>(
      `SELECT e.id::text AS id, a.data->>'escalationId' AS event_escalation
         FROM escalations e LEFT JOIN audit_events a ON a.id = e.audit_event_id WHERE e.case_id = ANY($1::uuid[])`,
      [cases.map((c) => c.id)],
    );
    expect(links).toHaveLength(10);
    for (const l of links) expect(l.event_escalation).toBe(l.id);
  });

  it('fires a level whose timer was lost in the cheap sweep, without a full pass', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    await waitForTimer(timersOf(run).warn.jobId);
    await reconcile({ full: true }); // leaves the marker: Redis has not been wiped since
    // The chain's one link vanishes (removed by hand, or failed for good while PostgreSQL was away).
    await (await slaQueue().getJob(timersOf(run).warn.jobId))!.remove();
    setNow(new Date(timersOf(run)['1'].fireAt.getTime() + MINUTE));
    const r = await reconcile();
    expect(r).toMatchObject({ full: false, scheduled: 0 });
    expect(r.fired).toBeGreaterThanOrEqual(2); // warn and 1 (other tests' cases may be due too)
    expect((await escalations(id)).map((e) => e.level).sort()).toEqual(['1', 'warn']);
    expect(await levelsIn('bk.lanhdao', id)).toEqual(['receive:1']);
    // The sweep's firing put the chain back: level 2's timer waits.
    await waitForTimer(timersOf(run)['2'].jobId);
    expect(await delayedLevels(run)).toEqual(['2']);
    expect(await reconcile()).toMatchObject({ full: false, fired: 0 });
  });

  it('leaves a due level to its timer while the timer is still queued, and fires it once the timer looks stuck', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    const warn = timersOf(run).warn;
    await waitForTimer(warn.jobId);
    await reconcile({ full: true }); // leaves the marker: the next passes are due sweeps
    // Due a minute ago by the clock, its job still in Redis (as behind a backlog of breaches): not fired
    // here, or the job would run again as a duplicate.
    setNow(new Date(warn.fireAt.getTime() + MINUTE));
    const left = await reconcile();
    expect(left).toMatchObject({ full: false });
    expect(left.queued).toBeGreaterThanOrEqual(1);
    expect(await escalations(id)).toEqual([]);
    expect(await stateOf(warn.jobId)).toBe('delayed');
    // Unfinished for more than five minutes past its time: taken as stuck, and fired by the sweep.
    setNow(new Date(warn.fireAt.getTime() + 6 * MINUTE));
    const fired = await reconcile();
    expect(fired.fired).toBeGreaterThanOrEqual(1);
    expect((await escalations(id)).map((e) => e.level)).toEqual(['warn']);
  });

  it('while timers wait behind others, runs the due sweep once per five minutes', async () => {
    await reconcile({ full: true }); // the marker is in place: the next passes are due sweeps
    expect(await reconcile()).toMatchObject({ full: false });
    expect((await reconcile()).deferred).toBeUndefined(); // nothing waits: every pass sweeps
    // A timer that fell due a minute ago still waits for a worker (the queue is held, as behind a burst).
    await slaQueue().pause();
    const waiting = await slaQueue().add(JobName.SlaTimer, { caseId: '00000000-0000-0000-0000-000000000000' }, { timestamp: Date.now() - MINUTE });
    try {
      expect(await reconcile()).toMatchObject({ full: false, fired: 0, deferred: true });
    } finally {
      await waiting.remove();
      await slaQueue().resume();
    }
    expect((await reconcile()).deferred).toBeUndefined();
  });

  it('notices a wipe that goes on while a full pass runs, and runs the pass again', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    await waitForTimer(timersOf(run).warn.jobId);
    const marker = `${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`;
    // A wipe deletes keys one by one: it took the marker first (so the next pass is a full one) and
    // takes the timers only after the pass has read them as present.
    await engine.redis.del(marker);
    const queue = slaQueue();
    const getRanges = queue.getRanges.bind(queue);
    let wiped = false;
    jest.spyOn(queue, 'getRanges').mockImplementation(async (...args: Parameters<Queue['getRanges']>) => {
      const ids = await getRanges(...args);
      if (!wiped) {
        wiped = true;
        const keys = (await engine.queueKeys()).filter((k) => k.includes(`:${QueueName.Sla}:`) && k !== marker);
        if (keys.length) await engine.redis.del(...keys);
      }
      return ids;
    });

    const r = await reconcile();
    expect(r.full).toBe(true);
    expect(wiped).toBe(true);
    expect(await delayedLevels(run)).toEqual(['warn']);
    expect(await engine.redis.get(marker)).not.toBeNull();
  });

  it('counts a full pass as done only when it has finished: one killed midway leaves a pending marker, and the next pass is full', async () => {
    const { id } = await newCase();
    await waitForTimer(timersOf(await runOf(id)).warn.jobId);
    const marker = `${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`;
    await engine.redis.del(marker);
    const queue = slaQueue();
    const getRanges = queue.getRanges.bind(queue);
    let during: string | null = null;
    jest.spyOn(queue, 'getRanges').mockImplementation(async (...args: Parameters<Queue['getRanges']>) => {
      during ??= await engine.redis.get(marker);
      return getRanges(...args);
    });
    expect((await reconcile()).full).toBe(true);
    jest.restoreAllMocks();
    // While it ran the marker said pending; finished, it holds the time.
    expect(during).toMatch(/^pending:\d+$/);
    expect(await engine.redis.get(marker)).toMatch(/^\d+$/);
    expect((await reconcile()).full).toBe(false);
    // What a worker killed in the middle of a pass leaves: the next pass is a full one, not in an hour.
    await engine.redis.set(marker, `pending:${Date.now()}`);
    expect((await reconcile()).full).toBe(true);
    expect(await engine.redis.get(marker)).toMatch(/^\d+$/);
  });

  it('leaves a failed marker when a full pass fails, so the next pass is full and no watch takes Redis for wiped', async () => {
    const sut = worker().get(SlaReconciler);
    jest.spyOn(sut as unknown as { sweepAll(): Promise<unknown> }, 'sweepAll').mockRejectedValueOnce(new Error('sweep failed (test)'));
    await expect(sut.runOnce({ full: true })).rejects.toThrow('sweep failed (test)');
    expect(await engine.redis.get(`${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`)).toMatch(/^failed:\d+$/);
    expect(await sut.markerLost()).toBe(false);
    expect((await reconcile()).full).toBe(true);
  });

  it('stops a full pass midway when the worker stops: it removes no timer of a run it did not read, and leaves the marker pending for the next pass', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    const warn = timersOf(run).warn.jobId;
    await waitForTimer(warn);
    const marker = `${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`;
    // The stop comes once the pass has read the delayed timers, before it has read any open run.
    const stopping = new AbortController();
    const queue = slaQueue();
    const getRanges = queue.getRanges.bind(queue);
    jest.spyOn(queue, 'getRanges').mockImplementation(async (...args: Parameters<Queue['getRanges']>) => {
      const ids = await getRanges(...args);
      stopping.abort();
      return ids;
    });
    const stopped = (await waitFor(
      () => worker().get(SlaReconciler).runOnce({ full: true, signal: stopping.signal }),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'a full pass' },
    )) as SlaReconcileResult;
    jest.restoreAllMocks();
    expect(stopped).toMatchObject({ full: true, pruned: 0, stopped: true });
    // Pruned by a list of wanted timers that lacked every run not read, the case's timer was gone.
    expect(await stateOf(warn)).toBe('delayed');
    expect(await engine.redis.get(marker)).toMatch(/^pending:\d+$/);
    expect((await reconcile()).full).toBe(true);
    expect(await engine.redis.get(marker)).toMatch(/^\d+$/);
    expect(await stateOf(warn)).toBe('delayed');
  });

  it('takes a Redis gone back to an older state (an old snapshot, a replica behind) for a lost one: its marker is older, the next pass is full', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    const warn = timersOf(run).warn.jobId;
    await waitForTimer(warn);
    const sut = worker().get(SlaReconciler);
    expect((await reconcile({ full: true })).full).toBe(true);
    expect(await sut.markerLost()).toBe(false);
    // Restored from a snapshot taken before the last full pass: an older marker, and no timer added since.
    const marker = `${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`;
    const finishedAt = Number(await engine.redis.get(marker));
    await engine.redis.set(marker, String(finishedAt - 120_000));
    await (await slaQueue().getJob(warn))!.remove();
    expect(await stateOf(warn)).toBe('absent');

    expect(await sut.markerLost()).toBe(true);
    const r = await reconcile();
    expect(r.full).toBe(true);
    expect(await delayedLevels(run)).toEqual(['warn']);
    expect(await sut.markerLost()).toBe(false);
    expect((await reconcile()).full).toBe(false);

    // Restored from a snapshot taken after the last full pass: the marker is the current one, but the
    // watch's counter went back, and a timer added since is gone.
    await (await slaQueue().getJob(warn))!.remove();
    await engine.redis.set(`${engine.config.queuePrefix}:${QueueName.Sla}:watch-count`, '1');
    expect(await sut.markerLost()).toBe(true);
    const again = await reconcile();
    expect(again.full).toBe(true);
    expect(await delayedLevels(run)).toEqual(['warn']);
    expect(await sut.markerLost()).toBe(false);
  });

  it('sweeps as soon as a running worker sees Redis wiped, not at the next period (FR_REDIS_WATCH_MS)', async () => {
    const { id } = await newCase();
    const run = await runOf(id);
    await waitForTimer(timersOf(run).warn.jobId);
    await reconcile({ full: true });
    // A worker that looks every 100 ms; its sweeps' own period is an hour here.
    await engine.stopWorker();
    const sweeps: Promise<void>[] = [];
    const runOnce = Maintenance.prototype.runOnce;
    jest.spyOn(Maintenance.prototype, 'runOnce').mockImplementation(function (this: Maintenance, ...args: Parameters<Maintenance['runOnce']>) {
      const sweep = runOnce.apply(this, args);
      sweeps.push(sweep);
      return sweep;
    });
    const config = engine.config as { redisWatchMs: number };
    config.redisWatchMs = 100;
    try {
      await engine.startWorker();
    } finally {
      config.redisWatchMs = 0;
    }
    // Its sweep at start is done before the wipe, so only a sweep brought forward can bring the timer back.
    await waitFor(
      async () => sweeps.length,
      (n) => n === 1,
      { what: "the worker's sweep at start" },
    );
    await sweeps[0];
    await engine.flushQueues();
    await waitFor(
      () => delayedLevels(run),
      (levels) => levels.join() === 'warn',
      { what: 'the warn timer put back after the wipe' },
    );
    // The timer is back while the sweep that put it there may still be walking the other runs.
    expect(sweeps).toHaveLength(2);
    await sweeps[1];
    expect(await engine.redis.get(`${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`)).toMatch(/^\d+$/);
    await engine.stopWorker();
    await engine.startWorker();
  });

  it('keeps a wipe seen while a sweep runs, and sweeps again at once as after a wipe', async () => {
    await reconcile({ full: true });
    await engine.stopWorker();
    const calls: { afterWipe: boolean }[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const runOnce = Maintenance.prototype.runOnce;
    jest.spyOn(Maintenance.prototype, 'runOnce').mockImplementation(async function (this: Maintenance, ...args: Parameters<Maintenance['runOnce']>) {
      calls.push({ afterWipe: args[0]?.afterWipe ?? false });
      // The sweep at start is held until the wipe has been seen, as a long sweep would be.
      if (calls.length === 1) await held;
      return runOnce.apply(this, args);
    });
    const config = engine.config as { redisWatchMs: number };
    config.redisWatchMs = 50;
    try {
      await engine.startWorker();
      await waitFor(
        async () => calls.length,
        (n) => n === 1,
        { what: "the worker's sweep at start" },
      );
      await engine.flushQueues();
      // The watch sees the marker gone while the sweep runs: it cannot bring one forward, it keeps the wipe.
      await waitFor(
        async () => (worker().get(Maintenance) as unknown as { wipeSeen: boolean }).wipeSeen,
        (seen) => seen,
        { what: 'the watch to see the wipe' },
      );
      release();
      await waitFor(
        async () => calls.length,
        (n) => n >= 2,
        { what: 'the sweep after the held one' },
      );
      expect(calls[0]).toEqual({ afterWipe: false });
      expect(calls[1]).toEqual({ afterWipe: true });
    } finally {
      release();
      config.redisWatchMs = 0;
      jest.restoreAllMocks();
      await engine.stopWorker();
      await engine.startWorker();
    }
  });

  it("after a wipe, puts back every open run's future timer before it fires any overdue level", async () => {
    const overdue = await newCase();
    const onTime = await newCase();
    await engine.query(`UPDATE cases SET due_at = $2, warn_at = $3 WHERE id = $1`, [
      overdue.id,
      new Date(Date.now() - 10 * DAY),
      new Date(Date.now() - 11 * DAY),
    ]);
    const onTimeWarn = timersOf(await runOf(onTime.id)).warn.jobId;
    await waitForTimer(onTimeWarn);
    // Firing a district's overdue levels takes a while (transactions, notices, webhooks); a timer not yet
    // put back meanwhile falls due unseen. The crash run measured levels 30-46 s late that way.
    const fire = worker().get(FireEscalation);
    const executeMany = fire.executeMany.bind(fire);
    let stateAtFirstFiring: string | undefined;
    jest.spyOn(fire, 'executeMany').mockImplementation(async (timers) => {
      if (stateAtFirstFiring === undefined && timers.some((t) => t.caseId === overdue.id)) stateAtFirstFiring = await stateOf(onTimeWarn);
      return executeMany(timers);
    });
    const keys = (await engine.queueKeys()).filter((k) => k.includes(`:${QueueName.Sla}:`));
    await engine.redis.del(...keys);
    expect(await stateOf(onTimeWarn)).toBe('absent');
    // Whichever runs the full pass (the worker's watch on the lost marker, or this call), it fires the overdue case.
    await waitFor(
      async () => (await reconcile(), await escalations(overdue.id)),
      (rows) => rows.length === 4,
      { what: 'the overdue levels fired after the wipe' },
    );
    expect(stateAtFirstFiring).toBe('delayed');
    expect(await stateOf(onTimeWarn)).toBe('delayed');
  });

  it("rebuilds each open run's next timer from PostgreSQL after Redis loses them all, firing what fell due exactly once", async () => {
    const overdue = await newCase();
    const justDue = await newCase();
    const onTime = await newCase();
    const now = Date.now();
    // Stored facts: one case long past its deadline, one a minute past it, one still inside it.
    await engine.query(`UPDATE cases SET due_at = $2, warn_at = $3 WHERE id = $1`, [overdue.id, new Date(now - 10 * DAY), new Date(now - 11 * DAY)]);
    await engine.query(`UPDATE cases SET due_at = $2, warn_at = $3 WHERE id = $1`, [justDue.id, new Date(now - MINUTE), new Date(now - 60 * MINUTE)]);

    await engine.stopWorker();
    await engine.flushQueues();
    expect(await engine.queueKeys()).toEqual([]);
    await engine.startWorker();
    // Redis lost the marker of the last full pass with everything else: the next pass, the worker's own
    // at start or this one, is a full one and leaves the marker again.
    await reconcile();
    expect(await engine.redis.get(`${engine.config.queuePrefix}:${QueueName.Sla}:reconciled-at`)).not.toBeNull();

    const levels = async (id: string) => (await escalations(id)).map((e) => e.level).sort();
    expect(await levels(overdue.id)).toEqual(['1', '2', '3', 'warn']);
    expect(await levels(justDue.id)).toEqual(['1', 'warn']);
    expect(await levels(onTime.id)).toEqual([]);
    // Only each run's next level is re-added: the ladder is chained from there.
    expect(await delayedLevels(await runOf(overdue.id))).toEqual([]);
    expect(await delayedLevels(await runOf(justDue.id))).toEqual(['2']);
    expect(await delayedLevels(await runOf(onTime.id))).toEqual(['warn']);

    const notified = () =>
      engine.query<{ level: string; officer: string; n: number }>(
        `SELECT e.level, o.username AS officer, count(*)::int AS n FROM notifications n JOIN escalations e ON e.id = n.escalation_id
           JOIN officers o ON o.id = n.officer_id WHERE n.case_id = $1 AND o.username = ANY($2) GROUP BY 1, 2 ORDER BY 1, 2`,
        [overdue.id, ['bk.xuly', 'bk.lanhdao', 'vp.giamsat', 'nv.kiemtra']],
      );
    expect(await notified()).toEqual([
      { level: '1', officer: 'bk.lanhdao', n: 1 },
      { level: '1', officer: 'bk.xuly', n: 1 },
      { level: '2', officer: 'vp.giamsat', n: 1 },
      { level: '3', officer: 'nv.kiemtra', n: 1 },
      { level: '3', officer: 'vp.giamsat', n: 1 },
      { level: 'warn', officer: 'bk.xuly', n: 1 },
    ]);
    // The next passes (the cheap sweep of due levels, then a full one) find nothing to fire or add.
    expect(await reconcile()).toMatchObject({ full: false, fired: 0, scheduled: 0 });
    expect(await reconcile({ full: true })).toMatchObject({ full: true, fired: 0, scheduled: 0 });
    expect(await levels(overdue.id)).toEqual(['1', '2', '3', 'warn']);
    expect(await notified()).toHaveLength(6);
    await outboxDrained(justDue.id);
    expect(await delayedLevels(await runOf(justDue.id))).toEqual(['2']);
  });
});
