import { ChainBreak, checkLink, SEAL_SUMMARY_SQL, SEAL_SUMMARY_SQL_UTF8, SEALED_EVENT_COLUMNS, SealedEventRow, SealPageSummary } from './audit-chain';

/*
 * A walk of the sealed chain cut into segments that are checked independently (in worker threads)
 * and joined afterwards. The worker thread loads this file through the application's module paths
 * (verify-threads.ts registers them), so it may import what ./audit-chain imports.
 */

/**
 * One page of seals with their events and kept texts: positions $1 < seq <= $2. Pages are ranges of
 * positions, not `LIMIT`s: positions are dense, and a bounded range keeps the plan to an index range
 * scan whatever the statistics say (with a LIMIT over the rest of the trail, a planner that misjudged
 * the range joined and sorted all of it for every page). The texts are read once for the page, grouped
 * by event and joined: with a subquery per seal (one probe of audit_event_texts per event, most for
 * nothing) PostgreSQL planned each 5,000-seal page as a parallel query (Gather Merge, two workers
 * started per page), and a page took 1.2-1.6x as long as this plan (1,000,000 events, 2026-12).
 */
const sealRowsSql = (seals: string) => `WITH s AS MATERIALIZED (${seals})
  SELECT ${SEALED_EVENT_COLUMNS} FROM s LEFT JOIN audit_events e ON e.id = s.event_id
    LEFT JOIN (SELECT t.event_id, json_agg(json_build_array(t.field, encode(t.salt, 'hex'), t.body) ORDER BY t.field)::text AS texts
                 FROM audit_event_texts t WHERE t.event_id IN (SELECT event_id FROM s) GROUP BY t.event_id) x ON x.event_id = s.event_id
  ORDER BY s.seq`;

export const SEAL_PAGE_SQL = sealRowsSql(`SELECT seq, event_id, prev_hash, hash, form FROM audit_seals WHERE seq > $1 AND seq <= $2`);

/** The first seal at a position $1 < seq <= $2, with its event, as SEAL_PAGE_SQL reads it: where a segment starts. */
export const FIRST_SEAL_SQL = sealRowsSql(`SELECT seq, event_id, prev_hash, hash, form FROM audit_seals WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1`);

/** Positions read row by row in TypeScript at a time (the segment's start, a page SQL flagged, the checkpoint's page). */
export const VERIFY_BATCH = 5000;

/**
 * Positions checked inside PostgreSQL per statement (SEAL_SUMMARY_SQL); one round trip per page. The
 * statement's memory is the hash table of the page's seals that its events are joined to, about 2.5 MB
 * for 20,000 (EXPLAIN ANALYZE, 2026-12-03): under the default work_mem of 4 MB. A page much larger would
 * spill that join to disk in batches.
 */
export const VERIFY_SUMMARY_BATCH = 20000;

/** The pages of positions from..to (inclusive), `size` positions each: [after, upTo] pairs for SEAL_PAGE_SQL. */
export function* seqPages(from: bigint, to: bigint, size: number): Generator<[string, string]> {
  for (let after = from - 1n; after < to; after += BigInt(size)) {
    const upTo = after + BigInt(size) < to ? after + BigInt(size) : to;
    yield [after.toString(), upTo.toString()];
  }
}

/** A point of the chain: the seal at `seq`, its event and hash. */
export interface ChainPoint {
  seq: bigint;
  eventId: string | null;
  hash: Buffer;
}

/** The checkpoint a walk compares the seal at its position with. */
export interface CheckpointWatch {
  seq: bigint;
  eventId: string;
  /** hex */
  hash: string;
  writtenAt: string;
}

/** The seal at the checkpoint's position must still be the checkpointed event with the checkpointed hash. */
export function checkpointMismatch(r: SealedEventRow, watch: CheckpointWatch | null | undefined): ChainBreak | null {
  if (!watch || BigInt(r.seq) !== watch.seq) return null;
  if (r.event_id === watch.eventId && r.hash.toString('hex') === watch.hash) return null;
  return {
    eventId: r.event_id,
    reason: `event ${r.event_id} at position ${r.seq} differs from the checkpoint written ${watch.writtenAt}: the trail up to it was rewritten`,
  };
}

/**
 * What one segment found. Its first seal is not checked inside the segment (the segment does not
 * know what comes before it): it is handed back whole, and the join checks it against the previous
 * segment's last seal with the same checkLink.
 */
export interface SegmentResult {
  /** Seals after the first one that passed. */
  checked: number;
  first: SealedEventRow | null;
  /** The last seal that passed (the first one when nothing after it did). */
  last: ChainPoint | null;
  broken: ChainBreak | null;
}

/** Checks a segment's rows in seal order, carrying the state from one batch to the next. */
export class SegmentChecker {
  checked = 0;
  first: SealedEventRow | null = null;
  last: ChainPoint | null;
  broken: ChainBreak | null = null;
  /**
   * The segment's first seal as its first page's check in SQL saw it, when that page started the
   * segment: its row (for the join) is read once the segment's pages are done (settleFirst).
   */
  firstPending: { after: bigint; seq: bigint; prevHash: Buffer; hash: Buffer } | null = null;

  /**
   * `start`: the seal before the range, when the caller knows it (a walk from an origin); then every
   * seal is linked to the one before it. Without it the first seal is taken as it is, for the join.
   */
  constructor(
    private readonly watch: CheckpointWatch | null,
    start: ChainPoint | null = null,
  ) {
    this.last = start;
  }

  /**
   * Takes a page checked in SQL when its own checks passed and its first seal follows the last seal
   * passed here. False leaves the state as it was: the page's rows are then checked one by one, which
   * names the break (or, should SQL have flagged a sound seal, passes it). The checkpoint's page is
   * always checked row by row (checkpointMismatch).
   */
  addSummary(after: bigint, upTo: bigint, p: SealPageSummary): boolean {
    if (this.watch && this.watch.seq > after && this.watch.seq <= upTo) return false;
    if (p.n === 0) return true;
    if (p.bad_seq !== null) return false;
    if (this.last === null) {
      // The page starts the segment: SQL checked every seal's content and each link but the first's,
      // which is the join's to check (with the row settleFirst reads).
      this.firstPending = { after, seq: BigInt(p.first_seq!), prevHash: p.first_prev_hash!, hash: p.first_hash! };
      this.checked += p.n - 1;
    } else {
      if (BigInt(p.first_seq!) !== this.last.seq + 1n || !p.first_prev_hash!.equals(this.last.hash)) return false;
      this.checked += p.n;
    }
    this.last = { seq: BigInt(p.last_seq!), eventId: p.last_id, hash: p.last_hash! };
    return true;
  }

  /**
   * The segment's first seal read as a row, for the join's checkLink: it must be the seal its page's
   * check saw (same position, links and hash), or the trail changed while it was being verified.
   */
  settleFirst(row: SealedEventRow | undefined): void {
    const seen = this.firstPending;
    if (!seen) return;
    this.firstPending = null;
    if (row && BigInt(row.seq) === seen.seq && row.prev_hash.equals(seen.prevHash) && row.hash.equals(seen.hash)) {
      this.first = row;
      return;
    }
    const eventId = row?.event_id ?? this.last?.eventId ?? '';
    this.broken = {
      eventId,
      reason: `the seal at position ${seen.seq} changed while the trail was being verified (it no longer has the links and hash it was checked with): a seal was removed or rewritten`,
    };
  }

  /** False once a seal does not verify: stop reading. */
  add(rows: readonly SealedEventRow[]): boolean {
    for (const r of rows) {
      if (this.last === null) {
        this.first = r;
      } else {
        const broken = checkLink(r, this.last.seq + 1n, this.last.hash, this.last.eventId) ?? checkpointMismatch(r, this.watch);
        if (broken) {
          this.broken = broken;
          return false;
        }
        this.checked++;
      }
      this.last = { seq: BigInt(r.seq), eventId: r.event_id, hash: r.hash };
    }
    return true;
  }

  result(): SegmentResult {
    return { checked: this.checked, first: this.first, last: this.last, broken: this.broken };
  }
}

/** Runs a statement over whatever connection the caller reads with (a pooled one, or a thread's own client). */
export type ChainQuery = <T extends object>(sql: string, params: string[]) => Promise<T[]>;

/**
 * Checks positions from..to (inclusive) into `checker`, a page at a time: the first seal (when the
 * checker has no start) and flagged pages row by row in TypeScript, every other page inside
 * PostgreSQL (SEAL_SUMMARY_SQL). Stops at the first break, or with the signal's reason when it aborts;
 * memory is one page whatever the range.
 */
export async function sweepRange(query: ChainQuery, from: bigint, to: bigint, checker: SegmentChecker, signal?: AbortSignal): Promise<void> {
  await sweepPages(query, from, to, checker, signal);
  // The first seal's row is read after the pages, not before them: a backend that had read it
  // first (FIRST_SEAL_SQL, with its join to the kept texts) then spent 3.6-3.95 µs of CPU an event on
  // every page after it, against 3.25-3.3 for one that had not (the bench's 10,000,000 events, two
  // backends, warm, 2026-12-03; same plans, the cause inside PostgreSQL not found). A segment whose
  // first page was flagged has read the row with the page already.
  const pending = checker.firstPending;
  if (pending) checker.settleFirst((await query<SealedEventRow>(FIRST_SEAL_SQL, [pending.after.toString(), pending.seq.toString()]))[0]);
}

async function sweepPages(query: ChainQuery, from: bigint, to: bigint, checker: SegmentChecker, signal: AbortSignal | undefined): Promise<void> {
  const [{ encoding }] = await query<{ encoding: string }>(`SELECT current_setting('server_encoding') AS encoding`, []);
  const summarySql = encoding === 'UTF8' ? SEAL_SUMMARY_SQL_UTF8 : SEAL_SUMMARY_SQL;
  let after = from - 1n;
  while (after < to) {
    signal?.throwIfAborted();
    const upTo = after + BigInt(VERIFY_SUMMARY_BATCH) < to ? after + BigInt(VERIFY_SUMMARY_BATCH) : to;
    const [summary] = await query<SealPageSummary>(summarySql, [after.toString(), upTo.toString()]);
    if (!checker.addSummary(after, upTo, summary)) {
      for (const page of seqPages(after + 1n, upTo, VERIFY_BATCH)) {
        signal?.throwIfAborted();
        if (!checker.add(await query<SealedEventRow>(SEAL_PAGE_SQL, page))) return;
      }
    }
    after = upTo;
  }
}

/** A walk's outcome: how many seals passed, the last one that did, and the first break. */
export interface JoinedWalk {
  checked: number;
  lastSeq: bigint;
  lastId: string | null;
  lastHash: Buffer;
  broken: ChainBreak | null;
}

/**
 * Joins segments, given in seal order, at their boundaries: segment k's first seal must be the one
 * after segment k-1's last (position and prev_hash, by checkLink), as the first segment's must follow
 * the origin. The first break in seal order wins: a break at a boundary comes before any inside the
 * segment it opens. An empty segment (its positions all removed) passes the chain on, and the next
 * seal found reports the gap.
 */
export function joinSegments(origin: ChainPoint, segments: readonly SegmentResult[], watch: CheckpointWatch | null = null): JoinedWalk {
  let at = origin;
  let checked = 0;
  const done = (broken: ChainBreak | null): JoinedWalk => ({ checked, lastSeq: at.seq, lastId: at.eventId, lastHash: at.hash, broken });
  for (const s of segments) {
    // A segment without a first seal is empty, or broken before it (its first seal changed under the walk).
    if (s.first === null) {
      if (s.broken) return done(s.broken);
      continue;
    }
    const broken = checkLink(s.first, at.seq + 1n, at.hash, at.eventId) ?? checkpointMismatch(s.first, watch);
    if (broken) return done(broken);
    checked += 1 + s.checked;
    // The segment's last seal that passed (its first, when the segment broke right after it).
    at = s.last ?? { seq: BigInt(s.first.seq), eventId: s.first.event_id, hash: s.first.hash };
    if (s.broken) return done(s.broken);
  }
  return done(null);
}

/** Splits positions from..to (inclusive) into at most `parts` contiguous ranges of near-equal length. */
export function splitRange(from: bigint, to: bigint, parts: number): { fromSeq: bigint; toSeq: bigint }[] {
  if (to < from) return [];
  const n = to - from + 1n;
  const k = BigInt(Math.max(1, parts)) > n ? n : BigInt(Math.max(1, parts));
  const out: { fromSeq: bigint; toSeq: bigint }[] = [];
  let lo = from;
  for (let i = 0n; i < k; i++) {
    const size = n / k + (i < n % k ? 1n : 0n);
    out.push({ fromSeq: lo, toSeq: lo + size - 1n });
    lo += size;
  }
  return out;
}
