import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What unit reports need beyond the case row, which holds only the present: a log of each case's
 * status, unit, stage and deadlines over time, so "open and overdue at the end of a past quarter"
 * reads the deadline in force then. A trigger writes it in the transaction of every writer of those
 * columns (routing, actions, sweeps), so it cannot drift from the cases it describes.
 */
export class AuditMetrics1764710000000 implements MigrationInterface {
  name = 'AuditMetrics1764710000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE case_state_log (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id),
        at timestamptz NOT NULL DEFAULT now(),
        status varchar(20) NOT NULL,
        stage varchar(10) NULL,
        unit_code varchar(40) NULL,
        due_at timestamptz NULL,
        warn_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX case_state_log_case_idx ON case_state_log (case_id, at, id)`);
    await q.query(`
      CREATE FUNCTION log_case_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO case_state_log (case_id, status, stage, unit_code, due_at, warn_at)
        VALUES (NEW.id, NEW.status, NEW.stage, NEW.unit_code, NEW.due_at, NEW.warn_at);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER cases_state_log_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION log_case_state()`);
    await q.query(`
      CREATE TRIGGER cases_state_log_update AFTER UPDATE OF status, stage, unit_code, due_at, warn_at ON cases FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.stage IS DISTINCT FROM NEW.stage OR OLD.unit_code IS DISTINCT FROM NEW.unit_code
              OR OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.warn_at IS DISTINCT FROM NEW.warn_at)
        EXECUTE FUNCTION log_case_state()`);
    // Cases from before the log: their present state, from their last change.
    await q.query(`
      INSERT INTO case_state_log (case_id, at, status, stage, unit_code, due_at, warn_at)
      SELECT id, updated_at, status, stage, unit_code, due_at, warn_at FROM cases`);

    // A report reads the cases with something in its period (libs/audit/src/case-facts.reader.ts):
    // each way in is an index range. Exports select by receipt, samples by closing time.
    await q.query(`CREATE INDEX case_state_log_at_idx ON case_state_log (at)`);
    await q.query(`CREATE INDEX assignments_started_idx ON assignments (started_at)`);
    await q.query(`CREATE INDEX cases_received_idx ON cases (received_at)`);
    await q.query(`CREATE INDEX cases_unclosed_idx ON cases (received_at) WHERE closed_at IS NULL`);
    await q.query(`CREATE INDEX cases_closed_idx ON cases (closed_at) WHERE closed_at IS NOT NULL`);
    await q.query(`CREATE INDEX cases_rated_idx ON cases (rated_at) WHERE rated_at IS NOT NULL`);
    // Working time to resolve leaves out pauses: read per case.
    await q.query(`CREATE INDEX case_pauses_case_idx ON case_pauses (case_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS case_pauses_case_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_rated_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_closed_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_unclosed_idx`);
    await q.query(`DROP INDEX IF EXISTS cases_received_idx`);
    await q.query(`DROP INDEX IF EXISTS assignments_started_idx`);
    await q.query(`DROP TRIGGER IF EXISTS cases_state_log_update ON cases`);
    await q.query(`DROP TRIGGER IF EXISTS cases_state_log_insert ON cases`);
    await q.query(`DROP FUNCTION IF EXISTS log_case_state()`);
    await q.query(`DROP TABLE IF EXISTS case_state_log`);
  }
}
