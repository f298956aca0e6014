import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure now clears the two lookup copies of a case's personal data with the data itself: the
 * phone's HMAC key (the hotline's search by a caller's number found an erased case) and the folded
 * address (it kept, without diacritics, whatever the address held, a name written in it included).
 * This clears them on the cases erased before. A phone corrected before kept the old number's key and
 * got none for the new one; the key cannot be remade here (it needs the deployment's secret), so
 * those cases lose it: the hotline finds them by neither number, rather than by the one that was
 * corrected away.
 */
export class ErasedLookupKeys1767100000000 implements MigrationInterface {
  name = 'ErasedLookupKeys1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE cases SET citizen_phone_key = NULL WHERE contact_erased_at IS NOT NULL AND citizen_phone_key IS NOT NULL`);
    await q.query(`UPDATE cases SET address_key = NULL WHERE address IS NULL AND address_key IS NOT NULL`);
    await q.query(
      `UPDATE cases c SET citizen_phone_key = NULL
        WHERE c.citizen_phone_key IS NOT NULL
          AND EXISTS (SELECT 1 FROM audit_events e
                       WHERE e.case_id = c.id AND e.action = 'contact_corrected' AND e.data->'fields' ? 'phone')`,
    );
  }

  async down(): Promise<void> {
    // Nothing to restore: the cleared keys were copies of data that is gone.
  }
}
