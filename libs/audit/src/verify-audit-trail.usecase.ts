import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ValidationError } from '@fr/domain';
import { selectRow } from '@fr/persistence';
import { ChainBreak } from './audit-chain';
import { AuditChainWalker, checkpointOrigin, WalkOrigin } from './audit-chain-walker';
import { CheckpointWatch } from './chain-segments';
import { ReadSlots } from './read-slots';
import { AuditCheckpoint, CheckpointStore, checkpointSeq } from './checkpoint-store';
import { UnsealedBacklog, unsealedBacklog } from './seal-audit-events.usecase';

export interface VerifyAuditTrailQuery {
  /** Positions in the sealed chain. */
  fromSeq?: string;
  toSeq?: string;
  /** Event ids, translated to the positions they were sealed at. */
  fromId?: string;
  toId?: string;
  /** 'checkpoint': only the events sealed after the last checkpoint (the checkpointed seal re-checked as the start). */
  since?: string;
}

export interface VerifyAuditTrailResult {
  ok: boolean;
  checked: number;
  firstBrokenEventId: string | null;
  reason: string | null;
  fromSeq: string;
  toSeq: string;
  head: { lastSeq: string; lastId: string; count: string; sealer: string | null };
  checkpoint: { lastId: string; seq: string; count: string; writtenAt: string; checked: boolean } | null;
  /** Events committed but not yet on the chain; past `boundSeconds` the trail does not verify. */
  unsealed: UnsealedBacklog & { boundSeconds: number };
}

interface HeadRow {
  last_id: string;
  last_hash: Buffer;
  count: string;
  sealer: string | null;
  max_seq: string;
}

/**
 * Walks the sealed chain (all of it, or a range of positions) and names the first event that does
 * not verify: changed content, a deleted event, a removed, inserted or reordered seal, a tail cut
 * off below the chain head or below the last checkpoint written outside the database. On a whole
 * walk it also checks that every event is sealed or queued for sealing, and that none has waited
 * longer than the sealing bound: an event the sealer never reaches is a failure, not a gap.
 * `since: 'checkpoint'` starts at the last checkpoint instead (its seal re-checked: same event, same
 * hash, content intact) and goes to the head, so a day's events verify in well under a second.
 */
@Injectable()
export class VerifyAuditTrail {
  private readonly slots: ReadSlots;

  constructor(
    private readonly ds: DataSource,
    private readonly walker: AuditChainWalker,
    private readonly checkpoints: CheckpointStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.slots = new ReadSlots((n) => `${n} verification(s) of the audit trail are running`, 'FR_AUDIT_VERIFY_CONCURRENCY', config.auditVerifyConcurrency);
  }

  /**
   * At most auditVerifyConcurrency walks at once in this process (ReadSlots): each holds its threads
   * and their connections for as long as the trail takes, so callers asking side by side (a script in
   * a loop, a load generator) would otherwise start as many and starve PostgreSQL's connections.
   * `signal` stops the walk between pages when it aborts (the caller closed the connection).
   */
  async execute(q: VerifyAuditTrailQuery = {}, signal?: AbortSignal): Promise<VerifyAuditTrailResult> {
    if (q.since !== undefined && q.since !== 'checkpoint') throw new ValidationError(`since must be 'checkpoint', got '${q.since}'`, ['since']);
    // Each end is given one way: with both, one was used without a word about the other.
    for (const [seq, id] of [
      ['fromSeq', 'fromId'],
      ['toSeq', 'toId'],
    ] as const) {
      if (q[seq] !== undefined && q[id] !== undefined) throw new ValidationError(`give ${seq} or ${id}, not both`, [seq, id]);
    }
    if (q.since === 'checkpoint' && [q.fromSeq, q.toSeq, q.fromId, q.toId].some((v) => v !== undefined)) {
      throw new ValidationError('since=checkpoint checks from the checkpoint to the chain head: it takes no fromSeq, toSeq, fromId or toId', ['since']);
    }
    const release = this.slots.take();
    try {
      signal?.throwIfAborted();
      return await this.verify(q, signal);
    } finally {
      release();
    }
  }

  private async verify(q: VerifyAuditTrailQuery, signal: AbortSignal | undefined): Promise<VerifyAuditTrailResult> {
    const incremental = q.since === 'checkpoint';
    // Head and the last seal in one snapshot, so a batch sealed meanwhile cannot look like a forged head.
    const head = await selectRow<HeadRow>(
      this.ds,
      `SELECT h.last_id::text AS last_id, h.last_hash, h.event_count::text AS count, h.sealer,
              COALESCE((SELECT max(seq) FROM audit_seals), 0)::text AS max_seq
         FROM audit_chain_head h WHERE h.id = 1`,
    );
    if (!head) throw new Error('audit_chain_head is missing: the database was not migrated');
    const headSeq = BigInt(head.count);
    const lastSeq = BigInt(head.max_seq) > headSeq ? BigInt(head.max_seq) : headSeq;

    let cp: AuditCheckpoint | null = null;
    let cpProblem: string | null = null;
    try {
      cp = await this.checkpoints.read();
    } catch (e) {
      cpProblem = `the checkpoint could not be read: ${(e as Error).message}`;
    }
    if (cp?.textsAsideAfterId !== undefined) {
      const boundary = await selectRow<{ value: string }>(this.ds, `SELECT value #>> '{}' AS value FROM system_state WHERE key = 'audit_texts_aside_after_id'`);
      if (boundary?.value !== cp.textsAsideAfterId) {
        cpProblem = `the checkpoint records that free text left the chain after event ${cp.textsAsideAfterId}, the database says ${boundary?.value ?? 'never'}: the boundary was moved`;
      }
    }
    const cpSeq = cp ? checkpointSeq(cp) : null;
    // Without a usable checkpoint, since=checkpoint walks the whole trail.
    const fromCheckpoint = incremental && cp !== null;

    const fromSeq = fromCheckpoint
      ? cpSeq! + 1n
      : q.fromSeq !== undefined
        ? parsePosition(q.fromSeq, 'fromSeq')
        : q.fromId !== undefined
          ? await this.seqOf(q.fromId, 'fromId')
          : 1n;
    if (q.fromSeq !== undefined && fromSeq > lastSeq) {
      throw new ValidationError(`fromSeq ${fromSeq} is past the chain's last position (${lastSeq})`, ['fromSeq']);
    }
    // No further than the last position: the walk pages through every position of its range, and a
    // toSeq of 18 digits kept PostgreSQL busy for hours on a chain of a few thousand events.
    const asked = q.toSeq !== undefined ? parsePosition(q.toSeq, 'toSeq') : q.toId !== undefined ? await this.seqOf(q.toId, 'toId') : lastSeq;
    const toSeq = asked > lastSeq ? lastSeq : asked;
    if (toSeq < fromSeq && (q.toSeq !== undefined || q.toId !== undefined)) {
      throw new ValidationError(`the range ends (position ${toSeq}) before it starts (position ${fromSeq})`, [q.toSeq !== undefined ? 'toSeq' : 'toId']);
    }
    // Walks that reach the head from a verified start: from the genesis, or from the checkpoint.
    const whole = (fromSeq <= 1n || fromCheckpoint) && toSeq >= lastSeq;
    const cpInRange = fromCheckpoint || (cpSeq !== null && cpSeq >= fromSeq && cpSeq <= toSeq);
    const boundSeconds = this.config.auditSealBoundSeconds;
    let unsealed: VerifyAuditTrailResult['unsealed'] = { count: 0, oldestAgeMs: 0, oldestId: null, boundSeconds };

    const result = (broken: ChainBreak | null, checked: number): VerifyAuditTrailResult => ({
      ok: broken === null && cpProblem === null,
      checked,
      firstBrokenEventId: broken?.eventId ?? null,
      reason: broken?.reason ?? cpProblem,
      fromSeq: fromSeq.toString(),
      toSeq: toSeq.toString(),
      head: { lastSeq: head.count, lastId: head.last_id, count: head.count, sealer: head.sealer },
      checkpoint: cp ? { lastId: cp.lastId, seq: cpSeq!.toString(), count: cp.count, writtenAt: cp.writtenAt, checked: cpInRange } : null,
      unsealed,
    });
    const watch: CheckpointWatch | null = cp ? { seq: cpSeq!, eventId: cp.lastId, hash: cp.hash, writtenAt: cp.writtenAt } : null;
    if (fromCheckpoint && cpSeq! > lastSeq) {
      return result(
        {
          eventId: cp!.lastId,
          reason: `checkpointed event ${cp!.lastId} (position ${cpSeq}) lies beyond the chain head (position ${headSeq}): the trail was truncated`,
        },
        0,
      );
    }

    let origin: WalkOrigin;
    if (fromCheckpoint) {
      const start = await checkpointOrigin(this.ds, watch!);
      if ('broken' in start) return result(start.broken, 0);
      origin = start.origin;
    } else {
      origin = await this.walker.before(fromSeq);
    }
    const walked = await this.walker.check({ fromSeq, toSeq }, origin, cpInRange && !fromCheckpoint ? watch : null, signal);
    signal?.throwIfAborted();
    if (walked.broken) return result(walked.broken, walked.checked);

    // The walk is contiguous from its start: it passed the checkpoint's position if it got that far.
    if (cpInRange && !fromCheckpoint && walked.lastSeq < cpSeq!) {
      return result(
        { eventId: cp!.lastId, reason: `checkpointed event ${cp!.lastId} (position ${cpSeq}, written ${cp!.writtenAt}) is missing: the trail was truncated` },
        walked.checked,
      );
    }
    if (whole) {
      if (cpSeq !== null && cpSeq > lastSeq) {
        return result(
          {
            eventId: cp!.lastId,
            reason: `checkpointed event ${cp!.lastId} (position ${cpSeq}) lies beyond the chain head (position ${headSeq}): the trail was truncated`,
          },
          walked.checked,
        );
      }
      if (walked.lastSeq !== headSeq || walked.lastId !== (headSeq === 0n ? null : head.last_id) || (headSeq > 0n && !walked.lastHash.equals(head.last_hash))) {
        return result(
          {
            eventId: head.last_id,
            reason: `the chain head records event ${head.last_id} at position ${headSeq} as the last, but the sealed trail ends at position ${walked.lastSeq}: the tail was removed or rewritten`,
          },
          walked.checked,
        );
      }
      const orphan = await this.firstOrphan(walked.lastSeq, fromCheckpoint ? cp!.lastId : null);
      if (orphan)
        return result({ eventId: orphan, reason: `event ${orphan} is neither sealed nor queued for sealing: its queue entry was removed` }, walked.checked);
    }
    unsealed = { ...(await unsealedBacklog(this.ds)), boundSeconds };
    if (unsealed.count > 0 && unsealed.oldestAgeMs > boundSeconds * 1000) {
      return result(
        {
          eventId: unsealed.oldestId!,
          reason: `event ${unsealed.oldestId} has waited ${(unsealed.oldestAgeMs / 1000).toFixed(1)} s to be sealed, beyond the bound of ${boundSeconds} s (${unsealed.count} events unsealed): is a worker running?`,
        },
        walked.checked,
      );
    }
    return result(null, walked.checked);
  }

  /**
   * An event that is neither sealed nor waiting: counted first, searched only when the counts disagree.
   * The walk has just shown seals 1..sealed with no gap and no missing event. A batch sealed since
   * then moves events from the queue to seals, so the count can only look unbalanced, never balanced
   * by mistake; the search below settles it.
   */
  private async firstOrphan(sealed: bigint, afterId: string | null): Promise<string | null> {
    if (afterId !== null) {
      // From the checkpoint on, only the events written after the checkpointed one are counted (an
      // index range, not the whole table): an older event taken off the queue is a full walk's to find.
      // The seals' range is closed above by the last event's id: with `event_id > $1` alone, seals
      // whose statistics were older than the trail (the bench's 10,000,000 sealed after the last
      // ANALYZE) were estimated at a third of the table and counted by a sequential scan of all of it:
      // 2.8 s alone on the loaded machine, where the bench's whole run since the checkpoint took 2.4 s
      // (2026-12-03). A closed range is estimated small whatever the statistics: an index range.
      const c = await selectRow<{ balanced: boolean }>(
        this.ds,
        `SELECT (SELECT count(*) FROM audit_events WHERE id > $1) =
                (SELECT count(*) FROM audit_seals WHERE event_id > $1 AND event_id <= (SELECT max(id) FROM audit_events))
                + (SELECT count(*) FROM audit_unsealed u JOIN audit_events e ON e.id = u.event_id WHERE u.event_id > $1) AS balanced`,
        [afterId],
      );
      if (c?.balanced) return null;
    } else {
      const c = await selectRow<{ balanced: boolean }>(
        this.ds,
        `SELECT (SELECT count(*) FROM audit_events) = $1::bigint + (SELECT count(*) FROM audit_unsealed u JOIN audit_events e ON e.id = u.event_id) AS balanced`,
        [sealed.toString()],
      );
      if (c?.balanced) return null;
    }
    const row = await selectRow<{ id: string }>(
      this.ds,
      `SELECT e.id::text AS id FROM audit_events e
        WHERE e.id > $1
          AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)
          AND NOT EXISTS (SELECT 1 FROM audit_unsealed u WHERE u.event_id = e.id)
        ORDER BY e.id LIMIT 1`,
      [afterId ?? '0'],
    );
    return row?.id ?? null;
  }

  private async seqOf(raw: string, field: string): Promise<bigint> {
    const id = parsePosition(raw, field);
    const row = await selectRow<{ seq: string }>(this.ds, `SELECT seq::text AS seq FROM audit_seals WHERE event_id = $1`, [id.toString()]);
    if (!row) throw new ValidationError(`${field}: event ${id} is not sealed (it does not exist, or waits for the sealer)`, [field]);
    return BigInt(row.seq);
  }
}

function parsePosition(raw: string, field: string): bigint {
  if (!/^\d{1,18}$/.test(raw) || BigInt(raw) < 1n) throw new ValidationError(`${field} must be a positive integer of at most 18 digits`, [field]);
  return BigInt(raw);
}
