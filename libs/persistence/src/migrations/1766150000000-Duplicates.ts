import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Duplicate reports (issue 14). `duplicate_of` links a case to its likely original (set by routing,
 * cleared by unlink, kept when merged); `address_key` is the address normalised by
 * `normaliseAddress` (libs/domain) at intake. The candidate search reads two partial indexes over
 * the open originals only, so its cost follows the cases near the new one, not the table:
 * a btree on (category, lat, lng) range-scanned by a bounding box, and one on (category, ward,
 * address key). No PostGIS: plain btrees need no extension.
 */
export class Duplicates1766150000000 implements MigrationInterface {
  name = 'Duplicates1766150000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN duplicate_of uuid NULL REFERENCES cases(id),
        ADD COLUMN address_key varchar(500) NULL,
        ADD CONSTRAINT cases_not_own_duplicate CHECK (duplicate_of IS NULL OR duplicate_of <> id)`);
    // A duplicate closed with its original's answer ends as 'duplicate', counted apart from answered cases.
    await q.query(`ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_closed_as_check`);
    await q.query(`ALTER TABLE cases ADD CONSTRAINT cases_closed_as_check CHECK (closed_as IN ('other_track', 'duplicate'))`);
    await q.query(`CREATE INDEX cases_duplicate_of_idx ON cases (duplicate_of) WHERE duplicate_of IS NOT NULL`);
    // The original's handler is told once per linked case (the title names it), however often routing runs.
    await q.query(`CREATE UNIQUE INDEX notifications_duplicate_uq ON notifications (officer_id, case_id, title) WHERE kind = 'duplicate'`);
    await q.query(`
      CREATE INDEX cases_dup_geo_idx ON cases (category_code, lat, lng)
       WHERE status NOT IN ('resolved', 'merged', 'closed') AND duplicate_of IS NULL AND lat IS NOT NULL AND lng IS NOT NULL`);
    await q.query(`
      CREATE INDEX cases_dup_address_idx ON cases (category_code, ward_code, address_key)
       WHERE status NOT IN ('resolved', 'merged', 'closed') AND duplicate_of IS NULL AND address_key IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_dup_address_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_dup_geo_idx`);
    await q.query(`DROP INDEX IF EXISTS notifications_duplicate_uq`);
    await q.query(`DROP INDEX IF EXISTS cases_duplicate_of_idx`);
    await q.query(`ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_closed_as_check`);
    await q.query(`ALTER TABLE cases ADD CONSTRAINT cases_closed_as_check CHECK (closed_as IN ('other_track'))`);
    await q.query(`ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_not_own_duplicate, DROP COLUMN IF EXISTS address_key, DROP COLUMN IF EXISTS duplicate_of`);
  }
}
