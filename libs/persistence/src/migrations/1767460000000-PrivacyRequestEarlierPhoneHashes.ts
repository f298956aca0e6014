import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The privacy side read a phone number its own way before it read it as the domain does ('+84 (0)912…'
 * as '00912…', '912…' without its 0): reads recorded then hold the hash of that form. An access request
 * lists the reads of its citizen's erased cases by the hash of their number, later too (GET), when the
 * number itself is no longer at hand: the hashes of its earlier forms are kept beside its own. Older
 * rows have none.
 */
export class PrivacyRequestEarlierPhoneHashes1767460000000 implements MigrationInterface {
  name = 'PrivacyRequestEarlierPhoneHashes1767460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests ADD COLUMN earlier_phone_hashes bytea[] NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests DROP COLUMN earlier_phone_hashes`);
  }
}
