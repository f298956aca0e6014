import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Open311's GET requests reads the newest requests of a period (the last 90 days by default), at
 * most 1000: an index on the time a request was submitted serves it without sorting every case.
 */
export class Open311Requests1765560000000 implements MigrationInterface {
  name = 'Open311Requests1765560000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX cases_submitted_at_idx ON cases (submitted_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_submitted_at_idx`);
  }
}
