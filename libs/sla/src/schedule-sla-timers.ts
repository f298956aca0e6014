import { EntityManager } from 'typeorm';
import { OutboxMessage, selectRows, writeOutboxMany } from '@fr/persistence';
import { jobIdFor, JobName, JobPayloads, QUEUE_OF } from '@fr/queue';
import { ladderTimes } from './escalation-ladder';
import { Stage } from './sla-policy';
import type { SlaService } from './sla.service';

export interface StageRun {
  caseId: string;
  stage: Stage;
  stageStartedAt: Date;
  /** Null while the clock is paused: nothing to schedule until it resumes. */
  dueAt: Date | null;
  warnAt: Date | null;
  /** Whose calendar places levels 2 and 3 (working days after the deadline). */
  unit?: string | null;
  /** A run that starts in this very transaction has reached no level yet: no need to look. */
  fresh?: boolean;
}

/** The outbox column is a 32-bit integer; a longer timer fires early and is put back to sleep (SlaTimerProcessor). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The timer of one level of one stage run, as the job payload the queue carries (ids and times only). */
export function slaTimerPayload(run: StageRun & { dueAt: Date }, level: string): JobPayloads[JobName.SlaTimer] {
  return { caseId: run.caseId, stage: run.stage, level, stageStartedAt: run.stageStartedAt.getTime(), dueAt: run.dueAt.getTime() };
}

/**
 * Schedules a delayed timer per escalation level of a stage run, through the outbox, in the transaction
 * that sets the deadline. Nothing here cancels the timers of an older deadline or run: each has
 * another job id and, if it fires first, finds the case changed and does nothing; the SLA
 * reconciler's full pass removes the delayed ones that no open stage run needs any more. Levels this
 * run already reached are skipped (a moved deadline does not tell the same level twice).
 */
export async function scheduleSlaTimers(m: EntityManager, sla: SlaService, run: StageRun, now = Date.now()): Promise<number> {
  if (!run.dueAt) return 0;
  // Runs are compared at millisecond precision, as JavaScript reads them (received_at has microseconds).
  const fired = run.fresh
    ? []
    : await selectRows<{ level: string }>(
        m,
        `SELECT level FROM escalations WHERE case_id = $1 AND stage = $2 AND date_trunc('milliseconds', stage_started_at) = $3`,
        [run.caseId, run.stage, run.stageStartedAt],
      );
  const timers = slaTimerMessages(sla, run, new Set(fired.map((f) => f.level)), now);
  await writeOutboxMany(m, timers);
  return timers.length;
}

/**
 * The outbox messages of a stage run's timers, leaving out the levels in `done`. For a caller that
 * writes them with its other outbox rows in one statement (a fresh run has reached no level).
 */
export function slaTimerMessages(sla: SlaService, run: StageRun, done: ReadonlySet<string> = new Set(), now = Date.now()): OutboxMessage[] {
  if (!run.dueAt) return [];
  const dueAt = run.dueAt;
  const timers: OutboxMessage[] = [];
  for (const { rung, fireAt } of ladderTimes(sla.calendarFor(run.unit), sla.policy.escalation, { dueAt, warnAt: run.warnAt })) {
    if (done.has(rung.level)) continue;
    const payload = slaTimerPayload({ ...run, dueAt }, rung.level);
    timers.push({
      queue: QUEUE_OF[JobName.SlaTimer],
      name: JobName.SlaTimer,
      jobId: jobIdFor(JobName.SlaTimer, payload),
      payload: { ...payload },
      delayMs: Math.min(MAX_TIMER_DELAY_MS, Math.max(0, fireAt.getTime() - now)),
    });
  }
  return timers;
}
