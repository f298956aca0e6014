import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { createApiApp } from '@fr/api';
import { Maintenance } from '../apps/worker/src/maintenance.service';
import { RecomputeDeadlines } from '@fr/cases';
import { jobIdFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { DataSource } from 'typeorm';
import { CalendarCoverage, CalendarStore, Clock, slaTimerPayload, SlaService } from '@fr/sla';
import {
  actOnCase,
  adminToken,
  ApiSchema,
  bearer,
  createOfficer,
  errorOf,
  ManualClock,
  startWebhookReceiver,
  submitRouted,
  TestEngine,
  waitFor,
  WebhookReceiver,
} from '@fr/testing';

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
    // Loopback webhooks allowed: a channel's receiver is told of a deadline counted again.
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
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
      // 2027 itself is the shipped provisional year (its own notice says so, test/calendar-provisional.e2e-spec.ts).
      expect((quiet.body as ApiSchema<'HealthDto'>).details.calendar).toEqual({
        status: 'up',
        missingYears: [],
        provisionalYears: [2027],
        message: expect.stringMatching(/^the working calendar for 2027 is provisional/) as unknown,
      });

      clock.set(new Date('2027-11-02T09:00:00+07:00'));
      const health = await engine.http().get('/health');
      expect(health.status).toBe(200);
      expect((health.body as ApiSchema<'HealthDto'>).details.calendar).toEqual({
        status: 'up',
        missingYears: [2028],
        provisionalYears: [2027],
        message: expect.stringMatching(/no working calendar for 2028 \(starts in 60 day/) as unknown,
      });

      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        await engine.api.get(CalendarCoverage).onApplicationBootstrap();
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(/no working calendar for 2028/));
      } finally {
        warn.mockRestore();
      }

      // The worker's first maintenance sweep (started with the engine) may still be running, and tell the
      // ADMINs itself once the clock has moved: whoever tells first, each is told once (the inbox below).
      const coverage = engine.worker!.get(CalendarCoverage);
      await coverage.noticeAdmins();
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
    const longName = await ics(ICS.replace('Nghỉ bù', 'Nghỉ bù '.repeat(40)));
    expect(longName.status).toBe(400);
    expect(errorOf(longName).message).toMatch(/^ics line \d+: SUMMARY is \d+ characters long; a day's name is at most 200$/);
    const longPut = await engine
      .http()
      .put('/v1/calendars/2028')
      .set(bearer(admin))
      .send({ timezone: 'Asia/Ho_Chi_Minh', daysOff: [{ date: '2028-01-01', name: 'Tết Dương lịch '.repeat(20) }] });
    expect(longPut.status).toBe(400);
    expect(errorOf(longPut).message).toMatch(/daysOff\[0\]\.name is 299 characters long; at most 200/);
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
    // It lists Tết alone, so it works on every other day the district has off: the administrators are told.
    const worked = [
      '2026-01-01',
      '2026-01-02',
      '2026-01-03',
      '2026-04-27',
      '2026-04-30',
      '2026-05-01',
      '2026-08-29',
      '2026-08-31',
      '2026-09-01',
      '2026-09-02',
      '2026-12-01',
    ];
    const [replaced] = await engine.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE action = 'calendar_replaced' AND data->>'unit' = 'P_MINH_KHAI' ORDER BY id DESC LIMIT 1`,
    );
    // Its own year is new: every day it lists is added (Tết, already past), as the audit trail records.
    const tet = ['2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22'];
    expect(replaced.data).toEqual({
      year: 2026,
      unit: 'P_MINH_KHAI',
      daysOff: 1,
      daysOffAdded: tet,
      pastDatesChanged: tet,
      districtDaysOffWorked: worked,
    });
    const told = ((await engine.http().get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items.filter(
      (n) => n.kind === 'calendar.holidays_worked',
    );
    expect(told).toEqual([
      expect.objectContaining({
        title: 'Lịch riêng của đơn vị P_MINH_KHAI năm 2026 tính 11 ngày nghỉ của quận là ngày làm việc',
        body: expect.stringContaining('2026-04-27 (Giỗ Tổ Hùng Vương (nghỉ bù)), 2026-04-30') as unknown,
      }),
    ]);
    expect(told[0].body).toMatch(/list them in its daysOff: PUT \/v1\/calendars\/2026\?unit=P_MINH_KHAI$/);
    expect((await engine.http().put('/v1/calendars/2026?unit=NO_SUCH_UNIT').set(bearer(admin)).send(doc)).status).toBe(422);
    // A unit a reorganisation ended holds no case: its own calendar would count nothing.
    await engine.query(`UPDATE units SET active = false, valid_to = now(), successors = '{P_QUYNH_MAI}' WHERE code = 'P_QUYNH_LOI'`);
    try {
      const ended = await engine.http().put('/v1/calendars/2026?unit=P_QUYNH_LOI').set(bearer(admin)).send(doc);
      expect(ended.status).toBe(422);
      expect(errorOf(ended).message).toBe(
        "unit 'P_QUYNH_LOI' has ended (a reorganisation); its cases went to P_QUYNH_MAI: give the unit that holds its cases the calendar",
      );
    } finally {
      await engine.query(`UPDATE units SET active = true, valid_to = NULL, successors = '{}' WHERE code = 'P_QUYNH_LOI'`);
    }

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

  let rx: WebhookReceiver | undefined;
  afterAll(() => rx?.close());

  it('counts open deadlines again when a year is corrected: a dry run first, then each moved case in its trail, its channel told, its timer moved', async () => {
    const sla = engine.api.get(SlaService);
    const handlerBK = (await createOfficer(engine, admin, { username: 'lich.bk', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    // A year of this test's own, far from today, so that no deadline of a case the engine sets now reaches it.
    const provisional = {
      timezone: 'Asia/Ho_Chi_Minh',
      daysOff: [
        { date: '2030-01-01', name: 'Tết Dương lịch' },
        { from: '2030-02-01', to: '2030-02-07', name: 'Tết Nguyên đán (dự kiến)' },
      ],
    };
    expect((await engine.http().put('/v1/calendars/2030').set(bearer(admin)).send(provisional)).status).toBe(200);
    const KEY = { 'X-Api-Key': 'dev-ihanoi-key' };
    const body = { category: 'sanitation', description: 'Rác thải tồn đọng trên phố Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } };
    // Resolve runs of 15 working days placed in time as the calendar in force counts them (the way the
    // bench places cases in the past).
    const run = async (startedAt: string, paused = false) => {
      const c = await submitRouted(engine, KEY, body);
      await actOnCase(engine, bearer(handlerBK), c.id, 'acknowledge');
      const clock = { stage: 'resolve' as const, startedAt: new Date(startedAt), minutes: 15 * 480, extensionMinutes: 0, unit: 'P_BACH_KHOA' };
      const d = sla.deadlines(clock, []);
      await engine.query(
        `UPDATE cases SET stage = 'resolve', stage_started_at = $2, stage_minutes = $3, extension_minutes = 0, due_at = $4, warn_at = $5,
                          status = CASE WHEN $6 THEN 'awaiting_info' ELSE status END WHERE id = $1`,
        [c.id, clock.startedAt, clock.minutes, paused ? null : d.dueAt, paused ? null : d.warnAt, paused],
      );
      return { ...c, dueAt: paused ? null : d.dueAt!.toISOString() };
    };
    await sla.reloadCalendar();
    const crossing = await run('2030-01-28T08:00:00+07:00');
    const crossing2 = await run('2030-01-29T08:00:00+07:00');
    const after = await run('2030-03-04T08:00:00+07:00'); // counts no day the correction changes
    const paused = await run('2030-01-28T08:00:00+07:00', true);
    const before = await run('2026-11-02T08:00:00+07:00'); // due before 2030: never counted a day of it
    // Mon 28/1-Thu 31/1 (4 days), Fri 8/2 (5), 11-15/2 (10), 18-22/2 (15): Friday 22/2 at 17:00.
    expect(crossing.dueAt).toBe('2030-02-22T10:00:00.000Z');

    // The government's notice (as this test has it): Tết from Thursday 31/1 to Friday 8/2.
    const corrected = { ...provisional, daysOff: [provisional.daysOff[0], { from: '2030-01-31', to: '2030-02-08', name: 'Tết Nguyên đán' }] };
    expect((await engine.http().put('/v1/calendars/2030').set(bearer(admin)).send(corrected)).status).toBe(200);
    const receiver = await startWebhookReceiver();
    rx = receiver;
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${receiver.url}/ihanoi`, events: ['case.status'] });
    expect(hook.status).toBe(201);
    receiver.trust('/ihanoi', (hook.body as ApiSchema<'RegisteredWebhookDto'>).secret!);
    // Replacing the year moved nothing by itself, and every ADMIN is told what it would move.
    const notices = async () =>
      ((await engine.http().get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items.filter(
        (n) => n.kind === 'calendar.deadlines_to_recompute',
      );
    expect(await notices()).toEqual([
      expect.objectContaining({
        title: 'Lịch năm 2030 đã thay đổi: 2 hồ sơ đang mở có hạn xử lý cần tính lại',
        body: expect.stringContaining('POST /v1/calendars/2030/recompute-deadlines?dryRun=true') as unknown,
      }),
    ]);
    const caseOf = async (id: string) =>
      (await engine.query<{ due_at: Date | null; version: number }>(`SELECT due_at, version FROM cases WHERE id = $1`, [id]))[0];
    const dueOf = async (id: string) => (await caseOf(id)).due_at?.toISOString() ?? null;
    expect(await dueOf(crossing.id)).toBe(crossing.dueAt);

    const dry = await engine.http().post('/v1/calendars/2030/recompute-deadlines?dryRun=true').set(bearer(admin));
    expect(dry.status).toBe(200);
    const move = {
      caseId: crossing.id,
      trackingCode: crossing.trackingCode,
      unit: 'P_BACH_KHOA',
      stage: 'resolve',
      fromDueAt: '2030-02-22T10:00:00.000Z',
      // Mon 28/1-Wed 30/1 (3 days), 11-15/2 (8), 18-22/2 (13), Mon 25/2 and Tue 26/2 (15): Tuesday 26/2 at 17:00.
      toDueAt: '2030-02-26T10:00:00.000Z',
    };
    const move2 = {
      ...move,
      caseId: crossing2.id,
      trackingCode: crossing2.trackingCode,
      // Tue 29/1-Thu 31/1 (3 days), Fri 8/2 (4), 11-15/2 (9), 18-22/2 (14), Mon 25/2 (15): Monday 25/2 at 17:00 before;
      // Tue 29/1-Wed 30/1 (2), 11-15/2 (7), 18-22/2 (12), 25-27/2 (15): Wednesday 27/2 at 17:00 after.
      fromDueAt: '2030-02-25T10:00:00.000Z',
      toDueAt: '2030-02-27T10:00:00.000Z',
    };
    expect(crossing2.dueAt).toBe(move2.fromDueAt);
    expect(dry.body).toEqual({
      year: 2030,
      unit: null,
      dryRun: true,
      checked: 3,
      moved: 2,
      skipped: 0,
      remaining: 2,
      cases: expect.arrayContaining([move, move2]) as unknown,
      waiting: [],
      truncated: false,
    });
    expect((dry.body as ApiSchema<'DeadlineRecomputeReportDto'>).cases).toHaveLength(2);
    expect(await dueOf(crossing.id)).toBe(crossing.dueAt);
    const { version } = await caseOf(crossing.id);
    const beforeVersion = (await caseOf(before.id)).version;

    // One call moves at most RECOMPUTE_APPLY_MAX (1,000) and says how many remain; paged here by one.
    const first = await engine.api.get(RecomputeDeadlines).execute({ year: 2030, unit: null, dryRun: false, actor: 'officer:test', applyMax: 1 });
    expect(first).toMatchObject({ dryRun: false, checked: 3, moved: 1, skipped: 0, remaining: 1 });
    const applied = await engine.http().post('/v1/calendars/2030/recompute-deadlines').set(bearer(admin));
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ dryRun: false, checked: 3, moved: 1, skipped: 0, remaining: 0, truncated: false });
    const moves = [...first.cases, ...(applied.body as ApiSchema<'DeadlineRecomputeReportDto'>).cases];
    expect(moves).toEqual(expect.arrayContaining([move, move2]));
    expect(await dueOf(crossing2.id)).toBe(move2.toDueAt);
    expect(await dueOf(crossing.id)).toBe(move.toDueAt);
    expect(await dueOf(after.id)).toBe(after.dueAt);
    expect(await dueOf(paused.id)).toBeNull();
    expect(await caseOf(before.id)).toEqual({ due_at: new Date(before.dueAt!), version: beforeVersion });
    // The officer's view and a concurrent officer's expectedVersion see the change.
    const view = await engine.http().get(`/v1/cases/${crossing.id}`).set(bearer(handlerBK));
    expect(view.body).toMatchObject({ dueAt: move.toDueAt, version: version + 1 });
    // In the case's trail, by the system, with both dates; and announced to the citizen's channel.
    const events = await engine.query<{ id: string; actor: string; from_state: string; to_state: string; data: Record<string, unknown> }>(
      `SELECT id::text, actor, from_state, to_state, data FROM audit_events WHERE case_id = $1 AND action = 'recompute_deadline'`,
      [crossing.id],
    );
    expect(events).toEqual([
      {
        id: expect.any(String) as unknown,
        actor: 'system:calendar',
        from_state: 'in_progress',
        to_state: 'in_progress',
        data: {
          stage: 'resolve',
          stageStartedAt: '2030-01-28T01:00:00.000Z',
          fromDueAt: move.fromDueAt,
          toDueAt: move.toDueAt,
          requestedBy: expect.stringMatching(/^officer:/) as unknown,
          // "the working calendar of 2030 was corrected", kept outside the chain as every reason is
          texts: { reason: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
        },
      },
    ]);
    const [told] = await waitFor(
      () => Promise.resolve(receiver.calls.map((c) => JSON.parse(c.body) as Record<string, unknown>).filter((b) => b.action === 'recompute_deadline')),
      (calls) => calls.length > 0,
      { what: "the channel's receiver told of the new deadline" },
    );
    expect(told).toMatchObject({ event: 'case.status', caseId: crossing.id, status: 'in_progress', dueAt: move.toDueAt });
    // The next escalation waits for the new deadline (the old timer, if it fires, finds the deadline moved).
    const timer = slaTimerPayload(
      { caseId: crossing.id, stage: 'resolve', stageStartedAt: new Date('2030-01-28T01:00:00Z'), dueAt: new Date(move.toDueAt), warnAt: null },
      'warn',
    );
    const slaQueue = engine.worker!.get(QueueRegistry).get(QueueName.Sla);
    await waitFor(
      async () => (await (await slaQueue.getJob(jobIdFor(JobName.SlaTimer, timer)))?.getState()) ?? 'absent',
      (state) => state === 'delayed',
      { what: 'the warning timer of the new deadline' },
    );
    const summary = await engine.query<{ actor: string; data: Record<string, unknown> }>(
      `SELECT actor, data FROM audit_events WHERE action = 'deadlines_recomputed' ORDER BY id`,
    );
    expect(summary).toEqual([
      { actor: 'officer:test', data: { year: 2030, unit: null, checked: 3, moved: 1, skipped: 0, remaining: 1 } },
      { actor: expect.stringMatching(/^officer:/) as unknown, data: { year: 2030, unit: null, checked: 3, moved: 1, skipped: 0, remaining: 0 } },
    ]);

    // Applying again finds nothing to move; the year put back as it was moves the case back.
    expect((await engine.http().post('/v1/calendars/2030/recompute-deadlines').set(bearer(admin))).body).toMatchObject({ moved: 0, remaining: 0, cases: [] });
    expect((await engine.http().put('/v1/calendars/2030').set(bearer(admin)).send(provisional)).status).toBe(200);
    expect((await engine.http().post('/v1/calendars/2030/recompute-deadlines').set(bearer(admin))).body).toMatchObject({ moved: 2, remaining: 0 });
    expect(await dueOf(crossing.id)).toBe(crossing.dueAt);

    // Refusals: a year with no calendar, a malformed dryRun, an officer who is not ADMIN.
    const none = await engine.http().post('/v1/calendars/2035/recompute-deadlines').set(bearer(admin));
    expect(none.status).toBe(404);
    expect(errorOf(none).message).toMatch(/calendar/);
    const unknown = await engine.http().post('/v1/calendars/2030/recompute-deadlines?unit=NOPE').set(bearer(admin));
    expect(unknown.status).toBe(422);
    expect(errorOf(unknown).message).toBe("unit 'NOPE' does not exist; GET /v1/units lists the units");
    const bad = await engine.http().post('/v1/calendars/2030/recompute-deadlines?dryRun=yes').set(bearer(admin));
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toBe('dryRun must be true or false');
    expect((await engine.http().post('/v1/calendars/2030/recompute-deadlines').set(bearer(handlerBK))).status).toBe(403);
  });

  it('moves no deadline the calendar did not change: cases routed, acknowledged, paused and resumed, extended and transferred by real actions', async () => {
    const [bk, leader] = await Promise.all([
      createOfficer(engine, admin, { username: 'lich.bk2', role: 'HANDLER', unitCode: 'P_BACH_KHOA' }),
      createOfficer(engine, admin, { username: 'lich.bk.leader', role: 'LEADER', unitCode: 'P_BACH_KHOA' }),
    ]);
    const KEY = { 'X-Api-Key': 'dev-ihanoi-key' };
    const body = { category: 'sanitation', description: 'Rác thải ùn ứ đầu ngõ 40 Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } };
    const routed = () => submitRouted(engine, KEY, body);
    const acknowledged = async () => {
      const c = await routed();
      await actOnCase(engine, bearer(bk.token), c.id, 'acknowledge');
      return c;
    };
    await routed(); // the receive stage
    await acknowledged(); // the resolve stage
    const paused = await acknowledged();
    await actOnCase(engine, bearer(bk.token), paused.id, 'request-info', { message: 'Đề nghị gửi ảnh hiện trường.' });
    const reply = await engine.http().post(`/v1/feedback/${paused.trackingCode}/info`).set(KEY).send({ message: 'Ảnh đây ạ.' });
    expect(reply.status).toBe(200);
    const extended = await acknowledged();
    const [{ due_at }] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [extended.id]);
    const until = engine.api.get(SlaService).calendar.addMinutes(new Date(due_at), 60);
    await actOnCase(engine, bearer(leader.token), extended.id, 'extend', { until: until.toISOString(), reason: 'Chờ kết quả kiểm tra.' });
    const transferred = await acknowledged();
    await actOnCase(engine, bearer(bk.token), transferred.id, 'transfer', { unitCode: 'P_THANH_NHAN', reason: 'Sai địa bàn.' });

    const thisYear = new Date(Date.now() + 7 * 3600_000).getUTCFullYear();
    let checked = 0;
    for (const year of [thisYear, thisYear + 1]) {
      const dry = await engine.http().post(`/v1/calendars/${year}/recompute-deadlines?dryRun=true`).set(bearer(admin));
      expect(dry.body).toMatchObject({ moved: 0, remaining: 0, cases: [] });
      checked += (dry.body as ApiSchema<'DeadlineRecomputeReportDto'>).checked;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it("tells every ADMIN when the district adds a day off that a unit's own year counts as a working day (a holiday added by law)", async () => {
    const weekday = ['08:00-12:00', '13:00-17:00'];
    const officeHours = { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: ['08:00-11:30'] };
    const newYear = { date: '2034-01-02', name: 'Tết Dương lịch (nghỉ bù)' };
    expect(
      (
        await engine
          .http()
          .put('/v1/calendars/2034')
          .set(bearer(admin))
          .send({ timezone: 'Asia/Ho_Chi_Minh', daysOff: [newYear] })
      ).status,
    ).toBe(200);
    const unitYear = { timezone: 'Asia/Ho_Chi_Minh', officeHours, daysOff: [newYear] };
    expect((await engine.http().put('/v1/calendars/2034?unit=P_MINH_KHAI').set(bearer(admin)).send(unitYear)).status).toBe(200);
    const notices = async () =>
      ((await engine.http().get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items.filter(
        (n) => n.kind === 'calendar.holidays_worked' && n.title.includes('2034'),
      );
    expect(await notices()).toEqual([]);

    // A new law adds Monday 4/9/2034 to the district's days off; the ward's own year still works it.
    const added = { date: '2034-09-04', name: 'Nghỉ bù Quốc khánh' };
    expect(
      (
        await engine
          .http()
          .put('/v1/calendars/2034')
          .set(bearer(admin))
          .send({ timezone: 'Asia/Ho_Chi_Minh', daysOff: [newYear, added] })
      ).status,
    ).toBe(200);
    const told = await notices();
    expect(told).toEqual([
      expect.objectContaining({
        title: 'Lịch riêng của đơn vị P_MINH_KHAI năm 2034 tính 1 ngày nghỉ của quận là ngày làm việc',
        body: expect.stringContaining('2034-09-04 (Nghỉ bù Quốc khánh)') as unknown,
      }),
    ]);
    expect(told[0].body).toMatch(/list them in its daysOff: PUT \/v1\/calendars\/2034\?unit=P_MINH_KHAI$/);
    const [replaced] = await engine.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE action = 'calendar_replaced' AND (data->>'year')::int = 2034 AND data->>'unit' IS NULL ORDER BY id DESC LIMIT 1`,
    );
    expect(replaced.data).toEqual({ year: 2034, unit: null, daysOff: 2, daysOffAdded: ['2034-09-04'], unitsWorkingDaysOff: { P_MINH_KHAI: ['2034-09-04'] } });

    // The same year stored again adds no day off: nobody is told twice.
    expect(
      (
        await engine
          .http()
          .put('/v1/calendars/2034')
          .set(bearer(admin))
          .send({ timezone: 'Asia/Ho_Chi_Minh', daysOff: [newYear, added] })
      ).status,
    ).toBe(200);
    expect(await notices()).toHaveLength(1);
  });

  it("keeps the notice of a unit's year that works the district's days off short, however many days and however long their names", async () => {
    // A district year with every day off, each with as long a name as a year may store, and a unit's year with none.
    const name = `Ngày nghỉ ${'x'.repeat(190)}`;
    const daysOff = Array.from({ length: 366 }, (_, i) => ({ date: new Date(Date.UTC(2036, 0, 1 + i)).toISOString().slice(0, 10), name }));
    expect((await engine.http().put('/v1/calendars/2036').set(bearer(admin)).send({ timezone: 'Asia/Ho_Chi_Minh', daysOff })).status).toBe(200);
    const weekday = ['08:00-12:00', '13:00-17:00'];
    const officeHours = { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: ['08:00-11:30'] };
    const put = await engine
      .http()
      .put('/v1/calendars/2036?unit=P_MINH_KHAI')
      .set(bearer(admin))
      .send({ timezone: 'Asia/Ho_Chi_Minh', officeHours, daysOff: [] });
    expect(put.status).toBe(200);
    const told = ((await engine.http().get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items.filter(
      (n) => n.kind === 'calendar.holidays_worked' && n.title.includes('2036'),
    );
    // Every Monday to Saturday of 2036: 366 days less 52 Sundays.
    expect(told.map((n) => n.title)).toEqual(['Lịch riêng của đơn vị P_MINH_KHAI năm 2036 tính 314 ngày nghỉ của quận là ngày làm việc']);
    expect(told[0].body.length).toBeLessThan(4000);
    expect(told[0].body).toContain('2036-01-01 (Ngày nghỉ xxx');
    expect(told[0].body).toContain('and 294 more (GET /v1/calendars/2036)');
    expect(told[0].body).toMatch(/list them in its daysOff: PUT \/v1\/calendars\/2036\?unit=P_MINH_KHAI$/);
    // The audit event still lists every day.
    const [replaced] = await engine.query<{ data: { districtDaysOffWorked: string[] } }>(
      `SELECT data FROM audit_events WHERE action = 'calendar_replaced' AND data->>'unit' = 'P_MINH_KHAI' AND (data->>'year')::int = 2036`,
    );
    expect(replaced.data.districtDaysOffWorked).toHaveLength(314);
  });
});

describe('a year file added to config/calendars after the first start', () => {
  // Made in beforeAll, not when the file is read: a run that filters this describe's tests out (-t) runs
  // neither hook, and left the folder behind.
  let dir: string;
  let engine: TestEngine;
  let restarted: INestApplication | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fr-calendars-'));
    cpSync('config', dir, { recursive: true });
    rmSync(join(dir, 'calendars', '2027.yaml'));
    engine = await TestEngine.start({ worker: false, env: { FR_CONFIG_DIR: dir } });
  });
  afterAll(async () => {
    try {
      await restarted?.close();
      await engine?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is loaded at the next start, as the missing-year warning tells the operator to do', async () => {
    const admin = await adminToken(engine);
    const years = async (app?: INestApplication) =>
      ((await engine.http(app).get('/v1/calendars').set(bearer(admin))).body as { year: number }[]).map((c) => c.year);
    expect(await years()).toEqual([2024, 2025, 2026]);

    // An open case whose deadline was counted into 2027 without its calendar: every weekday a working day.
    const posted = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': 'dev-ihanoi-key' })
      .send({ category: 'sanitation', description: 'Rác thải ở chợ Mơ.', location: { wardCode: 'BACH_KHOA' } });
    const clock = { stage: 'resolve' as const, startedAt: new Date('2027-02-01T08:00:00+07:00'), minutes: 15 * 480, extensionMinutes: 0, unit: 'P_BACH_KHOA' };
    const d = engine.api.get(SlaService).deadlines(clock, []);
    expect(d.dueAt!.toISOString()).toBe('2027-02-19T10:00:00.000Z'); // 15 weekdays from Monday 1/2, Tết counted as working time
    await engine.query(
      `UPDATE cases SET status = 'in_progress', unit_code = 'P_BACH_KHOA', stage = 'resolve', stage_started_at = $2, stage_minutes = $3, due_at = $4, warn_at = $5
        WHERE id = $1`,
      [(posted.body as ApiSchema<'FeedbackAcceptedDto'>).id, clock.startedAt, clock.minutes, d.dueAt, d.warnAt],
    );

    copyFileSync(join('config', 'calendars', '2027.yaml'), join(dir, 'calendars', '2027.yaml'));
    restarted = await createApiApp(engine.config);
    expect(await years(restarted)).toEqual([2024, 2025, 2026, 2027]);
    expect(restarted.get(SlaService).calendar.isWorkingDay('2027-01-01')).toBe(false);
    // The process that stored the year tells the administrators what it moves.
    const inbox = await engine.http(restarted).get('/v1/notifications').set(bearer(admin));
    expect((inbox.body as ApiSchema<'NotificationPageDto'>).items.filter((n) => n.kind === 'calendar.deadlines_to_recompute').map((n) => n.title)).toEqual([
      'Lịch năm 2027 đã thay đổi: 1 hồ sơ đang mở có hạn xử lý cần tính lại',
    ]);
  });

  it('is still told when the process that stored the year ended before telling (killed, or the database gone a moment)', async () => {
    const admin = await adminToken(engine);
    const posted = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': 'dev-ihanoi-key' })
      .send({ category: 'sanitation', description: 'Rác thải ở chợ Mơ, lần hai.', location: { wardCode: 'BACH_KHOA' } });
    const clock = { stage: 'resolve' as const, startedAt: new Date('2028-02-01T08:00:00+07:00'), minutes: 15 * 480, extensionMinutes: 0, unit: 'P_BACH_KHOA' };
    const d = engine.api.get(SlaService).deadlines(clock, []);
    await engine.query(
      `UPDATE cases SET status = 'in_progress', unit_code = 'P_BACH_KHOA', stage = 'resolve', stage_started_at = $2, stage_minutes = $3, due_at = $4, warn_at = $5
        WHERE id = $1`,
      [(posted.body as ApiSchema<'FeedbackAcceptedDto'>).id, clock.startedAt, clock.minutes, d.dueAt, d.warnAt],
    );
    writeFileSync(
      join(dir, 'calendars', '2028.yaml'),
      ['year: 2028', 'timezone: Asia/Ho_Chi_Minh', 'daysOff:', '  - { from: 2028-02-07, to: 2028-02-11, name: Tết Nguyên đán }', ''].join('\n'),
    );
    // A process stores the year from the file at its start (as CalendarStore does) and ends before it tells anyone.
    await new CalendarStore(engine.api.get(DataSource), engine.config).documents();
    const told = async (app: INestApplication) =>
      ((await engine.http(app).get('/v1/notifications').set(bearer(admin))).body as ApiSchema<'NotificationPageDto'>).items
        .filter((n) => n.kind === 'calendar.deadlines_to_recompute' && n.title.includes('2028'))
        .map((n) => n.title);
    expect(await told(engine.api)).toEqual([]);

    // The next start tells, once.
    const next = await createApiApp(engine.config);
    try {
      expect(await told(next)).toEqual(['Lịch năm 2028 đã thay đổi: 1 hồ sơ đang mở có hạn xử lý cần tính lại']);
    } finally {
      await next.close();
    }
    const again = await createApiApp(engine.config);
    try {
      expect(await told(again)).toHaveLength(1);
    } finally {
      await again.close();
    }

    // A start that could not tell (its database gone at that moment) leaves it to a worker's maintenance sweep.
    const worker = await engine.startWorker();
    await engine.query(`UPDATE calendars SET deadlines_notice_due = true WHERE scope = '' AND year = 2028`);
    await worker.get(Maintenance).runOnce();
    expect(await told(engine.api)).toHaveLength(2);
    const [{ due }] = await engine.query<{ due: boolean }>(`SELECT deadlines_notice_due AS due FROM calendars WHERE scope = '' AND year = 2028`);
    expect(due).toBe(false);
  });
});
