import { EntityManager } from 'typeorm';
import { markOutboxWritten } from './outbox-signal';

export interface AuditEventInput {
  caseId: string | null;
  actor: string;
  action: string;
  fromState?: string | null;
  toState?: string | null;
  reason?: string | null;
  data?: Record<string, unknown>;
  /** The caller already holds a lock on the case row (FOR UPDATE, or it inserted it): skip taking one. */
  caseLocked?: boolean;
}

/** The hash before the first audit event. */
export const AUDIT_GENESIS_HASH = Buffer.alloc(32);

/**
 * Audit events are written by the transaction that makes the change they describe, and only here
 * (or by appendAuditEventsInBulk). Each event is chained to the one before it: the chain head row is
 * locked until the transaction ends, so concurrent writers append one after another and a rolled-back
 * writer leaves no trace. Hash and canonical form are computed by the database functions of migration
 * 1764700000000-AuditTrail (see libs/audit/src/audit-chain.ts for the SQL-free equivalent).
 *
 * Writers queue on the head until commit: write the event after taking the other row locks the
 * transaction needs, as late as possible. The case row is share-locked before the head so that an
 * event about a case never waits on that case while holding the head.
 */
export async function writeAuditEvent(manager: EntityManager, e: AuditEventInput): Promise<string> {
  if (e.caseId && !e.caseLocked) await manager.query(`SELECT 1 FROM cases WHERE id = $1 FOR KEY SHARE`, [e.caseId]);
  await manager.query(`SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE`);
  const [row] = await manager.query(
    `WITH head AS (SELECT last_hash FROM audit_chain_head WHERE id = 1),
          ev AS (SELECT nextval('audit_events_id_seq') AS id, now() AS at),
          ins AS (
            INSERT INTO audit_events (id, case_id, actor, action, from_state, to_state, reason, data, occurred_at, prev_hash, hash)
            SELECT ev.id, $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::jsonb, ev.at, head.last_hash,
                   audit_event_hash(head.last_hash,
                                    audit_event_canonical(ev.id, $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::jsonb, ev.at))
              FROM head, ev
            RETURNING id, hash),
          moved AS (
            UPDATE audit_chain_head h SET last_id = ins.id, last_hash = ins.hash, event_count = h.event_count + 1, updated_at = now()
              FROM ins WHERE h.id = 1)
     SELECT id FROM ins`,
    [e.caseId, e.actor, e.action, e.fromState ?? null, e.toState ?? null, e.reason ?? null, JSON.stringify(e.data ?? {})],
  );
  return String(row.id);
}

/**
 * The bulk path for imports, fixtures and the bench: appends the rows of `source` to the chain in
 * one statement, hashes computed set-based by the `audit_chain` window aggregate. `source` must
 * yield n (bigint, 1..N, unique: the order in the chain), case_id uuid, actor, action, from_state,
 * to_state, reason (text), data (jsonb) and occurred_at (timestamptz). Same head lock as
 * writeAuditEvent; the ids are reserved from the sequence while it is held: the row numbered n gets
 * id `firstId + n - 1`, so a caller can link its rows to their events without searching for them.
 */
export async function appendAuditEventsInBulk(
  manager: EntityManager,
  source: string,
  params: unknown[] = [],
): Promise<{ count: number; firstId: string | null }> {
  const [head] = await manager.query(`SELECT last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`);
  const [{ base }] = await manager.query(`SELECT nextval('audit_events_id_seq') AS base`);
  const p = params.length;
  const [res] = await manager.query(
    `WITH src AS (${source}),
          chained AS (
            SELECT src.*, $${p + 1}::bigint + src.n - 1 AS id,
                   audit_chain(audit_event_canonical($${p + 1}::bigint + src.n - 1, src.case_id, src.actor, src.action, src.from_state,
                                                     src.to_state, src.reason, src.data, src.occurred_at), $${p + 2}::bytea)
                     OVER (ORDER BY src.n) AS hash
              FROM src),
          linked AS (SELECT chained.*, COALESCE(lag(hash) OVER (ORDER BY n), $${p + 2}::bytea) AS prev_hash FROM chained),
          ins AS (
            INSERT INTO audit_events (id, case_id, actor, action, from_state, to_state, reason, data, occurred_at, prev_hash, hash)
            SELECT id, case_id, actor, action, from_state, to_state, reason, data, occurred_at, prev_hash, hash FROM linked
            RETURNING id, hash)
     SELECT count(*)::bigint AS n, max(id) AS last_id,
            (SELECT hash FROM ins ORDER BY id DESC LIMIT 1) AS last_hash FROM ins`,
    [...params, base, head.last_hash],
  );
  const n = Number(res.n);
  if (n === 0) return { count: 0, firstId: null };
  await manager.query(`SELECT setval('audit_events_id_seq', $1)`, [res.last_id]);
  await manager.query(
    `UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = event_count + $3, updated_at = now() WHERE id = 1`,
    [res.last_id, res.last_hash, n],
  );
  return { count: n, firstId: String(base) };
}

export interface OutboxMessage {
  queue: string;
  name: string;
  jobId: string;
  /** Ids only: outbox rows become queue payloads, and queues must never carry personal data. */
  payload: Record<string, string | number | boolean | null>;
  delayMs?: number;
}

export async function writeOutbox(manager: EntityManager, m: OutboxMessage): Promise<void> {
  await writeOutboxMany(manager, [m]);
}

/** Several outbox rows in one statement: every round trip inside a hot transaction counts. */
export async function writeOutboxMany(manager: EntityManager, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const values = messages.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`);
  await manager.query(
    `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms) VALUES ${values.join(', ')}`,
    messages.flatMap((m) => [m.queue, m.name, m.jobId, JSON.stringify(m.payload), m.delayMs ?? 0]),
  );
  markOutboxWritten(manager);
}

/**
 * Runs `insert` (one INSERT ... RETURNING) and writes `message` to the outbox in the same statement
 * if, and only if, the insert returned a row (an `ON CONFLICT DO NOTHING` that did nothing writes no
 * row). One round trip instead of two in a hot transaction (intake). Returns the insert's rows.
 */
export async function insertWithOutbox<T>(manager: EntityManager, insert: string, params: unknown[], message: OutboxMessage): Promise<T[]> {
  const p = params.length;
  const rows: T[] = await manager.query(
    `WITH ins AS (${insert}),
          out AS (INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
                  SELECT $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5} WHERE EXISTS (SELECT 1 FROM ins))
     SELECT * FROM ins`,
    [...params, message.queue, message.name, message.jobId, JSON.stringify(message.payload), message.delayMs ?? 0],
  );
  if (rows.length > 0) markOutboxWritten(manager);
  return rows;
}
