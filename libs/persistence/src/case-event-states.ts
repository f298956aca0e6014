import { execute, Sql } from './sql';

/**
 * Freezes what each citizen-visible event shows of its case (state, unit, deadline, answer) as the
 * case stands in the calling transaction, i.e. right after the change the event records. The fan-out
 * runs later, when the case may have moved on; it sends this, so a delivery, retried or late, never
 * reports a later state than its event. One statement for a batch; called beside the event's
 * outbox row (caseEventMessage).
 */
export async function recordCaseEventStates(db: Sql, events: readonly { caseId: string; eventId: string }[]): Promise<void> {
  if (events.length === 0) return;
  await execute(
    db,
    `INSERT INTO case_event_states (event_id, status, unit_code, unit_name, due_at, answer)
     SELECT ev.event_id, c.status, c.unit_code, u.name, c.due_at, c.answer
       FROM unnest($1::bigint[], $2::uuid[]) AS ev(event_id, case_id)
       JOIN cases c ON c.id = ev.case_id LEFT JOIN units u ON u.code = c.unit_code
     ON CONFLICT (event_id) DO NOTHING`,
    [events.map((e) => e.eventId), events.map((e) => e.caseId)],
  );
}
