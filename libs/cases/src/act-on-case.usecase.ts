import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource, EntityManager } from 'typeorm';
import { CaseAction, CaseState, ConflictError, isCitizenVisible, NotFoundError, transition } from '@fr/domain';
import { carryMergedDuplicates, selectRow, writeAuditEvent, writeOutboxWithCaseEventStates } from '@fr/persistence';
import { SubjectRequests } from '@fr/privacy';
import { caseEventMessage } from '@fr/queue';
import { Clock, scheduleSlaTimers, SlaService } from '@fr/sla';
import { ActionKey, claimActionKey } from './action-keys';
import { ACTION_HANDLERS, ActionInput, isHandledAction } from './actions';
import { inCaseTransaction, LockedCase, lockCaseToAct, lockUnitTakingCase, UnitTaken, writeCaseChange } from './actions/case-records';
import { CaseActor, inScope } from './actor';

export type { ActionInput } from './actions';

export interface ActionResult {
  caseId: string;
  status: CaseState;
  version: number;
}

/** An action sent with an Idempotency-Key: acted on now, or found done by an earlier request with the key. */
export type KeyedActionResult = { replayed: false; result: ActionResult } | { replayed: true };

/**
 * Every officer's and citizen's action on a case goes through here: the row is locked, the caller's
 * scope and the expected version checked, the transition table consulted; then the action's own
 * handler (libs/cases/src/actions) says what it changes, and the change, its audit event and the
 * citizen-facing event are written in one transaction.
 */
@Injectable()
export class ActOnCase {
  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    private readonly subjectRequests: SubjectRequests,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'privacyKey'>,
  ) {}

  execute(actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput): Promise<ActionResult> {
    return inCaseTransaction(this.ds, (m) => this.run(m, actor, caseId, action, input));
  }

  /**
   * As execute, once per key: the key is recorded first in the action's transaction (claimActionKey), and a
   * request whose key was recorded for the same request acts no more. Rolled back with a failed action, the
   * key leaves its retry to act anew.
   */
  executeOnce(actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput, key: ActionKey): Promise<KeyedActionResult> {
    return inCaseTransaction(this.ds, async (m) => {
      if ((await claimActionKey(m, key, action, caseId, this.clock.now(), this.config.privacyKey)) === 'done') return { replayed: true };
      return { replayed: false, result: await this.run(m, actor, caseId, action, input) };
    });
  }

  /**
   * As execute, unless another transaction holds the case: null then, at once, rather than after waiting
   * for it. For a sweep that several workers run over the same cases: each leaves to the other the case it
   * is acting on, and to its next pass one an officer is.
   */
  executeIfFree(actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput): Promise<ActionResult | null> {
    return inCaseTransaction(this.ds, async (m) => {
      await lockUnitTakingCase(m, unitTakenBy(action), input);
      const c = await lockCaseToAct(m, caseId, { skipLocked: true });
      return c ? this.act(m, actor, caseId, c, action, input) : null;
    });
  }

  /** For use cases that already hold a transaction (a sweep); begun with inCaseTransaction, as lockCaseToAct says. */
  async run(m: EntityManager, actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput): Promise<ActionResult> {
    await lockUnitTakingCase(m, unitTakenBy(action), input);
    const c = await lockCaseToAct(m, caseId);
    if (!c) throw new NotFoundError('case', caseId);
    return this.act(m, actor, caseId, c, action, input);
  }

  /** The action on the case `c`, locked by lockCaseToAct. */
  private async act(m: EntityManager, actor: CaseActor, caseId: string, c: LockedCase, action: CaseAction, input: ActionInput): Promise<ActionResult> {
    if (!inScope(actor, c.unit_code)) {
      // An officer of the unit that held the case until a colleague handed it on a moment ago
      // (transfer, return, a reorganisation): their action lost a race, it is not a probe. Only then,
      // and without the case's state or where it went, which the unit no longer sees.
      if ((actor.role === 'HANDLER' || actor.role === 'LEADER') && (await justHandedOnBy(m, caseId, actor.unitCode, this.clock.now()))) {
        throw new ConflictError(`case ${caseId} is no longer with unit '${actor.unitCode}': it was handed on; it has left your queue`);
      }
      throw new NotFoundError('case', caseId);
    }
    const to = transition(c.status, action, actor.role);
    if (input.expectedVersion !== undefined && input.expectedVersion !== c.version) {
      throw new ConflictError(
        `case ${caseId} has changed: expectedVersion ${input.expectedVersion}, current version ${c.version} (state '${c.status}'); reload and retry`,
      );
    }
    if (!isHandledAction(action)) throw new Error(`action '${action}' has its own use case`);
    const now = this.clock.now();
    const handler = ACTION_HANDLERS[action];
    const outcome = await handler.act({ m, actor, c, input, now, sla: this.sla });

    await writeCaseChange(m, caseId, to, outcome.bumpsVersion, outcome.set);
    // A case given to another unit and its officers takes the duplicates merged into it along.
    if (handler.takesUnit !== null) await carryMergedDuplicates(m, [caseId], actor.label, now);
    if (outcome.deadline) await scheduleSlaTimers(m, this.sla, outcome.deadline);
    const eventId = await writeAuditEvent(m, {
      caseId,
      actor: actor.label,
      action,
      fromState: c.status,
      toState: to,
      // Every reason of a case action may be an officer's words: kept outside the chain.
      data: outcome.data,
      texts: { ...outcome.texts, ...(outcome.reason ? { reason: outcome.reason } : {}) },
    });
    if (isCitizenVisible(action) && !outcome.untold)
      await writeOutboxWithCaseEventStates(m, [], [{ caseId, eventId, fanOut: caseEventMessage(caseId, eventId) }]);
    // A citizen's deletion request waiting for this case is carried out as it closes.
    if (to === 'closed') await this.subjectRequests.onCaseClosed(m, caseId);
    for (const closed of outcome.closedCases ?? []) await this.subjectRequests.onCaseClosed(m, closed);
    if (outcome.then) return this.run(m, outcome.then.actor, caseId, outcome.then.action, outcome.then.input);
    return { caseId, status: to, version: c.version + (outcome.bumpsVersion ? 1 : 0) };
  }
}

/** The unit the action's handler gives the case to; an action with a use case of its own takes none here. */
function unitTakenBy(action: CaseAction): UnitTaken {
  return isHandledAction(action) ? ACTION_HANDLERS[action].takesUnit : null;
}

/** How long after a hand-over the unit that held the case is told so, rather than not found. */
const HANDED_ON_WINDOW_MS = 15 * 60_000;

/** Whether `unitCode` held the case last, before the unit that holds it now, until less than HANDED_ON_WINDOW_MS ago. */
async function justHandedOnBy(m: EntityManager, caseId: string, unitCode: string | null, now: Date): Promise<boolean> {
  if (unitCode === null) return false;
  const last = await selectRow<{ unit_code: string; ended_at: Date }>(
    m,
    `SELECT unit_code, ended_at FROM assignments WHERE case_id = $1 AND ended_at IS NOT NULL ORDER BY ended_at DESC, id DESC LIMIT 1`,
    [caseId],
  );
  return last?.unit_code === unitCode && now.getTime() - new Date(last.ended_at).getTime() < HANDED_ON_WINDOW_MS;
}
