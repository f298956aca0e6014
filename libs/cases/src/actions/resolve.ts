import { answerProblem, UnprocessableError } from '@fr/domain';
import { ActionHandler, required } from './action-handler';
import { columns } from './column-set';
import { closeMergedDuplicates } from './duplicates';

/** The citizen gets the answer; the case's clock stops, and whether it was on time is recorded. */
export const resolve: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input, now }) => {
    const answer = required(input.answer, 'answer');
    const problem = answerProblem(answer);
    if (problem) throw new UnprocessableError(problem);
    const attachments = input.attachments ?? [];
    // One answer for the group: the duplicates merged into this case close with it (issue 14).
    const closedCases = await closeMergedDuplicates(m, actor, c.id, { closedAs: 'duplicate', answer, attachments }, now);
    const onTime = c.due_at ? now <= new Date(c.due_at) : null;
    return {
      // last_resolve_on_time: this event's onTime, which the export reads from the case (migration CaseExportColumns).
      set: columns`answer = ${answer}, resolution_attachments = ${JSON.stringify(attachments)}, resolved_at = ${now},
                   stage = NULL, due_at = NULL, warn_at = NULL, last_resolve_on_time = ${onTime}`,
      bumpsVersion: true,
      data: { onTime, attachments: attachments.length, ...(closedCases.length ? { closedDuplicates: closedCases.length } : {}) },
      closedCases,
    };
  },
};
