import { UnprocessableError, UnprocessableFieldError } from '@fr/domain';
import { coversAt, selectRow } from '@fr/persistence';
import { ActionContext, ActionOutcome, stageClockColumns, stageRun } from './action-handler';
import { deadlineInForce, moveAssignment } from './case-records';
import { columns } from './column-set';

interface UnitRow {
  code: string;
  active: boolean;
  handler_id: string | null;
  leader_id: string | null;
  handler_active: boolean | null;
  leader_active: boolean | null;
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
  // and then moves this case along with the unit's other open cases; a reorganisation ending it either
  // committed first (it reads as not active) or waits for us and then carries this case to its successor.
  // ActOnCase took this lock before the case (lockUnitTakingCase: the caller's handler declares takesUnit
  // 'named'): here it is read, already held.
  const unit = await selectRow<UnitRow>(
    m,
    `SELECT u.code, u.active, u.handler_id, u.leader_id, h.active AS handler_active, l.active AS leader_active
       FROM units u LEFT JOIN officers h ON h.id = u.handler_id LEFT JOIN officers l ON l.id = u.leader_id
      WHERE u.code = $1 FOR SHARE OF u`,
    [unitCode],
  );
  if (!unit || !unit.active) throw new UnprocessableFieldError('unitCode', `unit '${unitCode}' does not exist or is not active`);
  // As routing does: an absent handler's cover takes the case while the absence lasts; the leader stays the
  // designated one while active (the cover is told in their place while the absence lasts: unitRef in routing).
  const covers = await coversAt(
    m,
    [unit.handler_id, unit.leader_id].filter((id): id is string => !!id),
    now,
  );
  const acting = (id: string | null, active: boolean | null) => (id === null ? null : (covers.get(id) ?? (active ? id : null)));
  const handlerId = acting(unit.handler_id, unit.handler_active);
  const leaderId = unit.leader_active ? unit.leader_id : acting(unit.leader_id, unit.leader_active);
  if (!handlerId) {
    throw new UnprocessableError(`unit '${unitCode}' has no designated handler; designate one first (PUT /v1/units/${unitCode}/designation)`);
  }
  const path = await moveAssignment(m, c.id, { unit: unitCode, handler: handlerId, leader: leaderId }, why, now, deadlineInForce(c));
  const clock = sla.receiveClock(now, { category: c.category_code, unit: unitCode });
  const d = sla.deadlines(clock, []);
  return {
    set: columns`unit_code = ${unitCode}, handler_id = ${handlerId}, leader_id = ${leaderId}, triage_reason = NULL,
                 resolve_from = ${now}, ${stageClockColumns(clock, d)}, ${path}`,
    bumpsVersion: true,
    deadline: stageRun(c.id, clock, d),
    reason,
    data: { fromUnit: c.unit_code, toUnit: unitCode, handlerId },
  };
}
