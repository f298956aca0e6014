import { currentRequestId, ErasableText } from '@fr/config';
import { maskContactsInText } from '@fr/domain';
import { EntityManager } from 'typeorm';
import { execute, prepared, selectRows, Sql } from './sql';
import { ADVISORY_LOCK } from './advisory-locks';
import { casesLockOrder } from './case-erasure-locks';
import { CASE_STATUS_EVENT, maskNamesInFrozenAnswers } from './case-event-states';
import { markOutboxWritten } from './outbox-signal';
import { AuditEventInput, auditEventColumns, insertWithOutbox, OutboxMessage, outboxPayloadJson, writeAuditEvents } from './write-helpers';

/**
 * The cases aggregate's writes that other libs make (intake, routing, privacy, the directory's reorganisations):
 * the tables `cases`, `case_messages` and `assignments` are written here or in libs/cases, never in
 * the use case that needs the change (test/aggregate-owners.spec.ts holds the rule). It lives in
 * persistence because privacy cannot import libs/cases (cases imports privacy).
 */

/** Between the units of a units path. */
export const UNITS_PATH_SEPARATOR = ' > ';

/**
 * `cases.units_path` with `unit` appended: the export's units path, kept on the case by every write
 * that adds an assignment other than a designation change (migration CaseExportColumns). SQL text:
 * `path` and `unit` are SQL expressions (`unit` of type text or varchar).
 */
export function unitsPathAppended(path: string, unit: string): string {
  return `concat_ws('${UNITS_PATH_SEPARATOR}', ${path}, ${unit})`;
}

/**
 * The citizens' names a case's free text may hold, as a text[] column (the case aliased `c`): its own,
 * and its merged group's, the original's and every duplicate's. A group's answer is every member's:
 * "đã làm việc với ông Phạm Văn Long, bà Lê Thị Mai" reached each of them, and Open311's keyless reads.
 * Each with the names its citizen gave before correcting theirs: text written before, and officers who
 * still call them so, hold those.
 */
const IN_GROUP = `(g.id IN (c.id, COALESCE(c.duplicate_of, c.id)) OR g.duplicate_of = COALESCE(c.duplicate_of, c.id))`;
export const GROUP_NAMES_SQL = `ARRAY(SELECT n FROM cases g CROSS JOIN LATERAL unnest(array_prepend(g.citizen_name::text, g.former_citizen_names)) n
  WHERE n IS NOT NULL AND ${IN_GROUP})`;

/**
 * The phones and e-mails of the same citizens, as a json list of { phone, email } (officeContactsReadable's owners):
 * a group shares its where-to-go, and a member's number in it reached every other member and Open311. Read
 * only for a case closed as another track, the one that has a where-to-go; '[]' otherwise.
 */
export const GROUP_CONTACTS_SQL = `CASE WHEN c.closed_as = 'other_track' THEN
  (SELECT COALESCE(json_agg(json_build_object('phone', g.citizen_phone, 'email', g.citizen_email)), '[]'::json)
     FROM cases g WHERE (g.citizen_phone IS NOT NULL OR g.citizen_email IS NOT NULL) AND ${IN_GROUP})
  ELSE '[]'::json END`;

/** A case as a write left it: its id and state, for the audit event the caller writes. */
export interface WrittenCase {
  id: string;
  status: string;
}

/** The case columns each erasable text clears (NOT NULL columns get an empty value). */
const ERASED_CASE_COLUMNS: Partial<Record<ErasableText, string>> = {
  description: `description = ''`,
  title: `title = NULL`,
  // The duplicate search's folded copy of the address holds whatever the address held (a name written in it).
  address: `address = NULL, address_key = NULL`,
  ratingComment: `rating_comment = NULL`,
  answer: `answer = NULL`,
  whereToGo: `where_to_go = NULL`,
  attachments: `attachments = '[]'`,
};

/**
 * Blanks the citizen's contact details of the cases not erased yet, and the free text `freeText`
 * lists, in the case and (when it lists `messages`) its thread. Returns the cases erased now. The
 * phone's lookup key goes with the phone: the hotline's search by a caller's number must not find a
 * case whose contact details were erased.
 *
 * The channel's externalId goes too, to NULL: integrators make it of the caller's number. It serves only
 * to answer an intake retry with its case, and only closed cases are erased, long after any retry (a
 * delivery of the same submission, minutes apart): the same id months later is a new report, and a NULL
 * lets it in as one (the unique index holds NULLs apart). A keyed hash kept to match it would be what the
 * phone's lookup key was, a way to find the erased case by the caller's number, so none is kept.
 */
export async function eraseCaseContact(m: Sql, caseIds: readonly string[], freeText: readonly ErasableText[], now: Date): Promise<WrittenCase[]> {
  if (caseIds.length === 0) return [];
  await maskNameInKeptText(m, caseIds, freeText);
  const own = freeText.map((f) => ERASED_CASE_COLUMNS[f]).filter((c): c is string => c !== undefined);
  const erased = await selectRows<WrittenCase>(
    m,
    `UPDATE cases SET citizen_name = NULL, former_citizen_names = '{}', citizen_phone = NULL, citizen_email = NULL, citizen_phone_key = NULL, external_id = NULL, contact_erased_at = $2${own.map((c) => `, ${c}`).join('')}
      WHERE id = ANY($1::uuid[]) AND contact_erased_at IS NULL
      RETURNING id::text AS id, status`,
    [caseIds, now],
  );
  if (erased.length && freeText.includes('messages')) {
    await execute(m, `UPDATE case_messages SET body = '', attachments = '[]' WHERE case_id = ANY($1::uuid[])`, [erased.map((r) => r.id)]);
  }
  return erased;
}

/**
 * Erases the copies of the cases' answer their merged duplicates were closed with (privacy's erasure
 * of the answer): each duplicate's citizen read the original's answer, and the name its handler wrote
 * into it, after the original's own was erased. Returns the duplicates changed.
 */
export async function eraseAnswerCopiesOfDuplicates(m: Sql, caseIds: readonly string[]): Promise<string[]> {
  const copies = await selectRows<{ id: string }>(
    m,
    `UPDATE cases SET answer = NULL WHERE duplicate_of = ANY($1::uuid[]) AND closed_as = 'duplicate' AND answer IS NOT NULL RETURNING id::text AS id`,
    [caseIds],
  );
  return copies.map((c) => c.id);
}

/** The free text kept on a case (not erased by `freeText`), by the column that holds it. */
const KEPT_TEXT_COLUMNS: readonly [ErasableText, string][] = [
  ['answer', 'answer'],
  ['whereToGo', 'where_to_go'],
  ['title', 'title'],
  ['description', 'description'],
  ['address', 'address'],
  ['ratingComment', 'rating_comment'],
];

/**
 * Before the citizen's name is erased or corrected, the text kept after it (the answer, and whatever
 * `freeText` does not erase) is rewritten with that name masked, and the phone numbers and e-mail
 * addresses in it too: reads mask the name by the one the case holds, so with the name gone, "đã liên hệ
 * ông Trần Văn Hùng" read whole on Open311 again, after the citizen asked for deletion. The same for the
 * copies of the answer (merged duplicates, the states frozen for deliveries) and the thread's messages.
 * Audit texts kept outside the chain are not rewritten (their hash is chained): `auditTexts` erases them.
 */
export async function maskNameInKeptText(m: Sql, caseIds: readonly string[], erased: readonly ErasableText[] = []): Promise<void> {
  const kept = KEPT_TEXT_COLUMNS.filter(([field]) => !erased.includes(field)).map(([, column]) => column);
  const rows = await selectRows<{ id: string; name: string; former: string[]; root: string } & Record<string, string | null>>(
    m,
    `SELECT id::text AS id, citizen_name AS name, former_citizen_names AS former, COALESCE(duplicate_of, id)::text AS root${kept.map((c) => `, ${c}`).join('')}
       FROM cases WHERE id = ANY($1::uuid[]) AND citizen_name IS NOT NULL AND contact_erased_at IS NULL`,
    [caseIds],
  );
  for (const r of rows) {
    // The names given before a correction go with it, and reads mask by them only while they are held.
    const names = [r.name, ...r.former];
    const changed = kept.filter((c) => r[c] !== null && maskContactsInText(r[c], names) !== r[c]);
    if (changed.length) {
      await execute(m, `UPDATE cases SET ${changed.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [
        r.id,
        ...changed.map((c) => maskContactsInText(r[c], names)),
      ]);
    }
    // The other answers of its merged group, the original's and its duplicates': any may name this citizen.
    const copies = await selectRows<{ id: string; answer: string }>(
      m,
      `SELECT id::text AS id, answer FROM cases WHERE id <> $1 AND (id = $2 OR duplicate_of = $2) AND answer IS NOT NULL`,
      [r.id, r.root],
    );
    for (const c of copies) {
      const masked = maskContactsInText(c.answer, names);
      if (masked !== c.answer) await execute(m, `UPDATE cases SET answer = $2 WHERE id = $1`, [c.id, masked]);
    }
    await maskNamesInFrozenAnswers(m, erased.includes('answer') ? copies.map((c) => c.id) : [r.id, ...copies.map((c) => c.id)], names);
    if (!erased.includes('messages')) {
      const messages = await selectRows<{ id: string; body: string }>(m, `SELECT id::text AS id, body FROM case_messages WHERE case_id = $1`, [r.id]);
      for (const msg of messages) {
        const masked = maskContactsInText(msg.body, names);
        if (masked !== msg.body) await execute(m, `UPDATE case_messages SET body = $2 WHERE id = $1`, [msg.id, masked]);
      }
    }
  }
}

/** A citizen's corrected contact details (a subject request): only the fields given change. */
export interface ContactCorrection {
  name?: string;
  phone?: string;
  email?: string;
  /** With `phone`: its lookup key (phoneLookupKey of the normalised number, null when it is no phone number), so the hotline finds the case by the corrected number and no longer by the old one. */
  phoneKey?: string | null;
}

const CONTACT_COLUMNS = [
  ['name', 'citizen_name'],
  ['phone', 'citizen_phone'],
  ['email', 'citizen_email'],
  ['phoneKey', 'citizen_phone_key'],
] as const;

/** Writes the corrected fields into the cases; returns the cases changed. */
export async function correctCaseContact(m: Sql, caseIds: readonly string[], correction: ContactCorrection): Promise<WrittenCase[]> {
  if (correction.phone !== undefined && correction.phoneKey === undefined) throw new Error('a corrected phone needs its lookup key (phoneKey)');
  // The old name masked in the text kept: reads mask by the name the case holds, which is about to change.
  if (correction.name !== undefined) await maskNameInKeptText(m, caseIds);
  const set: string[] = [];
  const params: unknown[] = [caseIds];
  for (const [field, column] of CONTACT_COLUMNS) {
    const v = correction[field];
    if (v === undefined) continue;
    params.push(v);
    set.push(`${column} = $${params.length}`);
  }
  // The name replaced is kept for the reads to mask (maskNameInKeptText reaches only the text written so
  // far, and officers go on using the name they know); the name held again is no former one.
  if (correction.name !== undefined) {
    params.push(correction.name);
    set.push(`former_citizen_names = array_remove(CASE WHEN citizen_name IS NULL OR citizen_name = ANY(former_citizen_names) THEN former_citizen_names
      ELSE array_append(former_citizen_names, citizen_name::text) END, $${params.length}::text)`);
  }
  if (caseIds.length === 0 || set.length === 0) return [];
  return selectRows<WrittenCase>(
    m,
    `UPDATE cases SET ${set.join(', ')}, updated_at = now() WHERE id = ANY($1::uuid[]) RETURNING id::text AS id, status`,
    params,
  );
}

/** One open case carried to another unit (and area, when the unit has one). */
export interface CaseMove {
  caseId: string;
  toUnit: string;
  toArea: string | null;
}

export interface MovedCase extends WrittenCase {
  handler_id: string | null;
  leader_id: string | null;
  tracking_code: string;
  due_at: Date | null;
}

/**
 * Moves cases to other units with the units' designees (a case in triage keeps whoever holds it),
 * ends their current assignments and opens new ones of `reason` (units paths extended). Deadline, stage and pauses stay.
 * Locks the cases first, as an erasure does (casesLockOrder). Returns the moved cases ordered by id.
 */
export async function moveCasesToUnits(m: Sql, moves: readonly CaseMove[], reason: string, now: Date): Promise<MovedCase[]> {
  if (moves.length === 0) return [];
  const ids = moves.map((x) => x.caseId);
  await selectRows<{ id: string }>(m, `SELECT id FROM cases WHERE id = ANY($1::uuid[]) ORDER BY ${casesLockOrder()} FOR UPDATE`, [ids]);
  const moved = await selectRows<MovedCase>(
    m,
    `WITH mv AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS mv(id, to_unit, to_area)),
     upd AS (
       UPDATE cases c SET unit_code = mv.to_unit, area_code = COALESCE(mv.to_area, c.area_code), units_path = ${unitsPathAppended('c.units_path', 'mv.to_unit')},
              handler_id = CASE WHEN c.status = 'triage' THEN c.handler_id ELSE u.handler_id END,
              leader_id = CASE WHEN c.status = 'triage' THEN c.leader_id ELSE u.leader_id END,
              version = c.version + 1, updated_at = now()
         FROM mv JOIN units u ON u.code = mv.to_unit
        WHERE c.id = mv.id
        RETURNING c.id, c.status, c.handler_id, c.leader_id, c.tracking_code, c.due_at)
     SELECT * FROM upd ORDER BY id`,
    [ids, moves.map((x) => x.toUnit), moves.map((x) => x.toArea)],
  );
  await execute(m, `UPDATE assignments SET ended_at = $2 WHERE case_id = ANY($1::uuid[]) AND ended_at IS NULL`, [ids, now]);
  await execute(
    m,
    `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, started_at)
     SELECT c.id, c.unit_code, c.handler_id, c.leader_id, $2, $3 FROM cases c WHERE c.id = ANY($1::uuid[])`,
    [ids, reason, now],
  );
  return moved;
}

/** A case as intake receives it: every column it is born with (status `received`). */
export interface ReceivedCase {
  id: string;
  trackingCode: string;
  channel: string;
  externalId: string | null;
  category: string;
  title: string | null;
  description: string;
  address: string | null;
  wardCode: string | null;
  lat: number | null;
  lng: number | null;
  citizenName: string | null;
  citizenPhone: string | null;
  citizenEmail: string | null;
  attachments: readonly { url: string; kind: string }[];
  submittedAt: Date;
  receivedAt: Date;
  enteredBy: string | null;
  citizenPhoneKey: string | null;
  addressKey: string | null;
  /** Where intake places it (resolveArea): routing decides again and writes its own. */
  areaCode: string | null;
}

/**
 * Inserts a received case and, in the same statement, its routing job's outbox row. Returns false
 * when the channel had already sent this externalId (nothing written).
 */
export async function insertReceivedCase(m: EntityManager, c: ReceivedCase, routingJob: OutboxMessage, receiveEvent?: AuditEventInput): Promise<boolean> {
  const rows = await insertWithOutbox<{ id: string }>(
    m,
    `INSERT INTO cases (id, tracking_code, channel_code, external_id, category_code, title, description, address,
                        ward_code, lat, lng, citizen_name, citizen_phone, citizen_email, attachments, status, submitted_at, received_at,
                        entered_by, citizen_phone_key, address_key, area_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'received', $16, $17, $18, $19, $20, $21)
     ON CONFLICT ON CONSTRAINT cases_channel_external_uq DO NOTHING
     RETURNING id`,
    [
      c.id,
      c.trackingCode,
      c.channel,
      c.externalId,
      c.category,
      c.title,
      c.description,
      c.address,
      c.wardCode,
      c.lat,
      c.lng,
      c.citizenName,
      c.citizenPhone,
      c.citizenEmail,
      JSON.stringify(c.attachments),
      c.submittedAt,
      c.receivedAt,
      c.enteredBy,
      c.citizenPhoneKey,
      c.addressKey,
      c.areaCode,
    ],
    routingJob,
    receiveEvent,
  );
  return rows.length > 0;
}

/** A received case as routing decided it: its unit and designees (or triage), area, rule and receive-stage deadline. */
export interface RoutedCaseWrite {
  id: string;
  status: string;
  unitCode: string;
  handlerId: string | null;
  leaderId: string | null;
  areaCode: string | null;
  ruleId: string | null;
  triageReason: string | null;
  stageMinutes: number;
  dueAt: Date | null;
  warnAt: Date | null;
  /** The assignment's reason: `route` or `triage`. */
  reason: string;
}

/** How the fan-out job of a case event is named (caseEventMessage): its queue, name and job id prefix. */
export interface FanOutJob {
  queue: string;
  name: string;
  jobIdPrefix: string;
}

/** A routing pass's writes: each case as decided, its event, the timers, and which events are fanned out. */
export interface RoutingPassWrite {
  cases: readonly RoutedCaseWrite[];
  routedAt: Date;
  /** One per case, in the same order; without texts (auditEventColumns). */
  events: readonly AuditEventInput[];
  /** The SLA timers. */
  messages: readonly OutboxMessage[];
  /** Per case: whether its event is one a citizen sees, fanned out to receivers if there are any. */
  fanOut: readonly boolean[];
  fanOutJob: FanOutJob;
  /**
   * The units the decisions were made on without reading them in this transaction, each with its
   * state as routing_units gave it (`to_jsonb(row)::text`): checked by the write (migration
   * RoutingUnitsChecked1766990000000). None: the caller read them, share-locked, in this transaction.
   */
  units?: { codes: readonly string[]; states: readonly string[] };
}

/**
 * Writes routing's decisions in one round trip (routing counts them: test/route-cost.e2e-spec.ts): each
 * case's unit, designees and receive stage (its version moves) and its first assignment, started at
 * `routedAt` (its units path with it); one audit event a case; the timers' outbox rows; and, for the
 * events a citizen sees, the frozen state and the fan-out row when anyone receives them
 * (writeOutboxWithCaseEventStates says how). In the function write_routing_pass (migrations
 * 1766970000000 and 1766990000000), planned once per connection. Returns false, having written nothing,
 * when a unit of `w.units` is no longer in the state given.
 */
export async function writeRoutingPass(m: EntityManager, w: RoutingPassWrite): Promise<boolean> {
  // The function pairs the i-th event and fan-out flag with the i-th case (unnest would pad a shorter list with NULLs).
  if (w.events.length !== w.cases.length || w.fanOut.length !== w.cases.length || w.events.some((e, i) => e.caseId !== w.cases[i].id)) {
    throw new Error("writeRoutingPass takes one event and one fan-out flag per case, in the cases' order");
  }
  const col = <T>(f: (r: RoutedCaseWrite) => T) => w.cases.map(f);
  const ev = auditEventColumns(w.events);
  const [row] = await selectRows<{ outbox_rows: number; stale: boolean }>(
    m,
    prepared(
      `SELECT * FROM write_routing_pass($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[],
                                        $9::int[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::timestamptz,
                                        $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::jsonb[],
                                        $20::text[], $21::text[], $22::text[], $23::jsonb[], $24::int[],
                                        $25::boolean[], $26::text, $27::text, $28::text, $29::text, $30::bigint, $31::text,
                                        $32::text[], $33::text[])`,
    ),
    [
      col((r) => r.id),
      col((r) => r.status),
      col((r) => r.unitCode),
      col((r) => r.handlerId),
      col((r) => r.leaderId),
      col((r) => r.areaCode),
      col((r) => r.ruleId),
      col((r) => r.triageReason),
      col((r) => r.stageMinutes),
      col((r) => r.dueAt),
      col((r) => r.warnAt),
      col((r) => r.reason),
      w.routedAt,
      ev.actor,
      ev.action,
      ev.fromState,
      ev.toState,
      ev.reason,
      ev.data,
      w.messages.map((x) => x.queue),
      w.messages.map((x) => x.name),
      w.messages.map((x) => x.jobId),
      w.messages.map((x) => outboxPayloadJson(x)),
      w.messages.map((x) => x.delayMs ?? 0),
      [...w.fanOut],
      w.fanOutJob.queue,
      w.fanOutJob.name,
      w.fanOutJob.jobIdPrefix,
      // As outboxPayloadJson adds it: an empty id is none.
      currentRequestId() || null,
      ADVISORY_LOCK.caseEventReceivers,
      CASE_STATUS_EVENT,
      [...(w.units?.codes ?? [])],
      [...(w.units?.states ?? [])],
    ],
  );
  if (row.stale) return false;
  if (row.outbox_rows > 0) markOutboxWritten(m);
  return true;
}

/** A case moved from one original to another by relinkDuplicatesOf. */
export interface RelinkedCase {
  id: string;
  status: string;
  tracking_code: string;
  /** The original it was linked to before. */
  from_original: string;
}

/**
 * The cases linked to any of `fromIds` (only the merged ones, with `mergedOnly`) are linked to `toId`
 * instead: a group has one original. Locked in id order. Routing does it as it links a case others
 * were linked to while it waited unrouted (linkCaseToOriginal), merge when a joining case has
 * duplicates of its own, and the merged-groups sweep for groups an earlier release nested.
 */
export function relinkDuplicatesOf(m: Sql, fromIds: readonly string[], toId: string, opts: { mergedOnly?: boolean } = {}): Promise<RelinkedCase[]> {
  return selectRows<RelinkedCase>(m, `WITH ${relinkSql('$1::uuid[]', '$2::uuid', opts)}`, [fromIds, toId]);
}

/** The relink's CTE and UPDATE, after a `WITH` (and whatever CTEs the caller puts before it). */
function relinkSql(fromIds: string, toId: string, opts: { mergedOnly?: boolean } = {}): string {
  return `n AS (SELECT id, duplicate_of FROM cases WHERE duplicate_of = ANY(${fromIds}) AND id <> ${toId} ${opts.mergedOnly ? `AND status = 'merged'` : ''}
                 ORDER BY id FOR UPDATE)
     UPDATE cases c SET duplicate_of = ${toId}, version = c.version + 1, updated_at = now() FROM n WHERE c.id = n.id
     RETURNING c.id, c.status, c.tracking_code, n.duplicate_of::text AS from_original`;
}

/**
 * Marks a just-routed case as the likely duplicate of `originalId` (its version is not moved: the
 * routing transaction already did), and moves the cases linked to it while it waited unrouted to
 * that original too (relinkDuplicatesOf); returns those. One statement, not two: each round trip of a
 * routing pass is waited for by the cases that arrive meanwhile (outbox relay passes timed in a paced
 * 200/s run, 2026-12-05). The bench links 1.5-3.3% of its cases; reports of one problem link many more.
 */
export function linkCaseToOriginal(m: Sql, caseId: string, originalId: string): Promise<RelinkedCase[]> {
  // The linked case is not among its own duplicates (its duplicate_of was null in the statement's
  // snapshot), so the two updates touch different rows.
  return selectRows<RelinkedCase>(
    m,
    prepared(`WITH linked AS (UPDATE cases SET duplicate_of = $2 WHERE id = $1), ${relinkSql('ARRAY[$1::uuid]', '$2::uuid')}`),
    [caseId, originalId],
  );
}

/** The assignment reason of a merged duplicate carried to its original's new unit. */
export const FOLLOW_ORIGINAL_REASON = 'follow_original';

/**
 * Duplicates merged into an original share its unit and officers (actions/duplicates.ts, `merge`).
 * When an original moves (transfer, return, assignment from triage, a designation change, a
 * reorganisation), this carries its merged duplicates after it, in the caller's transaction: each
 * one's assignment ends and a new one starts (reason `follow_original` to another unit, which the
 * unit metrics read as a hand-over, not a receipt; `designation` within the unit, so the export's
 * units path is unchanged), and each gets a `follow_original` event. Without it the duplicates stayed
 * listed under the old unit, outside the new unit's scope. The originals are locked by the caller;
 * the duplicates are locked here in id order (each has one original, so no cycle). Returns how many moved.
 */
export async function carryMergedDuplicates(
  m: EntityManager,
  originalIds: readonly string[],
  actor: string,
  now: Date,
  /** A reorganisation gives a moved case its successor's area: its duplicates take the same. */
  opts: { withArea?: boolean } = {},
): Promise<number> {
  if (originalIds.length === 0) return 0;
  const moved = await selectRows<{
    id: string;
    original_id: string;
    original_tracking_code: string;
    from_unit: string | null;
    from_handler: string | null;
    from_leader: string | null;
    unit_code: string | null;
    handler_id: string | null;
    leader_id: string | null;
  }>(
    m,
    `WITH d AS (
       SELECT d.id, d.unit_code AS from_unit, d.handler_id AS from_handler, d.leader_id AS from_leader
         FROM cases d JOIN cases o ON o.id = d.duplicate_of
        WHERE d.duplicate_of = ANY($1::uuid[]) AND d.status = 'merged'
          AND (d.unit_code IS DISTINCT FROM o.unit_code OR d.handler_id IS DISTINCT FROM o.handler_id OR d.leader_id IS DISTINCT FROM o.leader_id)
        ORDER BY d.id FOR UPDATE OF d),
     upd AS (
       UPDATE cases c SET unit_code = o.unit_code, handler_id = o.handler_id, leader_id = o.leader_id,
              area_code = CASE WHEN $2::boolean THEN o.area_code ELSE c.area_code END,
              units_path = CASE WHEN d.from_unit IS DISTINCT FROM o.unit_code THEN ${unitsPathAppended('c.units_path', 'o.unit_code')} ELSE c.units_path END,
              version = c.version + 1, updated_at = now()
         FROM d, cases o
        WHERE c.id = d.id AND o.id = c.duplicate_of
        RETURNING c.id, o.id AS original_id, o.tracking_code AS original_tracking_code, c.unit_code, c.handler_id, c.leader_id)
     SELECT upd.*, d.from_unit, d.from_handler, d.from_leader FROM upd JOIN d ON d.id = upd.id ORDER BY upd.id`,
    [originalIds, opts.withArea === true],
  );
  if (moved.length === 0) return 0;
  const ids = moved.map((d) => d.id);
  await execute(m, `UPDATE assignments SET ended_at = $2 WHERE case_id = ANY($1::uuid[]) AND ended_at IS NULL`, [ids, now]);
  await execute(
    m,
    `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, started_at)
     SELECT c.id, c.unit_code, c.handler_id, c.leader_id, CASE WHEN c.id = ANY($2::uuid[]) THEN $3 ELSE 'designation' END, $4
       FROM cases c WHERE c.id = ANY($1::uuid[])`,
    [ids, moved.filter((d) => d.from_unit !== d.unit_code).map((d) => d.id), FOLLOW_ORIGINAL_REASON, now],
  );
  await writeAuditEvents(
    m,
    moved.map((d) => ({
      caseId: d.id,
      actor,
      action: 'follow_original',
      fromState: 'merged',
      toState: 'merged',
      reason: `following ${d.original_tracking_code}`,
      data: {
        originalId: d.original_id,
        fromUnit: d.from_unit,
        toUnit: d.unit_code,
        fromHandlerId: d.from_handler,
        toHandlerId: d.handler_id,
        fromLeaderId: d.from_leader,
        toLeaderId: d.leader_id,
      },
    })),
  );
  return moved.length;
}
