import { EntityManager, QueryRunner } from 'typeorm';
import { selectRow } from './sql';

/**
 * Keys of the PostgreSQL advisory locks the engine takes, in one place so two features never pick
 * the same number.
 */
export const ADVISORY_LOCK = {
  /** Migrations and the first load of config/. */
  bootstrap: 727_001,
  routingReconcile: 727_002,
  slaReconcile: 727_003,
  deliveriesReconcile: 727_004,
  auditCheckpoint: 727_005,
  /** Held for as long as a process is the audit trail's one sealer. */
  auditSealer: 727_006,
  /** Scheduling a reorganisation: the same plan posted twice at once is scheduled once. */
  reorganisationSchedule: 727_007,
  /**
   * Who can receive case events: shared by every transaction that writes a case event (it skips the
   * fan-out when nobody can), exclusive while a webhook is registered or enabled or a channel's
   * webhook is set, so such a change and a skip never overlap (case-event-states.ts). Shared too by
   * every transaction that announces another event to its webhooks (webhook_subscribers).
   */
  caseEventReceivers: 727_008,
  /**
   * Recomputing daily facts: one drain's transaction at a time. The facts' triggers take a batch's
   * old sums away and put the new ones back in two passes over unit_day_totals, each in (unit, day)
   * order; two drains whose passes crossed could deadlock.
   */
  unitFacts: 727_009,
  /**
   * Taking an active administrator away (disabled, or another role): such changes run one at a time,
   * so two administrators disabling each other at once cannot both pass the check that one remains.
   */
  administrators: 727_010,
  /** The sweep that puts merged groups back together (libs/cases, merged-groups.reconciler.ts). */
  mergedGroups: 727_011,
  /**
   * Applying a reorganisation: one at a time, so each is evaluated against the organisation the one
   * before left. Two plans due at once each saw the other's units still there and both applied.
   */
  reorganisationApply: 727_012,
  /**
   * Not a lock but a class of them, one per case: the first key of the two-int form, the second being
   * the hash of the case id (case-erasure-locks.ts). Shared by a fan-out of case events from before it
   * reads its cases, exclusive while an erasure of personal data erases them.
   */
  caseErasure: 727_013,
  /**
   * The SLA due sweep while Redis does not answer (libs/sla, sla-reconciler.service.ts): apart from
   * slaReconcile, which a pass left waiting for a Redis that went in the middle of it holds until Redis is back.
   */
  slaReconcileRedisDown: 727_014,
  /** The compliance board's alert sweep (numbers from 727_150 on are the board's). */
  complianceAlerts: 727_150,
} as const;

export type AdvisoryLock = (typeof ADVISORY_LOCK)[keyof typeof ADVISORY_LOCK];

/**
 * Takes a session lock if nobody holds it; true when taken. A session lock belongs to a connection,
 * hence a QueryRunner: release it with advisoryUnlock on the same runner, or close the connection.
 */
export async function tryAdvisoryLock(runner: QueryRunner, lock: AdvisoryLock): Promise<boolean> {
  const row = await selectRow<{ locked: boolean }>(runner, `SELECT pg_try_advisory_lock($1) AS locked`, [lock]);
  return row?.locked === true;
}

export async function advisoryUnlock(runner: QueryRunner, lock: AdvisoryLock): Promise<void> {
  await selectRow<{ unlocked: boolean }>(runner, `SELECT pg_advisory_unlock($1) AS unlocked`, [lock]);
}

/** Waits for a session lock (see tryAdvisoryLock). */
export async function advisoryLock(runner: QueryRunner, lock: AdvisoryLock): Promise<void> {
  await selectRow<{ locked: string }>(runner, `SELECT pg_advisory_lock($1)::text AS locked`, [lock]);
}

/** Takes a lock held until the transaction of `m` ends, if nobody holds it; true when taken. */
export async function tryAdvisoryXactLock(m: EntityManager, lock: AdvisoryLock): Promise<boolean> {
  const row = await selectRow<{ locked: boolean }>(m, `SELECT pg_try_advisory_xact_lock($1) AS locked`, [lock]);
  return row?.locked === true;
}

/** Waits for a lock held until the transaction of `m` ends. */
export async function advisoryXactLock(m: EntityManager, lock: AdvisoryLock): Promise<void> {
  await selectRow<{ locked: string }>(m, `SELECT pg_advisory_xact_lock($1)::text AS locked`, [lock]);
}
