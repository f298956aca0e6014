import { parentPort } from 'node:worker_threads';
import { Client } from 'pg';
import { SegmentChecker, SegmentResult, sweepRange } from './chain-segments';

/** One segment of a verification, as the main thread hands it to a worker thread. */
export interface SegmentTask {
  databaseUrl: string;
  fromSeq: string;
  toSeq: string;
  watch: { seq: string; eventId: string; hash: string; writtenAt: string } | null;
}

export type SegmentReply = { ok: true; result: SegmentResult } | { ok: false; error: SegmentError };

/**
 * A segment's failure as it crosses to the main thread: its message, and what tells an outage from a
 * bug there (PostgreSQL's SQLSTATE and severity, a socket's code), which a message alone loses.
 */
export interface SegmentError {
  message: string;
  name?: string;
  code?: string;
  severity?: string;
}

function segmentError(e: unknown): SegmentError {
  if (!(e instanceof Error)) return { message: String(e) };
  const { code, severity } = e as { code?: unknown; severity?: unknown };
  return {
    message: e.message,
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof severity === 'string' ? { severity } : {}),
  };
}

/**
 * Checks the segment over its own connection (sweepRange: pages checked inside PostgreSQL, the first
 * seal and any flagged page row by row with the same checkLink as the single-thread walk).
 */
export async function checkSegment(task: SegmentTask): Promise<SegmentResult> {
  // Each segment is one core's work already: parallel workers under it would only contend with the
  // other segments (and JIT compiling each page cost more than it saved, 2026-12-03).
  // A thread ended mid-statement (its walk abandoned) only closes its socket, and PostgreSQL would
  // not notice that while the statement runs or waits for a lock: the backend kept its connection
  // and locks, outside the bound on walks at once. Checked every half second, it ends with the thread.
  const client = new Client({
    connectionString: task.databaseUrl,
    application_name: 'fr-audit-verify',
    connectionTimeoutMillis: 5000,
    options: '-c max_parallel_workers_per_gather=0 -c jit=off -c client_connection_check_interval=500',
  });
  await client.connect();
  try {
    const w = task.watch;
    const checker = new SegmentChecker(w ? { seq: BigInt(w.seq), eventId: w.eventId, hash: w.hash, writtenAt: w.writtenAt } : null);
    await sweepRange(
      async <T extends object>(sql: string, params: string[]) => (await client.query(sql, params)).rows as T[],
      BigInt(task.fromSeq),
      BigInt(task.toSeq),
      checker,
    );
    return checker.result();
  } finally {
    await client.end();
  }
}

parentPort?.on('message', (task: SegmentTask) => {
  checkSegment(task).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies SegmentReply),
    (e: unknown) => parentPort!.postMessage({ ok: false, error: segmentError(e) } satisfies SegmentReply),
  );
});
