import { ValidationError, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';

/** [from, to): the instants a report covers. */
export interface Period {
  from: Date;
  to: Date;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function instant(raw: string, field: string, endOfDay: boolean): Date {
  if (DATE.test(raw)) {
    // A calendar date is a Vietnamese day: from its local midnight, or (for `to`) through its end.
    const ms = Date.parse(`${raw}T00:00:00Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== raw) throw new ValidationError(`${field} is not a real date`, [field]);
    return new Date(ms - VIETNAM_UTC_OFFSET_MS + (endOfDay ? DAY_MS : 0));
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw new ValidationError(`${field} must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with offset`, [field]);
  }
  return new Date(raw);
}

/**
 * `from` and `to` as the API takes them: dates cover whole days (to inclusive), date-times are
 * exact instants (to exclusive). At most five years, so a typo does not scan the whole history.
 */
export function parsePeriod(from: string | undefined, to: string | undefined): Period {
  if (!from) throw new ValidationError('from is required', ['from']);
  if (!to) throw new ValidationError('to is required', ['to']);
  const p = { from: instant(from, 'from', false), to: instant(to, 'to', true) };
  if (p.to <= p.from) throw new ValidationError('to must be after from', ['to']);
  if (p.to.getTime() - p.from.getTime() > 5 * 366 * DAY_MS) throw new ValidationError('a period may span at most five years', ['to']);
  return p;
}
