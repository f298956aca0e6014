import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contact details are erased a configured time after a case closes (Law 91/2025/QH15; config/retention.yaml).
 * contact_erased_at marks a case done, so the daily job is idempotent and finds the next batch by index.
 */
export class ContactRetention1766210000000 implements MigrationInterface {
  name = 'ContactRetention1766210000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN contact_erased_at timestamptz NULL`);
    await q.query(`CREATE INDEX cases_retention_due_idx ON cases (closed_at, id) WHERE closed_at IS NOT NULL AND contact_erased_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_retention_due_idx`);
    await q.query(`ALTER TABLE cases DROP COLUMN IF EXISTS contact_erased_at`);
  }
}
