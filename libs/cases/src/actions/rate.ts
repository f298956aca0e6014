import { ConflictError, ValidationError } from '@fr/domain';
import { SYSTEM_ACTOR } from '../actor';
import { ActionHandler } from './action-handler';
import { answerRating } from './answer-rating';
import { columns } from './column-set';

/**
 * The citizen rates the answer, once an answer. A low rating within the auto-close window reopens the
 * case; any other closes it, as the citizen has had the last word. The answer given after such a
 * reopening is rated too (it was refused as "already rated", so the unit's second answer could only
 * close unrated); that rating closes the case whatever its score, so two parties cannot reopen and
 * answer for ever. The first rating stays in the trail (its `rate` event); the case keeps the last.
 * The rating keeps the version: the close or reopen that follows in the same transaction moves it.
 */
export const rate: ActionHandler = {
  takesUnit: null,
  act: async ({ actor, c, input, now, sla }) => {
    const score = input.score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5) {
      throw new ValidationError('score must be an integer from 1 to 5', ['score']);
    }
    const { rated, until } = answerRating(c, sla);
    if (rated) {
      throw new ConflictError(`this answer was already rated (${c.rating}); a rating is accepted once for each answer`);
    }
    const reopenedBefore = c.rating !== null;
    const withinWindow = until !== null && now.getTime() <= until.getTime();
    return {
      set: columns`rating = ${score}, rating_comment = ${input.comment?.normalize('NFC') ?? null}, rated_at = ${now}`,
      bumpsVersion: false,
      data: { score },
      then:
        score <= sla.policy.lowRating && withinWindow && !reopenedBefore
          ? { actor, action: 'reopen', input: { reason: `low rating (${score})` } }
          : { actor: SYSTEM_ACTOR('rating'), action: 'close', input: { reason: `rated ${score}` } },
    };
  },
};
