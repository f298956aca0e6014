import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unit metrics now read a duplicate's move to another unit's original by a merge (assignment reason
 * `merge`) as a hand-over, as they read `follow_original`: it had counted as a second receipt at the
 * original's unit. The daily facts of those cases are recomputed by the facts drain (unit-facts.updater).
 */
export class MergedAcrossUnitsFacts1767120000000 implements MigrationInterface {
  name = 'MergedAcrossUnitsFacts1767120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO unit_facts_pending (case_id) SELECT DISTINCT case_id FROM assignments WHERE reason = 'merge' ON CONFLICT DO NOTHING`);
  }

  async down(): Promise<void> {
    // Nothing to undo: recomputing facts changes nothing that the rules of the code running do not give.
  }
}
