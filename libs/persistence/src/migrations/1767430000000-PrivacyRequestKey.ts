import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A retry under a channel's externalId was compared by kind, phone and e-mail only: a request by the
 * same shared phone naming another person (or narrowed to other cases) got the first request's answer,
 * the first person's data. A keyed hash of the rest of the request (name, tracking codes, corrections)
 * lets a retry be told from another request without holding the name in clear. Older rows have none.
 */
export class PrivacyRequestKey1767430000000 implements MigrationInterface {
  name = 'PrivacyRequestKey1767430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests ADD COLUMN request_key bytea NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests DROP COLUMN request_key`);
  }
}
