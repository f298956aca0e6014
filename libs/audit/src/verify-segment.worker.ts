import { parentPort } from 'node:worker_threads';
import { Client } from 'pg';
import { SEALED_EVENT_COLUMNS, SealedEventRow } from './audit-chain';
import { SegmentChecker, SegmentResult } from './chain-segments';

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
 * Reads the segment's seals over its own connection in keyset batches (one batch in hand, the next
 * being read by PostgreSQL meanwhile) and checks them with the same checkLink as the single-thread walk.
 */
export async function checkSegment(task: SegmentTask): Promise<SegmentResult> {
  const client = new Client({ connectionString: task.databaseUrl, application_name: 'fr-audit-verify', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const w = task.watch;
    const checker = new SegmentChecker(w ? { seq: BigInt(w.seq), eventId: w.eventId, hash: w.hash, writtenAt: w.writtenAt } : null);
    const read = (after: string) =>
      client.query<SealedEventRow>(
        `SELECT ${SEALED_EVENT_COLUMNS} FROM audit_seals s LEFT JOIN audit_events e ON e.id = s.event_id
          WHERE s.seq > $1 AND s.seq <= $2 ORDER BY s.seq LIMIT ${task.batch}`,
        [after, task.toSeq],
      );
    let pending = read((BigInt(task.fromSeq) - 1n).toString());
    for (;;) {
      const { rows } = await pending;
      const more = rows.length === task.batch;
      if (more) pending = read(rows[rows.length - 1].seq);
      const going = checker.add(rows);
      if (!more) break;
      if (!going) {
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
