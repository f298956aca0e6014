import { SlaService } from '@fr/sla';
import { LockedCase } from './case-records';

const DAY_MS = 86_400_000;

/**
 * The citizen's say on the answer a case holds, as rating and closing both judge it: whether that answer
 * is rated yet (one given after a rating reopened the case is not), and until when a rating of it may
 * reopen the case (`autoCloseDays` after it was given; null with no answer).
 */
export function answerRating(c: Pick<LockedCase, 'rating' | 'rated_at' | 'resolved_at'>, sla: SlaService): { rated: boolean; until: Date | null } {
  const answeredSinceRated = c.rated_at !== null && c.resolved_at !== null && new Date(c.resolved_at) > new Date(c.rated_at);
  return {
    rated: c.rating !== null && !answeredSinceRated,
    until: c.resolved_at === null ? null : new Date(new Date(c.resolved_at).getTime() + sla.policy.autoCloseDays * DAY_MS),
  };
}
