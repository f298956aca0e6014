import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A data-subject request by phone finds the keyed cases through cases_citizen_phone_key_idx; the cases
 * holding a phone without a key (stored before HotlineOperators added the key, which needs the
 * deployment's secret and so was never filled in; or a phone the domain reads as no number) are read
 * through this index instead of every case of the channel. They are few and become fewer: erasure
 * clears the phone, and every case stored now holds a key unless its phone is no number.
 */
export class KeylessPhoneCases1767515726000 implements MigrationInterface {
  name = 'KeylessPhoneCases1767515726000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX cases_keyless_phone_idx ON cases (channel_code) WHERE citizen_phone_key IS NULL AND citizen_phone IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_keyless_phone_idx`);
  }
}
