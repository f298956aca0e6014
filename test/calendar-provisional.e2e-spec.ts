import { DataSource } from 'typeorm';
import { CalendarCoverage, CalendarStore, Clock } from '@fr/sla';
import { adminToken, ApiSchema, bearer, ManualClock, TestEngine } from '@fr/testing';

/**
 * config/calendars/2027.yaml is the Labour Code applied to 2027's dates with the government's choices
 * (Tết's range, the day beside 2/9) guessed: the government had not published its 2027 notice. The
 * engine must say so where the missing-year warning is said, not count the guesses as facts in silence.
 */
describe('a provisional year of the working calendar (2027 until the government notice)', () => {
  let engine: TestEngine;
  let admin: string;
  const clock = new ManualClock(new Date('2026-12-06T09:00:00+07:00'));

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
    for (const c of [engine.api.get(Clock), engine.worker!.get(Clock)]) c.follow(clock);
  });
  afterAll(async () => {
    for (const c of [engine?.api.get(Clock), engine?.worker?.get(Clock)]) c?.follow(null);
    await engine?.close();
  });

  const calendarHealth = async () => ((await engine.http().get('/health')).body as ApiSchema<'HealthDto'>).details.calendar as Record<string, unknown>;
  const provisionalNotices = async () =>
    ((await engine.http().get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items.filter(
      (n) => n.kind === 'calendar.provisional',
    );

  it('serves 2027 as provisional and says so in /health and once in every ADMIN inbox, from 60 days before it starts', async () => {
    const y2027 = (await engine.http().get('/v1/calendars/2027').set(bearer(admin))).body as ApiSchema<'CalendarDocumentDto'>;
    expect(y2027.provisional).toBe(true);
    expect(((await engine.http().get('/v1/calendars/2026').set(bearer(admin))).body as ApiSchema<'CalendarDocumentDto'>).provisional).toBeUndefined();

    clock.set(new Date('2026-11-01T09:00:00+07:00'));
    expect(await calendarHealth()).toEqual({ status: 'up' });

    clock.set(new Date('2026-12-06T09:00:00+07:00'));
    expect(await calendarHealth()).toEqual({
      status: 'up',
      missingYears: [],
      provisionalYears: [2027],
      message: expect.stringMatching(/^the working calendar for 2027 \(starts in 26 day\(s\)\) is provisional/) as unknown,
    });
    const coverage = engine.worker!.get(CalendarCoverage);
    await coverage.noticeAdmins();
    expect(await coverage.noticeAdmins()).toBe(0);
    expect((await provisionalNotices()).map((n) => n.title)).toEqual(['Lịch làm việc năm 2027 là lịch dự kiến']);
  });

  it('stops saying so once the year is replaced by the government notice', async () => {
    const current = (await engine.http().get('/v1/calendars/2027').set(bearer(admin))).body as ApiSchema<'CalendarDocumentDto'>;
    const { provisional: _, ...confirmed } = current;
    expect((await engine.http().put('/v1/calendars/2027').set(bearer(admin)).send(confirmed)).status).toBe(200);
    expect(((await engine.http().get('/v1/calendars/2027').set(bearer(admin))).body as ApiSchema<'CalendarDocumentDto'>).provisional).toBeUndefined();
    expect(await calendarHealth()).toEqual({ status: 'up' });
    expect(
      (
        await engine
          .http()
          .put('/v1/calendars/2027')
          .set(bearer(admin))
          .send({ ...confirmed, provisional: 'yes' })
      ).status,
    ).toBe(400);
  });

  it('marks the 2027 a deployment stored from the file before the file said it was provisional, unless an ADMIN replaced it', async () => {
    // An older deployment: 2027 stored from the file as it was then.
    await engine.query(`UPDATE calendars SET document = document - 'provisional', updated_by = 'config' WHERE scope = '' AND year = 2027`);
    await new CalendarStore(engine.api.get(DataSource), engine.config).documents();
    const [row] = await engine.query<{ provisional: boolean | null }>(
      `SELECT (document->>'provisional')::boolean AS provisional FROM calendars WHERE scope = '' AND year = 2027`,
    );
    expect(row.provisional).toBe(true);

    // One an ADMIN replaced is theirs.
    await engine.query(`UPDATE calendars SET document = document - 'provisional', updated_by = 'officer:x' WHERE scope = '' AND year = 2027`);
    await new CalendarStore(engine.api.get(DataSource), engine.config).documents();
    const [kept] = await engine.query<{ provisional: boolean | null }>(
      `SELECT (document->>'provisional')::boolean AS provisional FROM calendars WHERE scope = '' AND year = 2027`,
    );
    expect(kept.provisional).toBeNull();
  });
});
