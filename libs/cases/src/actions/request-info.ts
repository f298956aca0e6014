import { ActionHandler, required } from './action-handler';
import { addMessage, startPause } from './case-records';
import { columns } from './column-set';

/** The handler asks the citizen for more: the stage's clock pauses until the reply. */
export const requestInfo: ActionHandler = async ({ m, actor, c, input, now }) => {
  const message = required(input.message, 'message');
  await addMessage(m, c.id, 'info_request', actor.label, message, []);
  if (c.stage) await startPause(m, c.id, c.stage, now);
  return { set: columns`due_at = NULL, warn_at = NULL`, bumpsVersion: true, data: { paused: c.stage } };
};
