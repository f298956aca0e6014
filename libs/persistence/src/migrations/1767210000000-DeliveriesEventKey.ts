import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries by their event: an erasure of a case's answer reaches the copies frozen in the payloads
 * of its deliveries (case-event.<audit event id>), which were kept whole and sent again on a
 * redelivery. The unique key (kind, target, event_key) cannot find them by the event alone.
 */
export class DeliveriesEventKey1767210000000 implements MigrationInterface {
  name = 'DeliveriesEventKey1767210000000';
  // Built without blocking the deliveries written meanwhile (deliveries are never purged: a large table
  // on an engine that has run for years), which CREATE INDEX CONCURRENTLY cannot do inside a transaction.
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    // A build cut short leaves an invalid index of this name: built again, not skipped.
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS deliveries_event_key_idx`);
    await q.query(`CREATE INDEX CONCURRENTLY deliveries_event_key_idx ON deliveries (event_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS deliveries_event_key_idx`);
  }
}
