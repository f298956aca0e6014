import { MigrationInterface, QueryRunner } from 'typeorm';

export class SlaTimersOnTime1765000000000 implements MigrationInterface {
  name = 'SlaTimersOnTime1765000000000';

  public async up(q: QueryRunner): Promise<void> {
    // The SLA reconciler walks the open cases with a running clock in id order every few seconds;
    // closed cases pile up for years and must not be read each time.
    await q.query(`CREATE INDEX cases_open_runs_idx ON cases (id) WHERE due_at IS NOT NULL AND stage IS NOT NULL AND status NOT IN ('resolved', 'closed')`);
    // An outbox row's delay counts from when it was written; the relay takes off the time the row
    // waited. The statement's time, not the transaction's start, which can be well before the
    // writer computed the delay and would make timers fire early.
    await q.query(`ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT statement_timestamp()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT now()`);
    await q.query(`DROP INDEX IF EXISTS cases_open_runs_idx`);
  }
}
