import { UnprocessableError } from '@fr/domain';
import { ActionHandler, required } from './action-handler';
import { columns } from './column-set';
import { moveToUnit } from './move-to-unit';

/** The case belongs to another unit (chuyển xử lý): moved there, and counted. */
export const transfer: ActionHandler = {
  takesUnit: 'named',
  act: async (ctx) => {
    const unitCode = required(ctx.input.unitCode, 'unitCode');
    const reason = required(ctx.input.reason, 'reason');
    if (unitCode === ctx.c.unit_code) throw new UnprocessableError(`the case is already with unit '${unitCode}'`);
    const moved = await moveToUnit(ctx, unitCode, 'transfer', reason);
    return { ...moved, set: columns`${moved.set}, transfer_count = transfer_count + 1` };
  },
};
