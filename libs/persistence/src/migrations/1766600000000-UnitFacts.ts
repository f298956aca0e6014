import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily facts per unit for the audit report (issue 18): what each case contributes to each unit on
 * each Vietnamese day, and the cases whose contributions must be recomputed. Triggers mark a case
 * pending in the transaction that changes anything the report reads of it (its receipt, an
 * assignment, a counted event, a pause, its rating), so no change can be missed, whichever code path
 * (API, worker, reorganisation, bulk load) made it; the recomputation itself runs outside the write
 * path (see UnitFactsUpdater).
 */
export class UnitFacts1766600000000 implements MigrationInterface {
  name = 'UnitFacts1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE unit_case_facts (
        case_id uuid NOT NULL,
        unit_code varchar(40) NOT NULL,
        day date NOT NULL,
        received boolean NOT NULL,
        acknowledged boolean NOT NULL,
        acknowledged_on_time boolean NOT NULL,
        resolved boolean NOT NULL,
        resolved_late boolean NOT NULL,
        resolve_minutes integer NULL,
        transfers_in integer NOT NULL,
        transfers_out integer NOT NULL,
        reorganised_in integer NOT NULL,
        reorganised_out integer NOT NULL,
        returns integer NOT NULL,
        extensions integer NOT NULL,
        reopened boolean NOT NULL,
        merged_duplicate boolean NOT NULL,
        rating smallint NULL,
        grouped boolean NOT NULL,
        PRIMARY KEY (case_id, unit_code, day)
      )`);
    await q.query(`CREATE INDEX unit_case_facts_day_idx ON unit_case_facts (day, unit_code)`);
    await q.query(`CREATE TABLE unit_facts_pending (case_id uuid PRIMARY KEY)`);
    await q.query(`
      CREATE FUNCTION unit_facts_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Two statements: PL/pgSQL plans each on first use, and a cases row has no case_id.
        IF TG_TABLE_NAME = 'cases' THEN
          INSERT INTO unit_facts_pending (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        ELSE
          INSERT INTO unit_facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER unit_facts_cases AFTER INSERT OR UPDATE OF received_at, rating, rated_at ON cases FOR EACH ROW EXECUTE FUNCTION unit_facts_mark()`,
    );
    await q.query(
      `CREATE TRIGGER unit_facts_assignments AFTER INSERT OR UPDATE OF unit_code, reason, started_at ON assignments FOR EACH ROW EXECUTE FUNCTION unit_facts_mark()`,
    );
    await q.query(
      `CREATE TRIGGER unit_facts_pauses AFTER INSERT OR UPDATE OF started_at, ended_at ON case_pauses FOR EACH ROW EXECUTE FUNCTION unit_facts_mark()`,
    );
    await q.query(`
      CREATE TRIGGER unit_facts_events AFTER INSERT ON audit_events FOR EACH ROW
        WHEN (NEW.case_id IS NOT NULL AND NEW.action IN ('acknowledge', 'resolve', 'extend', 'reopen', 'join_original'))
        EXECUTE FUNCTION unit_facts_mark()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS unit_facts_events ON audit_events`);
    await q.query(`DROP TRIGGER IF EXISTS unit_facts_pauses ON case_pauses`);
    await q.query(`DROP TRIGGER IF EXISTS unit_facts_assignments ON assignments`);
    await q.query(`DROP TRIGGER IF EXISTS unit_facts_cases ON cases`);
    await q.query(`DROP FUNCTION IF EXISTS unit_facts_mark()`);
    await q.query(`DROP TABLE IF EXISTS unit_facts_pending`);
    await q.query(`DROP TABLE IF EXISTS unit_case_facts`);
  }
}
