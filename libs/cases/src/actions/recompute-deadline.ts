import { UnprocessableError } from '@fr/domain';
import { ActionHandler, stageRun } from './action-handler';
import { currentPauseSeen, currentRunDeadlines } from './case-records';
import { columns } from './column-set';

/**
 * The running deadline counted again on the calendar in force now (a year corrected after the deadline
 * was set): the same start, duration, extensions and pauses, so only the calendar's days can move it.
 * Escalation levels the run already reached are not told again (scheduleSlaTimers skips them).
 */
export const recomputeDeadline: ActionHandler = {
  takesUnit: null,
  act: async ({ m, c, input, sla }) => {
    // Waiting on the citizen: no deadline runs, but whether it had passed when the pause began is counted
    // again (paused_past_due, which keeps the case overdue while it waits). Nothing the citizen is told.
    if (c.status === 'awaiting_info') {
      const { clock, seen } = await currentPauseSeen(m, sla, c);
      if (!clock || !seen) throw new UnprocessableError('the case has no open pause to count again');
      return {
        set: columns`paused_past_due = ${seen.pastDue}`,
        bumpsVersion: true,
        reason: input.reason ?? null,
        untold: true,
        data: {
          stage: clock.stage,
          stageStartedAt: clock.startedAt,
          pausedAt: seen.pausedAt,
          fromPastDue: c.paused_past_due,
          toPastDue: seen.pastDue,
          requestedBy: input.requestedBy ?? null,
        },
      };
    }
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
  },
};
