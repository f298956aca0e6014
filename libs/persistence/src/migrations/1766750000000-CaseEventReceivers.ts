import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who can receive a case event as the writing transaction commits: called inside the statement that
 * writes the events' fan-outs (case-event-states.ts), which skips the fan-out of an event nobody can
 * receive. It first takes the receivers' lock shared (a subscription change takes it exclusively and
 * waits for every writer holding it), then reads the subscriptions in a snapshot of its own: a
 * VOLATILE function's queries see what committed before they began, the calling statement's snapshot
 * does not, and that snapshot was taken before the lock was granted. Read in the caller's snapshot, a
 * subscription committed while the writer waited for the lock would be missed.
 */
export class CaseEventReceivers1766750000000 implements MigrationInterface {
  name = 'CaseEventReceivers1766750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION case_event_receivers(lock_key bigint, event text, OUT any_webhook boolean, OUT hooked_channels text[])
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(lock_key);
        SELECT EXISTS (SELECT 1 FROM webhooks w WHERE w.active AND event = ANY (w.events)),
               ARRAY(SELECT ch.code FROM channels ch WHERE ch.webhook_url IS NOT NULL)
          INTO any_webhook, hooked_channels;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS case_event_receivers(bigint, text)`);
  }
}
