import { createHmac } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationSecrets } from '../migration-secrets';

const BATCH = 1000;

/**
 * A data-subject request kept its channel's externalId in clear (privacy_requests.external_id), and
 * integrators make such ids of the caller's number: the request is kept long after the data it erased,
 * so the number outlived the erasure. A retry is found by a keyed hash of the id now (external_key,
 * unique per channel as the id was); this hashes the ids stored before and clears them, then drops the
 * column. The hash is libs/privacy's externalIdHash, written out here as it stands today.
 *
 * The clear value is set to NULL before the column goes: a dropped column's values stay in the rows'
 * pages until each row is rewritten, an updated row's old version only until vacuum reclaims it.
 */
export class PrivacyRequestExternalKey1767490000000 implements MigrationInterface {
  name = 'PrivacyRequestExternalKey1767490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE privacy_requests ADD COLUMN external_key bytea NULL`);
    for (;;) {
      const rows = (await q.query(`SELECT id, channel_code, external_id FROM privacy_requests WHERE external_id IS NOT NULL ORDER BY id LIMIT ${BATCH}`)) as {
        id: string;
        channel_code: string;
        external_id: string;
      }[];
      if (!rows.length) break;
      const secrets = migrationSecrets();
      if (!secrets) {
        throw new Error(
          'PrivacyRequestExternalKey needs FR_PRIVACY_KEY to hash the externalIds of the data-subject requests stored: run it through migrateDatabase (npm start, the API or the worker)',
        );
      }
      const keys = rows.map((r) => createHmac('sha256', secrets.privacyKey).update(`external-id:${r.channel_code}:${r.external_id}`, 'utf8').digest());
      await q.query(
        `UPDATE privacy_requests p SET external_key = v.key, external_id = NULL
           FROM unnest($1::uuid[], $2::bytea[]) AS v(id, key) WHERE p.id = v.id`,
        [rows.map((r) => r.id), keys],
      );
    }
    // Distinct (channel, id) pairs give distinct hashes: the index the ids had holds for their hashes.
    await q.query(`CREATE UNIQUE INDEX privacy_requests_external_key_idx ON privacy_requests (channel_code, external_key) WHERE external_key IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS privacy_requests_external_id_idx`);
    await q.query(`ALTER TABLE privacy_requests DROP COLUMN external_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The ids cannot be had back from their hashes: the requests made before lose them (a retry of one is a new request).
    await q.query(`ALTER TABLE privacy_requests ADD COLUMN external_id varchar(100) NULL`);
    await q.query(`CREATE UNIQUE INDEX privacy_requests_external_id_idx ON privacy_requests (channel_code, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS privacy_requests_external_key_idx`);
    await q.query(`ALTER TABLE privacy_requests DROP COLUMN external_key`);
  }
}
