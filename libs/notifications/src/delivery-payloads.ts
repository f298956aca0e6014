import { maskContactsInText, officeContactsReadable } from '@fr/domain';
import { GROUP_CONTACTS_SQL, GROUP_NAMES_SQL, selectRows, Sql } from '@fr/persistence';

/**
 * What deliveries say, composed once when their event is recorded (escalations) or fanned out from
 * the state frozen with it (case events), stored on the delivery row and sent unchanged by every
 * attempt. Ids, tracking code, unit, state and deadlines; never the citizen's contact details, and
 * phone numbers or e-mail addresses written into the answer are masked (DOMAIN.md: none in webhooks).
 */
export interface EscalationPayload {
  event: 'escalation';
  escalationId: string;
  caseId: string;
  trackingCode: string;
  unit: { code: string; name: string } | null;
  stage: string;
  level: string;
  dueAt: string;
  firedAt: string;
  title: string;
  body: string;
}

export interface CaseStatusPayload {
  event: 'case.status';
  eventId: string;
  caseId: string;
  trackingCode: string;
  externalId: string | null;
  action: string;
  from: string | null;
  to: string | null;
  status: string;
  unit: { code: string; name: string } | null;
  dueAt: string | null;
  answer: string | null;
  /** request-info: what the unit asked the citizen, so the channel can tell them without reading it back. */
  infoRequest: { message: string } | null;
  /** A case closed as another legal track: where the citizen should turn. */
  otherTrack: { whereToGo: string } | null;
  at: string;
}

/** An event another library owns (libs/board: notices, compliance alerts; libs/privacy: a citizen's data request), composed by that library. */
export interface ForeignPayload {
  event: 'notice' | 'compliance' | 'privacy.request';
  title: string;
  body: string;
  [field: string]: unknown;
}

export type DeliveryPayload = EscalationPayload | CaseStatusPayload | ForeignPayload;

interface EscalationRow {
  id: string;
  case_id: string;
  stage: string;
  level: string;
  due_at: Date;
  fired_at: Date;
  tracking_code: string;
  unit_code: string | null;
  unit_name: string | null;
  title: string | null;
  body: string | null;
}

/**
 * The payloads of escalations, read in the transaction that records them. The first notification of each
 * is ordered by `id + 0`, so that it is found by its escalation (notifications_escalation_officer_uq) and
 * its few rows sorted: by `id`, a planner without fresh statistics walked the whole table's key until one
 * matched (91 ms an escalation at 225,000 notifications, the cases of a batch of 50 locked 4.6 s, while a
 * backlog fired after Redis came back empty; 8.5 ms so, 7 December 2026).
 */
export async function escalationPayloads(db: Sql, escalationIds: readonly string[]): Promise<Map<string, EscalationPayload>> {
  const rows = await selectRows<EscalationRow>(
    db,
    `SELECT e.id::text AS id, e.case_id, e.stage, e.level, e.due_at, e.fired_at, c.tracking_code, c.unit_code, u.name AS unit_name, n.title, n.body
       FROM escalations e JOIN cases c ON c.id = e.case_id LEFT JOIN units u ON u.code = c.unit_code
       LEFT JOIN LATERAL (SELECT title, body FROM notifications WHERE escalation_id = e.id ORDER BY notifications.id + 0 LIMIT 1) n ON true
      WHERE e.id = ANY($1::bigint[])`,
    [escalationIds],
  );
  return new Map(
    rows.map((e) => [
      e.id,
      {
        event: 'escalation',
        escalationId: e.id,
        caseId: e.case_id,
        trackingCode: e.tracking_code,
        unit: e.unit_code ? { code: e.unit_code, name: e.unit_name ?? e.unit_code } : null,
        stage: e.stage,
        level: e.level,
        dueAt: new Date(e.due_at).toISOString(),
        firedAt: new Date(e.fired_at).toISOString(),
        title: e.title ?? `Escalation level ${e.level}`,
        body: e.body ?? '',
      },
    ]),
  );
}

/** A citizen-visible event with its case as it stood then (or now, for an event recorded before states were frozen). */
export interface CaseEventRow {
  event_id: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  occurred_at: Date;
  case_id: string;
  tracking_code: string;
  external_id: string | null;
  status: string;
  unit_code: string | null;
  unit_name: string | null;
  due_at: Date | null;
  answer: string | null;
  info_message: string | null;
  where_to_go: string | null;
  /** Read to mask them in the answer; never sent. */
  citizen_name: string | null;
  group_names: string[];
  /** Every merged member's contact, to mask in whereToGo (each would read the others' otherwise); never sent. */
  group_contacts: { phone: string | null; email: string | null }[];
}

/**
 * The columns of CaseEventRow over `audit_events a JOIN cases c LEFT JOIN case_event_states f LEFT
 * JOIN units u` (CASE_EVENT_JOINS): the frozen state when there is one, the case's current state otherwise.
 */
export const CASE_EVENT_COLUMNS = `a.id::text AS event_id, a.action, a.from_state, a.to_state, a.occurred_at,
  c.id AS case_id, c.tracking_code, c.external_id,
  CASE WHEN f.event_id IS NULL THEN c.status ELSE f.status END AS status,
  CASE WHEN f.event_id IS NULL THEN c.unit_code ELSE f.unit_code END AS unit_code,
  CASE WHEN f.event_id IS NULL THEN u.name ELSE f.unit_name END AS unit_name,
  CASE WHEN f.event_id IS NULL THEN c.due_at ELSE f.due_at END AS due_at,
  CASE WHEN f.event_id IS NULL THEN c.answer ELSE f.answer END AS answer,
  (SELECT m.body FROM case_messages m WHERE a.action = 'request-info' AND m.id = (a.data->>'messageId')::bigint) AS info_message,
  CASE WHEN c.closed_as = 'other_track' THEN c.where_to_go END AS where_to_go,
  c.citizen_name, ${GROUP_NAMES_SQL} AS group_names,
  ${GROUP_CONTACTS_SQL} AS group_contacts`;
export const CASE_EVENT_JOINS = `JOIN cases c ON c.id = a.case_id LEFT JOIN case_event_states f ON f.event_id = a.id
  LEFT JOIN units u ON u.code = c.unit_code`;

/**
 * Who a case event goes to: the case's `channel` (its own webhook), or a `subscriber` (a webhook an
 * administrator registered). The channel gets its own id of the feedback back whole, to find its report
 * by; a subscriber gets it masked as officers outside the case's unit read it in the timeline, since
 * integrators and hotline desks make it of the caller's number ("1022-0912…").
 */
export type CaseEventReceiver = 'channel' | 'subscriber';

export function caseStatusPayload(e: CaseEventRow, receiver: CaseEventReceiver): CaseStatusPayload {
  return {
    event: 'case.status',
    eventId: e.event_id,
    caseId: e.case_id,
    trackingCode: e.tracking_code,
    externalId: receiver === 'channel' ? e.external_id : maskContactsInText(e.external_id, [e.citizen_name, ...e.group_names]),
    action: e.action,
    from: e.from_state,
    to: e.to_state,
    status: e.status,
    unit: e.unit_code ? { code: e.unit_code, name: e.unit_name ?? e.unit_code } : null,
    dueAt: e.due_at ? new Date(e.due_at).toISOString() : null,
    answer: e.status === 'resolved' || e.status === 'closed' ? maskContactsInText(e.answer, [e.citizen_name, ...e.group_names]) : null,
    infoRequest: e.info_message ? { message: maskContactsInText(e.info_message, [e.citizen_name, ...e.group_names]) } : null,
    // As the citizen's status view shows it: the office's telephone readable, the citizen's own contact masked.
    otherTrack: e.where_to_go
      ? {
          whereToGo: maskContactsInText(e.where_to_go, [e.citizen_name, ...e.group_names], officeContactsReadable(...e.group_contacts)),
        }
      : null,
    at: new Date(e.occurred_at).toISOString(),
  };
}

/** For a delivery made before payloads were stored: composed from the case's state now, as it was then. */
export async function currentPayload(db: Sql, eventKey: string, receiver: CaseEventReceiver): Promise<DeliveryPayload | null> {
  const dot = eventKey.indexOf('.');
  const [kind, id] = [eventKey.slice(0, dot), eventKey.slice(dot + 1)];
  if (kind === 'escalation') return (await escalationPayloads(db, [id])).get(id) ?? null;
  const [row] = await selectRows<CaseEventRow>(db, `SELECT ${CASE_EVENT_COLUMNS} FROM audit_events a ${CASE_EVENT_JOINS} WHERE a.id = $1`, [id]);
  return row ? caseStatusPayload(row, receiver) : null;
}
