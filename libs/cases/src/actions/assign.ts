import { ActionHandler, required } from './action-handler';
import { moveToUnit } from './move-to-unit';

/** A supervisor gives a triaged case to the unit that should handle it. */
export const assign: ActionHandler = {
  takesUnit: 'named',
  act: (ctx) => moveToUnit(ctx, required(ctx.input.unitCode, 'unitCode'), 'assign', ctx.input.reason ?? null),
};
