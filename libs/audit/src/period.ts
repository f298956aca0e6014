import { dayOrInstantProblem, readDayOrInstant, ValidationError, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';

/** [from, to): the instants a report covers. */
export interface Period {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

function instant(raw: string, field: string, endOfDay: boolean): Date {
  const problem = dayOrInstantProblem(field, raw, 'a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh)');
  if (problem) throw new ValidationError(problem, [field]);
  const read = readDayOrInstant(raw);
  // A calendar date is a Vietnamese day: from its local midnight, or (for `to`) through its end.
  return 'day' in read ? new Date(read.day.getTime() - VIETNAM_UTC_OFFSET_MS + (endOfDay ? DAY_MS : 0)) : read.instant;
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
