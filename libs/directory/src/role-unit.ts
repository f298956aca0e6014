import { EntityManager } from 'typeorm';
import { OfficerRole, UnprocessableError } from '@fr/domain';
import { selectRow } from '@fr/persistence';

/**
 * Roles that belong to one kind of unit. The office (Văn phòng HĐND&UBND) creates the accounts,
 * triages and supervises (DOMAIN.md: unit `VP`, roles `SUPERVISOR` and `ADMIN`): a supervisor sees
 * every unit's cases and gets the second rung of every escalation, an administrator manages every
 * account, so neither may sit in a ward or a department. Hotline operators work for the office (which
 * runs the 1022 hotline's feedback branch) or for a unit the deployment names as a hotline unit
 * (FR_HOTLINE_UNITS). Handlers, leaders and auditors belong to any unit.
 */
export async function checkRoleUnit(m: EntityManager, hotlineUnits: readonly string[], role: OfficerRole, unitCode: string): Promise<void> {
  if (role !== 'OPERATOR' && role !== 'SUPERVISOR' && role !== 'ADMIN') return;
  const unit = await selectRow<{ kind: string }>(m, `SELECT kind FROM units WHERE code = $1`, [unitCode]);
  if (!unit || unit.kind === 'office') return;
  if (role === 'OPERATOR') {
    if (hotlineUnits.includes(unitCode.toUpperCase())) return;
    throw new UnprocessableError(`unitCode: an OPERATOR belongs to the office or a hotline unit (FR_HOTLINE_UNITS); unit '${unitCode}' is neither`);
  }
  // Named by code: after a reorganisation the office may be a successor of VP (VP_HBT in config/reorganisations).
  const office = await selectRow<{ codes: string | null }>(
    m,
    `SELECT string_agg(code, ', ' ORDER BY code) AS codes FROM units WHERE kind = 'office' AND active`,
  );
  throw new UnprocessableError(
    `unitCode: ${role === 'ADMIN' ? 'an' : 'a'} ${role} belongs to the office (Văn phòng HĐND&UBND: ${office?.codes ?? 'none active'}); unit '${unitCode}' is a ${unit.kind}`,
  );
}
