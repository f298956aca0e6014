import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure now clears the channel's externalId (integrators make it of the caller's number) from the case
 * and from the payloads of its deliveries, as it did already from the `receive` event's text kept aside.
 * This clears them on the cases erased before. The case's id can no longer answer a retry: only closed
 * cases were erased, long after any retry of their submission.
 */
export class ErasedExternalIds1767470000000 implements MigrationInterface {
  name = 'ErasedExternalIds1767470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE deliveries d SET payload = jsonb_set(d.payload, '{externalId}', 'null'::jsonb)
         FROM audit_events e JOIN cases c ON c.id = e.case_id
        WHERE c.contact_erased_at IS NOT NULL AND d.event_key = 'case-event.' || e.id
          AND d.payload ? 'externalId' AND d.payload->'externalId' <> 'null'::jsonb`,
    );
    await q.query(`UPDATE cases SET external_id = NULL WHERE contact_erased_at IS NOT NULL AND external_id IS NOT NULL`);
  }

  async down(): Promise<void> {
    // Nothing to restore: the cleared ids were the erased contact's.
  }
}
