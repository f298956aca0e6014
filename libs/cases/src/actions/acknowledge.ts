import { ValidationError } from '@fr/domain';
import { SEVERITIES, Severity } from '@fr/sla';
import { ActionHandler, stageClockColumns, stageRun } from './action-handler';
import { pausesOf, withoutLateWarning } from './case-records';
import { columns } from './column-set';

/** The unit takes the case on and classifies it: the resolve clock starts with the severity's duration. */
export const acknowledge: ActionHandler = {
  takesUnit: null,
  act: async ({ m, c, input, now, sla }) => {
    const severity = (input.severity ?? 'normal') as Severity;
    if (!SEVERITIES.includes(severity)) throw new ValidationError(`severity must be one of ${SEVERITIES.join(', ')}`, ['severity']);
    const clock = sla.resolveClock(c.resolve_from ?? now, severity, { category: c.category_code, unit: c.unit_code });
    const d = withoutLateWarning(clock, sla.deadlines(clock, await pausesOf(m, c.id, 'resolve')), now);
    return {
      set: columns`severity = ${severity}, acknowledged_at = ${now}, ${stageClockColumns(clock, d)}`,
      bumpsVersion: true,
      deadline: stageRun(c.id, clock, d),
      data: { severity, dueAt: d.dueAt },
    };
  },
};
