import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cases each recorded sample drew, so that a review scores only a drawn case. The unit's report
 * averages its reviews' scores; reviews of hand-picked cases (the worst complaint, a friend's unit's
 * best answer) would make that average say what the reviewer chose, not how the unit answers
 * (DOMAIN.md: reviewers score a random sample, reproducible by its seed). Each row names its draw by
 * the draw's `audit_sample_drawn` event; append-only like the trail. Reviews written before this
 * table existed stay as they are.
 */
export class AuditSampleCases1767200000000 implements MigrationInterface {
  name = 'AuditSampleCases1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_sample_cases (
        case_id uuid NOT NULL REFERENCES cases (id),
        audit_event_id bigint NOT NULL REFERENCES audit_events (id),
        PRIMARY KEY (case_id, audit_event_id)
      )`);
    await q.query(
      `CREATE TRIGGER audit_sample_cases_append_only BEFORE UPDATE OR DELETE ON audit_sample_cases FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_sample_cases_no_truncate BEFORE TRUNCATE ON audit_sample_cases FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_sample_cases`);
  }
}
