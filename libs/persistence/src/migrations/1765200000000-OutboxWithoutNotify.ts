import { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxWithoutNotify1765200000000 implements MigrationInterface {
  name = 'OutboxWithoutNotify1765200000000';

  public async up(q: QueryRunner): Promise<void> {
    // A NOTIFY per outbox insert serialised the commits of every writer (see outbox-signal.ts);
    // writers now signal the relays themselves, and relays still poll.
    await q.query(`DROP TRIGGER IF EXISTS outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('fr_outbox', ''); RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }
}
