import { ActionHandler, required } from './action-handler';
import { endPauses } from './case-records';
import { columns } from './column-set';
import { closeMergedDuplicates } from './duplicates';

/**
 * A complaint or denunciation (khiếu nại, tố cáo) found after intake follows another legal track
 * (Law on Complaints, Law on Denunciations), not this one: the case is closed as such, without an
 * answer, its clocks stop, and the citizen is told where to take it. It leaves the on-time figures.
 */
export const redirectOtherTrack: ActionHandler = {
  takesUnit: null,
  act: async ({ m, actor, c, input, now }) => {
    const reason = required(input.reason, 'reason');
    const whereToGo = required(input.whereToGo, 'whereToGo').normalize('NFC');
    await endPauses(m, c.id, now);
    // The duplicates merged into it raised the same matter: their citizens are sent to the same place.
    const closedCases = await closeMergedDuplicates(m, actor, c.id, { closedAs: 'other_track', whereToGo }, now);
    return {
      set: columns`closed_as = 'other_track', where_to_go = ${whereToGo}, closed_at = ${now}, stage = NULL, due_at = NULL, warn_at = NULL`,
      bumpsVersion: true,
      reason,
      data: { closedAs: 'other_track', fromUnit: c.unit_code, ...(closedCases.length ? { closedDuplicates: closedCases.length } : {}) },
      texts: { whereToGo },
      closedCases,
    };
  },
};
