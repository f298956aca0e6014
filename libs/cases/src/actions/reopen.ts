import { ActionHandler, stageClockColumns, stageRun } from './action-handler';
import { columns } from './column-set';

/** The answer did not settle it: a new resolve clock from now, at the case's severity, and counted. */
export const reopen: ActionHandler = {
  takesUnit: null,
  act: async ({ c, input, now, sla }) => {
    const clock = sla.resolveClock(now, c.severity, { category: c.category_code, unit: c.unit_code });
    const d = sla.deadlines(clock, []);
    return {
      set: columns`reopen_count = reopen_count + 1, resolved_at = NULL, resolve_from = ${now}, ${stageClockColumns(clock, d)}`,
      bumpsVersion: true,
      deadline: stageRun(c.id, clock, d),
      reason: input.reason ?? null,
    };
  },
};
