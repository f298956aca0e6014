import { AutoCloseResolved } from '@fr/cases';
import { OfficerRole } from '@fr/domain';
import { SlaReconciler, SlaReconcileResult } from '@fr/sla';
import { adminToken, ApiSchema, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ; ảnh sau xử lý đính kèm.';
/** Monday 2 March 2026, 08:00 in Hanoi: the office opens; a working day (Tết ended on 22/2). */
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';

/**
 * One ManualClock drives the API and the worker (TestEngine's `clock` option): receipt, deadlines,
 * the overdue filter, escalations, rating windows and auto-close all follow it, whatever the date
 * on the machine.
 */
describe('an engine on a controllable clock', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  const tokens: Record<string, string> = {};
  const bearer = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    const officers: [string, OfficerRole, string][] = [
      ['bk.handler.clock', 'HANDLER', 'P_BACH_KHOA'],
      ['bk.leader.clock', 'LEADER', 'P_BACH_KHOA'],
      ['vp.sup.clock', 'SUPERVISOR', 'VP'],
    ];
    for (const [username, role, unitCode] of officers) {
      tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  async function newCase(): Promise<{ id: string; trackingCode: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
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
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const step = async (who: string, id: string, action: string, body: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(who))
      .send({ expectedVersion: await version(id), ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as ApiSchema<'CaseDetailDto'>;
  };
  const overdueIds = async () =>
    ((await engine.http().get('/v1/cases?overdue=true').set(bearer('bk.handler.clock'))).body as ApiSchema<'CasePageDto'>).items.map((c) => c.id);

  it('receives and routes by the clock, and lists a case as overdue once the clock passes its deadline', async () => {
    clock.set(MONDAY_8AM);
    const { id } = await newCase();
    const [c] = await engine.query<{ received_at: Date; routed_at: Date; due_at: Date; started_at: Date }>(
      `SELECT c.received_at, c.routed_at, c.due_at, a.started_at FROM cases c JOIN assignments a ON a.case_id = c.id WHERE c.id = $1`,
      [id],
    );
    expect(c.received_at.toISOString()).toBe(new Date(MONDAY_8AM).toISOString());
    expect(c.routed_at.toISOString()).toBe(new Date(MONDAY_8AM).toISOString());
    expect(c.started_at.toISOString()).toBe(new Date(MONDAY_8AM).toISOString());
    // 8 working hours from 08:00: 08-12 and 13-17.
    expect(c.due_at.toISOString()).toBe(new Date('2026-03-02T17:00:00+07:00').toISOString());

    expect(await overdueIds()).not.toContain(id);
    clock.set('2026-03-02T17:30:00+07:00');
    expect(await overdueIds()).toContain(id);
    const item = (await engine.http().get(`/v1/cases/${id}`).set(bearer('bk.handler.clock'))).body as ApiSchema<'CaseDetailDto'>;
    expect(item).toMatchObject({ overdue: true, atRisk: false });

    // Every level due by the clock fires once, from its timer or from the sweep, whichever is first.
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce(),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'the SLA sweep' },
    );
    const fired = await waitFor(
      () => engine.query<{ level: string; fired_at: Date }>(`SELECT level, fired_at FROM escalations WHERE case_id = $1 ORDER BY level`, [id]),
      (rows) => rows.length === 2,
      { what: 'warn and level 1' },
    );
    expect(fired.map((e) => e.level)).toEqual(['1', 'warn']);
    for (const e of fired) expect(e.fired_at.toISOString()).toBe(new Date('2026-03-02T17:30:00+07:00').toISOString());
  });

  it('reopens on a low rating inside the window and auto-closes after it, by the clock', async () => {
    clock.set(MONDAY_8AM);
    const early = await newCase();
    const late = await newCase();
    for (const { id } of [early, late]) {
      await step('bk.handler.clock', id, 'acknowledge', { severity: 'normal' });
      await step('bk.handler.clock', id, 'resolve', { answer: ANSWER });
    }
    const [resolved] = await engine.query<{ resolved_at: Date }>(`SELECT resolved_at FROM cases WHERE id = $1`, [early.id]);
    expect(resolved.resolved_at.toISOString()).toBe(new Date(MONDAY_8AM).toISOString());

    clock.advance({ days: 6 });
    const rating = await engine.http().post(`/v1/feedback/${early.trackingCode}/rating`).set(KEY).send({ score: 1 });
    expect(rating.status).toBe(200);
    expect(rating.body).toMatchObject({ status: 'in_progress', rating: 1 });
    const sut = engine.worker!.get(AutoCloseResolved);
    expect(await sut.runOnce()).toBe(0);

    clock.advance({ days: 2 });
    expect(await sut.runOnce()).toBe(1);
    const [closed] = await engine.query<{ status: string; closed_at: Date }>(`SELECT status, closed_at FROM cases WHERE id = $1`, [late.id]);
    expect(closed.status).toBe('closed');
    expect(closed.closed_at.toISOString()).toBe(clock.now().toISOString());
  });

  it('takes a rating of the answer given after a low rating reopened the case, which closes it whatever its score', async () => {
    clock.set(MONDAY_8AM);
    const c = await newCase();
    await step('bk.handler.clock', c.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.clock', c.id, 'resolve', { answer: ANSWER });
    const rate = (score: number) => engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score });
    clock.advance({ hours: 2 });
    expect((await rate(1)).body).toMatchObject({ status: 'in_progress', rating: 1 });
    expect((await rate(5)).status).toBe(409);

    clock.advance({ hours: 2 });
    await step('bk.handler.clock', c.id, 'resolve', { answer: ANSWER });
    // The status view's rating is the score of the answer it shows: the new answer is not rated yet
    // (a channel that offers a rating while it is null hid the prompt behind the first answer's 1).
    expect((await engine.http().get(`/v1/feedback/${c.trackingCode}`).set(KEY)).body).toMatchObject({ status: 'resolved', rating: null });
    clock.advance({ hours: 2 });
    const second = await rate(2);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'closed', rating: 2 });
    expect((await rate(4)).status).toBe(409);
    const events = await engine.query<{ action: string; data: { score?: number } }>(
      `SELECT action, data FROM audit_events WHERE case_id = $1 AND action IN ('rate', 'reopen', 'close') ORDER BY id`,
      [c.id],
    );
    expect(events.map((e) => [e.action, e.data.score ?? null])).toEqual([
      ['rate', 1],
      ['reopen', null],
      ['rate', 2],
      ['close', null],
    ]);
  });
  it("keeps the citizen's say on an answer: the unit cannot close it while it may still be rated (409); the office can, and anyone once the window is over", async () => {
    clock.set(MONDAY_8AM);
    const [a, b] = [await newCase(), await newCase()];
    for (const { id } of [a, b]) {
      await step('bk.handler.clock', id, 'acknowledge', { severity: 'normal' });
      await step('bk.handler.clock', id, 'resolve', { answer: ANSWER });
    }
    clock.advance({ hours: 1 });
    const tryClose = async (who: string, id: string) =>
      engine
        .http()
        .post(`/v1/cases/${id}/close`)
        .set(bearer(who))
        .send({ expectedVersion: await version(id), reason: 'Đã trả lời công dân' });
    for (const who of ['bk.handler.clock', 'bk.leader.clock']) {
      const refused = await tryClose(who, a.id);
      expect(refused.status).toBe(409);
      expect((refused.body as { message: string }).message).toBe(
        `the citizen may rate this answer until ${new Date(new Date(MONDAY_8AM).getTime() + 7 * 86_400_000).toISOString()} (a low rating reopens the case): it closes by itself then, or with the rating; the office (SUPERVISOR) may close it sooner`,
      );
    }
    // A citizen who called the office to say the matter is settled: the office closes it.
    expect((await tryClose('vp.sup.clock', a.id)).status).toBe(200);
    // Past the window the citizen can no longer reopen it: the unit may close what the sweep has not yet.
    clock.advance({ days: 7 });
    expect((await tryClose('bk.handler.clock', b.id)).status).toBe(200);
    expect(await engine.query(`SELECT status FROM cases WHERE id = ANY($1::uuid[])`, [[a.id, b.id]])).toEqual([{ status: 'closed' }, { status: 'closed' }]);
  });
  it('refuses the unit closing the answer given after a low rating reopened the case, without promising the citizen another reopening', async () => {
    clock.set(MONDAY_8AM);
    const c = await newCase();
    await step('bk.handler.clock', c.id, 'acknowledge', { severity: 'normal' });
    await step('bk.handler.clock', c.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score: 1 })).status).toBe(200);
    clock.advance({ hours: 1 });
    await step('bk.handler.clock', c.id, 'resolve', { answer: ANSWER });
    const refused = await engine
      .http()
      .post(`/v1/cases/${c.id}/close`)
      .set(bearer('bk.handler.clock'))
      .send({ expectedVersion: await version(c.id), reason: 'Đã trả lời công dân' });
    expect(refused.status).toBe(409);
    // Its rating closes the case whatever the score (rate.ts): a low one reopens nothing now.
    expect((refused.body as { message: string }).message).toBe(
      `the citizen may rate this answer until ${new Date(new Date(MONDAY_8AM).getTime() + 3_600_000 + 7 * 86_400_000).toISOString()} (the answer given after a reopening: its rating closes the case): it closes by itself then, or with the rating; the office (SUPERVISOR) may close it sooner`,
    );
  });

  it('extends a deadline to the time the leader names at most: "until Friday 17:00" is Friday, not the next working morning', async () => {
    // Deadlines keep the seconds of the moment the clock started; a leader types a whole hour.
    clock.set('2026-03-02T09:15:10+07:00');
    const c = await newCase();
    await step('bk.handler.clock', c.id, 'acknowledge', { severity: 'normal' });
    const until = new Date('2026-03-13T17:00:00+07:00');
    const extended = await step('bk.leader.clock', c.id, 'extend', { until: until.toISOString(), reason: 'Chờ Công ty Chiếu sáng thay cột đèn.' });
    const dueAt = new Date(extended.dueAt!).getTime();
    expect(dueAt).toBeLessThanOrEqual(until.getTime());
    expect(until.getTime() - dueAt).toBeLessThan(60_000);
  });
});
