import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GENESIS_HASH, selectRow, selectRows, Sql } from '@fr/persistence';
import { ChainBreak, checkLink, SealedEventRow } from './audit-chain';
import {
  CheckpointWatch,
  checkpointMismatch,
  joinSegments,
  SEAL_PAGE_SQL,
  SegmentChecker,
  seqPages,
  splitRange,
  sweepRange,
  VERIFY_BATCH,
} from './chain-segments';
import { VerifyThreads } from './verify-threads';

export interface WalkStart {
  /** First position to check (inclusive, >= 1). */
  fromSeq: bigint;
  /** Last position to check (inclusive). */
  toSeq: bigint;
}

/** Where a walk starts from: the seal before the first position checked. */
export interface WalkOrigin {
  seq: bigint;
  eventId: string | null;
  hash: Buffer;
}

export interface WalkResult {
  checked: number;
  lastSeq: bigint;
  lastId: string | null;
  lastHash: Buffer;
  broken: ChainBreak | null;
}

/** A seal's event and hash, as a walk or a checkpoint starts from it. */
export interface SealRow {
  event_id: string;
  hash: Buffer;
}

/** The seal at position `seq`, if there is one. */
export function sealAt(db: Sql, seq: bigint): Promise<SealRow | undefined> {
  return selectRow<SealRow>(db, `SELECT event_id::text AS event_id, hash FROM audit_seals WHERE seq = $1`, [seq.toString()]);
}

/**
 * Where a walk from a checkpoint starts: the seal at the checkpoint's position, which must still be
 * the checkpointed event with the checkpointed hash, its content still matching that hash.
 */
export async function checkpointOrigin(db: Sql, watch: CheckpointWatch): Promise<{ origin: WalkOrigin } | { broken: ChainBreak }> {
  const at = await selectRow<SealedEventRow>(db, SEAL_PAGE_SQL, [(watch.seq - 1n).toString(), watch.seq.toString()]);
  if (!at) {
    return {
      broken: {
        eventId: watch.eventId,
        reason: `checkpointed event ${watch.eventId} (position ${watch.seq}, written ${watch.writtenAt}) is missing: the trail was truncated`,
      },
    };
  }
  const broken = checkpointMismatch(at, watch) ?? checkLink(at, watch.seq, at.prev_hash, null);
  return broken ? { broken } : { origin: { seq: watch.seq, eventId: at.event_id, hash: at.hash } };
}

/**
 * Walks a range of the sealed chain in seal order, a page at a time, so memory stays constant however
 * long the trail: check() has PostgreSQL hash each page and walks in TypeScript only what it flags
 * (sweepRange); walk() recomputes every hash in TypeScript.
 */
@Injectable()
export class AuditChainWalker {
  constructor(
    private readonly ds: DataSource,
    /** Without it (a verifier built by hand) every walk runs in this thread. */
    @Optional() private readonly threads?: VerifyThreads,
  ) {}

  /**
   * Checks a range, comparing the seal at the checkpoint's position with it on the way. A long range
   * is cut into one segment per thread, checked side by side (each thread reads its segment over its
   * own connection, so PostgreSQL reads in parallel too), then joined at the boundaries; memory is a
   * couple of batches per thread whatever the range. An aborted `signal` stops it between pages, or
   * ends its threads (their page's statement then finishes alone in PostgreSQL).
   */
  async check(range: WalkStart, origin: WalkOrigin, watch: CheckpointWatch | null, signal?: AbortSignal): Promise<WalkResult> {
    const threads = this.threads?.size ?? 1;
    const min = BigInt(this.threads?.minPositions ?? Number.MAX_SAFE_INTEGER);
    const length = range.toSeq - range.fromSeq + 1n;
    if (!this.threads || threads < 2 || length < min) {
      const checker = new SegmentChecker(watch, origin);
      await sweepRange(<T extends object>(sql: string, params: string[]) => selectRows<T>(this.ds, sql, params), range.fromSeq, range.toSeq, checker, signal);
      const last = checker.last!;
      return { checked: checker.checked, lastSeq: last.seq, lastId: last.eventId, lastHash: last.hash, broken: checker.broken };
    }
    const segments = splitRange(range.fromSeq, range.toSeq, threads);
    const w = watch && { seq: watch.seq.toString(), eventId: watch.eventId, hash: watch.hash, writtenAt: watch.writtenAt };
    const results = await this.threads.run(
      segments.map((s) => ({ fromSeq: s.fromSeq.toString(), toSeq: s.toSeq.toString(), watch: w })),
      signal,
    );
    return joinSegments(origin, results, watch);
  }

  /** The seal before position `seq`, which the seal at `seq` must point to. */
  async before(seq: bigint): Promise<WalkOrigin> {
    if (seq <= 1n) return { seq: 0n, eventId: null, hash: GENESIS_HASH };
    const row = await sealAt(this.ds, seq - 1n);
    // A missing predecessor is reported by the walk: the first seal's prev_hash will not match.
    return row ? { seq: seq - 1n, eventId: row.event_id, hash: row.hash } : { seq: seq - 1n, eventId: null, hash: GENESIS_HASH };
  }

  /** Every seal of the range read into TypeScript and hashed there (the verifier as first built; the bench compares it). */
  async walk(range: WalkStart, origin: WalkOrigin, onRow?: (r: SealedEventRow) => ChainBreak | null): Promise<WalkResult> {
    let expectedSeq = origin.seq + 1n;
    let expected = origin.hash;
    let previousId = origin.eventId;
    let checked = 0;
    const pages = seqPages(range.fromSeq, range.toSeq, VERIFY_BATCH);
    const read = () => {
      const next = pages.next();
      if (next.done) return null;
      const rows = selectRows<SealedEventRow>(this.ds, SEAL_PAGE_SQL, next.value);
      // A page read ahead and never awaited (the walk stopped first) must not fail the process.
      rows.catch(() => undefined);
      return rows;
    };
    // One page in hand, the next being read (over another pooled connection) meanwhile, as a thread does.
    let pending = read();
    while (pending) {
      const rows = await pending;
      pending = read();
      for (const r of rows) {
        const broken = checkLink(r, expectedSeq, expected, previousId) ?? onRow?.(r) ?? null;
        if (broken) {
          await pending?.catch(() => undefined);
          return { checked, lastSeq: expectedSeq - 1n, lastId: previousId, lastHash: expected, broken };
        }
        checked++;
        expectedSeq++;
        expected = r.hash;
        previousId = r.event_id;
      }
    }
    return { checked, lastSeq: expectedSeq - 1n, lastId: previousId, lastHash: expected, broken: null };
  }
}
