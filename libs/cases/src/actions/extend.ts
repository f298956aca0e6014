import { UnprocessableError, ValidationError } from '@fr/domain';
import { selectRow, Sql } from '@fr/persistence';
import { StageClock } from '@fr/sla';
import { ActionHandler, required, stageRun } from './action-handler';
import { pausesOf } from './case-records';
import { columns } from './column-set';

/** A leader grants more time (gia hạn): within the policy's count and share of the original duration. */
export const extend: ActionHandler = {
  takesUnit: null,
  act: async ({ m, c, input, sla, now }) => {
    const reason = required(input.reason, 'reason');
    const until = new Date(required(input.until, 'until'));
    if (Number.isNaN(until.getTime())) throw new ValidationError('until must be an ISO 8601 date-time', ['until']);
    if (c.stage !== 'resolve' || !c.stage_minutes || !c.stage_started_at) {
      throw new UnprocessableError('only a resolve deadline can be extended: acknowledge the case first');
    }
    if (!c.due_at) throw new UnprocessableError('the clock is paused while the case waits on the citizen; extend after the reply');
    // The bound is per deadline: a transfer or a reopening starts a new resolve run with the full duration,
    // which its unit's leader may extend in turn. extension_count stays the case's total.
    const stageStartedAt = new Date(c.stage_started_at).toISOString();
    const inRun = await extensionsInRun(m, c.id, stageStartedAt, c.extension_minutes);
    if (inRun >= sla.policy.extensionMaxCount) {
      throw new UnprocessableError(
        `the deadline was already extended ${inRun} time(s) since this stage began (${stageStartedAt}); at most ${sla.policy.extensionMaxCount} allowed`,
      );
    }
    const due = new Date(c.due_at);
    // Granted after the fact, an extension would move a resolution that is already late onto time, and take
    // the case out of Home Affairs' late rate; the escalations it reached would stay. Extend before the deadline.
    if (now >= due) {
      throw new UnprocessableError(`the deadline passed at ${due.toISOString()}: an extension is granted before the deadline, so a late case stays late`);
    }
    if (until <= due) throw new UnprocessableError(`until must be after the current deadline ${due.toISOString()}`);
    // Whole minutes, rounded down: rounded up, an `until` at closing time put the deadline past the close, on the next working morning.
    const extra = Math.floor(sla.calendarFor(c.unit_code).minutesBetween(due, until));
    const max = Math.floor(c.stage_minutes * sla.policy.extensionMaxShare);
    if (extra > max) {
      throw new UnprocessableError(`an extension may add at most ${max} working minutes (the original duration); ${until.toISOString()} adds ${extra}`);
    }
    if (extra <= 0) throw new UnprocessableError('until adds no working time to the deadline (it falls outside office hours)');
    const clock: StageClock = {
      stage: 'resolve',
      startedAt: new Date(c.stage_started_at),
      minutes: c.stage_minutes,
      extensionMinutes: c.extension_minutes + extra,
      unit: c.unit_code,
    };
    const d = sla.deadlines(clock, await pausesOf(m, c.id, 'resolve'));
    return {
      set: columns`extension_minutes = ${clock.extensionMinutes}, extension_count = extension_count + 1, due_at = ${d.dueAt}, warn_at = ${d.warnAt}`,
      bumpsVersion: true,
      deadline: stageRun(c.id, clock, d),
      reason,
      data: { fromDueAt: due, toDueAt: d.dueAt, addedWorkingMinutes: extra, stageStartedAt },
    };
  },
};

/**
 * Extensions of the resolve run that started at `stageStartedAt`: its `extend` events (which name
 * their run). An extension recorded before events named it shows in the run's extension minutes, and
 * counts once.
 */
async function extensionsInRun(m: Sql, caseId: string, stageStartedAt: string, extensionMinutes: number): Promise<number> {
  const row = await selectRow<{ n: number }>(
    m,
    `SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = 'extend' AND data->>'stageStartedAt' = $2`,
    [caseId, stageStartedAt],
  );
  return Math.max(row?.n ?? 0, extensionMinutes > 0 ? 1 : 0);
}
