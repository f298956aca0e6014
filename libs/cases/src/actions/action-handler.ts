import { EntityManager } from 'typeorm';
import { CaseAction, ValidationError } from '@fr/domain';
import { Deadlines, SlaService, StageClock, StageRun } from '@fr/sla';
import { CaseActor } from '../actor';
import { LockedCase, UnitTaken } from './case-records';
import { columns, ColumnSet } from './column-set';

/** What a caller may send with an action; each handler reads and checks the fields it needs. */
export interface ActionInput {
  expectedVersion?: number;
  severity?: string;
  message?: string;
  unitCode?: string;
  reason?: string;
  answer?: string;
  attachments?: { url: string; kind: string }[];
  until?: string;
  text?: string;
  score?: number;
  comment?: string;
  whereToGo?: string;
  /** merge: the linked cases joining the original. */
  duplicateIds?: string[];
  /** recompute_deadline (system): the officer who asked for it, as the trail names officers (officer:<id>). */
  requestedBy?: string;
}

/** Everything a handler decides from. The case row is locked; the transition was allowed. */
export interface ActionContext {
  m: EntityManager;
  actor: CaseActor;
  c: LockedCase;
  input: ActionInput;
  /** The Clock's time, read once per action: every column and deadline of the action uses it. */
  now: Date;
  sla: SlaService;
}

/** What an action changes beyond the state, and what its audit event says. */
export interface ActionOutcome {
  /** The case's own columns this action sets (state, updated_at and version are ActOnCase's). */
  set: ColumnSet;
  /**
   * Whether the change moves the case's version, the number `expectedVersion` is checked against.
   * Only an action that changes nothing an officer decides from keeps it (a note), so it races no one.
   */
  bumpsVersion: boolean;
  /** A deadline set or moved by the action: its escalation timers are scheduled in the same transaction. */
  deadline?: StageRun;
  /** Free text: kept outside the audit chain, like `texts`. */
  reason?: string | null;
  data?: Record<string, unknown>;
  /** Other free text the event records, kept outside the chain (libs/persistence/src/audit-texts.ts). */
  texts?: Record<string, string>;
  /** Other cases the action closed (duplicates merged into this one): a deletion request waiting for them is carried out too. */
  closedCases?: readonly string[];
  /** The citizen's channel is not told of this one, though the action's are (a waiting case's lateness counted again). */
  untold?: boolean;
  /** Another action the same transaction performs right after this one (a rating closes or reopens the case). */
  then?: { actor: CaseActor; action: CaseAction; input: ActionInput };
}

/** One action: the unit it gives the case to, if any, and what it changes. */
export interface ActionHandler {
  /**
   * The unit `act` gives the case to, which ActOnCase locks before the case (lockUnitTakingCase), and to
   * which it carries the duplicates merged into the case; null when the case stays at its unit. A handler
   * that moved the case without saying so here would wait for the unit while holding the case, and
   * deadlock with a reorganisation ending that unit. Checked for every handler against what it writes
   * (act-on-case.spec.ts).
   */
  readonly takesUnit: UnitTaken;
  readonly act: (ctx: ActionContext) => Promise<ActionOutcome>;
}

export function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field} is required for this action`, [field]);
  return value;
}

/** The columns that describe a stage run and its deadline, as stored so a recompute is exact. */
export function stageClockColumns(clock: StageClock, d: Deadlines): ColumnSet {
  return columns`stage = ${clock.stage}, stage_started_at = ${clock.startedAt}, stage_minutes = ${clock.minutes},
                 extension_minutes = ${clock.extensionMinutes}, due_at = ${d.dueAt}, warn_at = ${d.warnAt}`;
}

/** The stage run whose timers a new deadline needs. */
export function stageRun(caseId: string, clock: StageClock, d: Deadlines): StageRun {
  return { caseId, stage: clock.stage, stageStartedAt: clock.startedAt, dueAt: d.dueAt, warnAt: d.warnAt, unit: clock.unit ?? null };
}
