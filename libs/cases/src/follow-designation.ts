import { EntityManager } from 'typeorm';
import { carryMergedDuplicates, casesLockOrder, execute, selectRow, selectRows, writeAuditEvent } from '@fr/persistence';

/** Cases still being worked on; they follow their unit's designees. */
export const OPEN_ASSIGNED_STATES = ['assigned', 'in_progress', 'awaiting_info'] as const;
export const DESIGNATION_REASON = 'designation changed';

export interface DesigneesOfUnit {
  unitCode: string;
  handlerId: string | null;
  leaderId: string | null;
  /** Who changed the designation, as the audit trail names actors (`officer:<id>`). */
  actor: string;
}

/**
 * Moves a unit's open cases to the unit's new designees, in the caller's transaction: each moved case
 * gets a new assignment row and a `reassign` event, so its timeline shows the move, and the duplicates
 * merged into it follow. Cases already with these designees are left alone. Returns how many moved.
 */
export async function followUnitDesignation(m: EntityManager, d: DesigneesOfUnit): Promise<number> {
  // Locked as an erasure locks them (casesLockOrder), the originals before the linked cases. In id order
  // alone, a case linked to another group's original that sorts before this unit's next original was held
  // while the move waited for that original, which an erasure of both groups held while waiting for it.
  const cases = await selectRows<HeldCase>(
    m,
    `SELECT id, status, handler_id, leader_id FROM cases
      WHERE unit_code = $1 AND status = ANY($2)
        AND (handler_id IS DISTINCT FROM $3::uuid OR leader_id IS DISTINCT FROM $4::uuid)
      ORDER BY ${casesLockOrder()} FOR UPDATE`,
    [d.unitCode, OPEN_ASSIGNED_STATES, d.handlerId, d.leaderId],
  );
  return moveCases(m, d.unitCode, cases, () => ({ handlerId: d.handlerId, leaderId: d.leaderId }), d.actor, DESIGNATION_REASON);
}

export const HANDOVER_REASON = 'holder left the unit';

/**
 * An officer disabled, moved to another unit or given a role that handles no cases hands the open
 * cases they hold in `unitCode` to the unit's designees, in the caller's transaction: the handler's
 * place to the designated handler, the leader's to the designated leader. They were left holding them:
 * the cases sat in nobody's `assignee=me` list. A place whose designee is this officer, or an empty
 * designation, is kept as it is (the office names a designee, and the cases follow then). Returns how
 * many moved.
 */
export async function handOverHeldCases(m: EntityManager, officerId: string, unitCode: string, actor: string): Promise<number> {
  const unit = await selectRow<{ handler_id: string | null; leader_id: string | null }>(m, `SELECT u.handler_id, u.leader_id FROM units u WHERE u.code = $1`, [
    unitCode,
  ]);
  const successor = (designee: string | null | undefined) => (designee && designee !== officerId ? designee : null);
  const handler = successor(unit?.handler_id);
  const leader = successor(unit?.leader_id);
  if (!handler && !leader) return 0;
  const cases = await selectRows<HeldCase>(
    m,
    `SELECT id, status, handler_id, leader_id FROM cases
      WHERE unit_code = $1 AND status = ANY($2) AND ((handler_id = $3 AND $4::uuid IS NOT NULL) OR (leader_id = $3 AND $5::uuid IS NOT NULL))
      ORDER BY ${casesLockOrder()} FOR UPDATE`,
    [unitCode, OPEN_ASSIGNED_STATES, officerId, handler, leader],
  );
  return moveCases(
    m,
    unitCode,
    cases,
    (c) => ({
      handlerId: c.handler_id === officerId && handler ? handler : c.handler_id,
      leaderId: c.leader_id === officerId && leader ? leader : c.leader_id,
    }),
    actor,
    HANDOVER_REASON,
  );
}

interface HeldCase {
  id: string;
  status: string;
  handler_id: string | null;
  leader_id: string | null;
}

/**
 * Each case gets its new holders, a new assignment row and a `reassign` event, so its timeline shows
 * the move, and the duplicates merged into it follow.
 */
async function moveCases(
  m: EntityManager,
  unitCode: string,
  cases: HeldCase[],
  holders: (c: HeldCase) => { handlerId: string | null; leaderId: string | null },
  actor: string,
  reason: string,
): Promise<number> {
  if (cases.length === 0) return 0;
  const ids = cases.map((c) => c.id);
  const next = cases.map(holders);
  await execute(
    m,
    `UPDATE cases c SET handler_id = n.handler_id, leader_id = n.leader_id, version = c.version + 1, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS n(id, handler_id, leader_id) WHERE c.id = n.id`,
    [ids, next.map((n) => n.handlerId), next.map((n) => n.leaderId)],
  );
  await execute(m, `UPDATE assignments SET ended_at = now() WHERE case_id = ANY($1) AND ended_at IS NULL`, [ids]);
  await execute(
    m,
    `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason)
     SELECT n.id, $2, n.handler_id, n.leader_id, $5 FROM unnest($1::uuid[], $3::uuid[], $4::uuid[]) AS n(id, handler_id, leader_id)`,
    // 'designation' for a hand-over too: a move to the unit's designees, within the unit, which the units
    // path of a case (the export, review rights) does not count as a unit that held it.
    [ids, unitCode, next.map((n) => n.handlerId), next.map((n) => n.leaderId), 'designation'],
  );
  for (const [i, c] of cases.entries()) {
    await writeAuditEvent(m, {
      caseId: c.id,
      actor,
      action: 'reassign',
      fromState: c.status,
      toState: c.status,
      reason,
      data: {
        fromHandlerId: c.handler_id,
        toHandlerId: next[i].handlerId,
        fromLeaderId: c.leader_id,
        toLeaderId: next[i].leaderId,
        reason,
      },
    });
  }
  // At the transaction's time, as the assignments above (now()).
  const [{ now }] = await selectRows<{ now: Date }>(m, `SELECT now() AS now`);
  await carryMergedDuplicates(m, ids, actor, now);
  return cases.length;
}
