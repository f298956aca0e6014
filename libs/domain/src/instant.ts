/**
 * The one rule for dates and times the engine takes from outside (query parameters, request bodies,
 * CSV and config files): what is wrong with a value, said so the sender can mend it, or null.
 * Kept here, not in the API, because the libraries that read files (the board's head counts and
 * targets, the audit's periods) take the same values and must refuse the same mistakes.
 */

import { DAY_MS, VIETNAM_UTC_OFFSET_MS } from './calendar/working-calendar';
import { ValidationError } from './errors';

export const INSTANT_SHAPE = 'an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00';
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/i;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDay(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** How a day is read where a day names a Vietnamese day (reports, targets, head counts). */
export const VIETNAM_DAY_SHAPE = 'a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh)';

export interface DateRuleOptions {
  /** What the message asks for when the value does not look like a date or a date-time. */
  shape?: string;
  /** Say what was given in every message: for files (CSV, YAML), where the value is not in sight. */
  echo?: boolean;
}

function given(value: unknown, echo: boolean | undefined): string {
  if (!echo) return '';
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return `, got '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}

/**
 * What is wrong with `value` as an instant, or null: an ISO 8601 date-time with its offset (the API's
 * times always carry one: a time without it would be read in the server's zone), on a day that exists,
 * between 2000 and 2099. `Date.parse` alone took 2026-02-30 for 2 March and a bare date for midnight UTC.
 */
export function instantProblem(name: string, value: unknown, options: DateRuleOptions = {}): string | null {
  const m = typeof value === 'string' ? INSTANT.exec(value) : null;
  if (!m) return `${name} must be ${options.shape ?? INSTANT_SHAPE}${given(value, options.echo)}`;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const realDay = isRealDay(year, month, day);
  // Offsets in use run from -12:00 to +14:00.
  const offset = m[8].toUpperCase() === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  // Dates here count no leap seconds (nor does Date): a :60 is named rather than called unreal.
  if (second === 60 && realDay && hour === 23 && minute === 59) return `${name} '${value as string}' is a leap second; give :59 instead`;
  if (!realDay || hour > 23 || minute > 59 || second > 59 || Number(m[10] ?? 0) > 59 || offset < -12 * 60 || offset > 14 * 60) {
    return `${name} '${value as string}' is not a real date and time`;
  }
  // The instant, not the local date: 2099-12-31T23:00-12:00 is already 2100 in UTC.
  const instant = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  // The message names the bound in UTC: '2000-01-01T00:00:00+07:00' is written in 2000 and falls in 1999.
  if (instant < Date.UTC(2000, 0, 1) || instant >= Date.UTC(2100, 0, 1)) {
    return `${name} must be between the years 2000 and 2099${given(value, options.echo)} (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)`;
  }
  return null;
}

/**
 * As instantProblem, but a day alone (YYYY-MM-DD, a day that exists, in 2000-2099 as written) is also
 * accepted. `options.shape` names the day as the caller reads it (VIETNAM_DAY_SHAPE).
 */
export function dayOrInstantProblem(name: string, value: unknown, options: DateRuleOptions = {}): string | null {
  const day = typeof value === 'string' ? DAY.exec(value) : null;
  if (!day) return instantProblem(name, value, { ...options, shape: `${options.shape ?? 'a date (YYYY-MM-DD)'} or ${INSTANT_SHAPE}` });
  const [year, month, date] = [1, 2, 3].map((i) => Number(day[i]));
  if (!isRealDay(year, month, date)) return `${name} '${value as string}' is not a real date`;
  if (year < 2000 || year > 2099) return `${name} must be between the years 2000 and 2099${given(value, options.echo)}`;
  return null;
}

/** Whether a value dayOrInstantProblem accepted is a date (a whole day) rather than a date-time. */
export function isDay(value: string): boolean {
  return DAY.test(value);
}

/**
 * Which instant of a day a date stands for: its local midnight (`start`: a period's start, a target's
 * start), the next local midnight (`end`: the exclusive end of a period whose last day it is), or its
 * last millisecond (`last`: an inclusive end, or "as at that day").
 */
export type DayEdge = 'start' | 'end' | 'last';

/**
 * A value dayOrInstantProblem accepted, as an instant: a date-time is the instant it names; a date is
 * a day in Asia/Ho_Chi_Minh, read at `edge`. The one place a date becomes an instant: `new Date(date)`
 * read it as midnight UTC, 07:00 in Hanoi, and each endpoint that added the offset itself did so apart.
 */
export function dayOrInstantAt(value: string, edge: DayEdge): Date {
  if (!DAY.test(value)) return new Date(value);
  const start = Date.parse(`${value}T00:00:00Z`) - VIETNAM_UTC_OFFSET_MS;
  return new Date(edge === 'start' ? start : edge === 'end' ? start + DAY_MS : start + DAY_MS - 1);
}

/**
 * An optional `from`/`to` pair of a listing, both checked by dayOrInstantProblem: `from` from its day's
 * start, `to` exclusive, a date through the end of its day. A `to` before `from` is refused; so is a
 * last day before the first day, whose edges are the same midnight (from=12-02&to=12-01 found nothing).
 * A date-time period may still be empty (from = to), as it always could.
 */
export function readOptionalPeriod(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const start = from === undefined ? undefined : dayOrInstantAt(from, 'start');
  const end = to === undefined ? undefined : dayOrInstantAt(to, 'end');
  if (start && end && dayOrInstantAt(to!, 'last') < start) {
    throw new ValidationError(`to (${to}) is before from (${from}): a period runs from its start to its end`, ['to']);
  }
  return { from: start, to: end };
}
