import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ValidationError } from '../errors';
import { calendarFromDocuments, parseCalendarDocument } from './calendar-document';
import { CalendarData, WorkingCalendar, localDateKey, mergeCalendars } from './working-calendar';
import { seededRandom } from '../seeded-random';

const CALENDAR_DIR = join(__dirname, '../../../../config/calendars');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const OFFSET = 7 * HOUR;

function realDocuments(): unknown[] {
  return readdirSync(CALENDAR_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(CALENDAR_DIR, f), 'utf8')) as unknown);
}

/** 'YYYY-MM-DD HH:MM[:SS[.mmm]]' on the Hanoi wall clock. */
function vn(text: string): Date {
  const [date, time] = text.split(' ');
  const d = new Date(`${date}T${time.length === 5 ? `${time}:00` : time}+07:00`);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test time ${text}`);
  return d;
}

/** Back to the Hanoi wall clock, seconds only when present, so expectations read like the brief. */
function show(d: Date | null): string | null {
  if (d === null) return null;
  const text = new Date(d.getTime() + OFFSET).toISOString().replace('T', ' ').replace('Z', '');
  return text.endsWith(':00.000') ? text.slice(0, 16) : text;
}

const prng = (seed: number): (() => number) => seededRandom(String(seed));

describe(WorkingCalendar.name, () => {
  const sut = calendarFromDocuments(realDocuments());

  it('loads every year on file', () => {
    expect(sut.years).toEqual([2024, 2025, 2026, 2027]);
    expect(sut.dayMinutes).toBe(480);
  });

  describe('office hours and lunch break', () => {
    it.each([
      ['2025-03-03 07:59:59.999', false],
      ['2025-03-03 08:00', true],
      ['2025-03-03 11:59:59.999', true],
      ['2025-03-03 12:00', false],
      ['2025-03-03 12:59', false],
      ['2025-03-03 13:00', true],
      ['2025-03-03 16:59', true],
      ['2025-03-03 17:00', false],
      ['2025-03-08 10:00', false],
      ['2025-03-09 10:00', false],
    ])('isWorkingTime(%s) is %s', (time, expected) => {
      expect(sut.isWorkingTime(vn(time))).toBe(expected);
    });

    it('skips the lunch break', () => {
      expect(show(sut.addMinutes(vn('2025-03-03 11:30'), 60))).toBe('2025-03-03 13:30');
      expect(sut.minutesBetween(vn('2025-03-03 11:00'), vn('2025-03-03 14:00'))).toBe(120);
      expect(sut.minutesBetween(vn('2025-03-03 12:10'), vn('2025-03-03 12:50'))).toBe(0);
    });

    it('returns the end of a period, not the next opening, when a deadline lands on it', () => {
      expect(show(sut.add(vn('2025-03-03 10:00'), { hours: 2 }))).toBe('2025-03-03 12:00');
      expect(show(sut.add(vn('2025-03-03 08:00'), { hours: 8 }))).toBe('2025-03-03 17:00');
      expect(show(sut.add(vn('2025-03-03 08:00'), { days: 1 }))).toBe('2025-03-03 17:00');
      expect(show(sut.add(vn('2025-03-07 13:00'), { hours: 4 }))).toBe('2025-03-07 17:00');
    });

    it('adds zero as the start itself inside working time, else as the next opening', () => {
      const start = vn('2025-03-03 10:17:31.250');
      expect(sut.addMinutes(start, 0).getTime()).toBe(start.getTime());
      expect(show(sut.addMinutes(vn('2025-03-03 12:00'), 0))).toBe('2025-03-03 13:00');
      expect(show(sut.addMinutes(vn('2025-03-07 17:00'), 0))).toBe('2025-03-10 08:00');
    });

    it('measures fractions of a minute', () => {
      expect(sut.minutesBetween(vn('2025-03-03 10:00'), vn('2025-03-03 10:00:30'))).toBe(0.5);
      expect(show(sut.addMinutes(vn('2025-03-03 11:59:30'), 1))).toBe('2025-03-03 13:00:30.000');
      expect(sut.between(vn('2025-03-03 08:00'), vn('2025-03-03 14:00'), 'hours')).toBe(5);
      expect(sut.between(vn('2025-03-03 08:00'), vn('2025-03-03 14:00'), 'days')).toBe(5 / 8);
    });

    it('returns 0 between an instant and an earlier one', () => {
      expect(sut.minutesBetween(vn('2025-03-04 10:00'), vn('2025-03-03 10:00'))).toBe(0);
      expect(sut.minutesBetween(vn('2025-03-04 10:00'), vn('2025-03-04 10:00'))).toBe(0);
    });
  });

  describe('weekends and starts outside working hours', () => {
    it('carries Friday afternoon over the weekend', () => {
      expect(show(sut.add(vn('2025-03-07 16:00'), { hours: 2 }))).toBe('2025-03-10 09:00');
      expect(sut.between(vn('2025-03-07 16:00'), vn('2025-03-10 09:00'), 'hours')).toBe(2);
    });

    it.each([
      ['2025-03-03 06:00', 60, '2025-03-03 09:00'],
      ['2025-03-03 12:30', 30, '2025-03-03 13:30'],
      ['2025-03-03 17:00', 1, '2025-03-04 08:01'],
      ['2025-03-07 20:00', 1, '2025-03-10 08:01'],
      ['2025-03-08 10:00', 30, '2025-03-10 08:30'],
      ['2025-03-09 23:59:59.999', 480, '2025-03-10 17:00'],
    ])('counts from the next opening: %s + %d min = %s', (start, minutes, expected) => {
      expect(show(sut.addMinutes(vn(start), minutes))).toBe(expected);
    });

    it('finds the next opening', () => {
      expect(show(sut.nextOpening(vn('2025-03-03 12:00')))).toBe('2025-03-03 13:00');
      expect(show(sut.nextOpening(vn('2025-03-03 09:15')))).toBe('2025-03-03 09:15');
      expect(show(sut.nextOpening(vn('2025-01-24 17:00')))).toBe('2025-02-03 08:00');
    });
  });

  describe('holidays', () => {
    it('skips Tết 2025 (25/1-2/2)', () => {
      expect(sut.isWorkingDay('2025-01-24')).toBe(true);
      for (const date of ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31']) {
        expect(sut.isWorkingDay(date)).toBe(false);
        expect(sut.specialDayName(date)).toBe('Tết Nguyên đán');
      }
      expect(show(sut.add(vn('2025-01-24 16:00'), { hours: 2 }))).toBe('2025-02-03 09:00');
      expect(sut.between(vn('2025-01-24 08:00'), vn('2025-02-04 08:00'), 'days')).toBe(2);
    });

    it('puts a 5-working-day deadline received before Tết 2025 after it', () => {
      const receivedAt = vn('2025-01-20 10:00');
      const due = sut.add(receivedAt, { days: 5 });
      expect(show(due)).toBe('2025-02-03 10:00');
      expect(sut.between(receivedAt, due, 'days')).toBe(5);
    });

    it('skips Tết 2026 (14/2-22/2)', () => {
      expect(show(sut.addMinutes(vn('2026-02-13 16:30'), 60))).toBe('2026-02-23 08:30');
      expect(sut.isWorkingTime(vn('2026-02-16 10:00'))).toBe(false);
      expect(sut.workingMinutesOn('2026-02-23')).toBe(480);
    });

    it('observes Giỗ Tổ Hùng Vương 2026 on Monday 27/4, then 30/4 and 1/5', () => {
      expect(sut.isWorkingDay('2026-04-27')).toBe(false);
      expect(show(sut.add(vn('2026-04-24 17:00'), { days: 1 }))).toBe('2026-04-28 17:00');
      expect(show(sut.add(vn('2026-04-29 16:00'), { hours: 2 }))).toBe('2026-05-04 09:00');
    });

    it('skips 2/5/2025, swapped for Saturday 26/4', () => {
      expect(show(sut.add(vn('2025-04-29 16:00'), { hours: 2 }))).toBe('2025-05-05 09:00');
      expect(sut.specialDayName('2025-05-02')).toBe('Quốc tế Lao động (nghỉ hoán đổi)');
    });

    it.each([
      // 2/1/2026 is off too (swapped for Saturday 10/1): the next working day is Monday 5/1.
      ['2025-12-31 16:00', 2, '2026-01-05 09:00'],
      ['2024-12-31 16:00', 2, '2025-01-02 09:00'],
      ['2025-12-31 08:00', 16, '2026-01-05 17:00'],
    ])('crosses the year end: %s + %d working hours = %s', (start, hours, expected) => {
      expect(show(sut.add(vn(start), { hours }))).toBe(expected);
    });

    it('spans Quốc khánh 2024 and 2025', () => {
      expect(show(sut.add(vn('2024-08-30 16:00'), { hours: 2 }))).toBe('2024-09-04 09:00');
      expect(show(sut.add(vn('2025-08-29 16:00'), { hours: 2 }))).toBe('2025-09-03 09:00');
    });

    it('falls back to weekly office hours after the last year on file', () => {
      expect(sut.isWorkingDay('2028-01-03')).toBe(true);
      expect(show(sut.add(vn('2027-12-31 16:00'), { hours: 2 }))).toBe('2028-01-03 09:00');
      // 1/1/2028 is a Saturday; without a 2028 file nothing marks it: the gap calendarGaps warns about.
    });
  });

  describe('make-up Saturdays', () => {
    it('works Saturday 4/5/2024 with Monday hours', () => {
      expect(sut.workingMinutesOn('2024-05-04')).toBe(480);
      expect(sut.isWorkingTime(vn('2024-05-04 09:00'))).toBe(true);
      expect(sut.isWorkingTime(vn('2024-05-04 12:30'))).toBe(false);
      expect(show(sut.add(vn('2024-05-03 16:00'), { hours: 2 }))).toBe('2024-05-04 09:00');
      expect(show(sut.add(vn('2024-04-26 16:00'), { hours: 2 }))).toBe('2024-05-02 09:00');
    });

    it('works Saturday 26/4/2025', () => {
      expect(sut.specialDayName('2025-04-26')).toBe('Làm bù cho thứ Sáu 2/5');
      expect(show(sut.add(vn('2025-04-25 16:00'), { hours: 2 }))).toBe('2025-04-26 09:00');
      expect(show(sut.add(vn('2025-04-26 16:00'), { hours: 2 }))).toBe('2025-04-28 09:00');
      expect(sut.isWorkingDay('2025-04-19')).toBe(false);
    });
  });

  describe('configured hours', () => {
    const data: CalendarData = {
      officeHours: {
        1: [
          { start: '07:30', end: '11:30' },
          { start: '13:30', end: '17:00' },
        ],
        2: [
          { start: '07:30', end: '11:30' },
          { start: '13:30', end: '17:00' },
        ],
        6: [{ start: '08:00', end: '11:00' }],
      },
      daysOff: [],
      extraWorkingDays: [
        { date: '2025-03-09', name: 'Làm bù' },
        { date: '2025-03-16', name: 'Trực', hours: [{ start: '09:00', end: '10:00' }] },
      ],
    };
    const custom = new WorkingCalendar(data);

    it('derives the working day from Monday', () => {
      expect(custom.dayMinutes).toBe(450);
      expect(show(custom.add(vn('2025-03-03 07:30'), { days: 1 }))).toBe('2025-03-03 17:00');
      expect(show(custom.add(vn('2025-03-03 07:30'), { days: 2 }))).toBe('2025-03-04 17:00');
    });

    it('uses Saturday hours, Monday hours for an unspecified make-up day, and given hours otherwise', () => {
      expect(custom.workingMinutesOn('2025-03-08')).toBe(180);
      expect(custom.workingMinutesOn('2025-03-09')).toBe(450);
      expect(custom.workingMinutesOn('2025-03-16')).toBe(60);
      expect(show(custom.addMinutes(vn('2025-03-04 16:30'), 60))).toBe('2025-03-08 08:30');
    });

    it('accepts an explicit day length', () => {
      const short = new WorkingCalendar(data, { dayMinutes: 240 });
      expect(short.between(vn('2025-03-03 07:30'), vn('2025-03-03 17:00'), 'days')).toBe(450 / 240);
    });

    it('joins touching periods so their boundary is not an end of period', () => {
      const continuous = new WorkingCalendar({
        officeHours: {
          1: [
            { start: '13:00', end: '17:00' },
            { start: '08:00', end: '13:00' },
          ],
        },
        daysOff: [],
        extraWorkingDays: [],
      });
      expect(continuous.dayMinutes).toBe(540);
      expect(continuous.isWorkingTime(vn('2025-03-03 13:00'))).toBe(true);
      expect(show(continuous.addMinutes(vn('2025-03-03 12:00'), 60))).toBe('2025-03-03 13:00');
    });

    it('defaults to Monday-Friday 08:00-12:00, 13:00-17:00 without data', () => {
      const plain = new WorkingCalendar();
      expect(plain.dayMinutes).toBe(480);
      expect(plain.years).toEqual([]);
      expect(plain.isWorkingDay('2025-01-01')).toBe(true);
    });
  });

  describe('merging and bad input', () => {
    const year = (y: number, extra: Partial<CalendarData> = {}): CalendarData => ({
      daysOff: [],
      extraWorkingDays: [],
      years: [y],
      ...extra,
    });

    it('merges several years, sorted', () => {
      const merged = mergeCalendars(
        year(2026, { daysOff: [{ date: '2026-01-01', name: 'Tết Dương lịch' }] }),
        year(2025, { daysOff: [{ date: '2025-01-01', name: 'Tết Dương lịch' }] }),
      );
      expect(merged.years).toEqual([2025, 2026]);
      expect(merged.daysOff.map((d) => d.date)).toEqual(['2025-01-01', '2026-01-01']);
    });

    it('refuses calendars with different office hours', () => {
      const other = year(2026, { officeHours: { 1: [{ start: '08:00', end: '16:00' }] } });
      expect(() => mergeCalendars(year(2025), other)).toThrow(/calendar 2026: officeHours differ from calendar 2025/);
    });

    it('refuses the same year or date twice, and a date both off and working', () => {
      expect(() => mergeCalendars(year(2025), year(2025))).toThrow(/year 2025 is also given by calendar 2025/);
      expect(
        () =>
          new WorkingCalendar([
            year(2025, { daysOff: [{ date: '2025-04-26', name: 'Nghỉ' }] }),
            year(2026, { extraWorkingDays: [{ date: '2025-04-26', name: 'Làm bù' }] }),
          ]),
      ).toThrow(/calendar 2026 extra working day 2025-04-26 is also listed as calendar 2025 day off/);
    });

    it('refuses malformed data given directly', () => {
      expect(() => new WorkingCalendar(year(2025, { daysOff: [{ date: '2025-02-30', name: 'x' }] }))).toThrow(ValidationError);
      expect(() => new WorkingCalendar({ officeHours: {}, daysOff: [], extraWorkingDays: [] })).toThrow(/no weekday has office hours/);
      expect(() => new WorkingCalendar({ officeHours: { 1: [{ start: '17:00', end: '08:00' }] }, daysOff: [], extraWorkingDays: [] })).toThrow(
        /does not end after it starts/,
      );
    });

    it('refuses negative or non-finite durations and invalid dates', () => {
      expect(() => sut.addMinutes(vn('2025-03-03 10:00'), -1)).toThrow(RangeError);
      expect(() => sut.add(vn('2025-03-03 10:00'), { hours: Number.NaN })).toThrow(RangeError);
      expect(() => sut.addMinutes(new Date('nope'), 1)).toThrow(RangeError);
      expect(() => sut.minutesBetween(vn('2025-03-03 10:00'), new Date(Number.NaN))).toThrow(RangeError);
      expect(() => sut.isWorkingDay('2025-13-01')).toThrow(RangeError);
    });

    it('gives the Hanoi date of an instant', () => {
      expect(localDateKey(new Date('2025-01-31T17:00:00Z'))).toBe('2025-02-01');
      expect(localDateKey(new Date('2025-01-31T16:59:59.999Z'))).toBe('2025-01-31');
    });
  });

  describe('speed', () => {
    it('adds 15 working days 10,000 times in well under a second', () => {
      const random = prng(7);
      const base = vn('2024-01-01 00:00').getTime();
      const starts = Array.from({ length: 10_000 }, () => new Date(base + Math.floor(random() * 3 * 365 * DAY)));
      const began = performance.now();
      let last = 0;
      for (const start of starts) last = sut.add(start, { days: 15 }).getTime();
      const took = performance.now() - began;
      expect(last).toBeGreaterThan(base);
      expect(took).toBeLessThan(1000);
    });
  });

  describe('properties over random inputs', () => {
    const from = vn('2023-11-01 00:00').getTime();
    const to = vn('2027-03-01 00:00').getTime();
    const boundaries = ['00:00', '07:59:59.999', '08:00', '11:59:59.999', '12:00', '13:00', '17:00', '23:59:59.999'];

    function randomInstant(random: () => number): Date {
      const t = from + Math.floor(random() * (to - from));
      const kind = random();
      if (kind < 0.35) return new Date(t);
      if (kind < 0.7) return new Date(t - (t % MIN));
      const date = localDateKey(new Date(t));
      return vn(`${date} ${boundaries[Math.floor(random() * boundaries.length)]}`);
    }

    function randomMinutes(random: () => number): number {
      const kind = random();
      if (kind < 0.15) return 0;
      if (kind < 0.5) return Math.floor(random() * 480);
      return Math.floor(random() * 20 * 480);
    }

    it('between(a, add(a, d)) equals d, and add lands in or at the end of working time', () => {
      const random = prng(20250128);
      for (let i = 0; i < 5000; i++) {
        const a = randomInstant(random);
        const minutes = randomMinutes(random);
        const due = sut.addMinutes(a, minutes);
        const context = `a=${a.toISOString()} d=${minutes}`;
        expect([context, sut.minutesBetween(a, due)]).toEqual([context, minutes]);
        expect(due.getTime()).toBeGreaterThanOrEqual(a.getTime());
        if (minutes === 0) expect([context, sut.isWorkingTime(due)]).toEqual([context, true]);
        else expect([context, sut.isWorkingTime(new Date(due.getTime() - 1))]).toEqual([context, true]);
      }
    });

    it('holds to the millisecond for odd durations', () => {
      const random = prng(42);
      for (let i = 0; i < 3000; i++) {
        const a = randomInstant(random);
        const ms = Math.floor(random() * 10 * 480 * MIN);
        expect(sut.millisecondsBetween(a, sut.addMilliseconds(a, ms))).toBe(ms);
      }
    });

    it('is monotonic in the start', () => {
      const random = prng(1975);
      for (let i = 0; i < 3000; i++) {
        const a1 = randomInstant(random);
        const a2 = new Date(a1.getTime() + Math.floor(random() * (random() < 0.5 ? HOUR : 4 * DAY)));
        const minutes = randomMinutes(random);
        expect(sut.addMinutes(a2, minutes).getTime()).toBeGreaterThanOrEqual(sut.addMinutes(a1, minutes).getTime());
      }
    });

    it('is monotonic in the duration', () => {
      const random = prng(112);
      for (let i = 0; i < 3000; i++) {
        const a = randomInstant(random);
        const d1 = randomMinutes(random);
        const d2 = d1 + (random() < 0.2 ? 0 : random() < 0.5 ? random() / 100 : randomMinutes(random));
        expect(sut.addMinutes(a, d2).getTime()).toBeGreaterThanOrEqual(sut.addMinutes(a, d1).getTime());
      }
    });

    it('adds up: between(a, c) = between(a, b) + between(b, c)', () => {
      const random = prng(9);
      for (let i = 0; i < 2000; i++) {
        const [a, b, c] = [randomInstant(random), randomInstant(random), randomInstant(random)].sort((x, y) => x.getTime() - y.getTime());
        expect(sut.millisecondsBetween(a, c)).toBe(sut.millisecondsBetween(a, b) + sut.millisecondsBetween(b, c));
      }
    });

    it('agrees with a minute-by-minute count written from the YAML data', () => {
      const data = realDocuments().map((doc) => parseCalendarDocument(doc));
      const off = new Set(data.flatMap((d) => d.daysOff.map((x) => x.date)));
      const extra = new Set(data.flatMap((d) => d.extraWorkingDays.map((x) => x.date)));
      const dayCache = new Map<number, boolean>();
      const workingDay = (dayNumber: number): boolean => {
        let working = dayCache.get(dayNumber);
        if (working === undefined) {
          const date = new Date(dayNumber * DAY).toISOString().slice(0, 10);
          const weekday = new Date(dayNumber * DAY).getUTCDay();
          working = extra.has(date) || (!off.has(date) && weekday >= 1 && weekday <= 5);
          dayCache.set(dayNumber, working);
        }
        return working;
      };
      const workingMinute = (t: number): boolean => {
        const local = t + OFFSET;
        const minuteOfDay = Math.floor((local % DAY) / MIN);
        const inHours = (minuteOfDay >= 480 && minuteOfDay < 720) || (minuteOfDay >= 780 && minuteOfDay < 1020);
        return inHours && workingDay(Math.floor(local / DAY));
      };
      const slowAdd = (start: number, minutes: number): number => {
        let t = start;
        if (minutes === 0) {
          while (!workingMinute(t)) t += MIN;
          return t;
        }
        for (let counted = 0; counted < minutes; t += MIN) if (workingMinute(t)) counted += 1;
        return t;
      };

      const random = prng(2026);
      for (let i = 0; i < 300; i++) {
        const raw = randomInstant(random).getTime();
        const a = raw - (raw % MIN);
        const minutes = Math.floor(random() * 1500);
        expect([new Date(a).toISOString(), minutes, show(sut.addMinutes(new Date(a), minutes))]).toEqual([
          new Date(a).toISOString(),
          minutes,
          show(new Date(slowAdd(a, minutes))),
        ]);
      }
    });
  });
});
