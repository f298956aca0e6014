import { MIGRATIONS } from '@fr/persistence';
import { normaliseAddress } from '@fr/domain';
import { DEV_KEYS, submitRouted, TestEngine } from '@fr/testing';
import type { PoolClient } from 'pg';
import type { QueryRunner } from 'typeorm';

jest.setTimeout(90_000);

const IHANOI = { 'X-Api-Key': DEV_KEYS.ihanoi };
const HOTLINE_CHANNEL = { 'X-Api-Key': DEV_KEYS.hotline };

/**
 * Addresses as citizens type them and operators enter them: with or without diacritics, old or new
 * tone placement, composed or decomposed, upper case, "số", "phố", "P.", "Đ." or nothing before the
 * street, the ward and district after it written in full, abbreviated or bare. One place is one
 * duplicate key whatever the writing; two places are never one key. The text is stored as written.
 */
describe('Vietnamese addresses as they are written', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());

  const report = (address: string, key: Record<string, string> = IHANOI, wardCode = 'BACH_KHOA') =>
    submitRouted(engine, key, {
      category: 'sanitation',
      description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.',
      location: { address, wardCode },
    });
  const row = async (id: string) =>
    (
      await engine.query<{ duplicate_of: string | null; address: string; address_key: string | null; area_code: string | null }>(
        `SELECT duplicate_of::text, address, address_key, area_code FROM cases WHERE id = $1`,
        [id],
      )
    )[0];

  it('links the reports of one place however the address is written, and stores each as written', async () => {
    const original = await report('25 P. Tạ Quang Bửu');
    const others = [
      'Số 25 phố Tạ Quang Bửu, phường Bách Khoa'.normalize('NFD'),
      '25 TẠ QUANG BỬU, Bách Khoa, Hai Bà Trưng, Hà Nội',
      'so 25 ta quang buu',
      '25 Đ. Tạ Quang Bửu, Ph. Bách Khoa',
      '25 Tạ Quang Bửu, HN',
    ];
    for (const [i, address] of others.entries()) {
      const c = await report(address, i % 2 ? HOTLINE_CHANNEL : IHANOI);
      const stored = await row(c.id);
      expect({ address, duplicateOf: stored.duplicate_of }).toEqual({ address, duplicateOf: original.id });
      // Stored as written (in NFC): only the comparison key is folded.
      expect(stored.address).toBe(address.normalize('NFC'));
    }
  });

  it('keeps the same house number on another street apart ("P." after a number is "phố", not the ward)', async () => {
    const first = await report('40 P. Lê Thanh Nghị');
    const other = await report('40 P. Trần Đại Nghĩa');
    expect((await row(other.id)).duplicate_of).toBeNull();
    expect((await row(first.id)).address_key).toBe('40 le thanh nghi');
  });

  it('finds the ward in an address typed with full-width letters (a Chinese or Japanese input method)', async () => {
    const c = await submitRouted(engine, IHANOI, {
      category: 'sanitation',
      description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.',
      location: { address: '１２ Ｔạ Ｑuang Ｂửu，ＰＨƯỜＮＧ　ＢÁＣＨ　ＫＨＯＡ' },
    });
    expect((await row(c.id)).area_code).not.toBeNull();
  });

  describe('migration AddressKeysRefolded1767535000000', () => {
    const migration = () => new (MIGRATIONS.find((m) => m.name === 'AddressKeysRefolded1767535000000')!)();
    const runner = (c: PoolClient) =>
      ({ query: async (sql: string, params?: unknown[]) => (await c.query<Record<string, unknown>>(sql, params)).rows }) as unknown as QueryRunner;

    it('keys again the open cases keyed the old way, so new reports meet them; closed cases and addresses stay as they are', async () => {
      const open = await report('17 P. Lê Thanh Nghị, P. Bách Khoa');
      const closed = await report('19 phố Lê Thanh Nghị');
      // As the release before keyed them: "P." after the number cut the key to the number alone.
      await engine.query(`UPDATE cases SET address_key = '17' WHERE id = $1`, [open.id]);
      await engine.query(`UPDATE cases SET address_key = '19 pho le thanh nghi', status = 'closed', closed_at = now() WHERE id = $1`, [closed.id]);
      const c = await engine.db.connect();
      try {
        await c.query('BEGIN');
        await migration().up(runner(c));
        await c.query('COMMIT');
      } finally {
        c.release();
      }
      expect(await row(open.id)).toMatchObject({ address: '17 P. Lê Thanh Nghị, P. Bách Khoa', address_key: '17 le thanh nghi' });
      expect((await row(closed.id)).address_key).toBe('19 pho le thanh nghi');
      // Every open case now holds the key intake makes today.
      const rows = await engine.query<{ address: string; address_key: string | null }>(
        `SELECT address, address_key FROM cases WHERE address IS NOT NULL AND status NOT IN ('closed', 'merged')`,
      );
      expect(rows.filter((r) => r.address_key !== normaliseAddress(r.address))).toEqual([]);
      const later = await report('Số 17 Lê Thanh Nghị');
      expect((await row(later.id)).duplicate_of).toBe(open.id);
    });
  });
});
