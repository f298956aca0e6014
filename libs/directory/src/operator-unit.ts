import { EntityManager } from 'typeorm';
import { UnprocessableError } from '@fr/domain';
import { selectRow } from '@fr/persistence';

/**
 * Hotline operators work for the office (which runs the 1022 hotline's feedback branch) or for a
 * unit the deployment names as a hotline unit (FR_HOTLINE_UNITS); no other unit takes calls.
 */
export async function checkOperatorUnit(m: EntityManager, hotlineUnits: readonly string[], unitCode: string): Promise<void> {
  const unit = await selectRow<{ kind: string }>(m, `SELECT kind FROM units WHERE code = $1`, [unitCode]);
  if (!unit || unit.kind === 'office' || hotlineUnits.includes(unitCode.toUpperCase())) return;
  throw new UnprocessableError(`unitCode: an OPERATOR belongs to the office or a hotline unit (FR_HOTLINE_UNITS); unit '${unitCode}' is neither`);
}
