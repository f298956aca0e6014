import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { calendarFromDocuments } from './calendar-document';
import { ClockPause, computeDueAt, elapsedWorkingMinutes } from './deadline';
import { seededRandom } from '../seeded-random';

const CALENDAR_DIR = join(__dirname, '../../../../config/calendars');
const DAY = 86_400_000;
const OFFSET = 7 * 3_600_000;

const calendar = calendarFromDocuments(
  readdirSync(CALENDAR_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(CALENDAR_DIR, f), 'utf8')) as unknown),
);

function vn(text: string): Date {
  const [date, time] = text.split(' ');
  return new Date(`${date}T${time}:00+07:00`);
}

function show(d: Date | null): string | null {
  return d === null ? null : new Date(d.getTime() + OFFSET).toISOString().replace('T', ' ').slice(0, 16);
}

function pause(from: string, to: string | null): ClockPause {
  return { from: vn(from), to: to === null ? null : vn(to) };
}

const prng = (seed: number): (() => number) => seededRandom(String(seed));

describe(computeDueAt.name, () => {
  const sut = computeDueAt;
  const start = vn('2025-03-03 09:00'); // Monday
  const oneDay = 480;

  it('without pauses is the calendar deadline', () => {
    expect(show(sut(calendar, start, oneDay, []))).toBe('2025-03-04 09:00');
    expect(show(sut(calendar, vn('2025-12-31 16:00'), 120, []))).toBe('2026-01-05 09:00');
  });

  it('moves the deadline by exactly the paused working time', () => {
    expect(show(sut(calendar, start, oneDay, [pause('2025-03-03 14:00', '2025-03-03 16:00')]))).toBe('2025-03-04 11:00');
    // Overnight: 16:00-17:00 and 08:00-10:00 are working time, the night is not.
    const overnight = [pause('2025-03-03 16:00', '2025-03-04 10:00')];
    const due = sut(calendar, start, oneDay, overnight);
    expect(show(due)).toBe('2025-03-04 12:00');
    expect(calendar.minutesBetween(vn('2025-03-04 09:00'), due!)).toBe(180);
  });

  it('is not moved by a pause outside working time', () => {
    const weekend = [pause('2025-03-07 17:00', '2025-03-10 08:00')];
    expect(show(sut(calendar, vn('2025-03-07 16:00'), 120, weekend))).toBe('2025-03-10 09:00');
  });

  it('is unknown while an open pause began before the deadline', () => {
    expect(sut(calendar, start, oneDay, [pause('2025-03-03 15:00', null)])).toBeNull();
    expect(sut(calendar, start, oneDay, [pause('2025-03-01 10:00', null)])).toBeNull();
  });

  it('moves the deadline by the working time of a pause that begins at or after it, so the case resumes as far past it', () => {
    // Past the deadline, the clock stops as well: while it is stopped the deadline is unknown.
    expect(sut(calendar, start, oneDay, [pause('2025-03-04 09:00', null)])).toBeNull();
    // A working day waited, a day past the deadline: the deadline moves a working day.
    expect(show(sut(calendar, start, oneDay, [pause('2025-03-05 10:00', '2025-03-06 10:00')]))).toBe('2025-03-05 09:00');
    const endOfPeriod = vn('2025-03-03 10:00');
    // 12:00 to 15:00 holds two working hours (lunch is not working time).
    expect(show(sut(calendar, endOfPeriod, 120, [pause('2025-03-03 12:00', '2025-03-03 15:00')]))).toBe('2025-03-03 15:00');
    expect(sut(calendar, endOfPeriod, 120, [pause('2025-03-03 12:30', null)])).toBeNull();
    // A pause outside working hours moves nothing.
    expect(show(sut(calendar, start, oneDay, [pause('2025-03-04 18:00', '2025-03-04 20:00')]))).toBe('2025-03-04 09:00');
  });

  it('clips a pause that began before the clock and ignores one that ended before it', () => {
    expect(show(sut(calendar, start, oneDay, [pause('2025-03-03 07:00', '2025-03-03 10:00')]))).toBe('2025-03-04 10:00');
    expect(show(sut(calendar, start, oneDay, [pause('2025-02-28 10:00', '2025-03-03 09:00')]))).toBe('2025-03-04 09:00');
  });

  it('handles unsorted, overlapping and touching pauses as their union', () => {
    const messy = [
      pause('2025-03-03 15:00', '2025-03-03 16:00'),
      pause('2025-03-03 10:00', '2025-03-03 11:00'),
      pause('2025-03-03 10:30', '2025-03-03 11:30'),
      pause('2025-03-03 14:00', '2025-03-03 15:00'),
      pause('2025-03-03 14:30', '2025-03-03 14:30'),
    ];
    const union = [pause('2025-03-03 10:00', '2025-03-03 11:30'), pause('2025-03-03 14:00', '2025-03-03 16:00')];
    expect(show(sut(calendar, start, oneDay, messy))).toBe('2025-03-04 13:30'); // 210 min paused
    expect(sut(calendar, start, oneDay, messy)).toEqual(sut(calendar, start, oneDay, union));
  });

  it('carries paused time across Tết 2026', () => {
    const received = vn('2026-02-10 09:00');
    const paused = [pause('2026-02-11 09:00', '2026-02-12 09:00')];
    expect(show(sut(calendar, received, 5 * oneDay, []))).toBe('2026-02-24 09:00');
    expect(show(sut(calendar, received, 5 * oneDay, paused))).toBe('2026-02-25 09:00');
  });

  it('refuses bad input', () => {
    expect(() => sut(calendar, start, -1, [])).toThrow(RangeError);
    expect(() => sut(calendar, start, 60, [pause('2025-03-03 12:00', '2025-03-03 11:00')])).toThrow(/pauses\[0\] ends before it starts/);
    expect(() => sut(calendar, new Date(Number.NaN), 60, [])).toThrow(RangeError);
  });

  it('recomputes the same answer from the same facts in any order', () => {
    const random = prng(1207);
    const base = vn('2024-12-01 00:00').getTime();
    let unknown = 0;
    let moved = 0;
    for (let i = 0; i < 1500; i++) {
      const begin = new Date(base + Math.floor(random() * 500 * DAY));
      const minutes = Math.floor(random() * 15 * oneDay);
      const pauses: ClockPause[] = Array.from({ length: Math.floor(random() * 5) }, () => {
        const from = begin.getTime() + Math.floor((random() - 0.1) * 30 * DAY);
        const open = random() < 0.15;
        return { from: new Date(from), to: open ? null : new Date(from + Math.floor(random() * 5 * DAY)) };
      });
      const due = sut(calendar, begin, minutes, pauses);
      const shuffled = [...pauses].reverse();
      expect(sut(calendar, begin, minutes, shuffled)).toEqual(due);

      const unpaused = calendar.addMinutes(begin, minutes);
      if (due === null) {
        // Only an open pause leaves the deadline unknown (before the deadline or after it).
        expect(pauses.some((p) => p.to === null)).toBe(true);
        unknown += 1;
        continue;
      }
      if (due.getTime() > unpaused.getTime()) moved += 1;
      expect(due.getTime()).toBeGreaterThanOrEqual(unpaused.getTime());
      // After every pause, the case is past its deadline by as much working time as its clock has run
      // past the duration (before the deadline: short of it by as much as is left).
      const after = new Date(Math.max(due.getTime(), ...pauses.map((p) => p.to?.getTime() ?? 0)) + Math.floor(random() * 3 * DAY));
      expect(calendar.millisecondsBetween(due, after) / 60_000).toBeCloseTo(elapsedWorkingMinutes(calendar, begin, after, pauses) - minutes, 6);
      // With no pause from the deadline on, it is where the duration is used up.
      if (pauses.every((p) => p.from.getTime() < due.getTime() && (p.to === null || p.to.getTime() <= due.getTime()))) {
        expect(elapsedWorkingMinutes(calendar, begin, due, pauses)).toBe(minutes);
        if (minutes > 0) expect(elapsedWorkingMinutes(calendar, begin, new Date(due.getTime() - 1), pauses)).toBeLessThan(minutes);
      }
      const later = sut(calendar, begin, minutes + 1 + Math.floor(random() * 100), pauses);
      if (later !== null) expect(later.getTime()).toBeGreaterThan(due.getTime());
    }
    expect(unknown).toBeGreaterThan(50);
    expect(moved).toBeGreaterThan(300);
  });
});

describe(elapsedWorkingMinutes.name, () => {
  const sut = elapsedWorkingMinutes;
  const start = vn('2025-03-03 09:00');

  it('counts working time only, up to the instant', () => {
    expect(sut(calendar, start, vn('2025-03-03 14:00'), [])).toBe(240);
    expect(sut(calendar, start, vn('2025-03-03 08:00'), [])).toBe(0);
  });

  it('gives the 75% warning point of a working day', () => {
    const due = computeDueAt(calendar, start, 480, [])!;
    expect(sut(calendar, start, vn('2025-03-03 16:00'), []) / 480).toBe(0.75);
    expect(sut(calendar, start, due, [])).toBe(480);
  });

  it('leaves out pauses, and an open pause counts as stopped up to the instant', () => {
    const pauses = [pause('2025-03-03 10:00', '2025-03-03 11:00'), pause('2025-03-03 14:00', null)];
    expect(sut(calendar, start, vn('2025-03-03 11:30'), pauses)).toBe(90);
    expect(sut(calendar, start, vn('2025-03-05 11:30'), pauses)).toBe(180);
  });

  it('shows how far past the deadline a case is, across a holiday', () => {
    const received = vn('2025-04-28 09:00');
    const due = computeDueAt(calendar, received, 480, [])!;
    expect(show(due)).toBe('2025-04-29 09:00');
    const overrun = sut(calendar, received, vn('2025-05-05 09:00'), []) - 480;
    expect(overrun).toBe(480); // 30/4-4/5 are days off, so one working day late, not six
  });
});

// The 2026 calendar as the government published it (Ministry of Home Affairs' notices of October and
// December 2025; config/calendars/2026.yaml), one deadline across each swapped day.
describe('2026 deadlines across the swapped days', () => {
  const twoHours = 120;
  const fiveDays = 5 * 480;

  it('Friday 2/1/2026 is off (New Year 1-4/1): Wednesday 31/12 16:00 + 2 h is Monday 5/1 09:00', () => {
    expect(show(computeDueAt(calendar, vn('2025-12-31 16:00'), twoHours, []))).toBe('2026-01-05 09:00');
  });

  it('Saturday 10/1/2026 is worked (made up for 2/1): Friday 9/1 16:00 + 2 h is Saturday 10/1 09:00', () => {
    expect(show(computeDueAt(calendar, vn('2026-01-09 16:00'), twoHours, []))).toBe('2026-01-10 09:00');
    // Five working days from Monday 5/1 09:00 count Saturday 10/1: due Saturday 10/1 09:00.
    expect(show(computeDueAt(calendar, vn('2026-01-05 09:00'), fiveDays, []))).toBe('2026-01-10 09:00');
  });

  it('Saturday 22/8/2026 is worked (made up for 31/8): Friday 21/8 16:00 + 2 h is Saturday 22/8 09:00', () => {
    expect(show(computeDueAt(calendar, vn('2026-08-21 16:00'), twoHours, []))).toBe('2026-08-22 09:00');
  });

  it('Monday 31/8/2026 is off (National Day 29/8-2/9): Friday 28/8 16:00 + 2 h is Thursday 3/9 09:00', () => {
    expect(show(computeDueAt(calendar, vn('2026-08-28 16:00'), twoHours, []))).toBe('2026-09-03 09:00');
    expect(elapsedWorkingMinutes(calendar, vn('2026-08-28 17:00'), vn('2026-09-03 08:00'), [])).toBe(0);
  });
});
