import { DataSource, EntityManager } from 'typeorm';
import { assertUnreachable, CaseState, ClockPause } from '@fr/domain';
import { execute, selectRow, selectRows, UNITS_PATH_SEPARATOR } from '@fr/persistence';
import { Deadlines, Severity, SlaService, Stage, StageClock } from '@fr/sla';
import { columns, ColumnSet } from './column-set';

/** The case as an action sees it, read with the row locked: what handlers decide from. */
export interface LockedCase {
  id: string;
  status: CaseState;
  version: number;
  category_code: string;
  unit_code: string | null;
  handler_id: string | null;
  severity: Severity;
  stage: Stage | null;
  stage_started_at: Date | null;
  stage_minutes: number | null;
  extension_minutes: number;
  extension_count: number;
  resolve_from: Date | null;
  acknowledged_at: Date | null;
  due_at: Date | null;
  /** The deadline a case waiting on the citizen had passed when its pause began (null otherwise). */
  paused_past_due: Date | null;
  resolved_at: Date | null;
  rating: number | null;
  rated_at: Date | null;
}

const LOCKED_CASE_COLUMNS = `id, status, version, category_code, unit_code, handler_id, severity, stage, stage_started_at, stage_minutes,
  extension_minutes, extension_count, resolve_from, acknowledged_at, due_at, paused_past_due, resolved_at, rating, rated_at`;

/**
 * Locks the case for the rest of the transaction (actions on one case happen one after another), for an
 * action, which may close the case, and for whatever acts on it after reading it. A duplicate that a deletion request waits for is
 * erased as it closes (SubjectRequests.onCaseClosed), and the erasure writes its group's cases, of which
 * every writer locks the original first (case-erasure-locks.ts): that original is locked here, as the
 * erasure will lock it, before the case. Holding the duplicate first, the action waited for an original
 * that another erasure of the group held while waiting for the duplicate. In the statement that locks the
 * case (its select list, computed before the row is locked): no round trip added to every action.
 *
 * Whether a deletion waits is judged from the statement's snapshot, taken before the case is locked: a
 * deletion request holds the case until it commits, so one that committed while this waited for the case
 * was not seen, and its original was not locked. Once the case is held no other deletion can start waiting
 * for it, so it is asked again then (deletion_waits_for_case, with a snapshot of its own; only for a
 * duplicate whose original this did not lock), and CaseLockedBeforeOriginal is thrown when one does: the
 * caller's transaction (inCaseTransaction) is rolled back, which lets the case go, and run again, its
 * snapshot now seeing the deletion.
 *
 * `skipLocked`: undefined at once when another transaction holds the case, rather than waiting for it. The
 * original a deletion makes it lock first is still waited for: nothing of its group is held meanwhile.
 */
export async function lockCaseToAct(m: EntityManager, caseId: string, { skipLocked = false } = {}): Promise<LockedCase | undefined> {
  const row = await selectRow<LockedCase & { deletion_came_after: boolean }>(
    m,
    `WITH original AS MATERIALIZED (
       SELECT o.id FROM cases d JOIN cases o ON o.id = d.duplicate_of
        WHERE d.id = $1 AND o.id <> d.id
          AND EXISTS (SELECT 1 FROM privacy_requests p WHERE p.status = 'waiting_for_closure' AND p.waiting_case_ids @> ARRAY[d.id])
          FOR NO KEY UPDATE OF o),
     locked AS MATERIALIZED (
       SELECT ${LOCKED_CASE_COLUMNS}, duplicate_of, (SELECT id FROM original) AS original_id
         FROM cases WHERE id = $1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''})
     SELECT ${LOCKED_CASE_COLUMNS},
            CASE WHEN duplicate_of IS NULL OR duplicate_of = id OR duplicate_of = original_id THEN false
                 ELSE deletion_waits_for_case(id) END AS deletion_came_after
       FROM locked`,
    [caseId],
  );
  if (!row) return undefined;
  const { deletion_came_after: late, ...c } = row;
  if (late) throw new CaseLockedBeforeOriginal(caseId);
  return c;
}

/**
 * The unit an action gives the case to: the one its input names (`unitCode`: assign, transfer), the
 * triage unit (return), or none (the case stays where it is). Each handler declares its own
 * (ActionHandler.takesUnit), and lockUnitTakingCase locks that unit before the case.
 */
export type UnitTaken = 'named' | 'triage' | null;

/** Reads of the triage unit: a second finds the one a reorganisation named while the first waited for the old. */
const TRIAGE_UNIT_READS = 3;

/**
 * Before lockCaseToAct, for an action that gives the case to another unit (`takesUnit`, the handler's
 * declaration): that unit's row, shared, as whoever locks units and cases takes them, the units first. A
 * reorganisation locks the units it ends, then their open cases; a designation change its unit, then the
 * unit's cases. A transfer between two units a plan ended locked the case, then waited for the target unit,
 * which the plan held while it waited for the case: PostgreSQL undid one of them, the transfer answering 503
 * or the plan failing (test/reorganisation-lock-order.e2e-spec.ts). Locked first, the action waits for the
 * plan holding nothing of it, and then finds the case where the plan left it.
 *
 * A return's unit is the triage unit, which a reorganisation may end and name anew (the office handing
 * over): read without a lock, the return wrote the case to the office the plan was ending, after the plan
 * had read that office's cases, and it stayed in triage at an ended unit. The share lock keeps the plan
 * out until the return commits; a return that waited for the plan reads the new triage unit, which the
 * handler then reads too (a unit found ended is read again, in a statement of its own).
 */
export async function lockUnitTakingCase(m: EntityManager, takesUnit: UnitTaken, input: { unitCode?: unknown }): Promise<void> {
  switch (takesUnit) {
    case null:
      return;
    case 'named':
      if (typeof input.unitCode === 'string') await selectRows(m, `SELECT code FROM units WHERE code = $1 FOR SHARE`, [input.unitCode]);
      return;
    case 'triage':
      for (let read = 1; read <= TRIAGE_UNIT_READS; read++) {
        const unit = await selectRow<{ active: boolean }>(
          m,
          `SELECT u.active FROM units u WHERE u.code = (SELECT s.value #>> '{}' FROM system_state s WHERE s.key = 'triage_unit') FOR SHARE OF u`,
        );
        if (!unit || unit.active) return;
      }
      return;
    default:
      assertUnreachable(takesUnit);
  }
}

/** lockCaseToAct held a duplicate without its original, which a deletion waiting for the case makes it write next. */
export class CaseLockedBeforeOriginal extends Error {
  constructor(readonly caseId: string) {
    super(`case ${caseId} was locked before its original, and a deletion now waits for it: the transaction starts again`);
  }
}

/** Runs of a transaction that CaseLockedBeforeOriginal may end: the second sees the deletion; a third is margin. */
const CASE_TRANSACTION_RUNS = 3;

/**
 * A transaction that locks a case with lockCaseToAct: run again from its start when that found it had
 * locked the case before the original a deletion now makes it write (see there). Nothing else is retried.
 */
export async function inCaseTransaction<T>(ds: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await ds.transaction(work);
    } catch (e) {
      if (!(e instanceof CaseLockedBeforeOriginal) || run >= CASE_TRANSACTION_RUNS) throw e;
    }
  }
}

/**
 * The one statement that changes a case for an action: the state the transition table gave, the
 * bookkeeping every change carries, and the handler's own columns.
 */
export async function writeCaseChange(m: EntityManager, caseId: string, to: CaseState, bumpVersion: boolean, set: ColumnSet): Promise<void> {
  const own = set.render(3);
  await execute(
    m,
    `UPDATE cases SET status = $2, updated_at = now()${bumpVersion ? ', version = version + 1' : ''}${own.text ? `, ${own.text}` : ''}
      WHERE id = $1`,
    [caseId, to, ...own.params],
  );
}

export async function pausesOf(m: EntityManager, caseId: string, stage: Stage): Promise<ClockPause[]> {
  const rows = await selectRows<{ started_at: Date; ended_at: Date | null }>(
    m,
    `SELECT started_at, ended_at FROM case_pauses WHERE case_id = $1 AND stage = $2 ORDER BY id`,
    [caseId, stage],
  );
  return rows.map((r) => ({ from: new Date(r.started_at), to: r.ended_at ? new Date(r.ended_at) : null }));
}

/**
 * The current stage run's deadline counted again from what the case stores (start, duration, extensions,
 * every pause) on the calendar in force now: a clock resuming after a pause, or a corrected calendar year.
 */
export async function currentRunDeadlines(m: EntityManager, sla: SlaService, c: LockedCase): Promise<{ clock: StageClock | null; d: Deadlines }> {
  const clock = stageClockOf(c);
  if (!clock) return { clock: null, d: { dueAt: null, warnAt: null } };
  const pauses: ClockPause[] = await pausesOf(m, c.id, clock.stage);
  return { clock, d: withoutLateWarning(clock, sla.deadlines(clock, pauses), c.acknowledged_at) };
}

/** A case waiting on the citizen as its open pause saw it: when the pause began, and the deadline it had passed then (null: in time). */
export interface PauseSeen {
  pausedAt: Date;
  pastDue: Date | null;
}

/**
 * As `request-info` judged it when the pause began, on the calendar in force now: the run's deadline
 * counted with the stage's earlier pauses, passed if it is not after the open pause's start. Null when no
 * pause of the stage is open. `pauses` are the stage's.
 */
export function pauseSeen(sla: SlaService, clock: StageClock, pauses: readonly ClockPause[]): PauseSeen | null {
  const open = pauses.filter((p) => p.to === null);
  if (!open.length) return null;
  const pausedAt = new Date(Math.max(...open.map((p) => p.from.getTime())));
  const due = sla.deadlines(
    clock,
    pauses.filter((p) => p.to !== null && p.from.getTime() < pausedAt.getTime()),
  ).dueAt;
  return { pausedAt, pastDue: due && due.getTime() <= pausedAt.getTime() ? due : null };
}

/** pauseSeen for a locked case waiting on the citizen, from what it stores. */
export async function currentPauseSeen(m: EntityManager, sla: SlaService, c: LockedCase): Promise<{ clock: StageClock | null; seen: PauseSeen | null }> {
  const clock = stageClockOf(c);
  if (!clock) return { clock: null, seen: null };
  return { clock, seen: pauseSeen(sla, clock, await pausesOf(m, c.id, clock.stage)) };
}

/**
 * A resolve stage acknowledged only after its deadline had passed (its clock counts from receipt or
 * transfer) has no warning time: "75% of the time used" is not said of a case already late, and the
 * handler heard it together with levels 1 and 2. The ladder starts at level 1; counted again (a pause
 * ended, a calendar corrected), the run still has none.
 */
export function withoutLateWarning(clock: StageClock, d: Deadlines, acknowledgedAt: Date | null): Deadlines {
  const late = clock.stage === 'resolve' && acknowledgedAt !== null && d.dueAt !== null && d.dueAt.getTime() <= new Date(acknowledgedAt).getTime();
  return late ? { ...d, warnAt: null } : d;
}

/** The current stage run's clock as the case stores it; null when no stage runs. */
export function stageClockOf(c: Pick<LockedCase, 'stage' | 'stage_started_at' | 'stage_minutes' | 'extension_minutes' | 'unit_code'>): StageClock | null {
  if (!c.stage || !c.stage_started_at || !c.stage_minutes) return null;
  return { stage: c.stage, startedAt: new Date(c.stage_started_at), minutes: c.stage_minutes, extensionMinutes: c.extension_minutes, unit: c.unit_code };
}

export async function startPause(m: EntityManager, caseId: string, stage: Stage, at: Date): Promise<void> {
  await execute(m, `INSERT INTO case_pauses (case_id, stage, started_at) VALUES ($1, $2, $3)`, [caseId, stage, at]);
}

export async function endPauses(m: EntityManager, caseId: string, at: Date): Promise<void> {
  await execute(m, `UPDATE case_pauses SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [caseId, at]);
}

export type MessageKind = 'info_request' | 'info_reply' | 'note';

/** A message on the case's thread, stored in NFC; its id. */
export async function addMessage(
  m: EntityManager,
  caseId: string,
  kind: MessageKind,
  author: string,
  body: string,
  attachments: readonly unknown[],
): Promise<string> {
  const row = await selectRow<{ id: string }>(
    m,
    `INSERT INTO case_messages (case_id, kind, author, body, attachments) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
    [caseId, kind, author, body.normalize('NFC'), JSON.stringify(attachments)],
  );
  return row!.id;
}

/**
 * The stage deadline in force for the unit holding the case now: its running deadline, or the one it
 * had passed when it was paused for the citizen. A hand-over records it (`assignments.passed_due_at`):
 * a case passed on after it is due and late for the unit that passed it on (unit metrics).
 */
export function deadlineInForce(c: LockedCase): Date | null {
  return c.due_at ?? (c.status === 'awaiting_info' ? c.paused_past_due : null);
}

/**
 * Ends the case's current assignment and starts the next one, at the same instant. Returns the case
 * columns the move changes (its units path, which the export reads): the caller writes them in the
 * statement that changes the case anyway, so the move costs no statement more.
 */
export async function moveAssignment(
  m: EntityManager,
  caseId: string,
  to: { unit: string; handler: string | null; leader: string | null },
  reason: string,
  at: Date,
  passedDueAt: Date | null = null,
): Promise<ColumnSet> {
  await execute(m, `UPDATE assignments SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [caseId, at]);
  await execute(
    m,
    `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, started_at, passed_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [caseId, to.unit, to.handler, to.leader, reason, at, passedDueAt],
  );
  return unitsPathColumns(to.unit);
}

/** `units_path` with `unit` appended, as a case column (persistence's unitsPathAppended, with the unit a parameter). */
function unitsPathColumns(unit: string): ColumnSet {
  return columns`units_path = concat_ws(${UNITS_PATH_SEPARATOR}::text, units_path, ${unit}::text)`;
}
