import { DomainError, DomainErrorCode, NotFoundError, OfficerRole } from '@fr/domain';

/** An officer's absence as the directory shows it. */
export interface AbsenceView {
  id: string;
  officerId: string;
  from: string;
  to: string;
  cover: { id: string; fullName: string };
  /** Whether it is in force now (by the Clock): started, not ended, not cancelled. */
  current: boolean;
  cancelledAt: string | null;
}

export interface AbsenceRow {
  id: string;
  officer_id: string;
  starts_at: Date;
  ends_at: Date;
  cover_id: string;
  cover_name: string;
  cancelled_at: Date | null;
}

export const ABSENCE_COLUMNS = `a.id::text AS id, a.officer_id, a.starts_at, a.ends_at, a.cover_id, co.full_name AS cover_name, a.cancelled_at`;

export function toAbsenceView(r: AbsenceRow, now: Date): AbsenceView {
  const from = new Date(r.starts_at);
  const to = new Date(r.ends_at);
  return {
    id: r.id,
    officerId: r.officer_id,
    from: from.toISOString(),
    to: to.toISOString(),
    cover: { id: r.cover_id, fullName: r.cover_name },
    current: r.cancelled_at === null && from <= now && now < to,
    cancelledAt: r.cancelled_at ? new Date(r.cancelled_at).toISOString() : null,
  };
}

/** Who acts on an officer's absences. */
export interface AbsenceActor {
  id: string;
  role: OfficerRole;
  unitCode: string;
}

/** The caller may not manage this officer's absences (not themself, their unit's leader, or an admin). */
export class AbsenceForbiddenError extends DomainError {
  readonly code = DomainErrorCode.FORBIDDEN;
  override readonly name: string = 'AbsenceForbiddenError';

  constructor(message: string) {
    super(message);
  }
}

/**
 * The officer, if the caller may learn that they exist at all: their own unit's colleagues, and the
 * office's roles that see every unit. Anyone else gets the 404 of an unknown id, not a 403 that named
 * the officer's unit: officer ids show in case histories, and the answer told which existed and where.
 */
export function officerInSight<T extends { unit_code: string }>(actor: AbsenceActor, officer: T | undefined, officerId: string): T {
  if (!officer || (actor.unitCode !== officer.unit_code && !['ADMIN', 'SUPERVISOR', 'AUDITOR'].includes(actor.role))) {
    throw new NotFoundError('officer', officerId);
  }
  return officer;
}

/** The officer themself, a leader of their unit, or an administrator records and cancels an absence. */
export function mayManageAbsences(actor: AbsenceActor, officer: { id: string; unit_code: string }): boolean {
  return actor.id === officer.id || actor.role === 'ADMIN' || (actor.role === 'LEADER' && actor.unitCode === officer.unit_code);
}
