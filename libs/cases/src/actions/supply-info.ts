import { ActionHandler, required, stageRun } from './action-handler';
import { addMessage, currentRunDeadlines, endPauses } from './case-records';
import { columns } from './column-set';

/** The citizen answers: the pause ends and the deadline moves by exactly the paused working time. */
export const supplyInfo: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input, now, sla }) => {
    const message = required(input.message, 'message');
    await addMessage(m, c.id, 'info_reply', actor.label, message, input.attachments ?? []);
    await endPauses(m, c.id, now);
    const { clock, d } = await currentRunDeadlines(m, sla, c);
    return {
      set: columns`due_at = ${d.dueAt}, warn_at = ${d.warnAt}`,
      bumpsVersion: true,
      deadline: clock ? stageRun(c.id, clock, d) : undefined,
      data: { resumed: c.stage, dueAt: d.dueAt },
    };
  },
};
