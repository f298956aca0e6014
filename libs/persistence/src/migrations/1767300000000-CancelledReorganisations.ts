import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A scheduled reorganisation may be cancelled before its date (DELETE /v1/reorganisations/{id}): a
 * plan dated by mistake, or one that can no longer apply and blocks every later plan for its units.
 * The row stays, with its state, so the history of plans reads whole; who cancelled it is also in
 * the trail (`reorganisation_cancelled`).
 */
export class CancelledReorganisations1767300000000 implements MigrationInterface {
  name = 'CancelledReorganisations1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE reorganisations
        DROP CONSTRAINT reorganisations_status_check,
        ADD CONSTRAINT reorganisations_status_check CHECK (status IN ('scheduled', 'applied', 'cancelled')),
        ADD COLUMN cancelled_at timestamptz NULL,
        ADD COLUMN cancelled_by varchar(80) NULL,
        ADD CONSTRAINT reorganisations_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The earlier schema has no state for them: a cancelled plan must not come back as scheduled.
    await q.query(`DELETE FROM reorganisations WHERE status = 'cancelled'`);
    await q.query(`
      ALTER TABLE reorganisations
        DROP CONSTRAINT reorganisations_cancelled_check,
        DROP COLUMN cancelled_by,
        DROP COLUMN cancelled_at,
        DROP CONSTRAINT reorganisations_status_check,
        ADD CONSTRAINT reorganisations_status_check CHECK (status IN ('scheduled', 'applied'))`);
  }
}
