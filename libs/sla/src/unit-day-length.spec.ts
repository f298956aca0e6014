import { join } from 'node:path';
import { loadConfig } from '@fr/config';
import { calendarFromDocuments, WorkingCalendar } from '@fr/domain';
import type { CalendarStore } from './calendar-store';
import { ladderTimes } from './escalation-ladder';
import { loadCalendar } from './sla-policy';
import { SlaService } from './sla.service';

const vn = (text: string) => new Date(`${text.replace(' ', 'T')}:00+07:00`);
const show = (d: Date | null) => (d ? new Date(d.getTime() + 7 * 3_600_000).toISOString().replace('T', ' ').slice(0, 16) : null);

// A unit of its own hours: 07:30-11:30 and 13:30-17:00, 7.5 working hours a day (a one-stop desk that
// opens early and closes for a longer lunch). Its year lists the district's 2026 days off.
const SHORT_DAY = ['07:30-11:30', '13:30-17:00'];
const unitYear = {
  year: 2026,
  timezone: 'Asia/Ho_Chi_Minh',
  officeHours: { mon: SHORT_DAY, tue: SHORT_DAY, wed: SHORT_DAY, thu: SHORT_DAY, fri: SHORT_DAY },
  daysOff: [{ from: '2026-02-14', to: '2026-02-22', name: 'Tết Nguyên đán' }],
};

describe('"N working days" on a unit calendar whose day is not the district\'s length', () => {
  const district = loadCalendar(join(__dirname, '../../../config'));
  const unit = calendarFromDocuments([unitYear]);
  const store = {
    version: () => Promise.resolve('v1'),
    calendars: () => Promise.resolve({ district, units: new Map<string, WorkingCalendar>([['P_SHORT', unit]]) }),
  } as unknown as CalendarStore;
  const sut = new SlaService(loadConfig({ FR_CONFIG_DIR: join(__dirname, '../../../config') }), store);
  beforeAll(() => sut.reloadCalendar());

  it("gives a normal case 5 of the unit's working days, not 5 x 8 district hours", () => {
    expect(unit.dayMinutes).toBe(450);
    const monday = vn('2026-12-07 07:30');
    const clock = sut.resolveClock(monday, 'normal', { unit: 'P_SHORT' });
    // Monday 07:30 + 5 working days of the unit = Friday 17:00 (not Monday 10:00 of the next week).
    expect(show(sut.deadlines(clock, []).dueAt)).toBe('2026-12-11 17:00');
    expect(unit.between(monday, sut.deadlines(clock, []).dueAt!, 'days')).toBe(5);
    // The district's units keep their 8-hour days.
    expect(show(sut.deadlines(sut.resolveClock(vn('2026-12-07 08:00'), 'normal', { unit: 'P_BACH_KHOA' }), []).dueAt)).toBe('2026-12-11 17:00');
  });

  it('keeps hours as hours: 8 working hours to receive are 8 hours on any calendar', () => {
    expect(sut.receiveClock(vn('2026-12-07 07:30'), { unit: 'P_SHORT' }).minutes).toBe(480);
  });

  it('escalates "1 working day" and "3 working days" past the deadline in the unit\'s days', () => {
    const due = vn('2026-12-11 17:00');
    const times = Object.fromEntries(
      ladderTimes(sut.calendarFor('P_SHORT'), sut.policy.escalation, { dueAt: due, warnAt: null }).map(({ rung, fireAt }) => [rung.level, show(fireAt)]),
    );
    expect(times).toEqual({ '1': '2026-12-11 17:00', '2': '2026-12-14 17:00', '3': '2026-12-16 17:00' });
  });
});
