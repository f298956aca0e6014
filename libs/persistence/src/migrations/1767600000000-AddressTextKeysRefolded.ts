import { MigrationInterface, QueryRunner } from 'typeorm';
import { rekey } from './1767560000000-AlleyKeysRefolded';

/**
 * The duplicate search's address keys made again by this release's `normaliseAddress`, which reads the
 * address as routing does (addressText): the characters that show nothing dropped wherever they sit (a
 * zero-width space inside a word, "12 Hàng Bô\u200bng", was a break there: "12 hang bo ngo"), a line
 * break ending a part as a comma does ("12 Hàng Bông\nCửa Nam\nHoàn Kiếm" kept the ward and district in
 * its key), and a dash between two letters ("12 Hàng Bông-Cửa Nam-Hoàn Kiếm"), before "phường", "quận"...
 * or a spaced em dash ending a part too. Open cases keyed the old way would meet no report keyed the new
 * way. As AlleyKeysRefolded1767560000000 does: the cases that can be a candidate again are keyed again,
 * only the rows whose key changes written; the address itself is untouched.
 */
export class AddressTextKeysRefolded1767600000000 implements MigrationInterface {
  name = 'AddressTextKeysRefolded1767600000000';

  async up(q: QueryRunner): Promise<void> {
    await rekey(q);
  }

  async down(): Promise<void> {
    // Left as they are: only the keys of addresses holding an invisible character, a line break or such a
    // dash changed. Under the release before, a new report written the same odd way may miss one of them,
    // while the clean form it shows now meets it (the old folding is gone with its release).
  }
}
