import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A channel that retried a data-subject request after losing the answer (a timeout, a dropped
 * connection) made a second request: recorded and answered twice, and, for a deletion, erased twice.
 * The channel's own id of the request, as intake's externalId: the same id again is the same request.
 */
export class PrivacyRequestExternalId1767410000000 implements MigrationInterface {
  name = 'PrivacyRequestExternalId1767410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests ADD COLUMN external_id varchar(100) NULL`);
    await q.query(`CREATE UNIQUE INDEX privacy_requests_external_id_idx ON privacy_requests (channel_code, external_id) WHERE external_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS privacy_requests_external_id_idx`);
    await q.query(`ALTER TABLE privacy_requests DROP COLUMN external_id`);
  }
}
