import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit report counts a period's escalations per unit and level (`fired_at` in the period): with
 * no index on `fired_at` that count read the whole table, which grows by one row per breach and level
 * for ever. The columns it groups by are included, so a quarter is an index-only range scan.
 */
export class EscalationsFiredIndex1766900000000 implements MigrationInterface {
  name = 'EscalationsFiredIndex1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX escalations_fired_idx ON escalations (fired_at) INCLUDE (unit_code, level)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS escalations_fired_idx`);
  }
}
