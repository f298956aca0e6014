import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who read a citizen's contact details, when, on which case (Law 91/2025/QH15; Decree 356/2025/NĐ-CP:
 * a breach must be reported quickly, which needs these records). The citizen is found by a keyed hash
 * of their phone or e-mail (FR_PRIVACY_KEY), never by the value, which the case may have erased since.
 * Kept for config/retention.yaml's readRecords.keepDays, then purged by the daily sweep.
 */
export class ContactReads1766220000000 implements MigrationInterface {
  name = 'ContactReads1766220000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contact_reads (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases (id),
        officer_id uuid NOT NULL REFERENCES officers (id),
        read_at timestamptz NOT NULL,
        phone_hash bytea NULL,
        email_hash bytea NULL
      )`);
    await q.query(`CREATE INDEX contact_reads_case_idx ON contact_reads (case_id, read_at)`);
    await q.query(`CREATE INDEX contact_reads_phone_idx ON contact_reads (phone_hash) WHERE phone_hash IS NOT NULL`);
    await q.query(`CREATE INDEX contact_reads_email_idx ON contact_reads (email_hash) WHERE email_hash IS NOT NULL`);
    await q.query(`CREATE INDEX contact_reads_read_at_idx ON contact_reads (read_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS contact_reads`);
  }
}
