import { EntityManager } from 'typeorm';

export interface AuditEventInput {
  caseId: string | null;
  actor: string;
  action: string;
  fromState?: string | null;
  toState?: string | null;
  reason?: string | null;
  data?: Record<string, unknown>;
}

/** Audit events are written by the transaction that makes the change they describe. */
export async function writeAuditEvent(manager: EntityManager, e: AuditEventInput): Promise<string> {
  const [row] = await manager.query(
    `INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [e.caseId, e.actor, e.action, e.fromState ?? null, e.toState ?? null, e.reason ?? null, JSON.stringify(e.data ?? {})],
  );
  return String(row.id);
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
  await manager.query(`INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms) VALUES ($1, $2, $3, $4, $5)`, [
    m.queue,
    m.name,
    m.jobId,
    JSON.stringify(m.payload),
    m.delayMs ?? 0,
  ]);
}
