import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChainBreak } from './audit-chain';
import { AuditChainWalker } from './audit-chain-walker';
import { AuditCheckpoint, CheckpointStore } from './checkpoint-store';

const CHECKPOINT_LOCK = 727_005;

export type CheckpointOutcome =
  | { kind: 'written'; checkpoint: AuditCheckpoint; checked: number }
  | { kind: 'unchanged' }
  | { kind: 'busy' }
  | { kind: 'broken'; broken: ChainBreak };

/**
 * The periodic checkpoint: verifies the events appended since the last checkpoint (the whole trail
 * the first time), then records the new last id, its hash and the count outside the database. It
 * never moves past a break: the old checkpoint stays, and verify keeps reporting the break.
 * One worker at a time (advisory lock).
 */
@Injectable()
export class WriteAuditCheckpoint {
  private readonly logger = new Logger(WriteAuditCheckpoint.name);

  constructor(
    private readonly ds: DataSource,
    private readonly walker: AuditChainWalker,
    private readonly store: CheckpointStore,
  ) {}

  async runOnce(): Promise<CheckpointOutcome> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [CHECKPOINT_LOCK]);
      if (!locked) return { kind: 'busy' };
      try {
        return await this.advance();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [CHECKPOINT_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  private async advance(): Promise<CheckpointOutcome> {
    const [head] = await this.ds.query(`SELECT last_id::text AS last_id, last_hash FROM audit_chain_head WHERE id = 1`);
    const previous = await this.store.read();
    if (previous && previous.lastId === head.last_id && previous.hash === head.last_hash.toString('hex')) return { kind: 'unchanged' };
    if (head.last_id === '0') return { kind: 'unchanged' };

    let start: { id: string | null; hash: Buffer } = { id: null, hash: Buffer.alloc(32) };
    let fromId = 1n;
    let count = 0n;
    if (previous) {
      const [at] = await this.ds.query(`SELECT hash FROM audit_events WHERE id = $1`, [previous.lastId]);
      if (!at || at.hash.toString('hex') !== previous.hash) {
        return this.broken({ eventId: previous.lastId, reason: `checkpointed event ${previous.lastId} is missing or changed` });
      }
      start = { id: previous.lastId, hash: at.hash };
      fromId = BigInt(previous.lastId) + 1n;
      count = BigInt(previous.count);
    } else {
      const [first] = await this.ds.query(`SELECT COALESCE(min(id), 1)::text AS id FROM audit_events`);
      fromId = BigInt(first.id);
    }
    const walked = await this.walker.walk({ fromId, toId: BigInt(head.last_id) }, start);
    if (walked.broken) return this.broken(walked.broken);
    if (walked.lastId === null || walked.lastId === previous?.lastId) return { kind: 'unchanged' };
    const checkpoint: AuditCheckpoint = {
      lastId: walked.lastId,
      hash: walked.lastHash.toString('hex'),
      count: (count + BigInt(walked.checked)).toString(),
      writtenAt: new Date().toISOString(),
    };
    await this.store.write(checkpoint);
    return { kind: 'written', checkpoint, checked: walked.checked };
  }

  private broken(broken: ChainBreak): CheckpointOutcome {
    this.logger.error(
      `audit trail does not verify, checkpoint not advanced: ${broken.reason} ` +
        `(if this database was recreated on purpose, move ${this.store.path} aside)`,
    );
    return { kind: 'broken', broken };
  }
}
