import { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH_SQL } from '../audit-genesis';

/**
 * The audit trail becomes tamper-evident: append-only, and hash-chained in id order.
 *
 * hash(e) = sha256(prev_hash(e) || utf8(canonical(e))), prev_hash of the first event = 32 zero bytes.
 * canonical(e) = 'fr-audit-v1' followed, for each of id, case_id, actor, action, from_state, to_state,
 * reason, data, occurred_at, by '|-' for NULL or '|<UTF-8 byte length>:<text>' otherwise, where the
 * text is the value's PostgreSQL text form: jsonb's normalised text (`data::text`), lower-case uuid,
 * and occurred_at in UTC with microseconds ('2025-03-04T01:30:00.123456Z', session-independent).
 * libs/audit/src/audit-chain.ts computes the same bytes without SQL; the verifier uses it.
 *
 * The chain head (one row) is locked by every writer, so the chain stays serial under concurrency.
 */
export class AuditTrail1764700000000 implements MigrationInterface {
  name = 'AuditTrail1764700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN prev_hash bytea NULL, ADD COLUMN hash bytea NULL`);
    // STABLE like the convert_to and to_char they call: PostgreSQL inlines a SQL function only when
    // it is declared no more stable than its body, and inlined they hash some 20 times faster.
    await q.query(`
      CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN v IS NULL THEN '|-' ELSE '|' || octet_length(convert_to(v, 'UTF8')) || ':' || v END
      $$`);
    await q.query(`
      CREATE FUNCTION audit_event_canonical(p_id bigint, p_case_id uuid, p_actor text, p_action text, p_from_state text,
                                            p_to_state text, p_reason text, p_data jsonb, p_occurred_at timestamptz)
      RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT 'fr-audit-v1' || audit_field(p_id::text) || audit_field(p_case_id::text) || audit_field(p_actor)
            || audit_field(p_action) || audit_field(p_from_state) || audit_field(p_to_state) || audit_field(p_reason)
            || audit_field(p_data::text)
            || audit_field(to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      $$`);
    await q.query(`
      CREATE FUNCTION audit_event_hash(prev bytea, canonical text) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT sha256(prev || convert_to(canonical, 'UTF8'))
      $$`);
    // A running aggregate: audit_chain(canonical, seed) OVER (ORDER BY id) is each row's hash, the
    // chain seeded with `seed` (the hash before the first row). Set-based chaining for bulk paths
    // (this backfill, imports, the bench); PostgreSQL advances it row by row, never from the start.
    await q.query(`
      CREATE FUNCTION audit_chain_step(state bytea, canonical text, seed bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
        SELECT audit_event_hash(COALESCE(state, seed), canonical)
      $$`);
    await q.query(`CREATE AGGREGATE audit_chain(text, bytea) (SFUNC = audit_chain_step, STYPE = bytea)`);

    // Existing events, chained in id order.
    await q.query(`
      WITH chained AS (
        SELECT id, audit_chain(audit_event_canonical(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at),
                               ${GENESIS_HASH_SQL}) OVER (ORDER BY id) AS hash
          FROM audit_events
      ), linked AS (
        SELECT id, hash, COALESCE(lag(hash) OVER (ORDER BY id), ${GENESIS_HASH_SQL}) AS prev_hash FROM chained
      )
      UPDATE audit_events e SET hash = l.hash, prev_hash = l.prev_hash FROM linked l WHERE e.id = l.id`);
    await q.query(`ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);

    await q.query(`
      CREATE TABLE audit_chain_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        last_id bigint NOT NULL,
        last_hash bytea NOT NULL,
        event_count bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO audit_chain_head (id, last_id, last_hash, event_count)
      SELECT 1, COALESCE(max(id), 0),
             COALESCE((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), ${GENESIS_HASH_SQL}), count(*)
        FROM audit_events`);

    // Append-only, enforced by the database for every client. A superuser can still disable the
    // triggers; the chain and the external checkpoint are what catch that.
    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'audit events are evidence and are never changed or removed; record a correcting event instead';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events`);
    await q.query(`DROP TABLE IF EXISTS audit_chain_head`);
    await q.query(`DROP FUNCTION IF EXISTS audit_refuse_change()`);
    await q.query(`DROP AGGREGATE IF EXISTS audit_chain(text, bytea)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_chain_step(bytea, text, bytea)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_event_hash(bytea, text)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_event_canonical(bigint, uuid, text, text, text, text, text, jsonb, timestamptz)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_field(text)`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN prev_hash, DROP COLUMN hash`);
  }
}
