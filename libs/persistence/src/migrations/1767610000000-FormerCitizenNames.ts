import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The names a case's citizen gave before correcting theirs (a subject request): text written before the
 * correction, and officers who still call them by the name they first gave, hold the former one, and reads
 * mask the names the case holds. Personal data like `citizen_name`: erased with it. Cases corrected before
 * hold none (their former names were not kept); the text kept then was rewritten with them masked.
 */
export class FormerCitizenNames1767610000000 implements MigrationInterface {
  name = 'FormerCitizenNames1767610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN former_citizen_names text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases DROP COLUMN former_citizen_names`);
  }
}
