import { ActionHandler } from './action-handler';
import { columns } from './column-set';

/** The case is done (by an officer, by the citizen's rating, or by the auto-close sweep). */
export const close: ActionHandler = async ({ input, now }) => ({ set: columns`closed_at = ${now}`, bumpsVersion: true, reason: input.reason ?? null });
