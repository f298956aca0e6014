import { createHash, hash } from 'node:crypto';
import { AUDIT_TEXTS_KEY, auditTextHash, textHashesOf } from '@fr/persistence';

/**
 * The audit trail's hash chain, computed without SQL (the database computes the same bytes with the
 * functions of migration 1764700000000-AuditTrail when the sealer chains events; see
 * 1765100000000-AuditSealing for the order). Every field is hashed in
 * the text form PostgreSQL gives it, read with session-independent formatting (see SEALED_EVENT_COLUMNS):
 * the hash covers exactly what was stored, including microseconds and jsonb's normalised text.
 */
export const AUDIT_CANONICAL_VERSION = 'fr-audit-v1';

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

/**
 * prev_hash and the canonical text side by side, for a one-shot hash: a hash object per event (two
 * updates and a digest across the C++ boundary) took 1.2-1.7x as long for a 250-byte event (2026-12,
 * 2 shared cores). With the shortcut in checkTexts, checking a synthetic event went from 8.8 to 4.5 µs
 * of CPU (load average ~20). An event whose text may not fit (over ~21,000 UTF-16 units) streams.
 */
const scratch = Buffer.allocUnsafe(64 * 1024);

export function auditEventHash(prevHash: Buffer, e: AuditEventText): Buffer {
  const text = canonicalAuditEvent(e);
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (prevHash.length + 3 * text.length <= scratch.length) {
    prevHash.copy(scratch, 0);
    const n = scratch.write(text, prevHash.length, 'utf8');
    return hash('sha256', scratch.subarray(0, prevHash.length + n), 'buffer');
  }
  return createHash('sha256').update(prevHash).update(text, 'utf8').digest();
}

/**
 * The select list that reads a seal and its event in the text forms the hash covers (seal `s`, event
 * `e` LEFT JOINed: an event deleted after it was sealed reads as NULLs; its kept texts `x`, see
 * SEAL_PAGE_SQL in chain-segments.ts).
 */
export const SEALED_EVENT_COLUMNS = `s.seq::text AS seq, s.event_id::text AS event_id, s.prev_hash, s.hash,
  e.id::text AS id, e.case_id::text AS case_id, e.actor, e.action, e.from_state, e.to_state, e.reason,
  e.data::text AS data, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
  x.texts`;

/** A seal with its event, as read with SEALED_EVENT_COLUMNS. */
export interface SealedEventRow {
  seq: string;
  event_id: string;
  prev_hash: Buffer;
  hash: Buffer;
  /** NULL when the sealed event no longer exists. */
  id: string | null;
  case_id: string | null;
  actor: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  reason: string | null;
  data: string;
  occurred_at: string;
  /** The event's texts kept aside, `[[field, saltHex, body], ...]` as JSON (salt and body NULL once erased), or NULL. */
  texts: string | null;
}

export function eventText(r: SealedEventRow): AuditEventText {
  return {
    id: r.event_id,
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

const TEXTS_KEY_QUOTED = JSON.stringify(AUDIT_TEXTS_KEY);

export interface ChainBreak {
  eventId: string;
  reason: string;
}

/**
 * Checks one seal against the one before it: its position (no seq skipped), its link (prev_hash),
 * its event (still there) and the event's content (hash).
 */
export function checkLink(r: SealedEventRow, expectedSeq: bigint, expectedPrev: Buffer, previousId: string | null): ChainBreak | null {
  const seq = BigInt(r.seq);
  if (seq !== expectedSeq) {
    const missing = seq > expectedSeq ? `positions ${expectedSeq}..${seq - 1n} are absent` : `position ${seq} comes again`;
    return { eventId: r.event_id, reason: `event ${r.event_id} is sealed at position ${seq} but ${missing}: a seal was removed or inserted` };
  }
  if (!r.prev_hash.equals(expectedPrev)) {
    const before = previousId === null ? 'the start of the trail' : `event ${previousId}`;
    return {
      eventId: r.event_id,
      reason: `event ${r.event_id} (position ${seq}) does not follow ${before}: its prev_hash is not the hash of the seal before it; a seal was removed, inserted or reordered`,
    };
  }
  if (r.id === null) {
    return { eventId: r.event_id, reason: `event ${r.event_id}, sealed at position ${seq}, is absent from the trail: it was deleted after it was sealed` };
  }
  if (!auditEventHash(expectedPrev, eventText(r)).equals(r.hash)) {
    return { eventId: r.event_id, reason: `event ${r.event_id} (position ${seq}) does not match its hash: its content was changed after it was written` };
  }
  return checkTexts(r);
}

/**
 * The texts kept outside the chain against the hashes the chained event carries: a kept text must
 * hash to its value, an erased one (NULL) is fine, and a text the event does not list, or a listed
 * one whose row is gone, is tampering (an erasure keeps the row).
 */
export function checkTexts(r: SealedEventRow): ChainBreak | null {
  // Most events keep no text: no row read, and no "texts" key in their data (jsonb's text writes a
  // key as given, in quotes), so nothing can be missing. Parsing every event's data to learn that
  // cost about as much as hashing it (see auditEventHash).
  if (r.texts === null && !r.data.includes(TEXTS_KEY_QUOTED)) return null;
  const hashes = textHashesOf(JSON.parse(r.data));
  const rows = r.texts === null ? [] : (JSON.parse(r.texts) as [string, string | null, string | null][]);
  const seen = new Set<string>();
  for (const [field, salt, body] of rows) {
    seen.add(field);
    const expected = hashes[field];
    if (expected === undefined)
      return { eventId: r.event_id, reason: `event ${r.event_id} has a text '${field}' kept aside that its sealed content does not list: it was added later` };
    if (body !== null && (salt === null || auditTextHash(Buffer.from(salt, 'hex'), body) !== expected)) {
      return {
        eventId: r.event_id,
        reason: `the text '${field}' of event ${r.event_id} does not match the hash sealed with the event: it was changed after it was written`,
      };
    }
  }
  const missing = Object.keys(hashes).find((f) => !seen.has(f));
  if (missing) return { eventId: r.event_id, reason: `the text '${missing}' of event ${r.event_id} is gone (an erasure keeps its row): it was deleted` };
  return null;
}

/**
 * One canonical field in SQL, as `field` above: '|-' for NULL, else '|<UTF-8 byte length>:<text>'.
 * octet_length(text) is the length in the server's encoding: on a UTF8 server that is the UTF-8 length,
 * and the convert_to (which validates and copies the text) is left out; on any other it is needed.
 */
const sqlField = (v: string, serverUtf8: boolean) =>
  serverUtf8
    ? `COALESCE('|' || octet_length(${v})::text || ':' || ${v}, '|-')`
    : `COALESCE('|' || octet_length(convert_to(${v}, 'UTF8')) || ':' || ${v}, '|-')`;

/**
 * canonicalAuditEvent in SQL, over the seal `s` and its event `e`. Written out here rather than
 * calling audit_event_canonical (the sealer's stored function): a verifier must not take its formula
 * from the database it checks, or replacing the function would make any edit verify. For the same
 * reason the hash is pg_catalog.sha256, named with its schema.
 * The id's text is the event's (e.id_text, turned into text once; it is the seal's event_id, and a
 * seal without its event is flagged before this is looked at). A uuid's text is always 36 characters.
 */
const sqlCanonical = (serverUtf8: boolean) =>
  [
    `'${AUDIT_CANONICAL_VERSION}'`,
    sqlField('e.id_text', serverUtf8),
    `COALESCE('|36:' || e.case_id::text, '|-')`,
    ...['e.actor', 'e.action', 'e.from_state', 'e.to_state', 'e.reason', 'e.data_text', 'e.occurred_text'].map((v) => sqlField(v, serverUtf8)),
  ].join(' || ');

/** An event's text hashes (textHashesOf): the string members of data.texts, when both are objects. */
const SQL_TEXT_HASH_COUNT = `CASE WHEN jsonb_typeof(e.data -> '${AUDIT_TEXTS_KEY}') = 'object'
  THEN (SELECT count(*) FROM jsonb_each(e.data -> '${AUDIT_TEXTS_KEY}') j WHERE jsonb_typeof(j.value) = 'string') ELSE 0 END`;

/**
 * A page's kept texts are read by one index range over the event ids its seals name (b.lo..b.hi) while
 * that range is under this many times the page's seals; a wider one (seals far out of id order) reads
 * them seal by seal. Either way the rows read are bounded by the page, never by the table.
 */
export const TEXT_RANGE_SPAN = 4;

/**
 * A page of the sealed chain checked inside PostgreSQL: positions $1 < seq <= $2, answered by one row
 * (SealPageSummary), not by the rows themselves. Each seal is checked as checkLink and checkTexts
 * check it (its position follows the one before, its prev_hash is that seal's hash, its event exists
 * and hashes to its hash, its kept texts match the hashes the event carries); the page's first seal
 * is linked by the caller to the seal before the page.
 * Why in SQL: reading each event into Node cost about 17 µs of Node CPU per event (the driver's
 * parsing of 14 text columns and two hashes) against about 7 µs in PostgreSQL, which capped a full
 * verification near 80,000 events/s on two cores (1,000,000 cases, 2026-12-03). Here PostgreSQL hashes
 * where the rows are and sends one row a page. What it flags is walked again in TypeScript
 * (checkLink), which names the break: the two must agree (test/audit-page-check.e2e-spec.ts), and the
 * tamper tests run through both.
 * The events are looked up per seal (LATERAL ... OFFSET 0, an index probe each; the event's data and
 * time turned into text there once, not twice as a field's length and text): left to the planner, a
 * page joined them by a sequential scan of the whole audit_events table whenever its row estimate for
 * the page was off (29 µs per event at 1,000,000 events, and growing with the trail).
 * The kept texts are not: most events have none, and a probe per seal for nothing was a quarter of the
 * page's CPU. They are read by the page's event id range (TEXT_RANGE_SPAN; a text of an event outside
 * the page matches no seal of it and is dropped by the join).
 * Backend CPU per 20,000-seal page (2026-12-03, 2 shared cores under load, medians of 15-18 runs of
 * pages already in shared buffers, the bench's trail of 10,000,000 events): 134 ms as first written
 * (6.7 µs an event), 92 ms now (4.6 µs). What each change gave, on a lab trail of 1,000,000: texts by
 * the page's id range 140 -> 103 ms; lengths without convert_to ~8 ms; the id turned into text once
 * and the uuid's constant length 5-9 ms. A page read from outside shared buffers (as a full
 * verification reads almost every page) costs another ~50 ms, old form or new: a sweep of 2,000,000
 * events in two segments took 8.2 µs of backend CPU an event as first written, 6.2-6.7 now.
 * Of the warm page's time, the event probes are about 18 ms, data::text 10, to_char 14, building the
 * canonical text ~26, sha256 15, the link window 6. Building the text with one concat(...) instead of
 * `||` was no cheaper (concat looks up each argument's output function on every call), nor were
 * format() or array_to_string; joining the page's events by their id range (the planner then hashes
 * the events) cost as much as probing them or more; JIT cost more than it saved.
 */
function sealSummarySql(serverUtf8: boolean, textRangeSpan: number): string {
  return `WITH
  b AS (SELECT min(event_id) AS lo, max(event_id) AS hi, count(*) AS n FROM audit_seals WHERE seq > $1 AND seq <= $2),
  t AS (SELECT t.* FROM audit_event_texts t
         WHERE (SELECT hi - lo < ${textRangeSpan} * n FROM b) AND t.event_id >= (SELECT lo FROM b) AND t.event_id <= (SELECT hi FROM b)
        UNION ALL
        SELECT t.* FROM audit_seals s CROSS JOIN LATERAL (SELECT * FROM audit_event_texts t WHERE t.event_id = s.event_id OFFSET 0) t
         WHERE s.seq > $1 AND s.seq <= $2 AND (SELECT hi - lo >= ${textRangeSpan} * n FROM b)),
  x AS (SELECT t.event_id, count(*) AS n,
               bool_and(jsonb_typeof(e.data -> '${AUDIT_TEXTS_KEY}' -> t.field) = 'string'
                        AND (t.body IS NULL OR (t.salt IS NOT NULL
                             AND encode(pg_catalog.sha256(t.salt || convert_to(t.body, 'UTF8')), 'hex') = e.data -> '${AUDIT_TEXTS_KEY}' ->> t.field))) AS ok
          FROM t CROSS JOIN LATERAL (SELECT data FROM audit_events e WHERE e.id = t.event_id OFFSET 0) e
         GROUP BY t.event_id),
  content AS (SELECT count(*)::int AS n,
                     min(s.seq) FILTER (WHERE e.id IS NULL
                       OR pg_catalog.sha256(s.prev_hash || convert_to(${sqlCanonical(serverUtf8)}, 'UTF8')) <> s.hash
                       OR (CASE WHEN x.event_id IS NULL THEN ${SQL_TEXT_HASH_COUNT} <> 0 ELSE NOT x.ok OR x.n <> ${SQL_TEXT_HASH_COUNT} END)) AS bad
                FROM audit_seals s
                LEFT JOIN LATERAL (SELECT e.*, e.id::text AS id_text, e.data::text AS data_text,
                                          to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_text
                                     FROM audit_events e WHERE e.id = s.event_id OFFSET 0) e ON true
                LEFT JOIN x ON x.event_id = s.event_id
               WHERE s.seq > $1 AND s.seq <= $2),
  link AS (SELECT min(seq) AS bad
             FROM (SELECT seq, prev_hash, lag(seq) OVER w AS pseq, lag(hash) OVER w AS phash FROM audit_seals WHERE seq > $1 AND seq <= $2 WINDOW w AS (ORDER BY seq)) l
            WHERE pseq IS NOT NULL AND (seq <> pseq + 1 OR prev_hash <> phash)),
  head AS (SELECT seq, prev_hash FROM audit_seals WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1),
  tail AS (SELECT seq, event_id, hash FROM audit_seals WHERE seq > $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1)
  SELECT content.n, LEAST(content.bad, link.bad)::text AS bad_seq,
         head.seq::text AS first_seq, head.prev_hash AS first_prev_hash,
         tail.seq::text AS last_seq, tail.event_id::text AS last_id, tail.hash AS last_hash
    FROM content CROSS JOIN link LEFT JOIN head ON true LEFT JOIN tail ON true`;
}

/** The page check for any server encoding. */
export const SEAL_SUMMARY_SQL = sealSummarySql(false, TEXT_RANGE_SPAN);

/** The page check for a server whose encoding is UTF8 (`SHOW server_encoding`): the same check, cheaper. */
export const SEAL_SUMMARY_SQL_UTF8 = sealSummarySql(true, TEXT_RANGE_SPAN);

/** The page check with the kept texts always read seal by seal (the wide pages' plan), for tests. */
export const SEAL_SUMMARY_SQL_TEXTS_PER_SEAL = sealSummarySql(true, 0);

/** What SEAL_SUMMARY_SQL answers for a page; the seal columns are NULL for a page with no seal. */
export interface SealPageSummary {
  n: number;
  /** The first position the page's own checks flag, if any. */
  bad_seq: string | null;
  first_seq: string | null;
  first_prev_hash: Buffer | null;
  last_seq: string | null;
  last_id: string | null;
  last_hash: Buffer | null;
}
