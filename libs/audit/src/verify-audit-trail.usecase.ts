import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ValidationError } from '@fr/domain';
import { ChainBreak } from './audit-chain';
import { AuditChainWalker } from './audit-chain-walker';
import { AuditCheckpoint, CheckpointStore } from './checkpoint-store';

export interface VerifyAuditTrailQuery {
  fromId?: string;
  toId?: string;
}

export interface VerifyAuditTrailResult {
  ok: boolean;
  checked: number;
  firstBrokenEventId: string | null;
  reason: string | null;
  fromId: string;
  toId: string;
  head: { lastId: string; count: string };
  checkpoint: { lastId: string; count: string; writtenAt: string; checked: boolean } | null;
}

/**
 * Walks the chain (all of it, or fromId..toId) and names the first event that does not verify:
 * changed content, a missing, inserted or reordered event, or a tail cut off below the chain head
 * or below the last checkpoint written outside the database.
 */
@Injectable()
export class VerifyAuditTrail {
  constructor(
    private readonly ds: DataSource,
    private readonly walker: AuditChainWalker,
    private readonly checkpoints: CheckpointStore,
  ) {}

  async execute(q: VerifyAuditTrailQuery = {}): Promise<VerifyAuditTrailResult> {
    const [head] = await this.ds.query(`SELECT last_id::text AS last_id, last_hash, event_count::text AS count FROM audit_chain_head WHERE id = 1`);
    const [first] = await this.ds.query(`SELECT COALESCE(min(id), 1)::text AS id FROM audit_events`);
    const headId = BigInt(head.last_id);
    const fromId = q.fromId !== undefined ? parseId(q.fromId, 'fromId') : BigInt(first.id);
    const toId = q.toId !== undefined ? parseId(q.toId, 'toId') : headId;
    if (toId < fromId && q.toId !== undefined) throw new ValidationError(`toId (${toId}) must not be below fromId (${fromId})`, ['toId']);
    const whole = fromId <= BigInt(first.id) && toId >= headId;

    let cp: AuditCheckpoint | null = null;
    let cpProblem: string | null = null;
    try {
      cp = await this.checkpoints.read();
    } catch (e) {
      cpProblem = `the checkpoint could not be read: ${(e as Error).message}`;
    }
    const cpId = cp ? BigInt(cp.lastId) : null;
    const cpInRange = cpId !== null && cpId >= fromId && cpId <= toId;
    let cpSeen = false;
    let upToCheckpoint = 0;

    const result = (broken: ChainBreak | null, checked: number): VerifyAuditTrailResult => ({
      ok: broken === null && cpProblem === null,
      checked,
      firstBrokenEventId: broken?.eventId ?? null,
      reason: broken?.reason ?? cpProblem,
      fromId: fromId.toString(),
      toId: toId.toString(),
      head: { lastId: head.last_id, count: head.count },
      checkpoint: cp ? { lastId: cp.lastId, count: cp.count, writtenAt: cp.writtenAt, checked: cpInRange } : null,
    });

    const prev = await this.walker.before(fromId);
    const walked = await this.walker.walk({ fromId, toId }, prev, (r) => {
      if (cpId === null || !cpInRange) return null;
      const id = BigInt(r.id);
      if (id <= cpId) upToCheckpoint++;
      if (id === cpId) {
        cpSeen = true;
        if (r.hash.toString('hex') !== cp!.hash) {
          return { eventId: r.id, reason: `event ${r.id} differs from the checkpoint written ${cp!.writtenAt}: the trail up to it was rewritten` };
        }
      } else if (id > cpId && !cpSeen) {
        return { eventId: cp!.lastId, reason: `checkpointed event ${cp!.lastId} (written ${cp!.writtenAt}) is missing from the trail` };
      }
      return null;
    });
    if (walked.broken) return result(walked.broken, walked.checked);

    if (cpInRange && !cpSeen) {
      return result({ eventId: cp!.lastId, reason: `checkpointed event ${cp!.lastId} (written ${cp!.writtenAt}) is missing: the trail was truncated` }, walked.checked);
    }
    if (cpInRange && whole && BigInt(upToCheckpoint) !== BigInt(cp!.count)) {
      return result(
        { eventId: cp!.lastId, reason: `the trail holds ${upToCheckpoint} events up to checkpointed event ${cp!.lastId}, the checkpoint recorded ${cp!.count}` },
        walked.checked,
      );
    }
    if (whole) {
      if (cpId !== null && cpId > headId) {
        return result({ eventId: cp!.lastId, reason: `checkpointed event ${cp!.lastId} lies beyond the chain head (event ${head.last_id}): the trail was truncated` }, walked.checked);
      }
      if (walked.lastId !== head.last_id || !walked.lastHash.equals(head.last_hash)) {
        return result(
          { eventId: head.last_id, reason: `the chain head records event ${head.last_id} as the last, but the trail ends at ${walked.lastId ?? 'nothing'}: the tail was removed or rewritten` },
          walked.checked,
        );
      }
      if (BigInt(walked.checked) !== BigInt(head.count)) {
        return result({ eventId: head.last_id, reason: `the trail holds ${walked.checked} events, the chain head counted ${head.count}` }, walked.checked);
      }
    }
    return result(null, walked.checked);
  }
}

function parseId(raw: string, field: string): bigint {
  if (!/^\d{1,18}$/.test(raw) || BigInt(raw) < 1n) throw new ValidationError(`${field} must be a positive event id`, [field]);
  return BigInt(raw);
}
