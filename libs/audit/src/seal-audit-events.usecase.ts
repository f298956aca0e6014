import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { execute, selectRow } from '@fr/persistence';
import { SEAL_FORM_BINARY } from './audit-chain';

export const SEAL_BATCH = 5000;

/**
 * Appends committed, unsealed audit events to the chain (audit_seals), in one transaction per batch.
 *
 * Why a sealer and not the writers: chaining inside each writer's transaction locked one row for
 * every writer in the city until commit (bench "chain cost": 1,106 chained events/s against 5,362
 * unchained, 10 writers), and no second worker or host could add throughput. Here writers only
 * insert; the database queues each event in audit_unsealed in the writer's transaction, so the queue
 * holds exactly the committed events. That is what makes late committers safe: an event whose id is
 * below events already sealed (its transaction committed later) is still in the queue, and is sealed
 * in the next batch. No id or time watermark is involved. Within a batch, events go in id order;
 * across batches, in the order they became visible. The order is fixed once sealed (seq).
 *
 * Seals are of form 2 (audit_event_bytes_v2, migration 1766920000000-AuditSealForms): its bytes are
 * NULL on a connection whose client_encoding is not UTF8, and audit_seals refuses the NULL hash.
 *
 * Exactly once: the head row is locked first (a second sealer waits, then sees the new head and the
 * shrunken queue), and the seal, the removal from the queue and the new head commit together;
 * audit_seals' unique event_id refuses a second seal of an event whatever happens.
 * Shape (b) of the design discussion, a chain per case under a sealed root of case heads, was not
 * taken: events without a case (designations, calendars, webhooks) would need chains of their own,
 * and verification and checkpoints would become tree proofs for no throughput gain, since the
 * sealer keeps up with a batch of 5,000 events in tens of milliseconds.
 */
@Injectable()
export class SealAuditEvents {
  constructor(private readonly ds: DataSource) {}

  /**
   * One batch in one transaction: on `runner` when given (the sealer's own connection, the one that
   * holds its lease, so a sealer that lost its connection cannot go on sealing), else on the pool.
   */
  /** Seals up to `limit` events; returns how many. */
  sealBatch(sealer: string, limit = SEAL_BATCH, runner?: QueryRunner): Promise<number> {
    return (runner?.manager ?? this.ds.manager).transaction((m) => this.seal(m, sealer, limit));
  }

  private async seal(m: EntityManager, sealer: string, limit: number): Promise<number> {
    const head = await selectRow<{ last_hash: Buffer; seq: string }>(
      m,
      `SELECT last_hash, event_count::text AS seq FROM audit_chain_head WHERE id = 1 FOR UPDATE`,
    );
    if (!head) throw new Error('audit_chain_head is missing: the database was not migrated');
    const res = await selectRow<{ sealed: number; last_id: string | null; last_hash: Buffer | null }>(
      m,
      // The batch's ids first, then each event by its key (LATERAL: a lookup per id). A plain join let
      // the planner merge-join the whole trail's index from its first event once the queue was large
      // (a bulk import, 10,000,000 events unsealed): every batch then walked past every sealed event,
      // and sealing fell from 69,000 to under 2,000 events/s as it went (bench, audit scenario).
      // OFFSET 0 keeps the LATERAL a lookup per id: without it the planner pulled the subquery up into a
      // plain join and, estimating the batch at its LIMIT, hashed a sequential scan of every event for
      // each batch; on the intake bench the sealer was the costliest statement of the run (28-46 ms a
      // batch of about 100 events at 20,000-30,000 events; 4.5 ms with the lookups, 2026-12-03).
      // The queue rows are deleted by key for the same reason (not a scan of the queue's dead rows).
      `WITH ids AS MATERIALIZED (SELECT event_id FROM audit_unsealed ORDER BY event_id LIMIT $1),
       batch AS (
         SELECT e.id, e.case_id, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data, e.occurred_at
           FROM ids CROSS JOIN LATERAL (SELECT * FROM audit_events ev WHERE ev.id = ids.event_id OFFSET 0) e),
       numbered AS (SELECT batch.*, row_number() OVER (ORDER BY id) AS n FROM batch),
       chained AS (
         SELECT id, n, audit_chain_v2(audit_event_bytes_v2(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at), $2::bytea)
                         OVER (ORDER BY n) AS hash
           FROM numbered),
       linked AS (SELECT id, n, hash, COALESCE(lag(hash) OVER (ORDER BY n), $2::bytea) AS prev_hash FROM chained),
       ins AS (
         INSERT INTO audit_seals (seq, event_id, prev_hash, hash, form)
         SELECT $3::bigint + n, id, prev_hash, hash, ${SEAL_FORM_BINARY} FROM linked RETURNING event_id),
       del AS (DELETE FROM audit_unsealed u WHERE u.event_id = ANY (ARRAY(SELECT event_id FROM ins)))
       SELECT (SELECT count(*) FROM linked)::int AS sealed,
              (SELECT id::text FROM linked ORDER BY n DESC LIMIT 1) AS last_id,
              (SELECT hash FROM linked ORDER BY n DESC LIMIT 1) AS last_hash`,
      [limit, head.last_hash, head.seq],
    );
    if (!res || res.sealed === 0) return 0;
    const lastSeq = (BigInt(head.seq) + BigInt(res.sealed)).toString();
    await execute(m, `UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3, sealer = $4, updated_at = now() WHERE id = 1`, [
      res.last_id,
      res.last_hash,
      lastSeq,
      sealer,
    ]);
    return res.sealed;
  }

  /** Seals until the queue is empty (imports, the bench, tests); returns how many were sealed. */
  async sealAll(sealer: string, limit = SEAL_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.sealBatch(sealer, limit);
      total += sealed;
      if (sealed < limit) return total;
    }
  }
}

export interface UnsealedBacklog {
  count: number;
  /** How long the event queued longest ago has waited, in milliseconds (0 when none). */
  oldestAgeMs: number;
  oldestId: string | null;
}

/** What waits to be sealed, and for how long the oldest has waited. */
export async function unsealedBacklog(ds: DataSource): Promise<UnsealedBacklog> {
  const row = await selectRow<{ count: number; age_ms: number; oldest_id: string | null }>(
    ds,
    `SELECT count(*)::int AS count,
            COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(queued_at)) * 1000, 0)::float8 AS age_ms,
            (SELECT event_id::text FROM audit_unsealed ORDER BY queued_at, event_id LIMIT 1) AS oldest_id
       FROM audit_unsealed`,
  );
  if (!row) return { count: 0, oldestAgeMs: 0, oldestId: null };
  return { count: row.count, oldestAgeMs: Math.max(0, Math.round(row.age_ms)), oldestId: row.oldest_id };
}
