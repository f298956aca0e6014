import { ValidationError } from '../errors';
import { showsNothing } from '../personal-data';
import {
  CALENDAR_TIME_ZONE,
  CalendarData,
  DayOff,
  ExtraWorkingDay,
  OfficeHours,
  OfficePeriod,
  Weekday,
  WorkingCalendar,
  WorkingCalendarOptions,
  formatDateKey,
  parseDateKey,
  toSpans,
  weekdayOfDay,
  DEFAULT_OFFICE_HOURS,
  MAX_DAY_NAME_LENGTH,
} from './working-calendar';

/**
 * The shape of config/calendars/<year>.yaml once parsed (see config/calendars/README.md).
 * Input is `unknown` on purpose: the file is edited by hand, so every field is checked.
 */
export interface CalendarDocument {
  year: number;
  timezone: 'Asia/Ho_Chi_Minh';
  /** Keys mon..sun (or 0..6, 0 = Sunday); periods as 'HH:MM-HH:MM' or { start, end }. */
  officeHours?: Record<string, Array<string | OfficePeriod>>;
  /** A single `date`, or an inclusive `from`..`to` range. */
  daysOff?: Array<{ date?: string; from?: string; to?: string; name: string }>;
  extraWorkingDays?: Array<{ date: string; name: string; hours?: Array<string | OfficePeriod> }>;
  /**
   * True while the year is the Labour Code applied to its dates with the government's choices guessed
   * (its notice not out yet): the engine counts it, and says in /health and to the ADMINs that it is a guess.
   */
  provisional?: boolean;
}

const DOCUMENT_FIELDS = ['year', 'timezone', 'provisional', 'officeHours', 'daysOff', 'extraWorkingDays'];

/** Whether a (stored or parsed) year document says it is provisional. */
export function isProvisionalYear(doc: unknown): boolean {
  return isRecord(doc) && doc.provisional === true;
}
const DAY_OFF_FIELDS = ['date', 'from', 'to', 'name'];
const EXTRA_DAY_FIELDS = ['date', 'name', 'hours'];
// Longer than any real holiday (Tết is at most 9-10 days); beyond it a typo in a month is likelier.
const MAX_RANGE_DAYS = 31;

const WEEKDAY_KEYS: Record<string, Weekday> = {
  sun: 0,
  sunday: 0,
  '0': 0,
  mon: 1,
  monday: 1,
  '1': 1,
  tue: 2,
  tuesday: 2,
  '2': 2,
  wed: 3,
  wednesday: 3,
  '3': 3,
  thu: 4,
  thursday: 4,
  '4': 4,
  fri: 5,
  friday: 5,
  '5': 5,
  sat: 6,
  saturday: 6,
  '6': 6,
};
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date);
}

function show(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (x instanceof Date) return `'${Number.isNaN(x.getTime()) ? 'Invalid Date' : x.toISOString()}'`;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

class Problems {
  readonly list: string[] = [];
  readonly fields = new Set<string>();

  add(field: string, message: string): void {
    this.list.push(message);
    this.fields.add(field);
  }
}

/**
 * Accepts 'YYYY-MM-DD' strings and, for YAML 1.1 parsers that turn unquoted dates into timestamps,
 * Dates at UTC midnight.
 */
function readDate(value: unknown, field: string, problems: Problems): number | undefined {
  const text = value instanceof Date && !Number.isNaN(value.getTime()) && value.getTime() % 86_400_000 === 0 ? value.toISOString().slice(0, 10) : value;
  const day = typeof text === 'string' ? parseDateKey(text) : undefined;
  if (day === undefined) problems.add(field, `${field} ${show(value)} is not a date`);
  return day;
}

function readName(entry: Record<string, unknown>, where: string, problems: Problems, incoming: boolean): string {
  const name = entry.name;
  // A name of zero-width characters or accents alone shows nothing. Only a document being stored is
  // held to that: one stored before (the rule was blank space then) must still load at every start.
  if (typeof name !== 'string' || name.trim() === '' || (incoming && showsNothing(name))) {
    problems.add(`${where}.name`, name === undefined ? `${where}.name is required` : `${where}.name ${show(name)} is not a name`);
    return '';
  }
  const read = name.normalize('NFC').trim();
  // Names are shown in every notice, page and export that lists the day; an .ics feed's SUMMARY had no
  // bound and made a 660 kB notice. The same rule of "stored before still loads" as above.
  if (incoming && read.length > MAX_DAY_NAME_LENGTH) {
    problems.add(`${where}.name`, `${where}.name is ${read.length} characters long; at most ${MAX_DAY_NAME_LENGTH}`);
  }
  return read;
}

function unknownFields(entry: Record<string, unknown>, allowed: readonly string[], where: string, problems: Problems): void {
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) {
      const field = where === '' ? key : `${where}.${key}`;
      const context = where === '' ? '' : `${where}: `;
      problems.add(field, `${context}unknown field '${key}' (expected ${allowed.join(', ')})`);
    }
  }
}

function readPeriods(value: unknown, where: string, problems: Problems): OfficePeriod[] | undefined {
  if (!Array.isArray(value)) {
    problems.add(where, `${where} must be a list of periods like '08:00-12:00'`);
    return undefined;
  }
  const periods: OfficePeriod[] = [];
  let ok = true;
  value.forEach((item: unknown, i) => {
    if (typeof item === 'string') {
      const m = /^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$/.exec(item);
      if (m) periods.push({ start: m[1], end: m[2] });
      else {
        problems.add(`${where}[${i}]`, `${where}[${i}] ${show(item)} is not a period HH:MM-HH:MM`);
        ok = false;
      }
    } else if (isRecord(item) && typeof item.start === 'string' && typeof item.end === 'string') {
      periods.push({ start: item.start, end: item.end });
    } else {
      problems.add(`${where}[${i}]`, `${where}[${i}] ${show(item)} is not a period HH:MM-HH:MM`);
      ok = false;
    }
  });
  if (!ok) return undefined;
  const { problems: found } = toSpans(periods, where);
  for (const p of found) problems.add(where, p);
  return found.length === 0 ? periods : undefined;
}

function readOfficeHours(value: unknown, problems: Problems): OfficeHours {
  // null as left out, as every optional field of the API's bodies (and YAML's `officeHours:` with nothing after it).
  if (value === undefined || value === null) return DEFAULT_OFFICE_HOURS;
  if (!isRecord(value)) {
    problems.add('officeHours', `officeHours must be a mapping of weekday (mon..sun) to periods`);
    return DEFAULT_OFFICE_HOURS;
  }
  const before = problems.list.length;
  const hours: { [D in Weekday]?: OfficePeriod[] } = {};
  const keyOf = new Map<Weekday, string>();
  for (const [key, periods] of Object.entries(value)) {
    const where = `officeHours.${key}`;
    const weekday = WEEKDAY_KEYS[key.toLowerCase()];
    if (weekday === undefined) {
      problems.add(where, `officeHours: '${key}' is not a weekday (mon..sun or 0..6, 0 = Sunday)`);
      continue;
    }
    const other = keyOf.get(weekday);
    if (other !== undefined) {
      problems.add(where, `officeHours: '${key}' and '${other}' are the same weekday`);
      continue;
    }
    keyOf.set(weekday, key);
    const read = readPeriods(periods, where, problems);
    if (read && read.length > 0) hours[weekday] = read;
  }
  if (problems.list.length === before && Object.keys(hours).length === 0) {
    problems.add('officeHours', 'officeHours gives no office hours on any weekday');
  }
  return hours;
}

function readList(doc: Record<string, unknown>, field: string, problems: Problems): unknown[] {
  const value = doc[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(field, `${field} must be a list`);
    return [];
  }
  return value;
}

/**
 * Checks a parsed calendar document (one year) and turns it into CalendarData: ranges expanded,
 * dates sorted. Throws a ValidationError listing every problem, each naming its field, e.g.
 * "calendar 2025: daysOff[3].date '2025-02-30' is not a date".
 *
 * @param source shown in messages when the year itself is unreadable, e.g. the file name.
 * @param incoming a document about to be stored (PUT, an .ics import, a file seeded), held to the rules of
 * today; one read back from the database is held to those it was stored under.
 */
export function parseCalendarDocument(doc: unknown, source?: string, incoming = false): CalendarData {
  const problems = new Problems();
  const fail = (prefix: string): never => {
    throw new ValidationError(problems.list.map((p) => `${prefix}: ${p}`).join('\n'), [...problems.fields]);
  };
  if (!isRecord(doc)) {
    problems.add('calendar', `document must be a mapping with year, timezone, daysOff…, got ${show(doc)}`);
    return fail(`calendar ${source ?? ''}`.trim());
  }

  const year = doc.year;
  const yearOk = typeof year === 'number' && Number.isInteger(year) && year >= 1976 && year <= 9999;
  if (year === undefined) problems.add('year', 'year is required');
  else if (!yearOk) problems.add('year', `year ${show(year)} is not a year (1976 or later)`);
  const prefix = yearOk ? `calendar ${year}` : `calendar ${source ?? '(unknown year)'}`;

  unknownFields(doc, DOCUMENT_FIELDS, '', problems);
  if (doc.timezone === undefined) problems.add('timezone', `timezone is required and must be ${CALENDAR_TIME_ZONE}`);
  else if (doc.timezone !== CALENDAR_TIME_ZONE) {
    problems.add('timezone', `timezone ${show(doc.timezone)} is not supported; only ${CALENDAR_TIME_ZONE} (fixed UTC+07:00)`);
  }
  if (doc.provisional !== undefined && doc.provisional !== null && typeof doc.provisional !== 'boolean') {
    problems.add('provisional', `provisional ${show(doc.provisional)} must be true or false`);
  }
  const officeHours = readOfficeHours(doc.officeHours, problems);
  const standardHoursOn = (day: number): boolean => (officeHours[weekdayOfDay(day)] ?? []).length > 0;

  const inYear = (day: number, field: string, value: unknown): boolean => {
    if (!yearOk || formatDateKey(day).startsWith(`${year}-`)) return true;
    problems.add(field, `${field} ${show(value)} is not in ${year}; a date of another year belongs in that year's file`);
    return false;
  };

  const listedAt = new Map<number, string>();
  const daysOff: DayOff[] = [];
  readList(doc, 'daysOff', problems).forEach((entry, i) => {
    const where = `daysOff[${i}]`;
    if (!isRecord(entry)) {
      problems.add(where, `${where} must be a mapping with date (or from and to) and name`);
      return;
    }
    unknownFields(entry, DAY_OFF_FIELDS, where, problems);
    const name = readName(entry, where, problems, incoming);
    let first: number | undefined;
    let last: number | undefined;
    // null as left out, as every optional field of the API's bodies (and YAML's `from:` with nothing after it).
    if (entry.date != null) {
      if (entry.from != null || entry.to != null) {
        problems.add(where, `${where} has both date and from/to; use one`);
        return;
      }
      first = last = readDate(entry.date, `${where}.date`, problems);
      if (first !== undefined && !inYear(first, `${where}.date`, entry.date)) return;
    } else if (entry.from != null && entry.to != null) {
      first = readDate(entry.from, `${where}.from`, problems);
      last = readDate(entry.to, `${where}.to`, problems);
      if (first === undefined || last === undefined) return;
      if (!inYear(first, `${where}.from`, entry.from) || !inYear(last, `${where}.to`, entry.to)) return;
      if (last < first) {
        problems.add(`${where}.to`, `${where}.to ${show(entry.to)} is before ${where}.from ${show(entry.from)}`);
        return;
      }
      if (last - first + 1 > MAX_RANGE_DAYS) {
        problems.add(where, `${where} spans ${last - first + 1} days, more than ${MAX_RANGE_DAYS}; check the dates`);
        return;
      }
    } else {
      problems.add(where, `${where} needs a date, or from and to`);
      return;
    }
    if (first === undefined || last === undefined) return;
    for (let day = first; day <= last; day++) {
      const other = listedAt.get(day);
      if (other !== undefined) {
        problems.add(where, `${where}: ${formatDateKey(day)} is listed twice (also ${other})`);
        continue;
      }
      listedAt.set(day, where);
      daysOff.push({ date: formatDateKey(day), name });
    }
  });

  const extraWorkingDays: ExtraWorkingDay[] = [];
  readList(doc, 'extraWorkingDays', problems).forEach((entry, i) => {
    const where = `extraWorkingDays[${i}]`;
    if (!isRecord(entry)) {
      problems.add(where, `${where} must be a mapping with date and name`);
      return;
    }
    unknownFields(entry, EXTRA_DAY_FIELDS, where, problems);
    const name = readName(entry, where, problems, incoming);
    const hours = entry.hours == null ? undefined : readPeriods(entry.hours, `${where}.hours`, problems);
    if (entry.date == null) {
      problems.add(`${where}.date`, `${where}.date is required`);
      return;
    }
    const day = readDate(entry.date, `${where}.date`, problems);
    if (day === undefined || !inYear(day, `${where}.date`, entry.date)) return;
    const other = listedAt.get(day);
    if (other !== undefined) {
      problems.add(`${where}.date`, `${where}.date ${show(entry.date)} is also listed in ${other}`);
      return;
    }
    // A make-up day on a day that already has office hours is almost always a mistyped date.
    if (entry.hours == null && standardHoursOn(day)) {
      problems.add(
        `${where}.date`,
        `${where}.date ${show(entry.date)} is a ${WEEKDAY_NAMES[weekdayOfDay(day)]}, already a working day; give hours to change its hours`,
      );
      return;
    }
    listedAt.set(day, where);
    extraWorkingDays.push(hours ? { date: formatDateKey(day), name, hours } : { date: formatDateKey(day), name });
  });

  if (problems.list.length > 0) fail(prefix);
  const byDate = (a: { date: string }, b: { date: string }): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);
  return {
    officeHours,
    daysOff: daysOff.sort(byDate),
    extraWorkingDays: extraWorkingDays.sort(byDate),
    years: [year as number],
  };
}

/** One calendar from several parsed year documents (e.g. every config/calendars/*.yaml). */
export function calendarFromDocuments(docs: readonly unknown[], options?: WorkingCalendarOptions): WorkingCalendar {
  return new WorkingCalendar(
    docs.map((doc) => parseCalendarDocument(doc)),
    options,
  );
}
