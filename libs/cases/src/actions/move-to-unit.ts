import { UnprocessableError } from '@fr/domain';
import { selectRow } from '@fr/persistence';
import { ActionContext, ActionOutcome, stageClockColumns, stageRun } from './action-handler';
import { moveAssignment } from './case-records';
import { columns } from './column-set';

interface UnitRow {
  code: string;
  active: boolean;
  handler_id: string | null;
  leader_id: string | null;
}

/**
 * Gives the case to another unit's designated handler and leader (assign from triage, transfer).
 * The new unit gets its own receive and resolve clocks (DOMAIN.md: a transfer restarts them).
 */
export async function moveToUnit(
  { m, c, now, sla }: ActionContext,
  unitCode: string,
  why: 'assign' | 'transfer',
  reason: string | null,
): Promise<ActionOutcome> {
  // FOR SHARE: a designation change of that unit either commits first (we see it) or waits for us
  // and then moves this case along with the unit's other open cases.
  const unit = await selectRow<UnitRow>(m, `SELECT code, active, handler_id, leader_id FROM units WHERE code = $1 FOR SHARE`, [unitCode]);
  if (!unit || !unit.active) throw new UnprocessableError(`unit '${unitCode}' does not exist or is not active`);
  if (!unit.handler_id) {
    throw new UnprocessableError(`unit '${unitCode}' has no designated handler; designate one first (PUT /v1/units/${unitCode}/designation)`);
  }
  await moveAssignment(m, c.id, { unit: unitCode, handler: unit.handler_id, leader: unit.leader_id }, why, now);
  const clock = sla.receiveClock(now, { category: c.category_code, unit: unitCode });
  const d = sla.deadlines(clock, []);
  return {
    set: columns`unit_code = ${unitCode}, handler_id = ${unit.handler_id}, leader_id = ${unit.leader_id}, triage_reason = NULL,
                 resolve_from = ${now}, ${stageClockColumns(clock, d)}`,
    bumpsVersion: true,
    deadline: stageRun(c.id, clock, d),
    reason,
    data: { fromUnit: c.unit_code, toUnit: unitCode, handlerId: unit.handler_id },
  };
}
