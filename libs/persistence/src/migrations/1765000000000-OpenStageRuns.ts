import { MigrationInterface, QueryRunner } from 'typeorm';

export class OpenStageRuns1765000000000 implements MigrationInterface {
  name = 'OpenStageRuns1765000000000';

  public async up(q: QueryRunner): Promise<void> {
    // The SLA reconciler walks the open cases with a running clock in id order every few seconds;
    // closed cases pile up for years and must not be read each time.
    await q.query(
      `CREATE INDEX cases_open_runs_idx ON cases (id) WHERE due_at IS NOT NULL AND stage IS NOT NULL AND status NOT IN ('resolved', 'closed')`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_open_runs_idx`);
  }
}
