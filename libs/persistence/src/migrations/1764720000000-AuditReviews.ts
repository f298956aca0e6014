import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Home Affairs' quality reviews of closed cases, on DOMAIN.md's rubric, each criterion scored
 * 0 (no), 1 (partly) or 2 (yes). A review is evidence like the audit trail: never changed or removed
 * (the same trigger refuses it); one review per case and reviewer.
 */
export class AuditReviews1764720000000 implements MigrationInterface {
  name = 'AuditReviews1764720000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_reviews (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        unit_code varchar(40) NOT NULL REFERENCES units(code),
        reviewer_id uuid NOT NULL REFERENCES officers(id),
        addresses_issue smallint NOT NULL CHECK (addresses_issue BETWEEN 0 AND 2),
        evidence smallint NOT NULL CHECK (evidence BETWEEN 0 AND 2),
        lawful smallint NOT NULL CHECK (lawful BETWEEN 0 AND 2),
        polite_clear smallint NOT NULL CHECK (polite_clear BETWEEN 0 AND 2),
        comment text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT audit_reviews_case_reviewer_uq UNIQUE (case_id, reviewer_id)
      )`);
    await q.query(`CREATE INDEX audit_reviews_unit_idx ON audit_reviews (unit_code)`);
    await q.query(`CREATE TRIGGER audit_reviews_append_only BEFORE UPDATE OR DELETE ON audit_reviews FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_reviews_no_truncate BEFORE TRUNCATE ON audit_reviews FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_reviews`);
  }
}
