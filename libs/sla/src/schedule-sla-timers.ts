import { EntityManager } from 'typeorm';
import { OutboxMessage, selectRows, writeOutboxMany } from '@fr/persistence';
import { jobIdFor, JobName, JobPayloads, QUEUE_OF } from '@fr/queue';
import { EscalationRung, ladderTimes } from './escalation-ladder';
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
 * Schedules the next timer of a stage run (the first level of its ladder not yet recorded), through
 * the outbox, in the transaction that sets the deadline. The levels after it are chained: the
 * firing that records a level writes the following level's timer in its own transaction
 * (FireEscalation), and the SLA reconciler re-adds the one a run lacks. One timer per run instead of
 * one per level (issue 9): the four timers were four of the six BullMQ jobs and four of the six outbox
 * rows (each inserted by routing, read and deleted by the relay) of every case, while levels 2 and 3
 * fire for few cases and days later. Measured (intake bench, N=3000, 3,200 open cases at the end):
 * Redis held 14,821 keys before and 5,221 after; a case now costs three jobs and three outbox rows.
 * Nothing here cancels the timer of an older deadline or run: it has another job id and, if it
 * fires first, finds the case changed and does nothing; the reconciler's full pass removes the
 * delayed ones that no open stage run needs any more. Levels this run already reached are skipped (a
 * moved deadline does not tell the same level twice).
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
 * The level a stage run waits for next: the first of its ladder, in level order, that is not in
 * `done`, with its time. The one definition of "the next timer" shared by routing, case actions,
 * the firing that chains the ladder and the reconciler, so all of them name the same job id.
 */
export function nextRung(sla: SlaService, run: StageRun, done: ReadonlySet<string>): { rung: EscalationRung; fireAt: Date } | null {
  if (!run.dueAt) return null;
  return (
    ladderTimes(sla.calendarFor(run.unit), sla.policy.escalation, { dueAt: run.dueAt, warnAt: run.warnAt }).find(({ rung }) => !done.has(rung.level)) ?? null
  );
}

/** The outbox message of one level's timer; its delay counts on the wall clock, as BullMQ's do. */
export function slaTimerMessage(run: StageRun & { dueAt: Date }, level: string, fireAt: Date, now = Date.now()): OutboxMessage {
  const payload = slaTimerPayload(run, level);
  return {
    queue: QUEUE_OF[JobName.SlaTimer],
    name: JobName.SlaTimer,
    jobId: jobIdFor(JobName.SlaTimer, payload),
    payload: { ...payload },
    delayMs: Math.min(MAX_TIMER_DELAY_MS, Math.max(0, fireAt.getTime() - now)),
  };
}

/**
 * The outbox message of a stage run's next timer (none when every level is in `done` or the clock is
 * paused), as a list for a caller that writes it with its other outbox rows in one statement (a
 * fresh run has reached no level).
 */
export function slaTimerMessages(sla: SlaService, run: StageRun, done: ReadonlySet<string> = new Set(), now = Date.now()): OutboxMessage[] {
  const next = nextRung(sla, run, done);
  return next && run.dueAt ? [slaTimerMessage({ ...run, dueAt: run.dueAt }, next.rung.level, next.fireAt, now)] : [];
}
