import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seals name the canonical form their hash covers (audit_seals.form), and the sealer writes form 2
 * from now on:
 *
 *   form 1: sha256(prev_hash || utf8(canonical v1))            (1764700000000-AuditTrail)
 *   form 2: sha256(prev_hash || 'fr-audit-v2' || record_send(ROW(id, case_id, actor, action,
 *           from_state, to_state, reason, data, occurred_at)))  (binary, for a UTF8 client)
 *
 * Why: verifying a seal of form 1 in PostgreSQL spent about a third of its CPU building the text
 * (to_char, data::text, nine length prefixes joined by `||`); the binary record costs less than half
 * as much, needs no formatting that depends on the session's DateStyle or TimeZone, and is
 * unambiguous without escaping (libs/audit/src/audit-chain.ts has the measurements). Seals written
 * before keep form 1 (the column's default) and verify as they did: rewriting them would change every
 * later hash and invalidate the checkpoints kept outside the database. A sealer of an older release
 * still running during a deploy writes form 1 by default, which is what it hashes.
 * The hash input starts with the form's own prefix, so a seal whose form is changed is hashed over
 * other bytes than were sealed and fails verification.
 *
 * audit_event_bytes_v2 and the audit_chain_v2 aggregate are for the sealer and bulk paths; the verifier
 * writes the formula out itself (a verifier must not take it from the database it checks).
 */
export class AuditSealForms1766920000000 implements MigrationInterface {
  name = 'AuditSealForms1766920000000';

  public async up(q: QueryRunner): Promise<void> {
    // A constant default: no rewrite of the table, existing seals read as form 1.
    await q.query(`ALTER TABLE audit_seals ADD COLUMN form smallint NOT NULL DEFAULT 1`);
    // The parameters' types are the columns' (record_send writes each column's type OID). record_send
    // writes text in the client's encoding: under any other than UTF8 the bytes are NULL, and so is the
    // hash, which audit_seals refuses, rather than a seal that no verifier would reproduce.
    // STABLE like current_setting and record_send: so it is inlined into the sealer's statement.
    await q.query(`
      CREATE FUNCTION audit_event_bytes_v2(p_id bigint, p_case_id uuid, p_actor varchar, p_action varchar, p_from_state varchar,
                                           p_to_state varchar, p_reason text, p_data jsonb, p_occurred_at timestamptz)
      RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN current_setting('client_encoding') = 'UTF8'
                    THEN '\\x66722d61756469742d7632'::bytea
                         || record_send(ROW(p_id, p_case_id, p_actor, p_action, p_from_state, p_to_state, p_reason, p_data, p_occurred_at)) END
      $$`);
    // audit_chain's counterpart over bytes: audit_chain_v2(bytes, seed) OVER (ORDER BY ...) is each row's hash.
    await q.query(`
      CREATE FUNCTION audit_chain_v2_step(state bytea, bytes bytea, seed bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(COALESCE(state, seed) || bytes)
      $$`);
    await q.query(`CREATE AGGREGATE audit_chain_v2(bytea, bytea) (SFUNC = audit_chain_v2_step, STYPE = bytea)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Without the column a seal of form 2 would be checked as form 1 and fail: refuse rather than
    // leave a trail that no longer verifies.
    const [{ n }] = (await q.query(`SELECT count(*)::int AS n FROM audit_seals WHERE form <> 1`)) as { n: number }[];
    if (n > 0) throw new Error(`${n} seals are of form 2: reverting would leave them unverifiable`);
    await q.query(`DROP AGGREGATE IF EXISTS audit_chain_v2(bytea, bytea)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_chain_v2_step(bytea, bytea, bytea)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_event_bytes_v2(bigint, uuid, varchar, varchar, varchar, varchar, text, jsonb, timestamptz)`);
    await q.query(`ALTER TABLE audit_seals DROP COLUMN form`);
  }
}
