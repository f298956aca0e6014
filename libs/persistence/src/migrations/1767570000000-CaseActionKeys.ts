import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Idempotency-Key of an officer's case action, written in the action's transaction: a retry whose
 * answer was lost finds its request done rather than a stale version (libs/cases/src/action-keys.ts).
 * Hashes only: the key is the client's choice of text and the fingerprint covers a body that may hold an
 * officer's words to a citizen. No foreign keys: the row is written before the action locks its unit and
 * case, and a reference would take a lock on the case there, ahead of the unit (lockUnitTakingCase says
 * why units come first); rows live a day, and the sweep deletes them by created_at.
 */
export class CaseActionKeys1767570000000 implements MigrationInterface {
  name = 'CaseActionKeys1767570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE case_action_keys (
        officer_id uuid NOT NULL,
        key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
        fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
        case_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (officer_id, key_hash)
      )`);
    await q.query(`CREATE INDEX case_action_keys_created_at ON case_action_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS case_action_keys`);
  }
}
