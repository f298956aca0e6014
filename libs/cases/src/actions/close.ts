import { ConflictError } from '@fr/domain';
import { ActionHandler } from './action-handler';
import { answerRating } from './answer-rating';
import { columns } from './column-set';

/**
 * The case is done (by an officer, by the citizen's rating, or by the auto-close sweep). The unit that
 * answered cannot close its answer while the citizen may still rate it: a low rating within the
 * auto-close window reopens the case, and a close the moment after resolving took that say away
 * (and the reopen out of the unit's figures). The office (SUPERVISOR) still may, as when a citizen
 * tells it the matter is settled.
 */
export const close: ActionHandler = {
  takesUnit: null,
  act: async ({ actor, c, input, now, sla }) => {
    if (actor.role === 'HANDLER' || actor.role === 'LEADER') {
      const { rated, until } = answerRating(c, sla);
      if (!rated && until !== null && now.getTime() <= until.getTime()) {
        // An answer given after a rating reopened the case is rated once more, and that rating closes it
        // whatever its score (rate.ts): promising the citizen another reopening would be untrue.
        const why = c.rating === null ? 'a low rating reopens the case' : 'the answer given after a reopening: its rating closes the case';
        throw new ConflictError(
          `the citizen may rate this answer until ${until.toISOString()} (${why}): it closes by itself then, or with the rating; the office (SUPERVISOR) may close it sooner`,
        );
      }
    }
    return { set: columns`closed_at = ${now}`, bumpsVersion: true, reason: input.reason ?? null };
  },
};
