import { ADDRESS_KEY_RULES_BEFORE_ALLEYS, AddressKeyRules, normaliseAddress } from '@fr/domain';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cases read and rewritten per statement: a few hundred kB of addresses at a time. */
const BATCH = 5_000;

/**
 * The duplicate search's address keys made again by this release's `normaliseAddress`: a ngách is keyed
 * by its ngõ's number however it is written ("ngõ 5 ngách 3", "ngõ 5/3", "ngách 5/3, ngõ 5", "ngách 3
 * ngõ 5", "ng. 5/3" were four keys, so reports of one ngách never met), and a place's name before its
 * house number and street is left out as it was after them ("Times City, 458 Minh Khai" is "458 Minh
 * Khai"). Open cases keyed the old way would meet no report keyed the new way. As
 * AddressKeysRefolded1767535000000 did: the cases that can be a candidate again (every state but closed
 * and merged) are keyed again, in id order, a batch per statement, only the rows whose key changes
 * written; the address itself is untouched. Down keys them with the rules of the release before
 * (ADDRESS_KEY_RULES_BEFORE_ALLEYS), so that release's new reports meet them again.
 */
export class AlleyKeysRefolded1767560000000 implements MigrationInterface {
  name = 'AlleyKeysRefolded1767560000000';

  async up(q: QueryRunner): Promise<void> {
    await rekey(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await rekey(q, ADDRESS_KEY_RULES_BEFORE_ALLEYS);
  }
}

/**
 * Keys again, with this release's normaliseAddress (`rules` its rules, when given), the cases that can be a
 * candidate again (every state but closed and merged), in id order, a batch per statement, writing only
 * the rows whose key changes. Later re-keyings (AddressTextKeysRefolded1767600000000) run it too.
 */
export async function rekey(q: QueryRunner, rules?: AddressKeyRules): Promise<void> {
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const rows = (await q.query(
      `SELECT c.id::text AS case_id, c.address::text AS address, c.address_key::text AS address_key FROM cases c
        WHERE c.id > $1::uuid AND c.address IS NOT NULL AND c.status NOT IN ('closed', 'merged')
        ORDER BY c.id LIMIT ${BATCH}`,
      [after],
    )) as { case_id: string; address: string; address_key: string | null }[];
    if (rows.length === 0) return;
    after = rows[rows.length - 1].case_id;
    const changed = rows.map((r) => ({ id: r.case_id, key: normaliseAddress(r.address, rules) })).filter((r, i) => r.key !== rows[i].address_key);
    if (changed.length === 0) continue;
    await q.query(`UPDATE cases c SET address_key = v.key FROM unnest($1::uuid[], $2::text[]) AS v(id, key) WHERE c.id = v.id`, [
      changed.map((r) => r.id),
      changed.map((r) => r.key),
    ]);
  }
}
