import { UnprocessableError } from '@fr/domain';
import { ActionHandler, stageRun } from './action-handler';
import { currentRunDeadlines } from './case-records';
import { columns } from './column-set';

/**
 * The running deadline counted again on the calendar in force now (a year corrected after the deadline
 * was set): the same start, duration, extensions and pauses, so only the calendar's days can move it.
 * Escalation levels the run already reached are not told again (scheduleSlaTimers skips them).
 */
export const recomputeDeadline: ActionHandler = async ({ m, c, input, sla }) => {
  const { clock, d } = await currentRunDeadlines(m, sla, c);
  if (!clock || !c.due_at || !d.dueAt) throw new UnprocessableError('the case has no running deadline to count again');
  return {
    set: columns`due_at = ${d.dueAt}, warn_at = ${d.warnAt}`,
    bumpsVersion: true,
    deadline: stageRun(c.id, clock, d),
    reason: input.reason ?? null,
    // Who asked, on each case: a call cut off before its summary event still names its administrator.
    data: { stage: clock.stage, stageStartedAt: clock.startedAt, fromDueAt: c.due_at, toDueAt: d.dueAt, requestedBy: input.requestedBy ?? null },
  };
};
