import { answerProblem, UnprocessableError } from '@fr/domain';
import { ActionHandler, required } from './action-handler';
import { columns } from './column-set';

/** The citizen gets the answer; the case's clock stops, and whether it was on time is recorded. */
export const resolve: ActionHandler = async ({ c, input, now }) => {
  const answer = required(input.answer, 'answer');
  const problem = answerProblem(answer);
  if (problem) throw new UnprocessableError(problem);
  const attachments = input.attachments ?? [];
  return {
    set: columns`answer = ${answer}, resolution_attachments = ${JSON.stringify(attachments)}, resolved_at = ${now},
                 stage = NULL, due_at = NULL, warn_at = NULL`,
    bumpsVersion: true,
    data: { onTime: c.due_at ? now <= new Date(c.due_at) : null, attachments: attachments.length },
  };
};
