import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row may be held back from the relays until `held_until`: the API routes the cases it
 * receives itself, right after the commit, and the routing job's row waits meanwhile as the guarantee
 * (a process that dies before routing leaves it, and the relay takes it once the hold is over).
 * Nullable, no default: adding it rewrites nothing, and every other row stays relayed at once.
 */
export class OutboxHold1766930000000 implements MigrationInterface {
  name = 'OutboxHold1766930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN held_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN held_until`);
  }
}
