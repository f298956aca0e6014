import { execute, Sql, selectRows } from './sql';
import { coverOfSql } from './absences';

/** What an inbox notice is about; each kind has its own "once per officer" rule. */
export type NotificationSubject =
  | { kind: 'escalation'; caseId: string; escalationId: string }
  | { kind: 'compliance'; complianceAlertId: string }
  | { kind: 'calendar' }
  /** A year of a calendar in use that is provisional (its days partly guessed): once per officer and title. */
  | { kind: 'calendar-provisional' }
  /** A case handed to the officer by a reorganisation: written once, by the transaction that applies it (its guard). */
  | { kind: 'reorganisation'; caseId: string }
  /** A reorganisation due but not appliable: told when what stops it changes (the applier compares with the stored result). */
  | { kind: 'reorganisation-unresolved' }
  /** A unit left without its designee (disabled, nobody covering): told each time it happens. */
  | { kind: 'coverage' }
  /** A calendar year replaced that moves deadlines or works the district's days off: told at each replacement. */
  | { kind: 'calendar-change' }
  /** A case linked to `caseId`, its likely original (the title names the linked case). */
  | { kind: 'duplicate'; caseId: string };

export interface NotificationInput {
  officerId: string;
  /** The inbox's kind string shown to clients, e.g. `escalation.level1`, `compliance.leader`. */
  kind: string;
  title: string;
  body: string;
}

// The unique rule each subject relies on, so a second pass (or a second worker) tells nobody twice.
const CONFLICT: Record<NotificationSubject['kind'], string> = {
  escalation: 'ON CONSTRAINT notifications_escalation_officer_uq',
  compliance: 'ON CONSTRAINT notifications_compliance_officer_uq',
  calendar: `(officer_id, title) WHERE kind = 'calendar.missing'`,
  'calendar-provisional': `(officer_id, title) WHERE kind = 'calendar.provisional'`,
  reorganisation: '',
  'reorganisation-unresolved': '',
  coverage: '',
  'calendar-change': '',
  duplicate: `(officer_id, case_id, title) WHERE kind = 'duplicate'`,
};

/**
 * The one writer of the officers' inbox (table `notifications`): every use case that tells an
 * officer something goes through it, so the table's columns and uniqueness rules live here. Titles
 * and bodies name cases by tracking code, unit and deadline only, never a citizen's name, contact or
 * text. Returns the ids written (a notice already there is skipped).
 */
export async function writeNotifications(db: Sql, subject: NotificationSubject, rows: readonly NotificationInput[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const caseId = subject.kind === 'escalation' || subject.kind === 'reorganisation' || subject.kind === 'duplicate' ? subject.caseId : null;
  const escalationId = subject.kind === 'escalation' ? subject.escalationId : null;
  const alertId = subject.kind === 'compliance' ? subject.complianceAlertId : null;
  const written = await selectRows<{ id: string }>(
    db,
    `INSERT INTO notifications (officer_id, case_id, escalation_id, compliance_alert_id, kind, title, body)
     SELECT o, $2::uuid, $3::bigint, $4::bigint, k, t, b FROM unnest($1::uuid[], $5::text[], $6::text[], $7::text[]) AS x(o, k, t, b)
     ON CONFLICT ${CONFLICT[subject.kind]} DO NOTHING
     RETURNING id::text AS id`,
    [rows.map((r) => r.officerId), caseId, escalationId, alertId, rows.map((r) => r.kind), rows.map((r) => r.title), rows.map((r) => r.body)],
  );
  return written.map((r) => r.id);
}

/** An original's handler told of a case linked to it (subject `duplicate`). */
export interface DuplicateNotificationInput extends NotificationInput {
  /** The original. */
  caseId: string;
}

/**
 * The notices of a routing pass's links, for any number of originals, in one statement: once per
 * officer, original and title, as writeNotifications with the subject `duplicate`.
 */
export async function writeDuplicateNotifications(db: Sql, rows: readonly DuplicateNotificationInput[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  // An officer away at `at` is covered: the notice goes to the cover (as coversAt decides), in the same statement.
  await execute(
    db,
    `INSERT INTO notifications (officer_id, case_id, kind, title, body)
     SELECT COALESCE(${coverOfSql('x.officer', '$6')}, x.officer), x.case_id, x.kind, x.title, x.body
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS x(officer, case_id, kind, title, body)
     ON CONFLICT ${CONFLICT.duplicate} DO NOTHING`,
    [rows.map((n) => n.officerId), rows.map((n) => n.caseId), rows.map((n) => n.kind), rows.map((n) => n.title), rows.map((n) => n.body), at],
  );
}

/** One officer told of one escalation of one case: the breach path writes a batch of them at once. */
export interface EscalationNotificationInput extends NotificationInput {
  caseId: string;
  escalationId: string;
}

/**
 * The escalations' notices of a batch of firings in one statement (each row its own case and
 * escalation): timers that fall due together are fired in one transaction, and this keeps the
 * breach path at one round trip for the inbox. Once per escalation and officer.
 */
export async function writeEscalationNotifications(db: Sql, rows: readonly EscalationNotificationInput[]): Promise<void> {
  if (rows.length === 0) return;
  await execute(
    db,
    `INSERT INTO notifications (officer_id, case_id, escalation_id, kind, title, body)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT ON CONSTRAINT notifications_escalation_officer_uq DO NOTHING`,
    [
      rows.map((n) => n.officerId),
      rows.map((n) => n.caseId),
      rows.map((n) => n.escalationId),
      rows.map((n) => n.kind),
      rows.map((n) => n.title),
      rows.map((n) => n.body),
    ],
  );
}

/** Active officers with one of `roles`: whom office-wide notices go to. */
export async function activeOfficersWithRole(db: Sql, roles: readonly string[]): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(db, `SELECT id::text AS id FROM officers WHERE active AND role = ANY($1::text[])`, [roles]);
  return rows.map((r) => r.id);
}
