import { currentRequestId } from '@fr/config';
import { EntityManager } from 'typeorm';
import { AUDIT_TEXTS_KEY } from '@fr/domain';
import { AuditTextAside, putAside } from './audit-texts';
import { markOutboxWritten } from './outbox-signal';
import { execute, prepared, selectRow, selectRows } from './sql';

export interface AuditEventInput {
  caseId: string | null;
  actor: string;
  action: string;
  fromState?: string | null;
  toState?: string | null;
  /**
   * Chained in clear: for words the system chooses (a routing rule, 'designation changed'), never
   * for text a person typed. That goes in `texts`.
   */
  reason?: string | null;
  data?: Record<string, unknown>;
  /**
   * Text a person wrote (an officer's reason, where a citizen was told to go, a reviewer's comment):
   * kept outside the chain, which carries its salted hash (audit-texts.ts), so it can be erased.
   */
  texts?: Record<string, string>;
}

/** What is chained (data with the texts' hashes, no reason) and what is kept aside. */
function splitText(e: AuditEventInput): { data: string; aside: AuditTextAside[] } {
  const aside = putAside(Object.fromEntries(Object.entries(e.texts ?? {}).filter(([, v]) => v !== '')));
  const data = aside.length ? { ...(e.data ?? {}), [AUDIT_TEXTS_KEY]: Object.fromEntries(aside.map((t) => [t.field, t.hash])) } : (e.data ?? {});
  return { data: JSON.stringify(data), aside };
}

const TEXTS_INSERT = (ids: string, p: number) =>
  `INSERT INTO audit_event_texts (event_id, field, salt, body)
   SELECT ${ids}, t.field, decode(t.salt, 'hex'), t.body
     FROM unnest($${p}::bigint[], $${p + 1}::text[], $${p + 2}::text[], $${p + 3}::text[]) AS t(n, field, salt, body)`;

function textParams(rows: { n: number; aside: AuditTextAside[] }[]): [number[], string[], string[], string[]] {
  const all = rows.flatMap((r) => r.aside.map((t) => ({ n: r.n, t })));
  return [all.map((x) => x.n), all.map((x) => x.t.field), all.map((x) => x.t.salt.toString('hex')), all.map((x) => x.t.body)];
}

/**
 * Audit events are written by the transaction that makes the change they describe, through these
 * helpers (FireEscalation inserts its batch's `escalate` events in the statement that links them to
 * their escalations, one round trip on the breach path).
 * A writer only INSERTs: it locks no row that other writers need, so writers never queue behind
 * each other. The database queues every new event for sealing in the same transaction (trigger of
 * migration 1765100000000-AuditSealing), and one sealer chains committed events a moment later
 * (libs/audit/src/seal-audit-events.usecase.ts): a rolled-back writer leaves no trace, a committed
 * one is sealed within the bound. Measured before this change (bench "chain cost", 10 writers of
 * one-event transactions): 1,106 events/s chained in the writer's transaction, 5,362 unchained.
 */
export async function writeAuditEvent(manager: EntityManager, e: AuditEventInput): Promise<string> {
  const { data, aside } = splitText(e);
  // One round trip: the event and its texts aside in one statement.
  const row = await selectRow<{ id: string }>(
    manager,
    prepared(`WITH ev AS (
       INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id),
     tx AS (${TEXTS_INSERT('(SELECT id FROM ev)', 8)})
     SELECT id::text AS id FROM ev`),
    [e.caseId, e.actor, e.action, e.fromState ?? null, e.toState ?? null, e.reason ?? null, data, ...textParams([{ n: 1, aside }])],
  );
  if (!row) throw new Error('INSERT INTO audit_events returned no row');
  return row.id;
}

/**
 * The columns of events that a SQL function inserts itself (write_routing_pass), encoded as the
 * helpers here encode them. Only events without texts: those go aside in audit_event_texts, which the
 * function does not write.
 */
export function auditEventColumns(events: readonly AuditEventInput[]) {
  const data = events.map((e) => {
    const split = splitText(e);
    if (split.aside.length) throw new Error(`the ${e.action} event carries texts, which only writeAuditEvents puts aside`);
    return split.data;
  });
  return {
    actor: events.map((e) => e.actor),
    action: events.map((e) => e.action),
    fromState: events.map((e) => e.fromState ?? null),
    toState: events.map((e) => e.toState ?? null),
    reason: events.map((e) => e.reason ?? null),
    data,
  };
}

/** Several events in one statement (the bulk path below); their ids in the order given. */
export async function writeAuditEvents(manager: EntityManager, events: readonly AuditEventInput[]): Promise<string[]> {
  if (events.length === 0) return [];
  if (events.length === 1) return [await writeAuditEvent(manager, events[0])];
  const split = events.map(splitText);
  const { ids } = await appendAuditEventsInBulk(
    manager,
    `SELECT n, case_id, actor, action, from_state, to_state, reason, data, now() AS occurred_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
            WITH ORDINALITY AS s(case_id, actor, action, from_state, to_state, reason, data, n)`,
    [
      events.map((e) => e.caseId),
      events.map((e) => e.actor),
      events.map((e) => e.action),
      events.map((e) => e.fromState ?? null),
      events.map((e) => e.toState ?? null),
      events.map((e) => e.reason ?? null),
      split.map((x) => x.data),
    ],
    { ids: true, prepare: true },
  );
  const texts = textParams(split.map((x, i) => ({ n: i + 1, aside: x.aside })));
  if (texts[0].length) await execute(manager, `${TEXTS_INSERT('($1::bigint[])[t.n]', 2)}`, [ids, ...texts]);
  return ids;
}

/**
 * The bulk path for imports, fixtures and the bench: inserts the rows of `source` in one statement.
 * `source` must yield n (bigint, 1..N, unique: the order of the ids), case_id uuid, actor, action,
 * from_state, to_state, reason (text), data (jsonb) and occurred_at (timestamptz). The sealer chains
 * them like any other event. With `ids: true` the event ids come back in n order, so a caller can
 * link its rows to their events without searching for them.
 */
export async function appendAuditEventsInBulk(
  manager: EntityManager,
  source: string,
  params: unknown[] = [],
  opts: { ids?: boolean; prepare?: boolean } = {},
): Promise<{ count: number; ids: string[] }> {
  const text = `WITH src AS (${source}),
          numbered AS MATERIALIZED (SELECT src.*, nextval('audit_events_id_seq') AS id FROM (SELECT * FROM src ORDER BY n) src),
          ins AS (
            INSERT INTO audit_events (id, case_id, actor, action, from_state, to_state, reason, data, occurred_at)
            SELECT id, case_id, actor, action, from_state, to_state, reason, data, occurred_at FROM numbered)
     SELECT count(*)::text AS n, ${opts.ids ? `array_agg(id::text ORDER BY n)` : 'NULL::text[]'} AS ids FROM numbered`;
  // Prepared for writeAuditEvents alone (routing's batch of events), whose source is a bare unnest:
  // an import's source may join tables, and a kept generic plan could read them badly (sql.ts).
  const [row] = await selectRows<{ n: string; ids: string[] | null }>(manager, opts.prepare ? prepared(text) : text, params);
  return { count: Number(row.n), ids: row.ids ?? [] };
}

export interface OutboxMessage {
  queue: string;
  name: string;
  jobId: string;
  /** Ids only: outbox rows become queue payloads, and queues must never carry personal data. */
  payload: Record<string, string | number | boolean | null>;
  delayMs?: number;
}

/**
 * The job payload an outbox row carries: the message's ids, plus the id of the request this write
 * runs for (libs/config request-context), so the job, and the jobs it causes, log under that id.
 */
export function outboxPayloadJson(m: OutboxMessage): string {
  const requestId = currentRequestId();
  return JSON.stringify(requestId && !('requestId' in m.payload) ? { ...m.payload, requestId } : m.payload);
}

export async function writeOutbox(manager: EntityManager, m: OutboxMessage): Promise<void> {
  await writeOutboxMany(manager, [m]);
}

/** Several outbox rows in one statement: every round trip inside a hot transaction counts. */
export async function writeOutboxMany(manager: EntityManager, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const values = messages.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`);
  await execute(
    manager,
    `INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms) VALUES ${values.join(', ')}`,
    messages.flatMap((m) => [m.queue, m.name, m.jobId, outboxPayloadJson(m), m.delayMs ?? 0]),
  );
  markOutboxWritten(manager);
}

/**
 * Runs `insert` (one INSERT ... RETURNING) and writes `message` to the outbox, and `event` to the
 * audit trail, in the same statement if, and only if, the insert returned a row (an `ON CONFLICT DO
 * NOTHING` that did nothing writes neither). Outside a transaction the one statement is atomic by
 * itself: the row, its outbox row and its audit event commit together or not at all, with no BEGIN
 * and COMMIT round trips. Intake: 4 statements a case before (BEGIN, case + outbox, event, COMMIT), 1
 * after. Measured with the bench's intake scenario (N=3,000, 2 cores, load average 2-5, three runs each
 * alternated): API CPU per accepted event 2.49/2.73/3.43 ms before, 2.15/2.45/2.50 ms after (median
 * about 10% less); PostgreSQL 4.0-5.2 ms before, 3.2-3.9 ms after. Returns the insert's rows.
 */
export async function insertWithOutbox<T extends object>(
  manager: EntityManager,
  insert: string,
  params: unknown[],
  message: OutboxMessage,
  event?: AuditEventInput,
): Promise<T[]> {
  const p = params.length;
  const all: unknown[] = [...params, message.queue, message.name, message.jobId, outboxPayloadJson(message), message.delayMs ?? 0];
  let audit = '';
  if (event) {
    const { data, aside } = splitText(event);
    const e = all.length;
    all.push(
      event.caseId,
      event.actor,
      event.action,
      event.fromState ?? null,
      event.toState ?? null,
      event.reason ?? null,
      data,
      ...textParams([{ n: 1, aside }]).slice(1),
    );
    audit = `,
          ev AS (INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data)
                 SELECT $${e + 1}::uuid, $${e + 2}, $${e + 3}, $${e + 4}, $${e + 5}, $${e + 6}, $${e + 7}::jsonb WHERE EXISTS (SELECT 1 FROM ins)
                 RETURNING id),
          tx AS (INSERT INTO audit_event_texts (event_id, field, salt, body)
                 SELECT ev.id, t.field, decode(t.salt, 'hex'), t.body
                   FROM ev, unnest($${e + 8}::text[], $${e + 9}::text[], $${e + 10}::text[]) AS t(field, salt, body))`;
  }
  // Prepared (sql.ts): intake's one statement a case; its text depends only on the caller's insert and on whether an event goes with it.
  const rows = await selectRows<T>(
    manager,
    prepared(`WITH ins AS (${insert}),
          out AS (INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
                  SELECT $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5} WHERE EXISTS (SELECT 1 FROM ins))${audit}
     SELECT * FROM ins`),
    all,
  );
  if (rows.length > 0) markOutboxWritten(manager);
  return rows;
}
