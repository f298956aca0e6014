import { createHash, hash } from 'node:crypto';
import { AUDIT_TEXTS_KEY, auditTextHash, textHashesOf } from '@fr/domain';

/**
 * The audit trail's hash chain, computed without SQL (the database computes the same bytes with the
 * functions of migrations 1764700000000-AuditTrail (form 1) and 1766920000000-AuditSealForms (form 2)
 * when the sealer chains events; see 1765100000000-AuditSealing for the order).
 *
 * hash(seal) = sha256(prev_hash || canonical bytes of its event in the seal's form). Two forms:
 *  - form 1, 'fr-audit-v1': every field in the text form PostgreSQL gives it, length-prefixed
 *    (canonicalAuditEvent), read with session-independent formatting (see SEALED_EVENT_COLUMNS);
 *  - form 2, 'fr-audit-v2' followed by PostgreSQL's binary record of the nine fields
 *    (record_send(ROW(...)), auditEventBytesV2): what the sealer writes from migration 1766920000000 on.
 * A seal names its form (audit_seals.form) and is checked in that form only. The hash commits to the
 * form (the inputs start 'fr-audit-v1|' and 'fr-audit-v2' + a binary count), so a form changed on a
 * seal makes the verifier hash other bytes than were sealed: the seal fails, it never passes.
 */
export const AUDIT_CANONICAL_VERSION = 'fr-audit-v1';
export const AUDIT_CANONICAL_V2 = 'fr-audit-v2';

/** audit_seals.form: the canonical form a seal's hash covers. */
export const SEAL_FORM_TEXT = 1;
export const SEAL_FORM_BINARY = 2;

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

/** The hash of a seal of form `form` (SEAL_FORM_TEXT or SEAL_FORM_BINARY) over its event. */
export function auditEventHash(prevHash: Buffer, e: AuditEventText, form: number = SEAL_FORM_TEXT): Buffer {
  if (form === SEAL_FORM_BINARY) {
    if (prevHash.length + bytesV2Bound(e) <= scratch.length) {
      prevHash.copy(scratch, 0);
      return hash('sha256', scratch.subarray(0, writeBytesV2(e, scratch, prevHash.length)), 'buffer');
    }
    return createHash('sha256').update(prevHash).update(auditEventBytesV2(e)).digest();
  }
  if (form !== SEAL_FORM_TEXT) throw new Error(`no canonical form ${form}`);
  const text = canonicalAuditEvent(e);
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (prevHash.length + 3 * text.length <= scratch.length) {
    prevHash.copy(scratch, 0);
    const n = scratch.write(text, prevHash.length, 'utf8');
    return hash('sha256', scratch.subarray(0, prevHash.length + n), 'buffer');
  }
  return createHash('sha256').update(prevHash).update(text, 'utf8').digest();
}

/** Type OIDs of the record's columns (PostgreSQL's fixed built-in OIDs), as record_send writes them. */
const OID = { int8: 20, uuid: 2950, varchar: 1043, text: 25, jsonb: 3802, timestamptz: 1184 } as const;
const V2_PREFIX = Buffer.from(AUDIT_CANONICAL_V2, 'utf8');
/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00 UTC). */
const PG_EPOCH_US = 946_684_800_000_000n;

/** occurred_at as read (UTC, microseconds: 2025-03-04T01:30:00.123456Z) in PostgreSQL's binary form: microseconds since 2000-01-01 UTC. */
function pgMicros(utc: string): bigint {
  // The common case without a regular expression or a BigInt per step: a 4-digit year near ours (ms * 1000 exact in a double).
  if (utc.length === 27 && utc[19] === '.' && utc[26] === 'Z') {
    const ms = Date.parse(utc.slice(0, 19) + 'Z');
    const us = Number(utc.slice(20, 26));
    if (Number.isInteger(us) && Math.abs(ms * 1000) < Number.MAX_SAFE_INTEGER) return BigInt(ms * 1000 + us) - PG_EPOCH_US;
  }
  const m = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$/.exec(utc);
  if (!m) throw new Error(`not a UTC time with microseconds: '${utc}'`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return BigInt(d.getTime()) * 1000n + BigInt(m[7]) - PG_EPOCH_US;
}

/**
 * Form 2's hashed bytes: 'fr-audit-v2' then record_send(ROW(id, case_id, actor, action, from_state,
 * to_state, reason, data, occurred_at)) as PostgreSQL writes it for a client whose encoding is UTF8:
 * the column count, then per column its type OID and its length (-1 for NULL) and its binary value
 * (bigint and the time as 8 bytes big-endian, the uuid's 16 bytes, text as UTF-8, jsonb as version 1 and
 * its text). Unambiguous without escaping (each value is length-prefixed and typed), and independent
 * of DateStyle and TimeZone.
 */
export function auditEventBytesV2(e: AuditEventText): Buffer {
  const out = Buffer.allocUnsafe(bytesV2Bound(e));
  return out.subarray(0, writeBytesV2(e, out, 0));
}

/** At most how many bytes auditEventBytesV2 writes (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function bytesV2Bound(e: AuditEventText): number {
  const texts = [e.actor, e.action, e.fromState, e.toState, e.reason, e.data].reduce((n, v) => n + (v?.length ?? 0), 0);
  return V2_PREFIX.length + 4 + 9 * 8 + 8 + 16 + 1 + 8 + 3 * texts;
}

/**
 * Writes form 2's bytes into `out` from `at`, returns where they end. Hashing a bench event this way
 * (in place, the time parsed without a regular expression when it can be) took 3.4-3.6 µs of Node CPU
 * against 2.3-3.0 for form 1's text; assembled from a buffer per field, with the time always parsed by a
 * regular expression and BigInts, it took 5.3-6.2 (200,000 hashes, 2026-12-03, shared cores).
 */
function writeBytesV2(e: AuditEventText, out: Buffer, at: number): number {
  at += V2_PREFIX.copy(out, at);
  at = out.writeInt32BE(9, at);
  const column = (oid: number, write: (from: number) => number) => {
    at = out.writeUInt32BE(oid, at);
    const end = write(at + 4);
    out.writeInt32BE(end - at - 4, at);
    at = end;
  };
  const nul = (oid: number) => {
    at = out.writeUInt32BE(oid, at);
    at = out.writeInt32BE(-1, at);
  };
  const text = (oid: number, v: string | null) => (v === null ? nul(oid) : column(oid, (from) => from + out.write(v, from, 'utf8')));
  column(OID.int8, (from) => out.writeBigInt64BE(BigInt(e.id), from));
  if (e.caseId === null) nul(OID.uuid);
  else column(OID.uuid, (from) => from + out.write(e.caseId!.replaceAll('-', ''), from, 'hex'));
  text(OID.varchar, e.actor);
  text(OID.varchar, e.action);
  text(OID.varchar, e.fromState);
  text(OID.varchar, e.toState);
  text(OID.text, e.reason);
  column(OID.jsonb, (from) => {
    out[from] = 1;
    return from + 1 + out.write(e.data, from + 1, 'utf8');
  });
  column(OID.timestamptz, (from) => out.writeBigInt64BE(pgMicros(e.occurredAt), from));
  return at;
}

/**
 * The select list that reads a seal and its event in the text forms the hash covers (seal `s`, event
 * `e` LEFT JOINed: an event deleted after it was sealed reads as NULLs; its kept texts `x`, see
 * SEAL_PAGE_SQL in chain-segments.ts).
 */
export const SEALED_EVENT_COLUMNS = `s.seq::text AS seq, s.event_id::text AS event_id, s.prev_hash, s.hash, s.form,
  e.id::text AS id, e.case_id::text AS case_id, e.actor, e.action, e.from_state, e.to_state, e.reason,
  e.data::text AS data, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
  x.texts`;

/** A seal with its event, as read with SEALED_EVENT_COLUMNS. */
export interface SealedEventRow {
  seq: string;
  event_id: string;
  prev_hash: Buffer;
  hash: Buffer;
  /** The canonical form its hash covers (SEAL_FORM_TEXT, SEAL_FORM_BINARY). */
  form: number;
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
  if (r.form !== SEAL_FORM_TEXT && r.form !== SEAL_FORM_BINARY) {
    return { eventId: r.event_id, reason: `event ${r.event_id} (position ${seq}) names a canonical form (${r.form}) no sealer writes: its seal was changed` };
  }
  if (!auditEventHash(expectedPrev, eventText(r), r.form).equals(r.hash)) {
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
 * One canonical field of form 1 in SQL, as `field` above: '|-' for NULL, else '|<UTF-8 byte length>:<text>'.
 * octet_length(text) is the length in the server's encoding: on a UTF8 server that is the UTF-8 length,
 * and the convert_to (which validates and copies the text) is left out; on any other it is needed.
 */
const sqlField = (v: string, serverUtf8: boolean) =>
  serverUtf8
    ? `COALESCE('|' || octet_length(${v})::text || ':' || ${v}, '|-')`
    : `COALESCE('|' || octet_length(convert_to(${v}, 'UTF8')) || ':' || ${v}, '|-')`;

/**
 * canonicalAuditEvent (form 1) in SQL, over the seal and its event `s` and the texts `z` made of it
 * once (id, data, time). Written out here rather than calling audit_event_canonical (the sealer's
 * stored function): a verifier must not take its formula from the database it checks, or replacing
 * the function would make any edit verify. For the same reason every function is pg_catalog's, named
 * with its schema where it hashes. A uuid's text is always 36 characters.
 */
const sqlCanonicalV1 = (serverUtf8: boolean) =>
  [
    `'${AUDIT_CANONICAL_VERSION}'`,
    sqlField('z.id_text', serverUtf8),
    `COALESCE('|36:' || s.case_id::text, '|-')`,
    ...['s.actor', 's.action', 's.from_state', 's.to_state', 's.reason', 'z.data_text', 'z.occurred_text'].map((v) => sqlField(v, serverUtf8)),
  ].join(' || ');

/**
 * Form 2's hashed bytes in SQL (auditEventBytesV2): the prefix, then the record's binary form. Each
 * column cast to the type form 2 fixes (record_send writes the type's OID), so that a later change of a
 * column's type does not change the bytes; a cast to the column's own type costs nothing.
 */
const SQL_BYTES_V2 = `'\\x${Buffer.from(AUDIT_CANONICAL_V2, 'utf8').toString('hex')}'::bytea
  || pg_catalog.record_send(ROW(s.id::bigint, s.case_id::uuid, s.actor::varchar, s.action::varchar, s.from_state::varchar, s.to_state::varchar,
                                s.reason::text, s.data::jsonb, s.occurred_at::timestamptz))`;

/** An event's text hashes (textHashesOf): the string members of data.texts, when both are objects. */
const SQL_TEXT_HASH_COUNT = `CASE WHEN jsonb_typeof(s.data -> '${AUDIT_TEXTS_KEY}') = 'object'
  THEN (SELECT count(*) FROM jsonb_each(s.data -> '${AUDIT_TEXTS_KEY}') j WHERE jsonb_typeof(j.value) = 'string') ELSE 0 END`;

/**
 * A page's kept texts, and its events when their ids are this dense, are read by one index range over
 * the event ids its seals name (b.lo..b.hi) while that range is under this many times the page's seals;
 * a wider one (seals far out of id order) reads them seal by seal. Either way the rows read are bounded
 * by the page, never by the table.
 */
export const TEXT_RANGE_SPAN = 4;

/** The page's seals in position order, each with the position and hash of the seal before it in the page. */
const sealsInOrder = (filter: string) => `(SELECT seq, event_id, prev_hash, hash, form, lag(seq) OVER w AS pseq, lag(hash) OVER w AS phash
           FROM audit_seals WHERE seq > $1 AND seq <= $2${filter} WINDOW w AS (ORDER BY seq))`;
const SEAL_AND_EVENT = `s.seq, s.event_id, s.prev_hash, s.hash, s.form, s.pseq, s.phash,
         e.id, e.case_id, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data, e.occurred_at`;

/**
 * A page of the sealed chain checked inside PostgreSQL: positions $1 < seq <= $2, answered by one row
 * (SealPageSummary), not by the rows themselves. Each seal is checked as checkLink and checkTexts
 * check it (its position follows the one before, its prev_hash is that seal's hash, its event exists
 * and hashes to its hash in the seal's form, its kept texts match the hashes the event carries); the
 * page's first seal is linked by the caller to the seal before the page.
 * Why in SQL: reading each event into Node cost about 17 µs of Node CPU per event (the driver's
 * parsing of 14 text columns and two hashes) against about 7 µs in PostgreSQL, which capped a full
 * verification near 80,000 events/s on two cores (1,000,000 cases, 2026-12-03). Here PostgreSQL hashes
 * where the rows are and sends one row a page. What it flags is walked again in TypeScript
 * (checkLink), which names the break: the two must agree (test/audit-page-check.e2e-spec.ts), and the
 * tamper tests run through both. A form 2 seal read over a connection whose client_encoding is not
 * UTF8 (record_send would write its text in another encoding) is flagged, and so walked in TypeScript.
 *
 * The shape, measured on a lab trail of 2,500,000 bench-like events (2026-12-03, 2 shared cores, backend
 * CPU from /proc/<pid>/schedstat, jit and parallel workers off as the verifier's connections have them;
 * us = µs of backend CPU per event):
 *  - form 2 instead of form 1: building form 1's text (to_char, data::text, nine length prefixes joined
 *    by `||`, then convert_to) cost ~1.6 µs an event warm; record_send's binary record ~0.7 (no
 *    escaping, no session-dependent formatting; ROW(...)::text, the record's text form, was 1.6 as well:
 *    its output quotes and copies character by character).
 *  - the events of a dense page joined by one range of audit_events' key, hashed (the seals are the
 *    hashed side: `+ 0` keeps either side from an index probe per row, and the planner from hashing the
 *    wider events), instead of an index probe per seal: the probes were ~1.2 µs an event, the range
 *    and the join ~0.6. A merge join was cheaper still (~0.4) but a planner that misjudges the range
 *    turns it back into probes (it did under a generic plan).
 *  - the link (lag of position and hash) in the same scan of the seals as the content, not a second
 *    one: ~0.75 -> ~0.3 µs.
 *  - `?` before counting an event's text hashes: most events have none (~0.15 µs).
 * Whole statement, a warm 20,000-seal page: 4.6-4.9 µs an event before (form 1), 3.05-3.3 now (form 2);
 * form 1 seals through this statement 4.8. A cold sweep of the whole trail (pages read from outside the
 * 128 MB shared buffers): 5.1-5.35 -> 3.55 µs an event in one backend, 5.6-6.0 -> 4.1 in two side by side.
 * Tried and left: JIT (it compiled each page for ~56 ms, 2.8 µs an event); concat(), format(),
 * array_to_string for form 1's text (no cheaper than `||`).
 * The kept texts are read by the page's event id range (most events have none, and a probe per seal
 * for nothing was a quarter of the page's CPU); a text of an event outside the page matches no seal of
 * it and is dropped by the join.
 */
function sealSummarySql(serverUtf8: boolean, textRangeSpan: number): string {
  const dense = `(SELECT hi - lo < ${textRangeSpan} * n FROM b)`;
  const sparse = `(SELECT hi - lo >= ${textRangeSpan} * n FROM b)`;
  return `WITH
  b AS (SELECT min(event_id) AS lo, max(event_id) AS hi, count(*) AS n, pg_catalog.current_setting('client_encoding') = 'UTF8' AS utf8
          FROM audit_seals WHERE seq > $1 AND seq <= $2),
  t AS (SELECT t.* FROM audit_event_texts t
         WHERE ${dense} AND t.event_id >= (SELECT lo FROM b) AND t.event_id <= (SELECT hi FROM b)
        UNION ALL
        SELECT t.* FROM audit_seals s CROSS JOIN LATERAL (SELECT * FROM audit_event_texts t WHERE t.event_id = s.event_id OFFSET 0) t
         WHERE s.seq > $1 AND s.seq <= $2 AND ${sparse}),
  x AS (SELECT t.event_id, count(*) AS n,
               bool_and(jsonb_typeof(e.data -> '${AUDIT_TEXTS_KEY}' -> t.field) = 'string'
                        AND (t.body IS NULL OR (t.salt IS NOT NULL
                             AND encode(pg_catalog.sha256(t.salt || convert_to(t.body, 'UTF8')), 'hex') = e.data -> '${AUDIT_TEXTS_KEY}' ->> t.field))) AS ok
          FROM t CROSS JOIN LATERAL (SELECT data FROM audit_events e WHERE e.id = t.event_id OFFSET 0) e
         GROUP BY t.event_id),
  se AS (SELECT ${SEAL_AND_EVENT}
           FROM ${sealsInOrder(' AND event_id + 0 >= (SELECT lo FROM b) AND event_id + 0 <= (SELECT hi FROM b)')} s
           LEFT JOIN audit_events e ON e.id + 0 = s.event_id + 0 AND e.id >= (SELECT lo FROM b) AND e.id <= (SELECT hi FROM b)
          WHERE ${dense}
         UNION ALL
         SELECT ${SEAL_AND_EVENT}
           FROM ${sealsInOrder('')} s LEFT JOIN LATERAL (SELECT * FROM audit_events e WHERE e.id = s.event_id OFFSET 0) e ON true
          WHERE ${sparse}),
  content AS (SELECT count(*)::int AS n,
                     min(s.seq) FILTER (WHERE s.id IS NULL
                       OR (s.pseq IS NOT NULL AND (s.seq <> s.pseq + 1 OR s.prev_hash <> s.phash))
                       OR CASE s.form
                            WHEN ${SEAL_FORM_BINARY} THEN CASE WHEN (SELECT utf8 FROM b) THEN pg_catalog.sha256(s.prev_hash || ${SQL_BYTES_V2}) = s.hash END
                            WHEN ${SEAL_FORM_TEXT} THEN (SELECT pg_catalog.sha256(s.prev_hash || convert_to(${sqlCanonicalV1(serverUtf8)}, 'UTF8')) = s.hash
                                         FROM (SELECT s.id::text AS id_text, s.data::text AS data_text,
                                                      to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_text) z)
                          END IS NOT TRUE
                       OR (CASE WHEN x.event_id IS NULL THEN (s.data ? '${AUDIT_TEXTS_KEY}') AND ${SQL_TEXT_HASH_COUNT} <> 0
                                ELSE NOT x.ok OR x.n <> ${SQL_TEXT_HASH_COUNT} END)) AS bad
                FROM se s LEFT JOIN x ON x.event_id = s.event_id),
  head AS (SELECT seq, prev_hash, hash FROM audit_seals WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1),
  tail AS (SELECT seq, event_id, hash FROM audit_seals WHERE seq > $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1)
  SELECT content.n, content.bad::text AS bad_seq,
         head.seq::text AS first_seq, head.prev_hash AS first_prev_hash, head.hash AS first_hash,
         tail.seq::text AS last_seq, tail.event_id::text AS last_id, tail.hash AS last_hash
    FROM content LEFT JOIN head ON true LEFT JOIN tail ON true`;
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
  first_hash: Buffer | null;
  last_seq: string | null;
  last_id: string | null;
  last_hash: Buffer | null;
}
