import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { visibleText } from '@fr/domain';

/** Normalises text to NFC before validation, so length limits count what is stored. */
export const NormaliseText = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC') : value));

/** PostgreSQL text cannot hold NUL, and control characters in citizens' text are a sign of abuse. */
export function NoControlChars(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'noControlChars',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not contain control characters`, ...options },
      validator: {
        // eslint-disable-next-line no-control-regex -- finding control characters is the point
        validate: (value: unknown) => typeof value !== 'string' || !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value),
      },
    });
}

/** Rejects text that is only whitespace (or invisible format characters, see visibleText) where content is required. */
export function NotBlank(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'notBlank',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not be blank`, ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || visibleText(value).length > 0 },
    });
}

const INSTANT_SHAPE = 'an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00';
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/i;

/**
 * What is wrong with `value` as an instant, or null: an ISO 8601 date-time with its offset (the API's
 * times always carry one: a time without it would be read in the server's zone), on a day that exists,
 * between 2000 and 2099. `Date.parse` alone took 2026-02-30 for 2 March and a bare date for midnight UTC.
 */
export function instantProblem(name: string, value: unknown, shape = INSTANT_SHAPE): string | null {
  const m = typeof value === 'string' ? INSTANT.exec(value) : null;
  if (!m) return `${name} must be ${shape}`;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const date = new Date(Date.UTC(year, month - 1, day));
  const realDay = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  // Offsets in use run from -12:00 to +14:00.
  const offset = m[8].toUpperCase() === 'Z' ? 0 : (m[8][0] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  // Dates here count no leap seconds (nor does Date): a :60 is named rather than called unreal.
  if (second === 60 && realDay && hour === 23 && minute === 59) return `${name} '${value as string}' is a leap second; give :59 instead`;
  if (!realDay || hour > 23 || minute > 59 || second > 59 || Number(m[10] ?? 0) > 59 || offset < -12 * 60 || offset > 14 * 60) {
    return `${name} '${value as string}' is not a real date and time`;
  }
  // The instant, not the local date: 2099-12-31T23:00-12:00 is already 2100 in UTC.
  const instant = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  if (instant < Date.UTC(2000, 0, 1) || instant >= Date.UTC(2100, 0, 1)) return `${name} must be between the years 2000 and 2099`;
  return null;
}

/** As instantProblem, but a day alone (YYYY-MM-DD, a day that exists) is also accepted. */
export function dayOrInstantProblem(name: string, value: unknown): string | null {
  const day = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!day) return instantProblem(name, value, `a date (YYYY-MM-DD) or ${INSTANT_SHAPE}`);
  const [year, month, date] = [1, 2, 3].map((i) => Number(day[i]));
  const d = new Date(Date.UTC(year, month - 1, date));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== date) return `${name} '${value as string}' is not a real date`;
  if (year < 2000 || year > 2099) return `${name} must be between the years 2000 and 2099`;
  return null;
}

/** An instant as instantProblem describes it; the message says what is wrong. */
export function IsInstant(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: object.constructor,
      propertyName,
      options: { message: (args) => instantProblem(args.property, args.value) ?? `${args.property} is not a valid instant`, ...options },
      validator: { validate: (value: unknown) => instantProblem(propertyName, value) === null },
    });
}

/**
 * A query parameter read as a decimal number only when it is written as one: `@Type(() => Number)`
 * made an empty `lat=` (or a blank) 0 and `0x15` 21, so `lat=&lng=` searched near (0, 0). Anything
 * else stays a string, and the number check names the parameter.
 */
export function DecimalQuery() {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^[+-]?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value));
}
