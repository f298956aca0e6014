import { maskContactsInText } from '@fr/domain';
import { EntityManager } from 'typeorm';
import { ADVISORY_LOCK } from './advisory-locks';
import { markOutboxWritten } from './outbox-signal';
import { execute, prepared, selectRow, selectRows, Sql } from './sql';
import { OutboxMessage, outboxPayloadJson, writeOutboxMany } from './write-helpers';

/** A citizen-visible event written in this transaction, with the outbox message of its fan-out job. */
export interface CaseEventFanout {
  caseId: string;
  eventId: string;
  fanOut: OutboxMessage;
}

/** The webhook event case events are delivered as (notifications' WebhookEvent). */
export const CASE_STATUS_EVENT = 'case.status';

/**
 * Writes outbox rows, the fan-out messages of citizen-visible events among them, and freezes what
 * each of those events shows of its case (state, unit, deadline, answer) as the case stands in the
 * calling transaction, i.e. right after the change the event records. The fan-out runs later, when
 * the case may have moved on; it sends the frozen state, so a delivery, retried or late, never
 * reports a later state than its event. One statement, in place of the outbox write alone (routing
 * counts its round trips).
 *
 * An event nobody can receive gets no fan-out at all: no frozen state, no outbox row, no job, no
 * fan-out transaction in the worker. Receivers are the active webhooks subscribed to `case.status`
 * and the case's channel's own webhook; most deployments have neither. The check runs in this
 * statement, through case_event_receivers (migration 1766750000000), which holds the receivers' lock
 * shared until this transaction ends: registering or enabling a webhook, or setting a channel's,
 * takes it exclusively (Webhooks), so it waits for every writer that may have skipped and commits
 * after their events, and a writer that comes after it sees it. A subscription thus receives every
 * event that commits after it, and none is lost to the race. An event without a frozen state and
 * without a fan-out row is one skipped here; the deliveries reconciler leaves it alone.
 * Measured with the bench's intake scenario (N=3,000 + 200 warm-up, no webhook, closed loop,
 * 2026-12-03, shared 2-core machine), per routed case: 9.06 -> 7.86 engine statements and PostgreSQL
 * execution time of the fan-out path 0.23 -> 0.08 ms (pg_stat_statements, a run each; the worker's
 * fan-out transaction and the run's 3,200 case-event jobs are gone); the engine's backend CPU 4.02 and
 * 3.59 ms -> 3.58 and 3.36 ms (two runs each, /proc). The check itself, alone in a lab (4 x 10,000
 * transactions against a trivial statement): 20-85 us of backend CPU (median about 45) per writing
 * transaction, i.e. once per routing batch.
 */
export async function writeOutboxWithCaseEventStates(
  manager: EntityManager,
  messages: readonly OutboxMessage[],
  events: readonly CaseEventFanout[],
): Promise<void> {
  if (events.length === 0) return writeOutboxMany(manager, [...messages]);
  const all = [...messages, ...events.map((e) => e.fanOut)];
  // In the function write_case_event_outbox (migration 1766960000000), planned once per connection.
  const written = await selectRow<{ n: number }>(
    manager,
    prepared(
      `SELECT write_case_event_outbox($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[], $6::bigint[], $7::uuid[], $8::bigint, $9::text, $10::bigint[]) AS n`,
    ),
    [
      all.map((m) => m.queue),
      all.map((m) => m.name),
      all.map((m) => m.jobId),
      all.map((m) => outboxPayloadJson(m)),
      all.map((m) => m.delayMs ?? 0),
      events.map((e) => e.eventId),
      events.map((e) => e.caseId),
      ADVISORY_LOCK.caseEventReceivers,
      CASE_STATUS_EVENT,
      [...messages.map(() => null), ...events.map((e) => e.eventId)],
    ],
  );
  if (written?.n) markOutboxWritten(manager);
}

/**
 * Erases the copies of the cases' answer kept for their events (privacy's erasure): the one frozen
 * for events not delivered yet, and the ones in the payloads of deliveries made, which a redelivery
 * sent again whole, names and all.
 */
export async function eraseFrozenAnswersOfCases(m: Sql, caseIds: readonly string[]): Promise<void> {
  await execute(m, `UPDATE case_event_states f SET answer = NULL FROM audit_events e WHERE e.id = f.event_id AND e.case_id = ANY($1::uuid[])`, [caseIds]);
  await execute(
    m,
    `UPDATE deliveries d SET payload = jsonb_set(d.payload, '{answer}', 'null'::jsonb)
       FROM audit_events e
      WHERE e.case_id = ANY($1::uuid[]) AND d.event_key = 'case-event.' || e.id AND d.payload ? 'answer' AND d.payload->'answer' <> 'null'::jsonb`,
    [caseIds],
  );
}

/**
 * Erases the officers' texts the cases' delivery payloads carry beside the answer, with the fields the
 * policy erases: what the unit asked (`infoRequest`, from the thread's messages) and where to turn
 * (`otherTrack`, whereToGo). A redelivery would send them again whole.
 */
export async function eraseFrozenTextsOfCases(m: Sql, caseIds: readonly string[], fields: { messages: boolean; whereToGo: boolean }): Promise<void> {
  await erasePayloadKeysOfCases(m, caseIds, [...(fields.messages ? ['infoRequest'] : []), ...(fields.whereToGo ? ['otherTrack'] : [])]);
}

/**
 * Erases the channel's externalId from the cases' delivery payloads, sent or still to send (a redelivery
 * sends the stored payload whole): integrators make it of the caller's number, and it goes with the
 * contact details. Events not fanned out yet read it from the case, erased there by eraseCaseContact.
 */
export async function eraseFrozenExternalIdsOfCases(m: Sql, caseIds: readonly string[]): Promise<void> {
  await erasePayloadKeysOfCases(m, caseIds, ['externalId']);
}

async function erasePayloadKeysOfCases(m: Sql, caseIds: readonly string[], keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await execute(
      m,
      `UPDATE deliveries d SET payload = jsonb_set(d.payload, ARRAY[$2::text], 'null'::jsonb)
         FROM audit_events e
        WHERE e.case_id = ANY($1::uuid[]) AND d.event_key = 'case-event.' || e.id AND d.payload ? $2 AND d.payload->$2 <> 'null'::jsonb`,
      [caseIds, key],
    );
  }
}

/** The answers frozen for the cases' events, rewritten with these names masked (maskNameInKeptText). */
export async function maskNamesInFrozenAnswers(m: Sql, caseIds: readonly string[], names: readonly string[]): Promise<void> {
  const frozen = await selectRows<{ event_id: string; answer: string }>(
    m,
    `SELECT f.event_id::text AS event_id, f.answer FROM case_event_states f JOIN audit_events e ON e.id = f.event_id
      WHERE e.case_id = ANY($1::uuid[]) AND f.answer IS NOT NULL`,
    [caseIds],
  );
  for (const f of frozen) {
    const masked = maskContactsInText(f.answer, names);
    if (masked !== f.answer) await execute(m, `UPDATE case_event_states SET answer = $2 WHERE event_id = $1`, [f.event_id, masked]);
  }
}
