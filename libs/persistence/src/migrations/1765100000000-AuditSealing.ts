import { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH_SQL } from '../audit-genesis';

/**
 * The chain moves off the write path. Writers only INSERT into audit_events (no shared row locked);
 * a trigger queues each new event in audit_unsealed, in the writer's own transaction, so an event is
 * queued exactly when it commits. One sealer at a time (libs/audit/src/seal-audit-events.usecase.ts)
 * takes committed events from the queue in batches and appends them to audit_seals:
 *
 *   audit_seals(seq, event_id, prev_hash, hash): seq = 1, 2, 3 ... with no gap, one row per event,
 *   hash(seq) = sha256(hash(seq - 1) || utf8(canonical(event))), hash(0) = 32 zero bytes,
 *
 * the same formula and canonical form as before (migration 1764700000000-AuditTrail), only in seal
 * order instead of id order. Events written before this migration are sealed in id order with the
 * hashes they already had, so checkpoints taken before it stay valid (their `count` is the seq).
 * audit_chain_head now describes the sealed head: last_id is the event at seq = event_count.
 */
export class AuditSealing1765100000000 implements MigrationInterface {
  name = 'AuditSealing1765100000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_seals (
        seq bigint PRIMARY KEY,
        event_id bigint NOT NULL,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        sealed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT audit_seals_event_uq UNIQUE (event_id)
      )`);
    await q.query(`
      INSERT INTO audit_seals (seq, event_id, prev_hash, hash, sealed_at)
      SELECT row_number() OVER (ORDER BY id), id, prev_hash, hash, occurred_at FROM audit_events`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN prev_hash, DROP COLUMN hash`);
    await q.query(`ALTER TABLE audit_chain_head ADD COLUMN sealer text NULL`);
    await q.query(`
      UPDATE audit_chain_head h SET event_count = s.n, last_id = COALESCE(s.last_id, 0), last_hash = COALESCE(s.last_hash, ${GENESIS_HASH_SQL})
        FROM (SELECT count(*) AS n, max(event_id) AS last_id, (SELECT hash FROM audit_seals ORDER BY seq DESC LIMIT 1) AS last_hash
                FROM audit_seals) s
       WHERE h.id = 1`);

    // The queue of committed, unsealed events. A statement trigger with a transition table: one
    // INSERT per writing statement (bulk paths too), and no writer can forget to queue its events.
    // queued_at, not the event's occurred_at, measures the wait: imports carry historical times.
    await q.query(`CREATE TABLE audit_unsealed (event_id bigint PRIMARY KEY, queued_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await q.query(`
      CREATE FUNCTION audit_queue_for_sealing() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit_unsealed (event_id) SELECT id FROM new_events;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_queue_for_sealing AFTER INSERT ON audit_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_queue_for_sealing()`);

    // Escalations are audited in their firing transaction from now on; those fired before wait for
    // the loop that used to append their events: write them now.
    await q.query(`
      WITH ev AS (
        INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data, occurred_at)
        SELECT e.case_id, 'system:sla', 'escalate', c.status, c.status, NULL,
               jsonb_build_object('stage', e.stage, 'level', e.level,
                                  'dueAt', to_char(e.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                  'escalationId', e.id::text,
                                  'notified', (SELECT count(*) FROM notifications n WHERE n.escalation_id = e.id)),
               e.fired_at
          FROM escalations e JOIN cases c ON c.id = e.case_id
         WHERE e.audit_event_id IS NULL
         ORDER BY e.id
        RETURNING id, (data->>'escalationId')::bigint AS escalation_id)
      UPDATE escalations e SET audit_event_id = ev.id FROM ev WHERE e.id = ev.escalation_id`);
    await q.query(`DROP INDEX IF EXISTS escalations_unaudited_idx`);

    // The deliveries reconciler's fan-out watermark becomes a seal position (ids no longer follow
    // commit order). Before this migration seq is the rank of the id, so the old watermark translates.
    await q.query(`
      INSERT INTO system_state (key, value)
      SELECT 'case_event_fanout_seal_watermark', to_jsonb((SELECT count(*) FROM audit_seals s WHERE s.event_id <= (st.value #>> '{}')::bigint)::text)
        FROM system_state st WHERE st.key = 'case_event_fanout_watermark'`);
    await q.query(`DELETE FROM system_state WHERE key = 'case_event_fanout_watermark'`);

    // Seals are evidence like the events: never changed or removed.
    await q.query(`CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS escalations_unaudited_idx ON escalations (id) WHERE audit_event_id IS NULL`);
    // Back to chaining in id order: every event, sealed or not, gets its hash in the old layout.
    await q.query(`DROP TRIGGER IF EXISTS audit_events_queue_for_sealing ON audit_events`);
    await q.query(`DROP FUNCTION IF EXISTS audit_queue_for_sealing()`);
    await q.query(`DROP TABLE IF EXISTS audit_unsealed`);
    await q.query(`ALTER TABLE audit_events ADD COLUMN prev_hash bytea NULL, ADD COLUMN hash bytea NULL`);
    await q.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    await q.query(`
      WITH chained AS (
        SELECT id, audit_chain(audit_event_canonical(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at), ${GENESIS_HASH_SQL})
                 OVER (ORDER BY id) AS hash
          FROM audit_events
      ), linked AS (SELECT id, hash, COALESCE(lag(hash) OVER (ORDER BY id), ${GENESIS_HASH_SQL}) AS prev_hash FROM chained)
      UPDATE audit_events e SET hash = l.hash, prev_hash = l.prev_hash FROM linked l WHERE e.id = l.id`);
    await q.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    await q.query(`ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);
    await q.query(`ALTER TABLE audit_chain_head DISABLE TRIGGER ALL`);
    await q.query(`
      UPDATE audit_chain_head h SET last_id = COALESCE(x.last_id, 0), last_hash = COALESCE(x.hash, ${GENESIS_HASH_SQL}), event_count = x.n
        FROM (SELECT count(*) AS n, max(id) AS last_id, (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1) AS hash FROM audit_events) x
       WHERE h.id = 1`);
    await q.query(`ALTER TABLE audit_chain_head ENABLE TRIGGER ALL`);
    await q.query(`ALTER TABLE audit_chain_head DROP COLUMN sealer`);
    await q.query(`DROP TABLE audit_seals`);
  }
}
