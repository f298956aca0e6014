import { EntityManager } from 'typeorm';
import { ActionNotAllowedInStateError, CaseState, ConflictError, isUuid, transition, UnprocessableError, ValidationError } from '@fr/domain';
import {
  carryMergedDuplicates,
  execute,
  relinkDuplicatesOf,
  selectRow,
  selectRows,
  unitsPathAppended,
  writeAuditEvents,
  writeOutboxWithCaseEventStates,
} from '@fr/persistence';
import { caseEventMessage } from '@fr/queue';
import { CaseActor } from '../actor';
import { ActionHandler } from './action-handler';
import { endPauses, moveAssignment } from './case-records';
import { columns, NO_COLUMNS } from './column-set';

/**
 * Duplicates (issue 14). Routing links a new case to its likely original (libs/routing,
 * link-duplicates.ts); here the original's unit decides: `merge` gathers the linked cases into the
 * original (their clocks stop, the original's SLA stands for all, and its answer will reach each
 * citizen), `unlink` sends a false match on by itself.
 */

interface DuplicateRow {
  id: string;
  tracking_code: string;
  status: CaseState;
  duplicate_of: string | null;
  unit_code: string | null;
}

/** A false match: the case goes on by itself, with the unit and clocks it already has. */
export const unlink: ActionHandler = {
  takesUnit: null,
  act: async ({ m, c }) => {
    const row = await selectRow<{ duplicate_of: string | null; tracking_code: string | null }>(
      m,
      `SELECT c.duplicate_of, o.tracking_code FROM cases c LEFT JOIN cases o ON o.id = c.duplicate_of WHERE c.id = $1`,
      [c.id],
    );
    if (!row?.duplicate_of) throw new UnprocessableError('this case is not linked to another as a duplicate; there is nothing to unlink');
    return {
      set: columns`duplicate_of = NULL`,
      bumpsVersion: true,
      data: { fromOriginalId: row.duplicate_of, fromOriginalTrackingCode: row.tracking_code },
    };
  },
};

/**
 * On the original: the named linked cases join it. Each moves to the original's unit and officers,
 * its pauses end and its deadline goes (the timers of its old stage find no run to escalate); the
 * citizen's channel is told. Merged into an original already answered, they close with that answer.
 */
export const merge: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input, now }) => {
    const raw = input.duplicateIds;
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((id) => !isUuid(id))) {
      throw new ValidationError('duplicateIds must list the ids (uuid) of one or more cases linked to this one', ['duplicateIds']);
    }
    // A set: an Idempotency-Key's fingerprint reads the list so too (SET_FIELDS in action-keys.ts), keep the two alike.
    const ids = [...new Set(raw.map((id) => id.toLowerCase()))].sort();
    if (ids.includes(c.id)) throw new UnprocessableError('a case cannot be merged into itself');
    // Refused before any duplicate is locked: a merge of B into A and one of A into B sent at once (one
    // of them necessarily wrong) each held its own original and waited for the other's, and PostgreSQL
    // broke the deadlock with a 500 for both, and for every action queued behind them. Read unlocked,
    // a link names the original it had at some commit; only a case really linked here is locked below.
    const linked = await selectRows<{ id: string }>(m, `SELECT id FROM cases WHERE id = ANY($1::uuid[]) AND duplicate_of = $2`, [ids, c.id]);
    const notLinked = ids.find((id) => !linked.some((x) => x.id === id));
    if (notLinked) throw notLinkedError(notLinked);
    // Locked in id order after the original (ActOnCase locked it first): two merges wait, not deadlock.
    const dups = await selectRows<DuplicateRow>(
      m,
      `SELECT id, tracking_code, status, duplicate_of, unit_code FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    for (const id of ids) {
      // One answer whether the case is missing, elsewhere or linked to another: the caller may not see
      // a case outside its unit, so neither its existence nor its tracking code is told.
      if (dups.find((x) => x.id === id)?.duplicate_of !== c.id) throw notLinkedError(id);
    }
    // The table decides for each duplicate too: one already merged or closed refuses the whole merge (409).
    const moves = dups.map((d) => {
      try {
        return { d, to: transition(d.status, 'join_original', 'SYSTEM') };
      } catch (e) {
        // Named, so the caller knows which of the list refused and that it is that case's state, not the original's.
        if (e instanceof ActionNotAllowedInStateError)
          throw new ConflictError(`case ${d.tracking_code} is '${d.status}': only an open case linked to this one can join it`);
        throw e;
      }
    });
    const leader = await selectRow<{ leader_id: string | null }>(m, `SELECT leader_id FROM cases WHERE id = $1`, [c.id]);
    const movedIds: string[] = [];
    for (const { d } of moves) {
      await endPauses(m, d.id, now);
      if (d.unit_code !== c.unit_code && c.unit_code) {
        await moveAssignment(m, d.id, { unit: c.unit_code, handler: c.handler_id, leader: leader?.leader_id ?? null }, 'merge', now);
        movedIds.push(d.id);
      }
    }
    // The units paths of the duplicates moveAssignment moved, in the one statement that changes them all.
    await execute(
      m,
      `UPDATE cases SET status = 'merged', unit_code = $2, handler_id = $3, leader_id = $4, stage = NULL, due_at = NULL, warn_at = NULL,
              units_path = CASE WHEN id = ANY($5::uuid[]) THEN ${unitsPathAppended('units_path', '$6::text')} ELSE units_path END,
              version = version + 1, updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [ids, c.unit_code, c.handler_id, leader?.leader_id ?? null, movedIds, c.unit_code],
    );
    const original = await selectRow<{ tracking_code: string }>(m, `SELECT tracking_code FROM cases WHERE id = $1`, [c.id]);
    // A joining case may have duplicates of its own (routing links a report to the oldest open case,
    // which can be one that is itself linked later, when it was routed after the report). The group has
    // one original: they are linked to this one instead, and those already merged follow it.
    const relinked = await relinkDuplicatesOf(m, ids, c.id);
    await writeAuditEvents(
      m,
      relinked.map((r) => ({
        caseId: r.id,
        actor: actor.label,
        action: 'relink',
        fromState: r.status,
        toState: r.status,
        reason: `its original joined ${original?.tracking_code ?? c.id}`,
        data: { originalId: c.id, originalTrackingCode: original?.tracking_code ?? null, fromOriginalId: r.from_original },
      })),
    );
    if (relinked.some((r) => r.status === 'merged')) await carryMergedDuplicates(m, [c.id], actor.label, now);
    await announce(
      m,
      moves.map(({ d, to }) => ({
        caseId: d.id,
        actor: actor.label,
        action: 'join_original',
        fromState: d.status,
        toState: to,
        reason: `merged into ${original?.tracking_code ?? c.id}`,
        data: { originalId: c.id, originalTrackingCode: original?.tracking_code ?? null, fromUnit: d.unit_code },
      })),
    );
    let closedCases: string[] = [];
    if (c.status === 'resolved') {
      const answered = await selectRow<{ answer: string | null; resolution_attachments: unknown[] }>(
        m,
        `SELECT answer, resolution_attachments FROM cases WHERE id = $1`,
        [c.id],
      );
      closedCases = await closeMergedDuplicates(
        m,
        actor,
        c.id,
        { closedAs: 'duplicate', answer: answered?.answer ?? '', attachments: answered?.resolution_attachments ?? [] },
        now,
      );
    }
    return {
      set: NO_COLUMNS,
      bumpsVersion: true,
      data: { merged: moves.map(({ d }) => ({ id: d.id, trackingCode: d.tracking_code })) },
      closedCases,
    };
  },
};

function notLinkedError(id: string): UnprocessableError {
  return new UnprocessableError(`case '${id}' is not linked to this case; only cases linked to it can be merged into it`);
}

/** How an original's merged duplicates close with it: with its answer, or sent where it was (another legal track). */
export type GroupClosing = { closedAs: 'duplicate'; answer: string; attachments: readonly unknown[] } | { closedAs: 'other_track'; whereToGo: string };

/**
 * The original closed for the group: every duplicate merged into it closes the same way, and each
 * citizen's channel is told (the case event carries the answer, or where to go). Called by `resolve`
 * with the answer it is about to write, by `redirect-other-track` with where the citizen is sent, and
 * by `merge` into an original already resolved. Returns the ids closed.
 */
export async function closeMergedDuplicates(m: EntityManager, actor: CaseActor, originalId: string, closing: GroupClosing, now: Date): Promise<string[]> {
  const merged = await selectRows<DuplicateRow>(
    m,
    `SELECT id, tracking_code, status, duplicate_of, unit_code FROM cases WHERE duplicate_of = $1 AND status = 'merged' ORDER BY id FOR UPDATE`,
    [originalId],
  );
  if (merged.length === 0) return [];
  const moves = merged.map((d) => ({ d, to: transition(d.status, 'close_with_original', 'SYSTEM') }));
  const ids = moves.map(({ d }) => d.id);
  if (closing.closedAs === 'duplicate') {
    await execute(
      m,
      `UPDATE cases SET status = 'closed', answer = $2, resolution_attachments = $3, closed_as = 'duplicate', closed_at = $4,
              version = version + 1, updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [ids, closing.answer, JSON.stringify(closing.attachments), now],
    );
  } else {
    await execute(
      m,
      `UPDATE cases SET status = 'closed', closed_as = 'other_track', where_to_go = $2, closed_at = $3, version = version + 1, updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [ids, closing.whereToGo, now],
    );
  }
  await announce(
    m,
    moves.map(({ d, to }) => ({
      caseId: d.id,
      actor: actor.label,
      action: 'close_with_original',
      fromState: d.status,
      toState: to,
      reason: null,
      data: { originalId, closedAs: closing.closedAs },
      // Where the citizen is sent is an officer's words: kept outside the chain, as on the original.
      texts: closing.closedAs === 'other_track' ? { whereToGo: closing.whereToGo } : undefined,
    })),
  );
  return ids;
}

/** The duplicates' audit events and, both actions being citizen-visible, their case events. */
async function announce(m: EntityManager, events: Parameters<typeof writeAuditEvents>[1]): Promise<void> {
  const eventIds = await writeAuditEvents(m, events);
  await writeOutboxWithCaseEventStates(
    m,
    [],
    events.map((e, i) => ({ caseId: e.caseId!, eventId: eventIds[i], fanOut: caseEventMessage(e.caseId!, eventIds[i]) })),
  );
}
