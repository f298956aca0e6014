import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A case waiting on the citizen has no running deadline (`due_at` is NULL while its clock stands still),
 * so a case already late when the handler asked for information left every "overdue" count: the queue's
 * `overdue=true`, the Prometheus gauge, and Home Affairs' unit report and export, whose late rate is
 * (open past deadline + resolved past deadline) / cases due. Asking the citizen anything took a late
 * case out of it until the answer came.
 *
 * `paused_past_due` keeps the deadline such a case had passed when its pause began (NULL for a pause
 * begun in time). It means something only while the case is `awaiting_info`: the next pause writes it
 * again, and readers check the status. The state log records it as the deadline in force while the case
 * waits, so "overdue at the end of a period" counts the case as its own unit report does now.
 */
export class PausedPastDue1767400000000 implements MigrationInterface {
  name = 'PausedPastDue1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN paused_past_due timestamptz NULL`);
    await q.query(`
      CREATE OR REPLACE FUNCTION log_case_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO case_state_log (case_id, status, stage, unit_code, due_at, warn_at)
        VALUES (NEW.id, NEW.status, NEW.stage, NEW.unit_code,
                COALESCE(NEW.due_at, CASE WHEN NEW.status = 'awaiting_info' THEN NEW.paused_past_due END), NEW.warn_at);
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER cases_state_log_update ON cases`);
    await q.query(`
      CREATE TRIGGER cases_state_log_update AFTER UPDATE OF status, stage, unit_code, due_at, warn_at, paused_past_due ON cases FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.stage IS DISTINCT FROM NEW.stage OR OLD.unit_code IS DISTINCT FROM NEW.unit_code
              OR OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.warn_at IS DISTINCT FROM NEW.warn_at
              OR OLD.paused_past_due IS DISTINCT FROM NEW.paused_past_due)
        EXECUTE FUNCTION log_case_state()`);
    // Cases waiting now: the deadline in force before the pause is the last one their log recorded; late
    // if it had passed when the open pause began. The trigger logs the change from now on.
    await q.query(`
      UPDATE cases c SET paused_past_due = w.due_at
        FROM (SELECT c2.id,
                     (SELECT l.due_at FROM case_state_log l WHERE l.case_id = c2.id AND l.due_at IS NOT NULL ORDER BY l.at DESC, l.id DESC LIMIT 1) AS due_at,
                     (SELECT max(p.started_at) FROM case_pauses p WHERE p.case_id = c2.id AND p.ended_at IS NULL) AS paused_at
                FROM cases c2 WHERE c2.status = 'awaiting_info') w
       WHERE c.id = w.id AND w.due_at IS NOT NULL AND w.paused_at IS NOT NULL AND w.due_at <= w.paused_at`);
    // The queue's overdue=true reads these beside the running deadlines' index (a BitmapOr).
    await q.query(`CREATE INDEX cases_paused_past_due_idx ON cases (unit_code) WHERE status = 'awaiting_info' AND paused_past_due IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_paused_past_due_idx`);
    await q.query(`DROP TRIGGER cases_state_log_update ON cases`);
    await q.query(`
      CREATE TRIGGER cases_state_log_update AFTER UPDATE OF status, stage, unit_code, due_at, warn_at ON cases FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.stage IS DISTINCT FROM NEW.stage OR OLD.unit_code IS DISTINCT FROM NEW.unit_code
              OR OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.warn_at IS DISTINCT FROM NEW.warn_at)
        EXECUTE FUNCTION log_case_state()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION log_case_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO case_state_log (case_id, status, stage, unit_code, due_at, warn_at)
        VALUES (NEW.id, NEW.status, NEW.stage, NEW.unit_code, NEW.due_at, NEW.warn_at);
        RETURN NULL;
      END $$`);
    await q.query(`ALTER TABLE cases DROP COLUMN paused_past_due`);
  }
}
