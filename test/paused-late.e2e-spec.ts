import { SlaService } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** A wall-clock time in Hanoi (+07:00). */
const vn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+07:00`);

/**
 * Cases late when they began to wait on the citizen (cases.paused_past_due): where the overdue queue
 * places them, and what a corrected working calendar does to them. March 2026 has no holiday.
 */
describe('cases waiting on the citizen after their deadline', () => {
  const clock = new ManualClock(vn('2026-03-02 08:00'));
  let engine: TestEngine;
  let admin: string;
  let handler: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.paused', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(() => engine?.close());

  const newCase = async (): Promise<{ id: string; trackingCode: string }> => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description: 'Quán nước lấn chiếm vỉa hè phố Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } });
    expect(res.status).toBe(202);
    const accepted = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [accepted.id]),
      (r) => r[0]?.status !== 'received',
      { what: 'routing' },
    );
    return accepted;
  };
  const step = async (id: string, action: string, body: Record<string, unknown> = {}) => {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(handler))
      .send({ expectedVersion: version, ...body });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const page = async (query: string) => (await engine.http().get(`/v1/cases?${query}`).set(bearer(handler)).expect(200)).body as ApiSchema<'CasePageDto'>;
  const walk = async (limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const p = await page(`overdue=true&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...p.items.map((c) => c.id));
      cursor = p.nextCursor;
    } while (cursor);
    return ids;
  };
  /** The deadline in force: the running one, or the one a waiting case had passed when its pause began. */
  const deadlines = async (ids: string[]) =>
    engine.query<{ id: string; status: string; deadline: Date | null; paused_past_due: Date | null }>(
      `SELECT id, status, COALESCE(due_at, CASE WHEN status = 'awaiting_info' THEN paused_past_due END) AS deadline, paused_past_due
         FROM cases WHERE id = ANY($1)`,
      [ids],
    );

  it('lists them in the overdue queue by the deadline they passed, among the running ones, paged exactly', async () => {
    // Three receipts, three resolve deadlines (the resolve stage runs from receipt): one case at 08:00,
    // four at 09:00, three at 10:00, so several cases of each kind share a deadline.
    clock.set(vn('2026-03-02 08:00'));
    const first = await newCase();
    clock.set(vn('2026-03-02 09:00'));
    const a = [await newCase(), await newCase(), await newCase(), await newCase()];
    clock.set(vn('2026-03-02 10:00'));
    const b = [await newCase(), await newCase(), await newCase()];
    const all = [first, ...a, ...b];
    for (const c of all) await step(c.id, 'acknowledge', { severity: 'normal' });

    // Past every deadline, the handler asks the citizens of some of them for more: late while they wait.
    const [{ latest }] = await engine.query<{ latest: Date }>(`SELECT max(due_at) AS latest FROM cases WHERE id = ANY($1)`, [all.map((c) => c.id)]);
    clock.set(new Date(new Date(latest).getTime() + 3600_000));
    const waiting = [first, a[0], a[2], b[1]];
    for (const c of waiting) await step(c.id, 'request-info', { message: 'Xin gửi thêm ảnh hiện trường.' });

    const rows = await deadlines(all.map((c) => c.id));
    expect(rows.filter((r) => r.status === 'awaiting_info' && r.paused_past_due)).toHaveLength(4);
    expect(new Set(rows.map((r) => r.deadline!.getTime())).size).toBe(3);
    // One list by the deadline in force, the earliest missed first; the same deadline by id.
    const expected = rows.sort((x, y) => x.deadline!.getTime() - y.deadline!.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((r) => r.id);
    expect(expected[0]).toBe(first.id);

    const listed = (await page('overdue=true&limit=100')).items;
    expect(listed.map((c) => c.id)).toEqual(expected);
    expect(listed.every((c) => c.overdue)).toBe(true);
    // Paged, whatever the page size, each case once and in the same order, across kinds and equal deadlines.
    for (const limit of [1, 2, 3, 5]) expect(await walk(limit)).toEqual(expected);
  });

  it('counts again, when an administrator corrects the calendar, whether a waiting case was late when its pause began', async () => {
    // Received Tuesday 10 March at 08:00: five working days.
    clock.set(vn('2026-03-10 08:00'));
    const [late, longLate, onTime, running] = [await newCase(), await newCase(), await newCase(), await newCase()];
    for (const c of [late, longLate, onTime, running]) await step(c.id, 'acknowledge', { severity: 'normal' });
    const [{ due_at }] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [late.id]);
    const due = new Date(due_at);
    const hours = (h: number) => new Date(due.getTime() + h * 3600_000);
    clock.set(hours(-2));
    await step(onTime.id, 'request-info', { message: 'Xin gửi thêm ảnh.' });
    clock.set(hours(1));
    await step(late.id, 'request-info', { message: 'Xin gửi thêm ảnh.' });
    clock.set(hours(48));
    await step(longLate.id, 'request-info', { message: 'Xin gửi thêm ảnh.' });
    const pastDue = async () =>
      Object.fromEntries(
        (await deadlines([late.id, longLate.id, onTime.id])).map((r) => [r.id, r.paused_past_due ? new Date(r.paused_past_due).toISOString() : null]),
      );
    expect(await pastDue()).toEqual({ [late.id]: due.toISOString(), [longLate.id]: due.toISOString(), [onTime.id]: null });

    // A day off on Wednesday 11 March, added by law: every deadline of these runs is a working day later.
    const year = (await engine.http().get('/v1/calendars/2026').set(bearer(admin)).expect(200)).body as ApiSchema<'CalendarDocumentDto'>;
    const corrected = { ...year, daysOff: [...(year.daysOff ?? []), { date: '2026-03-11', name: 'Ngày nghỉ bổ sung' }] };
    expect((await engine.http().put('/v1/calendars/2026').set(bearer(admin)).send(corrected)).status).toBe(200);
    const dry = (await engine.http().post('/v1/calendars/2026/recompute-deadlines?dryRun=true').set(bearer(admin)).expect(200))
      .body as ApiSchema<'DeadlineRecomputeReportDto'>;
    const later = engine.api.get(SlaService).calendar.addMinutes(due, 480);
    expect(dry.waiting).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ caseId: late.id, pausedAt: hours(1).toISOString(), fromPastDue: due.toISOString(), toPastDue: null }),
        expect.objectContaining({ caseId: longLate.id, pausedAt: hours(48).toISOString(), fromPastDue: due.toISOString(), toPastDue: later.toISOString() }),
      ]),
    );
    expect(dry.waiting.map((w) => w.caseId)).not.toContain(onTime.id);
    expect(await pastDue()).toEqual({ [late.id]: due.toISOString(), [longLate.id]: due.toISOString(), [onTime.id]: null });

    const applied = (await engine.http().post('/v1/calendars/2026/recompute-deadlines').set(bearer(admin)).expect(200))
      .body as ApiSchema<'DeadlineRecomputeReportDto'>;
    expect(applied).toMatchObject({ remaining: 0, skipped: 0 });
    // The late one began to wait before its deadline on the corrected calendar: it waits in time.
    expect(await pastDue()).toEqual({ [late.id]: null, [longLate.id]: later.toISOString(), [onTime.id]: null });
    const overdue = (await page('overdue=true&limit=100')).items.map((c) => c.id);
    expect(overdue).not.toContain(late.id);
    expect(overdue).toContain(longLate.id);
    expect(overdue).toContain(running.id);
    expect((await engine.http().get(`/v1/cases/${late.id}`).set(bearer(handler)).expect(200)).body).toMatchObject({ overdue: false, dueAt: null });
    // Its state log, which the unit report reads, has no deadline in force for it any more; in its trail, by the system.
    const [logged] = await engine.query<{ due_at: Date | null }>(`SELECT due_at FROM case_state_log WHERE case_id = $1 ORDER BY id DESC LIMIT 1`, [late.id]);
    expect(logged.due_at).toBeNull();
    const events = await engine.query<{ actor: string; from_state: string; data: Record<string, unknown> }>(
      `SELECT actor, from_state, data FROM audit_events WHERE case_id = $1 AND action = 'recompute_deadline'`,
      [late.id],
    );
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'system:calendar',
        from_state: 'awaiting_info',
        data: expect.objectContaining({ pausedAt: hours(1).toISOString(), fromPastDue: due.toISOString(), toPastDue: null }) as unknown,
      }),
    ]);

    // The reverse: the year put back as it was, the case was late when it began to wait.
    expect((await engine.http().put('/v1/calendars/2026').set(bearer(admin)).send(year)).status).toBe(200);
    await engine.http().post('/v1/calendars/2026/recompute-deadlines').set(bearer(admin)).expect(200);
    expect(await pastDue()).toEqual({ [late.id]: due.toISOString(), [longLate.id]: due.toISOString(), [onTime.id]: null });
    expect((await page('overdue=true&limit=100')).items.map((c) => c.id)).toContain(late.id);
    expect((await engine.http().get(`/v1/cases/${late.id}`).set(bearer(handler)).expect(200)).body).toMatchObject({ overdue: true });
  });
});
