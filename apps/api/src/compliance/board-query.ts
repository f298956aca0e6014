import { dayOrInstantAt, ValidationError } from '@fr/domain';

/**
 * The board's `at` and `from` (checked by IsDayOrInstant) as instants, for the JSON and the page alike.
 * A date for `at` is the board as at that day: its last instant in Hanoi, not its first. The board
 * reads head counts "as of the day it evaluates" among those reported by then, a deadline given as a
 * date runs through the end of its day, and a cadence counts the notices of each day; at the day's
 * midnight none of that day's reports or notices would count, and "at 25 July" would show the 24th.
 * The quarterly report evaluates the board at its period's last instant for the same reason. A date
 * for `from` is where counting starts: the day's local midnight.
 */
export function boardInstants(q: { at?: string; from?: string }, now: Date): { at: Date; from: Date | null } {
  const at = q.at === undefined ? now : dayOrInstantAt(q.at, 'last');
  const from = q.from === undefined ? null : dayOrInstantAt(q.from, 'start');
  // Counting notices from after the board's instant counts none and finds no gap: a mistake, said so, by the
  // JSON board and the page alike (the page let it through).
  if (from && from > at) {
    throw new ValidationError(`from (${from.toISOString()}) is after at (${at.toISOString()}): the board counts notices from from up to at`, ['from']);
  }
  return { at, from };
}
