import { ActorRole, OfficerRole } from '@fr/domain';

/** Who acts on a case; officers are scoped by unit, citizens by tracking code, the system by nothing. */
export interface CaseActor {
  role: ActorRole;
  id: string | null;
  unitCode: string | null;
  /** As written in the audit trail: officer:<id>, channel:<code>, system:<part>. */
  label: string;
}

export function officerActor(o: { id: string; role: OfficerRole; unitCode: string }): CaseActor {
  return { role: o.role, id: o.id, unitCode: o.unitCode, label: `officer:${o.id}` };
}

export function citizenActor(channel: string): CaseActor {
  return { role: 'CITIZEN', id: null, unitCode: null, label: `citizen:${channel}` };
}

export const SYSTEM_ACTOR = (part: string): CaseActor => ({ role: 'SYSTEM', id: null, unitCode: null, label: `system:${part}` });

/** Roles that see every unit's cases; the others see their own unit's only. */
export const ALL_UNITS_ROLES: ActorRole[] = ['SUPERVISOR', 'AUDITOR', 'SYSTEM', 'CITIZEN'];

export function inScope(actor: CaseActor, caseUnit: string | null): boolean {
  if (ALL_UNITS_ROLES.includes(actor.role)) return true;
  if (actor.role === 'HANDLER' || actor.role === 'LEADER') return actor.unitCode !== null && actor.unitCode === caseUnit;
  return false;
}
