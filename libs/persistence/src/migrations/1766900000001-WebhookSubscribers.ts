import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The active webhooks subscribed to an event, as a transaction that announces one (an escalation, a
 * notice, a compliance alert, a privacy request) reads them: with the receivers' lock taken shared
 * first, then read in a snapshot of the function's own, as case_event_receivers does for case events
 * (1766750000000 says why). Read in the announcing statement's snapshot, a webhook registered while
 * the announcer was mid-transaction missed an event that committed after the registration.
 */
export class WebhookSubscribers1766900000001 implements MigrationInterface {
  name = 'WebhookSubscribers1766900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION webhook_subscribers(lock_key bigint, event text) RETURNS text[]
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(lock_key);
        RETURN ARRAY(SELECT w.id::text FROM webhooks w WHERE w.active AND event = ANY (w.events) ORDER BY w.id);
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS webhook_subscribers(bigint, text)`);
  }
}
