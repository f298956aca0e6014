import { EntityManager } from 'typeorm';
import { markOutboxWritten } from './outbox-signal';
import { execute, Sql } from './sql';
import { OutboxMessage, outboxPayloadJson } from './write-helpers';

/**
 * Writes outbox rows, the fan-out messages of citizen-visible events among them, and freezes what
 * each of those events shows of its case (state, unit, deadline, answer) as the case stands in the
 * calling transaction, i.e. right after the change the event records. The fan-out runs later, when
 * the case may have moved on; it sends the frozen state, so a delivery, retried or late, never
 * reports a later state than its event. One statement, in place of the outbox write alone (routing
 * counts its round trips).
 */
export async function writeOutboxWithCaseEventStates(
  manager: EntityManager,
  messages: readonly OutboxMessage[],
  events: readonly { caseId: string; eventId: string }[],
): Promise<void> {
  if (messages.length === 0 && events.length === 0) return;
  await execute(
    manager,
    `WITH states AS (
       INSERT INTO case_event_states (event_id, status, unit_code, unit_name, due_at, answer)
       SELECT ev.event_id, c.status, c.unit_code, u.name, c.due_at, c.answer
         FROM unnest($6::bigint[], $7::uuid[]) AS ev(event_id, case_id)
         JOIN cases c ON c.id = ev.case_id LEFT JOIN units u ON u.code = c.unit_code
       ON CONFLICT (event_id) DO NOTHING)
     INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[])`,
    [
      messages.map((m) => m.queue),
      messages.map((m) => m.name),
      messages.map((m) => m.jobId),
      messages.map((m) => outboxPayloadJson(m)),
      messages.map((m) => m.delayMs ?? 0),
      events.map((e) => e.eventId),
      events.map((e) => e.caseId),
    ],
  );
  if (messages.length) markOutboxWritten(manager);
}

/** Erases the answer frozen for the cases' events (privacy's erasure: a late delivery must not carry it). */
export async function eraseFrozenAnswersOfCases(m: Sql, caseIds: readonly string[]): Promise<void> {
  await execute(m, `UPDATE case_event_states f SET answer = NULL FROM audit_events e WHERE e.id = f.event_id AND e.case_id = ANY($1::uuid[])`, [caseIds]);
}
