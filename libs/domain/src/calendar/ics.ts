import { ValidationError } from '../errors';
import { DAY_MS, DayOff, MAX_DAY_NAME_LENGTH, VIETNAM_UTC_OFFSET_MS, formatDateKey, parseDateKey } from './working-calendar';

interface ContentLine {
  readonly line: number;
  readonly name: string;
  readonly params: ReadonlyMap<string, string>;
  readonly value: string;
}

/** Where an event starts or ends, as a Vietnam wall-clock instant or a whole date. */
interface IcsTime {
  readonly kind: 'date' | 'date-time';
  /** Milliseconds on the wall clock (as if it were UTC), so `floor(/DAY_MS)` is the local day. */
  readonly wallMs: number;
}

const DEFAULT_NAME = 'Ngày nghỉ';
// Longer than any holiday; past it the file more likely holds something other than days off.
const MAX_EVENT_DAYS = 366;

function fail(line: number, message: string): never {
  throw new ValidationError(`ics line ${line}: ${message}`, ['ics']);
}

/** RFC 5545 §3.1: a line starting with a space or tab continues the previous one. */
function unfold(text: string): { line: number; text: string }[] {
  const logical: { line: number; text: string }[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((physical, i) => {
      const last = logical[logical.length - 1];
      if ((physical.startsWith(' ') || physical.startsWith('\t')) && last) last.text += physical.slice(1);
      else if (physical !== '') logical.push({ line: i + 1, text: physical });
    });
  return logical;
}

function parseContentLine(line: number, text: string): ContentLine {
  // The value starts at the first colon outside a quoted parameter value (TZID="…:…" is legal).
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon < 0) fail(line, `'${text}' is not a content line NAME:VALUE`);
  const [name, ...rawParams] = text.slice(0, colon).split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const params = new Map<string, string>();
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).toUpperCase(), p.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  return { line, name: name.toUpperCase(), params, value: text.slice(colon + 1) };
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/**
 * A UTC time (…Z) is moved to Vietnam time; a floating time or one with a TZID keeps its wall
 * clock, since a holiday published in its own zone means that zone's calendar date.
 */
function parseTime(prop: ContentLine): IcsTime {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(prop.value.trim());
  const day = m ? parseDateKey(`${m[1]}-${m[2]}-${m[3]}`) : undefined;
  if (!m || day === undefined) fail(prop.line, `${prop.name} '${prop.value}' is not a date or date-time`);
  const isDate = m[4] === undefined;
  const declared = prop.params.get('VALUE')?.toUpperCase();
  if (declared !== undefined && isDate !== (declared === 'DATE')) {
    fail(prop.line, `${prop.name} '${prop.value}' does not match VALUE=${declared}`);
  }
  if (isDate) return { kind: 'date', wallMs: day * DAY_MS };
  const [h, min, s] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (h > 23 || min > 59 || s > 60) fail(prop.line, `${prop.name} '${prop.value}' is not a time of day`);
  const wallMs = day * DAY_MS + ((h * 60 + min) * 60 + Math.min(s, 59)) * 1000;
  return { kind: 'date-time', wallMs: m[7] === 'Z' ? wallMs + VIETNAM_UTC_OFFSET_MS : wallMs };
}

function parseDurationMs(prop: ContentLine): number {
  const m = /^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(prop.value.trim());
  if (!m || prop.value.trim() === 'P' || prop.value.trim().endsWith('T')) {
    fail(prop.line, `DURATION '${prop.value}' is not a positive duration like P1D`);
  }
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

function eventDays(props: ReadonlyMap<string, ContentLine>, beginLine: number): DayOff[] {
  const summary = props.get('SUMMARY');
  const name = summary ? unescapeText(summary.value).normalize('NFC').trim() || DEFAULT_NAME : DEFAULT_NAME;
  // Said here with its line: refused later by the calendar's rule, it named a daysOff index the file does not have.
  if (name.length > MAX_DAY_NAME_LENGTH) fail(summary!.line, `SUMMARY is ${name.length} characters long; a day's name is at most ${MAX_DAY_NAME_LENGTH}`);
  for (const recurring of ['RRULE', 'RDATE']) {
    const p = props.get(recurring);
    if (p) fail(p.line, `${recurring} in '${name}' is not supported; export the holidays as single events`);
  }
  const dtstart = props.get('DTSTART');
  if (!dtstart) fail(beginLine, `VEVENT '${name}' has no DTSTART`);
  const start = parseTime(dtstart);
  const firstDay = Math.floor(start.wallMs / DAY_MS);

  const dtend = props.get('DTEND');
  const duration = props.get('DURATION');
  let endWallMs: number | undefined;
  if (dtend) {
    endWallMs = parseTime(dtend).wallMs;
    if (endWallMs < start.wallMs) fail(dtend.line, `DTEND of '${name}' is before its DTSTART`);
  } else if (duration) {
    endWallMs = start.wallMs + parseDurationMs(duration);
  }
  // DTEND is exclusive; an all-day event without an end lasts its one day (RFC 5545 §3.6.1).
  let lastDay = firstDay;
  if (endWallMs !== undefined && endWallMs > start.wallMs) lastDay = Math.floor((endWallMs - 1) / DAY_MS);
  if (lastDay - firstDay + 1 > MAX_EVENT_DAYS) fail(dtstart.line, `'${name}' lasts more than ${MAX_EVENT_DAYS} days`);

  const days: DayOff[] = [];
  for (let day = firstDay; day <= lastDay; day++) days.push({ date: formatDateKey(day), name });
  return days;
}

/**
 * Days off from an iCalendar file (e.g. a public-holiday feed): every VEVENT becomes the dates it
 * covers, named by its SUMMARY. Cancelled events are skipped; recurring ones are refused rather
 * than half-understood. Sorted by date; when two events cover the same date the first one's name
 * is kept, so the result can go straight into CalendarData.daysOff.
 */
export function parseIcsDaysOff(text: string): DayOff[] {
  const stack: string[] = [];
  let props = new Map<string, ContentLine>();
  let beginLine = 0;
  const byDate = new Map<string, DayOff>();
  let sawCalendar = false;

  for (const { line, text: raw } of unfold(text)) {
    const prop = parseContentLine(line, raw);
    if (prop.name === 'BEGIN') {
      const component = prop.value.trim().toUpperCase();
      if (component === 'VCALENDAR') sawCalendar = true;
      if (component === 'VEVENT') {
        props = new Map();
        beginLine = line;
      }
      stack.push(component);
      continue;
    }
    if (prop.name === 'END') {
      const component = prop.value.trim().toUpperCase();
      if (stack[stack.length - 1] !== component) fail(line, `END:${component} does not close BEGIN:${stack[stack.length - 1] ?? '(nothing)'}`);
      stack.pop();
      const cancelled = props.get('STATUS')?.value.trim().toUpperCase() === 'CANCELLED';
      if (component === 'VEVENT' && !cancelled) {
        for (const day of eventDays(props, beginLine)) if (!byDate.has(day.date)) byDate.set(day.date, day);
      }
      continue;
    }
    // Properties of nested components (VALARM inside VEVENT) describe those, not the event.
    if (stack[stack.length - 1] === 'VEVENT' && !props.has(prop.name)) props.set(prop.name, prop);
  }
  if (!sawCalendar) fail(1, 'not an iCalendar file (no BEGIN:VCALENDAR)');
  if (stack.length > 0) fail(text.split(/\r\n|\n|\r/).length, `BEGIN:${stack[stack.length - 1]} is never closed`);
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
