import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Free text leaves the audit chain (Law 91/2025/QH15; see libs/persistence/src/audit-texts.ts): events
 * written from now on chain only a salted hash of each text (`data.texts`), and the text itself
 * lives here, erasable. Events written before are left as they were, reasons in clear: rewriting them
 * would change every seal after the first one and invalidate the checkpoints kept outside the
 * database, which are the only defence against someone able to rewrite the whole database. The
 * boundary (the last event written before) is recorded in system_state and carried into every
 * checkpoint written from now on (README, "Personal data in the audit trail").
 */
export class AuditTextsAside1766200000000 implements MigrationInterface {
  name = 'AuditTextsAside1766200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_event_texts (
        event_id bigint NOT NULL REFERENCES audit_events (id),
        field varchar(40) NOT NULL,
        salt bytea NULL,
        body text NULL,
        erased_at timestamptz NULL,
        PRIMARY KEY (event_id, field),
        CONSTRAINT audit_event_texts_erased_ck CHECK ((body IS NULL) = (salt IS NULL) AND (body IS NULL) = (erased_at IS NOT NULL))
      )`);
    await q.query(`
      INSERT INTO system_state (key, value)
      SELECT 'audit_texts_aside_after_id', to_jsonb(COALESCE(max(id), 0)::text) FROM audit_events`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM system_state WHERE key = 'audit_texts_aside_after_id'`);
    await q.query(`DROP TABLE IF EXISTS audit_event_texts`);
  }
}
