import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A state-log row's time is when the change was written (`clock_timestamp()`), not when its
 * transaction began (`now()`). The outbox relay begins a pass and then takes the rows committed by
 * then: a case committed between the two was routed in a transaction that began before the case's
 * own insert, so its `route` row carried an earlier time than its `receive` row. Readers take the
 * last row at or before an instant by time (the unit report's open cases, the daily facts), found
 * `received` without a unit, and left the case out of its unit's open count (a test that flaked in
 * CI: open 1 of 2). Insertion time keeps a case's rows in the order they were written.
 */
export class CaseStateLogClockTime1766930000000 implements MigrationInterface {
  name = 'CaseStateLogClockTime1766930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE case_state_log ALTER COLUMN at SET DEFAULT clock_timestamp()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE case_state_log ALTER COLUMN at SET DEFAULT now()`);
  }
}
