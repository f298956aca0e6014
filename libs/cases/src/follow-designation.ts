import { EntityManager } from 'typeorm';
import { carryMergedDuplicates, execute, selectRows, writeAuditEvent } from '@fr/persistence';

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
  const cases = await selectRows<{ id: string; status: string; handler_id: string | null; leader_id: string | null }>(
    m,
    `SELECT id, status, handler_id, leader_id FROM cases
      WHERE unit_code = $1 AND status = ANY($2)
        AND (handler_id IS DISTINCT FROM $3::uuid OR leader_id IS DISTINCT FROM $4::uuid)
      ORDER BY id FOR UPDATE`,
    [d.unitCode, OPEN_ASSIGNED_STATES, d.handlerId, d.leaderId],
  );
  if (cases.length === 0) return 0;
  const ids = cases.map((c) => c.id);
  await execute(m, `UPDATE cases SET handler_id = $2, leader_id = $3, version = version + 1, updated_at = now() WHERE id = ANY($1)`, [
    ids,
    d.handlerId,
    d.leaderId,
  ]);
  await execute(m, `UPDATE assignments SET ended_at = now() WHERE case_id = ANY($1) AND ended_at IS NULL`, [ids]);
  await execute(
    m,
    `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason)
     SELECT id, $2, $3, $4, 'designation' FROM unnest($1::uuid[]) AS id`,
    [ids, d.unitCode, d.handlerId, d.leaderId],
  );
  for (const c of cases) {
    await writeAuditEvent(m, {
      caseId: c.id,
      actor: d.actor,
      action: 'reassign',
      fromState: c.status,
      toState: c.status,
      reason: DESIGNATION_REASON,
      data: {
        fromHandlerId: c.handler_id,
        toHandlerId: d.handlerId,
        fromLeaderId: c.leader_id,
        toLeaderId: d.leaderId,
        reason: DESIGNATION_REASON,
      },
    });
  }
  // At the transaction's time, as the assignments above (now()).
  const [{ now }] = await selectRows<{ now: Date }>(m, `SELECT now() AS now`);
  await carryMergedDuplicates(m, ids, d.actor, now);
  return cases.length;
}
