import { selectRow } from '@fr/persistence';
import { ActionHandler, required, stageClockColumns, stageRun } from './action-handler';
import { deadlineInForce, moveAssignment } from './case-records';
import { columns } from './column-set';

/** Not this unit's matter (trả lại): back to triage at the office, with a fresh receive clock, and counted. */
export const returnToTriage: ActionHandler = {
  takesUnit: 'triage',
  act: async ({ m, c, input, now, sla }) => {
    const reason = required(input.reason, 'reason');
    const row = await selectRow<{ value: string }>(m, `SELECT value FROM system_state WHERE key = 'triage_unit'`);
    if (!row) throw new Error('no triage unit configured (organisation not loaded)');
    const triageUnit = row.value;
    const path = await moveAssignment(m, c.id, { unit: triageUnit, handler: null, leader: null }, 'return', now, deadlineInForce(c));
    const clock = sla.receiveClock(now, { category: c.category_code, unit: triageUnit });
    const d = sla.deadlines(clock, []);
    return {
      set: columns`unit_code = ${triageUnit}, handler_id = NULL, leader_id = NULL, triage_reason = 'returned',
                   return_count = return_count + 1, resolve_from = ${now}, ${stageClockColumns(clock, d)}, ${path}`,
      bumpsVersion: true,
      deadline: stageRun(c.id, clock, d),
      reason,
      data: { fromUnit: c.unit_code, toUnit: triageUnit },
    };
  },
};
