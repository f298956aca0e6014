import { Clock } from '@fr/sla';
import { adminToken, bearer, ManualClock, TestEngine } from '@fr/testing';

/**
 * Home Affairs judges units by deadlines counted on the calendar; a replaced year changes them. The
 * audit trail has to say which days changed, and which of them were already past: a day off added to
 * a past date takes cases that are late out of the late rate once their deadlines are recomputed.
 */
describe('a replaced calendar year in the audit trail', () => {
  let engine: TestEngine;
  let admin: string;
  const clock = new ManualClock(new Date('2026-12-06T09:00:00+07:00'));

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    admin = await adminToken(engine);
    engine.api.get(Clock).follow(clock);
  });
  afterAll(async () => {
    engine?.api.get(Clock).follow(null);
    await engine?.close();
  });

  const lastReplaced = async () =>
    (
      await engine.query<{ data: Record<string, unknown> }>(
        `SELECT data FROM audit_events WHERE action = 'calendar_replaced' AND (data->>'year')::int = 2026 ORDER BY id DESC LIMIT 1`,
      )
    )[0].data;

  it('records the days off and make-up days added and removed, and those already past', async () => {
    const y2026 = (await engine.http().get('/v1/calendars/2026').set(bearer(admin))).body as {
      daysOff: { date?: string; from?: string; to?: string; name: string }[];
      extraWorkingDays: { date: string; name: string }[];
    };
    const body = {
      timezone: 'Asia/Ho_Chi_Minh',
      // Giỗ Tổ (27/4) dropped, a past Friday and a coming Friday added as days off; Sat 22/8 no longer made up.
      daysOff: [...y2026.daysOff.filter((d) => d.date !== '2026-04-27'), { date: '2026-12-04', name: 'Nghỉ bù' }, { date: '2026-12-11', name: 'Nghỉ bù' }],
      extraWorkingDays: y2026.extraWorkingDays.filter((d) => d.date !== '2026-08-22'),
    };
    expect((await engine.http().put('/v1/calendars/2026').set(bearer(admin)).send(body)).status).toBe(200);
    expect(await lastReplaced()).toEqual({
      year: 2026,
      unit: null,
      daysOff: 7,
      daysOffAdded: ['2026-12-04', '2026-12-11'],
      daysOffRemoved: ['2026-04-27'],
      extraWorkingDaysRemoved: ['2026-08-22'],
      pastDatesChanged: ['2026-04-27', '2026-08-22', '2026-12-04'],
    });

    // The same days again: a replacement that changes nothing says so.
    expect((await engine.http().put('/v1/calendars/2026').set(bearer(admin)).send(body)).status).toBe(200);
    expect(await lastReplaced()).toEqual({ year: 2026, unit: null, daysOff: 7 });
  });
});
