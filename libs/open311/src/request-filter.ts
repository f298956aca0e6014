import { dayOrInstantAt, dayOrInstantProblem, normaliseTrackingCode, ValidationError } from '@fr/domain';
import { GeoReportStatus, MAX_QUERY_SPAN_DAYS } from './georeport';

/** What GET requests asks for, checked: either ids, or a period with optional services and statuses. */
export type RequestFilter =
  | { kind: 'ids'; trackingCodes: string[] }
  | { kind: 'period'; from: Date; to: Date; serviceCodes: string[] | null; statuses: GeoReportStatus[] | null };

export const REQUEST_QUERY_PARAMETERS = ['service_request_id', 'service_code', 'start_date', 'end_date', 'status', 'jurisdiction_id', 'api_key'] as const;
const DAY_MS = 24 * 3600 * 1000;
const VIETNAM_W3C_DAY_SHAPE = 'a W3C date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh)';
function list(name: string, raw: string, max: number): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new ValidationError(`${name} is empty; give one or more values separated by commas`, [name]);
  if (items.length > max) throw new ValidationError(`${name} lists ${items.length} values; at most ${max}`, [name]);
  return [...new Set(items)];
}

/**
 * A W3C date or date-time, by the rule of every other date of the API (dayOrInstantProblem): Date.parse
 * alone took 2026-02-30 for 2 March, 24:00 and +14:01. A date alone is a day in Hanoi, as the audits'
 * periods read it: start_date from its local midnight, end_date through its last millisecond (the query
 * takes end_date's whole second). Read as midnight UTC, start_date=end_date=2026-12-01 found nothing of
 * that day, and a request sent at 06:30 in Hanoi fell on the day before.
 */
function instant(name: 'start_date' | 'end_date', raw: string): Date {
  const problem = dayOrInstantProblem(name, raw, { shape: VIETNAM_W3C_DAY_SHAPE });
  if (problem) throw new ValidationError(problem, [name]);
  return dayOrInstantAt(raw, name === 'end_date' ? 'last' : 'start');
}

/**
 * The query of GET requests, per the specification: service_request_id (comma list) overrides
 * everything else; otherwise start_date/end_date (at most 90 days apart, the last 90 days when both
 * are missing), service_code and status (comma lists). Every problem is a 400 naming the parameter.
 */
export function parseRequestFilter(query: Record<string, unknown>, now: Date): RequestFilter {
  const known: readonly string[] = REQUEST_QUERY_PARAMETERS;
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new ValidationError(`unknown parameter(s) ${unknown.map((k) => k.slice(0, 40)).join(', ')}; known: ${known.join(', ')}`, unknown);
  }
  const param = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ValidationError(`${name} is given more than once; give one value (a comma list where several are allowed)`, [name]);
    return v;
  };

  const ids = param('service_request_id');
  if (ids !== undefined) {
    const trackingCodes = list('service_request_id', ids, 100).map((raw) => {
      const code = normaliseTrackingCode(raw);
      if (!code) throw new ValidationError(`service_request_id '${raw.slice(0, 40)}' is not a service request id (XXXXX-XXXXX)`, ['service_request_id']);
      return code;
    });
    return { kind: 'ids', trackingCodes: [...new Set(trackingCodes)] };
  }

  const start = param('start_date');
  const end = param('end_date');
  let from = start !== undefined ? instant('start_date', start) : null;
  let to = end !== undefined ? instant('end_date', end) : null;
  if (from && to && from > to) throw new ValidationError('start_date is after end_date', ['start_date', 'end_date']);
  if (from && to && to.getTime() - from.getTime() > MAX_QUERY_SPAN_DAYS * DAY_MS) {
    throw new ValidationError(
      `start_date and end_date may not be more than ${MAX_QUERY_SPAN_DAYS} days apart (a date alone as end_date counts its whole day)`,
      ['start_date', 'end_date'],
    );
  }
  if (!from && !to) to = now;
  if (!from) from = new Date(to!.getTime() - MAX_QUERY_SPAN_DAYS * DAY_MS);
  if (!to) to = new Date(from.getTime() + MAX_QUERY_SPAN_DAYS * DAY_MS);

  const codes = param('service_code');
  const statuses = param('status');
  let statusList: GeoReportStatus[] | null = null;
  if (statuses !== undefined) {
    const given = list('status', statuses, 2);
    const bad = given.filter((s) => s !== 'open' && s !== 'closed');
    if (bad.length) throw new ValidationError(`status must be open, closed or both (comma separated), not '${bad[0].slice(0, 40)}'`, ['status']);
    statusList = given as GeoReportStatus[];
  }
  return { kind: 'period', from, to, serviceCodes: codes === undefined ? null : list('service_code', codes, 50), statuses: statusList };
}
