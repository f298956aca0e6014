import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCK, advisoryUnlock, GENESIS_HASH, selectRow, tryAdvisoryLock } from '@fr/persistence';
import { ChainBreak } from './audit-chain';
import { AuditChainWalker, checkpointOrigin, WalkOrigin } from './audit-chain-walker';
import { AuditCheckpoint, CheckpointStore, checkpointSeq } from './checkpoint-store';

export type CheckpointOutcome =
  | { kind: 'written'; checkpoint: AuditCheckpoint; checked: number }
  | { kind: 'unchanged' }
  | { kind: 'busy' }
  | { kind: 'broken'; broken: ChainBreak };

/**
 * The checkpoint follows the sealed head: verifies the seals appended since the last checkpoint (the
 * whole trail the first time), then records the new last position, its event and hash outside the
 * database. The sealer runs it after its batches. It
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
      if (!(await tryAdvisoryLock(runner, ADVISORY_LOCK.auditCheckpoint))) return { kind: 'busy' };
      try {
        return await this.advance();
      } finally {
        await advisoryUnlock(runner, ADVISORY_LOCK.auditCheckpoint);
      }
    } finally {
      await runner.release();
    }
  }

  private async advance(): Promise<CheckpointOutcome> {
    const head = await selectRow<{ last_id: string; last_hash: Buffer; seq: string }>(
      this.ds,
      `SELECT last_id::text AS last_id, last_hash, event_count::text AS seq FROM audit_chain_head WHERE id = 1`,
    );
    const previous = await this.store.read();
    if (!head) throw new Error('audit_chain_head is missing: the database was not migrated');
    if (head.seq === '0') return { kind: 'unchanged' };
    if (previous && checkpointSeq(previous).toString() === head.seq && previous.hash === head.last_hash.toString('hex')) return { kind: 'unchanged' };

    let origin: WalkOrigin = { seq: 0n, eventId: null, hash: GENESIS_HASH };
    if (previous) {
      const start = await checkpointOrigin(this.ds, {
        seq: checkpointSeq(previous),
        eventId: previous.lastId,
        hash: previous.hash,
        writtenAt: previous.writtenAt,
      });
      if ('broken' in start) return this.broken(start.broken);
      origin = start.origin;
    }
    const walked = await this.walker.check({ fromSeq: origin.seq + 1n, toSeq: BigInt(head.seq) }, origin, null);
    if (walked.broken) return this.broken(walked.broken);
    if (walked.lastId === null || walked.lastSeq === origin.seq) return { kind: 'unchanged' };
    const boundary = await selectRow<{ value: string }>(this.ds, `SELECT value #>> '{}' AS value FROM system_state WHERE key = 'audit_texts_aside_after_id'`);
    const checkpoint: AuditCheckpoint = {
      ...(boundary ? { textsAsideAfterId: boundary.value } : {}),
      lastId: walked.lastId,
      seq: walked.lastSeq.toString(),
      hash: walked.lastHash.toString('hex'),
      count: walked.lastSeq.toString(),
      writtenAt: new Date().toISOString(),
    };
    await this.store.write(checkpoint);
    return { kind: 'written', checkpoint, checked: walked.checked };
  }

  private broken(broken: ChainBreak): CheckpointOutcome {
    this.logger.error(
      `audit trail does not verify, checkpoint not advanced: ${broken.reason} ` + `(if this database was recreated on purpose, move ${this.store.path} aside)`,
    );
    return { kind: 'broken', broken };
  }
}
