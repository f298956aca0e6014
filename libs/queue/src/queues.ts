import { JobsOptions } from 'bullmq';

export enum QueueName {
  Routing = 'routing',
  CaseEvents = 'case-events',
  /** Delayed SLA timers: one job per (case, stage run, escalation level, deadline). */
  Sla = 'sla',
  /** Webhook calls and e-mails, one job per delivery row. */
  Notifications = 'notifications',
  /** The daily personal-data sweep (a repeatable job: erasure after the retention period, old read records). */
  Privacy = 'privacy',
}

export enum JobName {
  RouteCase = 'route-case',
  /** A change a citizen should see, for the case's channel to be told. */
  CaseEvent = 'case-event',
  /** Send one delivery row: a signed webhook call or an e-mail. */
  Deliver = 'deliver',
  /** An administrator asked for a delivery to be sent again: its deliver job is put back in the queue. */
  Redeliver = 'redeliver',
  /** An escalation level of a case's stage falls due. */
  SlaTimer = 'sla-timer',
  /** A scheduled reorganisation reaches its effective date (config/reorganisations, POST /v1/reorganisations). */
  ApplyReorganisation = 'apply-reorganisation',
  /** Erase the contact details whose retention period ran out; purge old read records. */
  PrivacySweep = 'privacy-sweep',
}

/** Job payloads carry ids only: never a citizen's name, phone or text. */
export interface JobPayloads {
  [JobName.RouteCase]: { caseId: string };
  [JobName.CaseEvent]: { caseId: string; eventId: string };
  [JobName.Deliver]: { deliveryId: string };
  /** `requestedAt` (epoch ms) tells one request from the next, so each gets its own job. */
  [JobName.Redeliver]: { deliveryId: string; requestedAt: number };
  /**
   * The stage run (stage + its start) and the deadline the timer was set for, as epoch milliseconds:
   * a timer whose run or deadline no longer matches the case is obsolete and does nothing.
   */
  [JobName.SlaTimer]: { caseId: string; stage: string; level: string; stageStartedAt: number; dueAt: number };
  [JobName.ApplyReorganisation]: { reorganisationId: string };
  /** Nothing: the sweep finds its work in PostgreSQL. */
  [JobName.PrivacySweep]: Record<string, never>;
}

export const QUEUE_OF: Record<JobName, QueueName> = {
  [JobName.RouteCase]: QueueName.Routing,
  [JobName.CaseEvent]: QueueName.CaseEvents,
  [JobName.Deliver]: QueueName.Notifications,
  [JobName.Redeliver]: QueueName.Notifications,
  [JobName.SlaTimer]: QueueName.Sla,
  [JobName.ApplyReorganisation]: QueueName.Routing,
  [JobName.PrivacySweep]: QueueName.Privacy,
};

/**
 * What the ids of a job name's jobs start with. For the jobs keyed by one row (route-case,
 * case-event, deliver) `jobIdPrefix(name) || row id` is the job id, so SQL that looks for a row's job
 * in the outbox builds it from here, not from a copy of the format.
 */
export function jobIdPrefix(name: JobName): string {
  return `${name}.`;
}

/**
 * The one place job ids are made. A deterministic id lets the relay and the reconciler add the same
 * job again after a crash without running it twice while it exists. BullMQ refuses ':' in custom ids.
 */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayloads[N]): string {
  switch (name) {
    case JobName.RouteCase:
      return jobIdPrefix(name) + (payload as JobPayloads[JobName.RouteCase]).caseId;
    case JobName.CaseEvent:
      return jobIdPrefix(name) + (payload as JobPayloads[JobName.CaseEvent]).eventId;
    case JobName.Deliver:
      return jobIdPrefix(name) + (payload as JobPayloads[JobName.Deliver]).deliveryId;
    case JobName.Redeliver: {
      const r = payload as JobPayloads[JobName.Redeliver];
      return `${jobIdPrefix(name)}${r.deliveryId}.${r.requestedAt}`;
    }
    case JobName.ApplyReorganisation:
      return jobIdPrefix(name) + (payload as JobPayloads[JobName.ApplyReorganisation]).reorganisationId;
    case JobName.SlaTimer: {
      // A moved deadline or a new stage run gives a new id, so the new timer is never mistaken for the old.
      const t = payload as JobPayloads[JobName.SlaTimer];
      return `${jobIdPrefix(name)}${t.caseId}.${t.stage}.${t.stageStartedAt}.${t.level}.${t.dueAt}`;
    }
    case JobName.PrivacySweep:
      // Made by its job scheduler (PRIVACY_SWEEP_SCHEDULER), which names its own runs.
      return name;
    default:
      throw new Error(`no job id rule for job '${name as string}'`);
  }
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  // Finished jobs go: PostgreSQL keeps the history; a short tail stays for bull-board.
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The backoff type of deliveries: their worker waits `deliveryRetryDelaysMs` (see DeliveriesProcessor). */
export const DELIVERY_BACKOFF = 'delivery-schedule';

/**
 * The options a job is added with, wherever it is added (the relay, the reconcilers): deliveries
 * follow the configured retry schedule (hours, for a receiver that is down), every other job
 * DEFAULT_JOB_OPTIONS.
 */
export function jobOptionsFor(name: string, config: { deliveryRetryDelaysMs: readonly number[] }): JobsOptions {
  if (name !== JobName.Deliver) return DEFAULT_JOB_OPTIONS;
  return { ...DEFAULT_JOB_OPTIONS, attempts: config.deliveryRetryDelaysMs.length + 1, backoff: { type: DELIVERY_BACKOFF } };
}

/** The wait before retry `attempt` (1 for the first retry) of a delivery: the schedule's, plus up to a tenth, so retries of many deliveries spread. */
export function deliveryRetryDelay(attempt: number, delaysMs: readonly number[], random: () => number = Math.random): number {
  const base = delaysMs[Math.min(Math.max(attempt, 1), delaysMs.length) - 1];
  return Math.round(base * (1 + random() / 10));
}

/** How caseEventMessage names a fan-out job, for a writer that makes the job id in SQL (write_routing_pass). */
export const CASE_EVENT_JOB = { queue: QUEUE_OF[JobName.CaseEvent], name: JobName.CaseEvent, jobIdPrefix: jobIdPrefix(JobName.CaseEvent) };

/** The outbox message announcing an audit event a citizen should see (status, unit or deadline changed). */
export function caseEventMessage(caseId: string, eventId: string) {
  const payload = { caseId, eventId };
  return { queue: QUEUE_OF[JobName.CaseEvent], name: JobName.CaseEvent, jobId: jobIdFor(JobName.CaseEvent, payload), payload };
}
