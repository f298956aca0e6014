import { MigrationInterface, QueryRunner } from 'typeorm';

export class EscalationAudit1764900000000 implements MigrationInterface {
  name = 'EscalationAudit1764900000000';

  public async up(q: QueryRunner): Promise<void> {
    // Escalations are appended to the audit chain in batches, right after they fire (AuditEscalations):
    // firing then never waits on the chain's head, which serialised bursts of breaches.
    await q.query(`ALTER TABLE escalations ADD COLUMN audit_event_id bigint NULL`);
    await q.query(`CREATE INDEX escalations_unaudited_idx ON escalations (id) WHERE audit_event_id IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS escalations_unaudited_idx`);
    await q.query(`ALTER TABLE escalations DROP COLUMN audit_event_id`);
  }
}
