import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two facts the case export prints, kept on the case so the export reads one table (issue 18): its
 * units path (the units of its assignments other than designation changes, in assignment order,
 * joined by ' > ') and whether its last resolve was on time (the last `resolve` event's `onTime`).
 * Aggregating them from `assignments` and `audit_events` at export time was about two thirds of
 * the COPY's backend CPU. The write paths that add an assignment or a resolve event set them in the
 * UPDATE of the case they already make; test/export-columns.e2e-spec.ts holds them to these
 * definitions. The backfill computes them from the same definitions, so the export's bytes do not
 * change; the columns are not named by any trigger's UPDATE OF, so it fires none.
 */
export class CaseExportColumns1766700000000 implements MigrationInterface {
  name = 'CaseExportColumns1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN units_path text NULL, ADD COLUMN last_resolve_on_time boolean NULL`);
    // One UPDATE for both, so each case gets one new row version, not two.
    await q.query(`
      UPDATE cases c SET units_path = x.units_path, last_resolve_on_time = x.on_time
        FROM (
          SELECT COALESCE(a.case_id, e.case_id) AS case_id, a.units_path, e.on_time
            FROM (SELECT case_id, string_agg(unit_code, ' > ' ORDER BY id) AS units_path
                    FROM assignments WHERE reason <> 'designation' GROUP BY case_id) a
            FULL JOIN (SELECT DISTINCT ON (case_id) case_id, CASE data->>'onTime' WHEN 'true' THEN true WHEN 'false' THEN false END AS on_time
                         FROM audit_events WHERE action = 'resolve' AND case_id IS NOT NULL ORDER BY case_id, id DESC) e ON e.case_id = a.case_id
        ) x
       WHERE c.id = x.case_id AND (x.units_path IS NOT NULL OR x.on_time IS NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases DROP COLUMN IF EXISTS units_path, DROP COLUMN IF EXISTS last_resolve_on_time`);
  }
}
