import { dayOrInstantAt, dayOrInstantProblem, ValidationError, VIETNAM_DAY_SHAPE } from '@fr/domain';

/** [from, to): the instants a report covers. */
export interface Period {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

function instant(raw: string, field: string, endOfDay: boolean, problems: { field: string; message: string }[]): Date | null {
  const problem = dayOrInstantProblem(field, raw, { shape: VIETNAM_DAY_SHAPE });
  if (problem) {
    problems.push({ field, message: problem });
    return null;
  }
  // A calendar date is a Vietnamese day: from its local midnight, or (for `to`) through its end.
  return dayOrInstantAt(raw, endOfDay ? 'end' : 'start');
}

/**
 * `from` and `to` as the API takes them: dates cover whole days (to inclusive), date-times are
 * exact instants (to exclusive). At most five years, so a typo does not scan the whole history.
 * What is wrong with both ends is said at once (`from=x` without `to` named only the missing `to`).
 */
export function parsePeriod(from: string | undefined, to: string | undefined): Period {
  const problems: { field: string; message: string }[] = [];
  const read = (raw: string | undefined, field: 'from' | 'to') => {
    if (raw) return instant(raw, field, field === 'to', problems);
    problems.push({ field, message: `${field} is required` });
    return null;
  };
  const fromAt = read(from, 'from');
  const toAt = read(to, 'to');
  if (!fromAt || !toAt) {
    throw new ValidationError(
      problems.map((p) => p.message).join('; '),
      problems.map((p) => p.field),
    );
  }
  if (toAt <= fromAt) throw new ValidationError('to must be after from', ['to']);
  if (toAt.getTime() - fromAt.getTime() > 5 * 366 * DAY_MS) throw new ValidationError('a period may span at most five years', ['to']);
  return { from: fromAt, to: toAt };
}
