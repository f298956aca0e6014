import { parentPort } from 'node:worker_threads';
import { Client } from 'pg';
import { SealedEventRow } from './audit-chain';
import { SEAL_PAGE_SQL, SegmentChecker, SegmentResult, seqPages } from './chain-segments';

/** One segment of a verification, as the main thread hands it to a worker thread. */
export interface SegmentTask {
  databaseUrl: string;
  fromSeq: string;
  toSeq: string;
  batch: number;
  watch: { seq: string; eventId: string; hash: string; writtenAt: string } | null;
}

export type SegmentReply = { ok: true; result: SegmentResult } | { ok: false; error: string };

/**
 * Reads the segment's seals over its own connection a page of positions at a time and checks them with the same checkLink as the single-thread walk.
 */
export async function checkSegment(task: SegmentTask): Promise<SegmentResult> {
  const client = new Client({ connectionString: task.databaseUrl, application_name: 'fr-audit-verify', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const w = task.watch;
    const checker = new SegmentChecker(w ? { seq: BigInt(w.seq), eventId: w.eventId, hash: w.hash, writtenAt: w.writtenAt } : null);
    const pages = seqPages(BigInt(task.fromSeq), BigInt(task.toSeq), task.batch);
    const read = () => {
      const next = pages.next();
      return next.done ? null : client.query<SealedEventRow>(SEAL_PAGE_SQL, next.value);
    };
    // One page in hand, the next being read by PostgreSQL meanwhile.
    let pending = read();
    while (pending) {
      const { rows } = await pending;
      pending = read();
      if (!checker.add(rows)) {
        await pending;
        break;
      }
    }
    return checker.result();
  } finally {
    await client.end();
  }
}

parentPort?.on('message', (task: SegmentTask) => {
  checkSegment(task).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies SegmentReply),
    (e: unknown) => parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) } satisfies SegmentReply),
  );
});
