import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TEXT_COLUMNS, AuditEventRow, ChainBreak, checkLink, GENESIS_HASH } from './audit-chain';

export const VERIFY_BATCH = 5000;

export interface WalkStart {
  /** First id to check (inclusive). */
  fromId: bigint;
  /** Last id to check (inclusive). */
  toId: bigint;
}

export interface WalkResult {
  checked: number;
  lastId: string | null;
  lastHash: Buffer;
  broken: ChainBreak | null;
}

/**
 * Walks a range of the chain in id order, a batch at a time (keyset pages of VERIFY_BATCH rows), so
 * memory stays constant however long the trail; hashes are recomputed in TypeScript.
 */
@Injectable()
export class AuditChainWalker {
  constructor(private readonly ds: DataSource) {}

  /** The hash and id of the last event before `id`, which the event at `id` must point to. */
  async before(id: bigint): Promise<{ id: string | null; hash: Buffer }> {
    const [row] = await this.ds.query(`SELECT e.id::text AS id, e.hash FROM audit_events e WHERE e.id < $1 ORDER BY e.id DESC LIMIT 1`, [id.toString()]);
    return row ? { id: row.id, hash: row.hash } : { id: null, hash: GENESIS_HASH };
  }

  async walk(range: WalkStart, prev: { id: string | null; hash: Buffer }, onRow?: (r: AuditEventRow) => ChainBreak | null): Promise<WalkResult> {
    let cursor = range.fromId - 1n;
    let expected = prev.hash;
    let previousId = prev.id;
    let checked = 0;
    for (;;) {
      const rows: AuditEventRow[] = await this.ds.query(
        `SELECT ${AUDIT_EVENT_TEXT_COLUMNS} FROM audit_events e WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id LIMIT ${VERIFY_BATCH}`,
        [cursor.toString(), range.toId.toString()],
      );
      for (const r of rows) {
        const broken = checkLink(r, expected, previousId) ?? onRow?.(r) ?? null;
        if (broken) return { checked, lastId: previousId, lastHash: expected, broken };
        checked++;
        expected = r.hash;
        previousId = r.id;
      }
      if (rows.length < VERIFY_BATCH) return { checked, lastId: previousId, lastHash: expected, broken: null };
      cursor = BigInt(rows[rows.length - 1].id);
    }
  }
}
