import { ActionHandler, required } from './action-handler';
import { addMessage } from './case-records';
import { NO_COLUMNS } from './column-set';

/** An internal note on the case's thread: officers only, never shown to the citizen. */
export const note: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input }) => {
    const text = required(input.text, 'text');
    const id = await addMessage(m, c.id, 'note', actor.label, text, []);
    // A note changes no state: it does not race other officers' actions.
    return { set: NO_COLUMNS, bumpsVersion: false, data: { messageId: id } };
  },
};
