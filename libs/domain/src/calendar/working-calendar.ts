import { ValidationError } from '../errors';

/** 0 = Sunday … 6 = Saturday, as `Date#getUTCDay`. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** One stretch of office time, local wall clock 'HH:MM'; `end` is exclusive and may be '24:00'. */
export interface OfficePeriod {
  readonly start: string;
  readonly end: string;
}

/** A weekday that is absent or has an empty list has no office hours. */
export type OfficeHours = { readonly [D in Weekday]?: readonly OfficePeriod[] };

export interface DayOff {
  readonly date: string;
  readonly name: string;
}

/** A make-up day (usually a Saturday); without `hours` it keeps the standard day's hours. */
export interface ExtraWorkingDay {
  readonly date: string;
  readonly name: string;
  readonly hours?: readonly OfficePeriod[];
}

export interface CalendarData {
  /** Defaults to {@link DEFAULT_OFFICE_HOURS}. */
  readonly officeHours?: OfficeHours;
  readonly daysOff: readonly DayOff[];
  readonly extraWorkingDays: readonly ExtraWorkingDay[];
  /** Years whose days off this data lists; after the last one only weekly hours apply. */
  readonly years?: readonly number[];
}

export type DurationUnit = 'minutes' | 'hours' | 'days';

export interface WorkingDuration {
  readonly minutes?: number;
  readonly hours?: number;
  /** Working days of {@link WorkingCalendar.dayMinutes} each. */
  readonly days?: number;
}

export interface WorkingCalendarOptions {
  /** Length of one working day in minutes; defaults to Monday's office hours (480). */
  readonly dayMinutes?: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

// Vietnam has kept UTC+07:00 all year, with no daylight saving, since 13 June 1975, so a fixed
// offset is exact for every date we handle and makes results independent of the host's tz data.
export const VIETNAM_UTC_OFFSET_MS = 7 * HOUR_MS;
export const CALENDAR_TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** A day off's or working day's name: shown in every notice, page and export that lists the day. */
export const MAX_DAY_NAME_LENGTH = 200;

const STANDARD_DAY: readonly OfficePeriod[] = Object.freeze([Object.freeze({ start: '08:00', end: '12:00' }), Object.freeze({ start: '13:00', end: '17:00' })]);

export const DEFAULT_OFFICE_HOURS: OfficeHours = Object.freeze({
  1: STANDARD_DAY,
  2: STANDARD_DAY,
  3: STANDARD_DAY,
  4: STANDARD_DAY,
  5: STANDARD_DAY,
});

export const WEEKDAYS: readonly Weekday[] = Object.freeze([0, 1, 2, 3, 4, 5, 6] as const);

// Ten years without a single working minute can only be broken data; stop instead of spinning.
const MAX_IDLE_DAYS = 3660;

/** [start, end) in milliseconds after local midnight. */
type Span = readonly [number, number];

interface DaySchedule {
  readonly spans: readonly Span[];
  readonly total: number;
}

const CLOSED: DaySchedule = Object.freeze({ spans: Object.freeze([]), total: 0 });

/** Local (Vietnam) day number: whole days since 1970-01-01 local midnight. */
export function localDayOf(ms: number): number {
  return Math.floor((ms + VIETNAM_UTC_OFFSET_MS) / DAY_MS);
}

function dayStartMs(day: number): number {
  return day * DAY_MS - VIETNAM_UTC_OFFSET_MS;
}

export function weekdayOfDay(day: number): Weekday {
  // Day 0, 1970-01-01, was a Thursday.
  return ((((day + 4) % 7) + 7) % 7) as Weekday;
}

/** Day number of a real 'YYYY-MM-DD' date, or undefined (rejects 2025-02-30). */
export function parseDateKey(key: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

export function formatDateKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The Vietnam calendar date of an instant, 'YYYY-MM-DD'. */
export function localDateKey(t: Date): string {
  return formatDateKey(localDayOf(instant(t, 't')));
}

/** Minutes after midnight of 'HH:MM' (00:00 to 24:00), or undefined. */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes <= 24 * 60 ? minutes : undefined;
}

/**
 * Checks and normalises a day's periods into sorted, disjoint spans; touching periods are joined
 * so that a boundary between them is not mistaken for the end of a working period.
 * Returns problems (prefixed with `where`) instead of throwing so a document can report them all.
 */
export function toSpans(periods: readonly OfficePeriod[], where: string): { spans: readonly Span[]; problems: string[] } {
  const problems: string[] = [];
  const parsed: { start: number; end: number; index: number }[] = [];
  periods.forEach((p, index) => {
    const start = parseClock(p.start);
    const end = parseClock(p.end);
    if (start === undefined) problems.push(`${where}[${index}].start '${p.start}' is not a time HH:MM`);
    if (end === undefined) problems.push(`${where}[${index}].end '${p.end}' is not a time HH:MM`);
    if (start === undefined || end === undefined) return;
    if (end <= start) {
      problems.push(`${where}[${index}] '${p.start}-${p.end}' does not end after it starts`);
      return;
    }
    parsed.push({ start, end, index });
  });
  parsed.sort((a, b) => a.start - b.start);
  const spans: [number, number][] = [];
  let previous: { start: number; end: number; index: number } | undefined;
  for (const p of parsed) {
    if (previous && p.start < previous.end) {
      problems.push(`${where}[${p.index}] overlaps ${where}[${previous.index}]`);
      continue;
    }
    const last = spans[spans.length - 1];
    if (last && last[1] === p.start * MINUTE_MS) last[1] = p.end * MINUTE_MS;
    else spans.push([p.start * MINUTE_MS, p.end * MINUTE_MS]);
    previous = p;
  }
  return { spans, problems };
}

function schedule(spans: readonly Span[]): DaySchedule {
  if (spans.length === 0) return CLOSED;
  return Object.freeze({ spans: Object.freeze(spans), total: spans.reduce((sum, [s, e]) => sum + e - s, 0) });
}

function instant(t: Date, what: string): number {
  const ms = t instanceof Date ? t.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a valid Date`);
  return ms;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a finite number >= 0, got ${value}`);
  return value;
}

function hoursKey(hours: OfficeHours | undefined): string {
  const h = hours ?? DEFAULT_OFFICE_HOURS;
  return WEEKDAYS.map((d) => (h[d] ?? []).map((p) => `${p.start}-${p.end}`).join(',')).join('|');
}

function label(part: CalendarData, index: number): string {
  return part.years && part.years.length > 0 ? `calendar ${part.years.join(',')}` : `calendar #${index + 1}`;
}

/**
 * Joins year documents into one calendar. They must agree on office hours (a calendar has one
 * weekly rhythm) and may not list the same date twice, which would make the outcome depend on
 * load order.
 */
export function mergeCalendars(...parts: readonly CalendarData[]): CalendarData {
  if (parts.length === 0) return { daysOff: [], extraWorkingDays: [], years: [] };
  const problems: string[] = [];
  const firstHours = hoursKey(parts[0].officeHours);
  const seenYears = new Map<number, string>();
  const seenDates = new Map<string, string>();
  const daysOff: DayOff[] = [];
  const extraWorkingDays: ExtraWorkingDay[] = [];
  parts.forEach((part, i) => {
    const name = label(part, i);
    if (i > 0 && hoursKey(part.officeHours) !== firstHours) {
      problems.push(`${name}: officeHours differ from ${label(parts[0], 0)}; all calendars must use the same office hours`);
    }
    for (const year of part.years ?? []) {
      const other = seenYears.get(year);
      if (other !== undefined) problems.push(`${name}: year ${year} is also given by ${other}`);
      else seenYears.set(year, name);
    }
    const note = (date: string, where: string): boolean => {
      const other = seenDates.get(date);
      if (other !== undefined) {
        problems.push(`${where} ${date} is also listed as ${other}`);
        return false;
      }
      seenDates.set(date, where);
      return true;
    };
    for (const d of part.daysOff) if (note(d.date, `${name} day off`)) daysOff.push(d);
    for (const d of part.extraWorkingDays) if (note(d.date, `${name} extra working day`)) extraWorkingDays.push(d);
  });
  if (problems.length > 0) throw new ValidationError(problems.join('\n'), ['calendar']);
  const byDate = (a: { date: string }, b: { date: string }): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);
  return {
    officeHours: parts[0].officeHours ?? DEFAULT_OFFICE_HOURS,
    daysOff: daysOff.sort(byDate),
    extraWorkingDays: extraWorkingDays.sort(byDate),
    years: [...seenYears.keys()].sort((a, b) => a - b),
  };
}

function isList(x: CalendarData | readonly CalendarData[]): x is readonly CalendarData[] {
  return Array.isArray(x);
}

/**
 * Working time in Asia/Ho_Chi_Minh: office hours by weekday, minus days off, plus make-up days.
 *
 * Working time is the union of half-open periods [start, end). Durations are resolved to the
 * millisecond (the precision of Date); minutes, hours and days are exposed as plain numbers,
 * fractional when the inputs are not whole minutes.
 *
 * `add` returns the earliest instant at which the duration has been worked. So a deadline that
 * falls exactly at the end of a period reads 12:00 or 17:00, not the next opening; adding zero
 * returns the start if it is working time, else the next opening. With these rules
 * `between(a, add(a, d)) === d` for every a and d >= 0, and `add` is monotonic in both arguments.
 *
 * Performance: per-date schedules are precomputed (weekday templates plus a map of exceptions),
 * and whole days are skipped by their total, so cost grows with calendar days spanned, not minutes.
 */
export class WorkingCalendar {
  /** Length of one working day, the unit of `add({ days })` and `between(..., 'days')`. */
  readonly dayMinutes: number;
  /** Years covered by days-off data, ascending; later dates fall back to weekly hours only. */
  readonly years: readonly number[];

  private readonly dayMs: number;
  private readonly weekly: readonly DaySchedule[];
  private readonly exceptions: ReadonlyMap<number, DaySchedule>;
  private readonly names: ReadonlyMap<number, string>;

  constructor(data: CalendarData | readonly CalendarData[] = [], options: WorkingCalendarOptions = {}) {
    const merged = isList(data) ? mergeCalendars(...data) : mergeCalendars(data);
    const hours = merged.officeHours ?? DEFAULT_OFFICE_HOURS;
    const problems: string[] = [];

    this.weekly = WEEKDAYS.map((d) => {
      const { spans, problems: p } = toSpans(hours[d] ?? [], `officeHours[${d}]`);
      problems.push(...p);
      return schedule(spans);
    });
    const standard = [1, 2, 3, 4, 5, 6, 0].map((d) => this.weekly[d]).find((s) => s.total > 0);
    if (!standard) problems.push('officeHours: no weekday has office hours');

    const exceptions = new Map<number, DaySchedule>();
    const names = new Map<number, string>();
    merged.daysOff.forEach((d, i) => {
      const day = parseDateKey(d.date);
      if (day === undefined) problems.push(`daysOff[${i}].date '${d.date}' is not a date`);
      else {
        exceptions.set(day, CLOSED);
        names.set(day, d.name);
      }
    });
    merged.extraWorkingDays.forEach((d, i) => {
      const day = parseDateKey(d.date);
      if (day === undefined) problems.push(`extraWorkingDays[${i}].date '${d.date}' is not a date`);
      const { spans, problems: p } = d.hours ? toSpans(d.hours, `extraWorkingDays[${i}].hours`) : { spans: standard?.spans ?? [], problems: [] };
      problems.push(...p);
      if (day !== undefined) {
        exceptions.set(day, schedule(spans));
        names.set(day, d.name);
      }
    });

    const dayMinutes = options.dayMinutes ?? (standard ? standard.total / MINUTE_MS : 0);
    if (!(Number.isFinite(dayMinutes) && dayMinutes > 0)) problems.push(`dayMinutes must be > 0, got ${dayMinutes}`);
    if (problems.length > 0) throw new ValidationError(problems.join('\n'), ['calendar']);

    this.exceptions = exceptions;
    this.names = names;
    this.dayMinutes = dayMinutes;
    this.dayMs = dayMinutes * MINUTE_MS;
    this.years = Object.freeze([...(merged.years ?? [])]);
  }

  isWorkingTime(t: Date): boolean {
    const ms = instant(t, 't');
    const day = localDayOf(ms);
    const offset = ms - dayStartMs(day);
    return this.scheduleOf(day).spans.some(([s, e]) => s <= offset && offset < e);
  }

  /** The earliest working instant at or after `t` (`t` itself when it is working time). */
  nextOpening(t: Date): Date {
    return new Date(this.addMs(instant(t, 't'), 0));
  }

  addMilliseconds(start: Date, ms: number): Date {
    return new Date(this.addMs(instant(start, 'start'), Math.round(nonNegative(ms, 'ms'))));
  }

  addMinutes(start: Date, minutes: number): Date {
    return this.addMilliseconds(start, nonNegative(minutes, 'minutes') * MINUTE_MS);
  }

  add(start: Date, duration: WorkingDuration): Date {
    const ms =
      nonNegative(duration.days ?? 0, 'days') * this.dayMs +
      nonNegative(duration.hours ?? 0, 'hours') * HOUR_MS +
      nonNegative(duration.minutes ?? 0, 'minutes') * MINUTE_MS;
    return this.addMilliseconds(start, ms);
  }

  /** Working milliseconds in [a, b); 0 when b <= a. */
  millisecondsBetween(a: Date, b: Date): number {
    return this.betweenMs(instant(a, 'a'), instant(b, 'b'));
  }

  minutesBetween(a: Date, b: Date): number {
    return this.millisecondsBetween(a, b) / MINUTE_MS;
  }

  between(a: Date, b: Date, unit: DurationUnit): number {
    const ms = this.millisecondsBetween(a, b);
    switch (unit) {
      case 'minutes':
        return ms / MINUTE_MS;
      case 'hours':
        return ms / HOUR_MS;
      case 'days':
        return ms / this.dayMs;
      default:
        throw new RangeError(`unknown unit '${String(unit satisfies never)}'`);
    }
  }

  /** Working minutes on a 'YYYY-MM-DD' date (Vietnam), after days off and make-up days. */
  workingMinutesOn(date: string): number {
    return this.scheduleOf(this.day(date)).total / MINUTE_MS;
  }

  isWorkingDay(date: string): boolean {
    return this.workingMinutesOn(date) > 0;
  }

  /** The name of the day off or make-up day on that date, if the data lists it. */
  specialDayName(date: string): string | undefined {
    return this.names.get(this.day(date));
  }

  private day(date: string): number {
    const day = parseDateKey(date);
    if (day === undefined) throw new RangeError(`'${date}' is not a date YYYY-MM-DD`);
    return day;
  }

  private scheduleOf(day: number): DaySchedule {
    return this.exceptions.get(day) ?? this.weekly[weekdayOfDay(day)];
  }

  private addMs(startMs: number, durationMs: number): number {
    let day = localDayOf(startMs);
    let offset = startMs - dayStartMs(day);
    let remaining = durationMs;
    let idleDays = 0;
    for (;;) {
      const today = this.scheduleOf(day);
      if (offset === 0 && remaining > today.total) {
        remaining -= today.total;
      } else {
        for (const [s, e] of today.spans) {
          if (offset >= e) continue;
          const from = Math.max(s, offset);
          if (remaining === 0) return dayStartMs(day) + from;
          if (remaining <= e - from) return dayStartMs(day) + from + remaining;
          remaining -= e - from;
        }
      }
      idleDays = today.total === 0 ? idleDays + 1 : 0;
      if (idleDays > MAX_IDLE_DAYS) {
        throw new RangeError(`no working time within ${MAX_IDLE_DAYS} days after ${new Date(startMs).toISOString()}`);
      }
      day += 1;
      offset = 0;
    }
  }

  private betweenMs(aMs: number, bMs: number): number {
    if (bMs <= aMs) return 0;
    const firstDay = localDayOf(aMs);
    const lastDay = localDayOf(bMs);
    let total = 0;
    for (let day = firstDay; day <= lastDay; day++) {
      const today = this.scheduleOf(day);
      if (today.total === 0) continue;
      const base = dayStartMs(day);
      const lo = day === firstDay ? aMs - base : 0;
      const hi = day === lastDay ? bMs - base : DAY_MS;
      if (lo === 0 && hi === DAY_MS) {
        total += today.total;
        continue;
      }
      for (const [s, e] of today.spans) {
        const from = Math.max(s, lo);
        const to = Math.min(e, hi);
        if (to > from) total += to - from;
      }
    }
    return total;
  }
}
