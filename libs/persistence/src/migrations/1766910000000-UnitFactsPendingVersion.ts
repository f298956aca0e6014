import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pending mark carries the id of the transaction that last wrote it (`ver`), so that a facts drain
 * no longer locks the marks it works on. Before, a drain claimed its cases by deleting their marks
 * first and recomputed them while holding those rows: any writer marking one of them again (routing a
 * case its intake had just marked, an officer's action) waited for the whole drain, and a routing batch
 * waited if any of its cases was claimed. Now the drain reads the marks, recomputes, and deletes at the
 * end only the marks still at the version it read, skipping any a writer holds; a writer that marked
 * the case again in between bumped `ver`, so its change is recomputed by the next drain.
 * xid8 is the writer's own transaction id: no sequence to take from, and two marks in one transaction
 * need not rewrite the row (the `WHERE` of the update).
 */
export class UnitFactsPendingVersion1766910000000 implements MigrationInterface {
  name = 'UnitFactsPendingVersion1766910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE unit_facts_pending ADD COLUMN ver xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION unit_facts_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Two statements: PL/pgSQL plans each on first use, and a cases row has no case_id.
        IF TG_TABLE_NAME = 'cases' THEN
          INSERT INTO unit_facts_pending AS p (case_id) VALUES (NEW.id)
            ON CONFLICT (case_id) DO UPDATE SET ver = EXCLUDED.ver WHERE p.ver <> EXCLUDED.ver;
        ELSE
          INSERT INTO unit_facts_pending AS p (case_id) VALUES (NEW.case_id)
            ON CONFLICT (case_id) DO UPDATE SET ver = EXCLUDED.ver WHERE p.ver <> EXCLUDED.ver;
        END IF;
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION unit_facts_mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'cases' THEN
          INSERT INTO unit_facts_pending (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        ELSE
          INSERT INTO unit_facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`ALTER TABLE unit_facts_pending DROP COLUMN ver`);
  }
}
