import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { createApiApp } from '@fr/api';
import { CalendarCoverage, Clock, SlaService } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, errorOf, ManualClock, TestEngine, waitFor } from '@fr/testing';

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Văn phòng UBND//Lịch nghỉ//VI',
  'BEGIN:VEVENT',
  'UID:nghi-bu-2026-12-01@hbt',
  'DTSTART;VALUE=DATE:20261201',
  'DTEND;VALUE=DATE:20261202',
  'SUMMARY:Nghỉ bù (theo thông báo của',
  '  Bộ Nội vụ)',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('working calendars, replaceable by ADMIN without a restart', () => {
  let engine: TestEngine;
  let admin: string;
  let handler: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'lich.handler', role: 'HANDLER', unitCode: 'P_MINH_KHAI' })).token;
  });
  afterAll(() => engine?.close());

  it('serves the years loaded from config/calendars', async () => {
    const res = await engine.http().get('/v1/calendars').set(bearer(handler));
    expect(res.status).toBe(200);
    expect(res.body).toEqual([2024, 2025, 2026, 2027].map((year) => ({ unit: null, year, daysOff: expect.any(Number) as unknown })));
    const y2025 = await engine.http().get('/v1/calendars/2025').set(bearer(handler));
    expect((y2025.body as ApiSchema<'CalendarDocumentDto'>).extraWorkingDays).toEqual([expect.objectContaining({ date: '2025-04-26' })]);
  });

  it('says from 60 days before a year starts that it has no calendar: /health, the log at start, every ADMIN once', async () => {
    // config/calendars ends with 2027; 2/11/2027 is 60 days before 1/1/2028.
    const clock = new ManualClock(new Date('2027-11-01T09:00:00+07:00'));
    const clocks = [engine.api.get(Clock), engine.worker!.get(Clock)];
    for (const c of clocks) c.follow(clock);
    try {
      const quiet = await engine.http().get('/health');
      expect(quiet.status).toBe(200);
      expect((quiet.body as ApiSchema<'HealthDto'>).details.calendar).toEqual({ status: 'up' });

      clock.set(new Date('2027-11-02T09:00:00+07:00'));
      const health = await engine.http().get('/health');
      expect(health.status).toBe(200);
      expect((health.body as ApiSchema<'HealthDto'>).details.calendar).toEqual({
        status: 'up',
        missingYears: [2028],
        message: expect.stringMatching(/no working calendar for 2028 \(starts in 60 day/) as unknown,
      });

      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        await engine.api.get(CalendarCoverage).onApplicationBootstrap();
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(/no working calendar for 2028/));
      } finally {
        warn.mockRestore();
      }

      const coverage = engine.worker!.get(CalendarCoverage);
      expect(await coverage.noticeAdmins()).toBeGreaterThanOrEqual(1);
      expect(await coverage.noticeAdmins()).toBe(0);
      const inbox = await engine.http().get('/v1/notifications').set(bearer(admin));
      const notices = (inbox.body as ApiSchema<'NotificationPageDto'>).items.filter((n) => n.kind === 'calendar.missing');
      expect(notices).toEqual([expect.objectContaining({ title: 'Chưa có lịch làm việc năm 2028' })]);
      const handlerInbox = await engine.http().get('/v1/notifications').set(bearer(handler));
      expect((handlerInbox.body as ApiSchema<'NotificationPageDto'>).items.some((n) => n.kind === 'calendar.missing')).toBe(false);
    } finally {
      for (const c of clocks) c.follow(null);
    }
  });

  it('imports the days off of an .ics file, and both processes use them without a restart', async () => {
    const api = engine.api.get(SlaService);
    const worker = engine.worker!.get(SlaService);
    expect(api.calendar.isWorkingDay('2026-12-01')).toBe(true);

    const res = await engine.http().post('/v1/calendars/2026/ics').set(bearer(admin)).set('Content-Type', 'text/calendar').send(ICS);
    expect(res.status).toBe(201);
    expect((res.body as ApiSchema<'IcsImportResultDto'>).added).toBe(1);
    expect(api.calendar.isWorkingDay('2026-12-01')).toBe(false);
    expect(api.calendar.specialDayName('2026-12-01')).toBe('Nghỉ bù (theo thông báo của Bộ Nội vụ)');
    // The worker notices on its next periodic look; run that look now rather than wait for it.
    await worker.reloadCalendar();
    expect(worker.calendar.isWorkingDay('2026-12-01')).toBe(false);

    const hostile = await engine
      .http()
      .post('/v1/calendars/2026/ics')
      .set(bearer(admin))
      .set('Content-Type', 'text/calendar')
      .send(ICS.replace('Nghỉ bù', 'Nghỉ\u0000bù'));
    expect(hostile.status).toBe(400);
    expect(errorOf(hostile).message).toMatch(/calendar file must not contain NUL/);
    // Each refusal says what was wrong with what was sent, not only which Content-Type to use.
    const ics = (body: string | object, type = 'text/calendar') =>
      engine.http().post('/v1/calendars/2026/ics').set(bearer(admin)).set('Content-Type', type).send(body);
    const garbage = await ics('garbage');
    expect(garbage.status).toBe(400);
    expect(errorOf(garbage).message).toBe('the body is not an iCalendar file: it has no BEGIN:VCALENDAR line (an .ics file begins with one)');
    const empty = await ics('');
    expect(empty.status).toBe(400);
    expect(errorOf(empty).message).toBe('the body is empty: send the content of the .ics file, which begins with BEGIN:VCALENDAR');
    expect(errorOf(await ics('\r\n  \r\n')).message).toMatch(/^the body is only blank space/);
    const json = await ics({ lich: 'Nghỉ bù' }, 'application/json');
    expect(json.status).toBe(415);
    expect(errorOf(json).message).toBe('send the iCalendar file with Content-Type: text/calendar, not application/json');
    const again = await engine.http().post('/v1/calendars/2026/ics').set(bearer(admin)).set('Content-Type', 'text/calendar').send(ICS);
    expect((again.body as ApiSchema<'IcsImportResultDto'>).added).toBe(0);
  });

  it('replaces a year with a make-up Saturday, validated field by field', async () => {
    const doc = {
      timezone: 'Asia/Ho_Chi_Minh',
      daysOff: [{ from: '2027-02-05', to: '2027-02-11', name: 'Tết Nguyên đán' }],
      extraWorkingDays: [{ date: '2027-01-30', name: 'Làm bù' }],
    };
    const ok = await engine.http().put('/v1/calendars/2027').set(bearer(admin)).send(doc);
    expect(ok.status).toBe(200);
    const sla = engine.api.get(SlaService);
    expect(sla.calendar.isWorkingDay('2027-01-30')).toBe(true);
    expect(sla.calendar.isWorkingDay('2027-02-08')).toBe(false);

    const bad = await engine
      .http()
      .put('/v1/calendars/2027')
      .set(bearer(admin))
      .send({ ...doc, daysOff: [{ date: '2027-02-30', name: 'x' }] });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/daysOff\[0\]\.date '2027-02-30' is not a date/);
    const otherYear = await engine
      .http()
      .put('/v1/calendars/2027')
      .set(bearer(admin))
      .send({ ...doc, year: 2028 });
    expect(otherYear.status).toBe(400);
    expect(errorOf(otherYear).message).toMatch(/^year in the body \(2028\) is not the year of the path \(2027\)/);
    expect(
      (
        await engine
          .http()
          .put('/v1/calendars/2027')
          .set(bearer(admin))
          .send({ ...doc, year: 2027 })
      ).status,
    ).toBe(200);
    expect((await engine.http().put('/v1/calendars/2027').set(bearer(handler)).send(doc)).status).toBe(403);
    expect((await engine.http().put('/v1/calendars/2027').send(doc)).status).toBe(401);
  });

  it('serves a year with its lists of days off and make-up days always, empty when it has none (null is absent)', async () => {
    const nulls = await engine
      .http()
      .put('/v1/calendars/2031')
      .set(bearer(admin))
      .send({ timezone: 'Asia/Ho_Chi_Minh', daysOff: null, extraWorkingDays: null, officeHours: null });
    expect(nulls.status).toBe(200);
    expect(nulls.body).toEqual({ year: 2031, timezone: 'Asia/Ho_Chi_Minh', daysOff: [], extraWorkingDays: [] });
    const read = await engine.http().get('/v1/calendars/2031').set(bearer(handler));
    expect(read.body).toEqual({ year: 2031, timezone: 'Asia/Ho_Chi_Minh', daysOff: [], extraWorkingDays: [] });
    expect((await engine.http().put('/v1/calendars/2032').set(bearer(admin)).send({ timezone: 'Asia/Ho_Chi_Minh' })).status).toBe(200);
    const bare = await engine.http().get('/v1/calendars/2032').set(bearer(handler));
    expect(bare.body).toMatchObject({ year: 2032, daysOff: [], extraWorkingDays: [] });
  });

  it("gives a unit its own calendar (Saturday mornings at a ward's one-stop desk), used for its deadlines", async () => {
    const weekday = ['08:00-12:00', '13:00-17:00'];
    const doc = {
      timezone: 'Asia/Ho_Chi_Minh',
      officeHours: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: ['08:00-11:30'] },
      daysOff: [{ from: '2026-02-14', to: '2026-02-22', name: 'Tết Nguyên đán' }],
    };
    const res = await engine.http().put('/v1/calendars/2026?unit=P_MINH_KHAI').set(bearer(admin)).send(doc);
    expect(res.status).toBe(200);
    expect((await engine.http().put('/v1/calendars/2026?unit=NO_SUCH_UNIT').set(bearer(admin)).send(doc)).status).toBe(422);

    const sla = engine.api.get(SlaService);
    const saturday = new Date('2026-12-05T02:00:00Z'); // Saturday 09:00 in Hà Nội
    expect(sla.calendarFor('P_MINH_KHAI').isWorkingTime(saturday)).toBe(true);
    expect(sla.calendarFor('P_BACH_KHOA').isWorkingTime(saturday)).toBe(false);
    const friday = new Date('2026-12-04T09:00:00Z'); // Friday 16:00: 1 hour left that day
    const own = sla.deadlines(sla.receiveClock(friday, { unit: 'P_MINH_KHAI' }), []).dueAt!;
    const district = sla.deadlines(sla.receiveClock(friday, { unit: 'P_BACH_KHOA' }), []).dueAt!;
    expect(own.toISOString()).toBe('2026-12-07T04:30:00.000Z'); // 1 h Fri + 3.5 h Sat + 3.5 h Mon -> Mon 11:30
    expect(district.toISOString()).toBe('2026-12-07T09:00:00.000Z'); // 1 h Fri + 7 h Mon -> Mon 16:00

    // A case routed to the ward gets its deadline from the ward's calendar.
    const worker = engine.worker!.get(SlaService);
    await worker.reloadCalendar();
    const posted = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': 'dev-ihanoi-key' })
      .send({ category: 'sanitation', description: 'Rác thải ở chợ Mơ.', location: { wardCode: 'MINH_KHAI' } });
    const [c] = await waitFor(
      () =>
        engine.query<{ received_at: Date; due_at: Date }>(`SELECT received_at, due_at FROM cases WHERE id = $1 AND status = 'assigned'`, [
          (posted.body as ApiSchema<'FeedbackAcceptedDto'>).id,
        ]),
      (r) => r.length === 1,
    );
    const expected = worker.deadlines(worker.receiveClock(new Date(c.received_at), { unit: 'P_MINH_KHAI' }), []).dueAt!;
    expect(new Date(c.due_at).toISOString()).toBe(expected.toISOString());
    expect(
      ((await engine.http().get('/v1/calendars/2026?unit=P_MINH_KHAI').set(bearer(handler))).body as ApiSchema<'CalendarDocumentDto'>).officeHours!.sat,
    ).toEqual(['08:00-11:30']);

    // The ward's calendar is its documents alone: from 60 days before 2027, its missing 2027 is told
    // as the district's would be (the district has 2027).
    const clock = new ManualClock(new Date('2026-12-05T09:00:00+07:00'));
    const clocks = [engine.api.get(Clock), engine.worker!.get(Clock)];
    for (const c of clocks) c.follow(clock);
    try {
      const health = await engine.http().get('/health');
      expect((health.body as ApiSchema<'HealthDto'>).details.calendar).toEqual({
        status: 'up',
        missingYears: [],
        unitsMissing: [{ unit: 'P_MINH_KHAI', year: 2027 }],
        message:
          "unit P_MINH_KHAI has a working calendar of its own but none for 2027 (starts in 27 day(s)): its holidays would count as working time for the unit's cases; PUT /v1/calendars/2027?unit=P_MINH_KHAI",
      });
      const coverage = engine.worker!.get(CalendarCoverage);
      expect(await coverage.noticeAdmins()).toBe(1);
      expect(await coverage.noticeAdmins()).toBe(0);
      const inbox = await engine.http().get('/v1/notifications').set(bearer(admin));
      expect((inbox.body as ApiSchema<'NotificationPageDto'>).items.filter((n) => n.kind === 'calendar.missing').map((n) => n.title)).toContain(
        'Chưa có lịch làm việc năm 2027 của đơn vị P_MINH_KHAI',
      );
    } finally {
      for (const c of clocks) c.follow(null);
    }
  });
});

describe('a year file added to config/calendars after the first start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fr-calendars-'));
  let engine: TestEngine;
  let restarted: INestApplication | undefined;

  beforeAll(async () => {
    cpSync('config', dir, { recursive: true });
    rmSync(join(dir, 'calendars', '2027.yaml'));
    engine = await TestEngine.start({ worker: false, env: { FR_CONFIG_DIR: dir } });
  });
  afterAll(async () => {
    await restarted?.close();
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is loaded at the next start, as the missing-year warning tells the operator to do', async () => {
    const admin = await adminToken(engine);
    const years = async (app?: INestApplication) =>
      ((await engine.http(app).get('/v1/calendars').set(bearer(admin))).body as { year: number }[]).map((c) => c.year);
    expect(await years()).toEqual([2024, 2025, 2026]);

    copyFileSync(join('config', 'calendars', '2027.yaml'), join(dir, 'calendars', '2027.yaml'));
    restarted = await createApiApp(engine.config);
    expect(await years(restarted)).toEqual([2024, 2025, 2026, 2027]);
    expect(restarted.get(SlaService).calendar.isWorkingDay('2027-01-01')).toBe(false);
  });
});
