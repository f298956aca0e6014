import { normaliseAddress } from '@fr/domain';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cases read and rewritten per statement: a few hundred kB of addresses at a time. */
const BATCH = 5_000;

/**
 * The duplicate search's address keys made again by this release's `normaliseAddress`: it now leaves
 * out the street word ("12 phố Hàng Bông", "12 P. Hàng Bông", "12 Hàng Bông" are one key, where "P."
 * after a house number made the key "12" alone and matched every "12 P. ..." of the ward), reads
 * "Ph." and "HN", the ward and district written bare after the street, and full-width letters. Open
 * cases keyed the old way would meet no report keyed the new way, and "12" would go on meeting the
 * wrong ones. Cases that can be a candidate again (every state but closed and merged; a resolved
 * case may be reopened) are keyed again, in id order, a batch per statement, only the rows whose key
 * changes written. The address itself is untouched: only its comparison key changes.
 */
export class AddressKeysRefolded1767535000000 implements MigrationInterface {
  name = 'AddressKeysRefolded1767535000000';

  async up(q: QueryRunner): Promise<void> {
    for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
      const rows = (await q.query(
        `SELECT c.id::text AS case_id, c.address::text AS address, c.address_key::text AS address_key FROM cases c
          WHERE c.id > $1::uuid AND c.address IS NOT NULL AND c.status NOT IN ('closed', 'merged')
          ORDER BY c.id LIMIT ${BATCH}`,
        [after],
      )) as { case_id: string; address: string; address_key: string | null }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1].case_id;
      const changed = rows.map((r) => ({ id: r.case_id, key: normaliseAddress(r.address) })).filter((r, i) => r.key !== rows[i].address_key);
      if (changed.length === 0) continue;
      await q.query(`UPDATE cases c SET address_key = v.key FROM unnest($1::uuid[], $2::text[]) AS v(id, key) WHERE c.id = v.id`, [
        changed.map((r) => r.id),
        changed.map((r) => r.key),
      ]);
    }
  }

  async down(): Promise<void> {
    // Nothing to undo: the release before compares keys of its own making, and this one's still hold
    // the same addresses (the old normaliser is gone with its release).
  }
}
