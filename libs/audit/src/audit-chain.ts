import { createHash } from 'node:crypto';

/**
 * The audit trail's hash chain, computed without SQL (the database computes the same bytes with the
 * functions of migration 1764700000000-AuditTrail when it writes an event). Every field is hashed in
 * the text form PostgreSQL gives it, read with session-independent formatting (see AUDIT_EVENT_TEXT_COLUMNS):
 * the hash covers exactly what was stored, including microseconds and jsonb's normalised text.
 */
export const AUDIT_CANONICAL_VERSION = 'fr-audit-v1';
export const GENESIS_HASH = Buffer.alloc(32);

/** An audit event as text, the way the verifier reads it. */
export interface AuditEventText {
  id: string;
  caseId: string | null;
  actor: string;
  action: string;
  fromState: string | null;
  toState: string | null;
  reason: string | null;
  /** `data::text`: jsonb's normalised text. */
  data: string;
  /** UTC, microseconds: 2025-03-04T01:30:00.123456Z. */
  occurredAt: string;
}

/** The select list that reads an event in the text forms the hash covers. */
export const AUDIT_EVENT_TEXT_COLUMNS = `id::text AS id, case_id::text AS case_id, actor, action, from_state, to_state, reason,
  data::text AS data, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at, prev_hash, hash`;

function field(v: string | null): string {
  return v === null ? '|-' : `|${Buffer.byteLength(v, 'utf8')}:${v}`;
}

export function canonicalAuditEvent(e: AuditEventText): string {
  return (
    AUDIT_CANONICAL_VERSION +
    field(e.id) +
    field(e.caseId) +
    field(e.actor) +
    field(e.action) +
    field(e.fromState) +
    field(e.toState) +
    field(e.reason) +
    field(e.data) +
    field(e.occurredAt)
  );
}

export function auditEventHash(prevHash: Buffer, e: AuditEventText): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalAuditEvent(e), 'utf8').digest();
}

/** A row as read with AUDIT_EVENT_TEXT_COLUMNS. */
export interface AuditEventRow {
  id: string;
  case_id: string | null;
  actor: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  reason: string | null;
  data: string;
  occurred_at: string;
  prev_hash: Buffer;
  hash: Buffer;
}

export function eventText(r: AuditEventRow): AuditEventText {
  return {
    id: r.id,
    caseId: r.case_id,
    actor: r.actor,
    action: r.action,
    fromState: r.from_state,
    toState: r.to_state,
    reason: r.reason,
    data: r.data,
    occurredAt: r.occurred_at,
  };
}

export interface ChainBreak {
  eventId: string;
  reason: string;
}

/**
 * Checks one event against the hash before it: its link (prev_hash) and its content (hash).
 * `previousId` names the event the link should point to, for the message.
 */
export function checkLink(r: AuditEventRow, expectedPrev: Buffer, previousId: string | null): ChainBreak | null {
  if (!r.prev_hash.equals(expectedPrev)) {
    const before = previousId === null ? 'the start of the trail' : `event ${previousId}`;
    const gap = previousId !== null && BigInt(r.id) - BigInt(previousId) > 1n ? ` (ids ${BigInt(previousId) + 1n}..${BigInt(r.id) - 1n} are absent)` : '';
    return {
      eventId: r.id,
      reason: `event ${r.id} does not follow ${before}${gap}: its prev_hash is not the hash of the event before it; an event was removed, inserted or reordered`,
    };
  }
  if (!auditEventHash(expectedPrev, eventText(r)).equals(r.hash)) {
    return { eventId: r.id, reason: `event ${r.id} does not match its hash: its content was changed after it was written` };
  }
  return null;
}
