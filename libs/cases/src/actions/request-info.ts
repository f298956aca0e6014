import { ActionHandler, required } from './action-handler';
import { addMessage, startPause } from './case-records';
import { columns } from './column-set';

/** The handler asks the citizen for more: the stage's clock pauses until the reply. */
export const requestInfo: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input, now }) => {
    const message = required(input.message, 'message');
    const messageId = await addMessage(m, c.id, 'info_request', actor.label, message, []);
    if (c.stage) await startPause(m, c.id, c.stage, now);
    // A case already late stays late while it waits (the right-hand side reads the row before the update).
    return {
      set: columns`paused_past_due = CASE WHEN due_at <= ${now} THEN due_at END, due_at = NULL, warn_at = NULL`,
      bumpsVersion: true,
      // The message's id, not its text (kept off the chain): the channel's webhook reads the text by it.
      data: { paused: c.stage, messageId },
    };
  },
};
