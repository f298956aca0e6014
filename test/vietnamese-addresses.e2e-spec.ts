import { MIGRATIONS } from '@fr/persistence';
import { normaliseAddress } from '@fr/domain';
import { adminToken, bearer, createOfficer, DEV_KEYS, submitRouted, TestEngine, waitFor } from '@fr/testing';
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
  let operator: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    operator = (await createOfficer(engine, await adminToken(engine), { username: 'addr.operator', role: 'OPERATOR', unitCode: 'VP' })).token;
  });
  afterAll(() => engine?.close());

  /** A migration's queries on one pooled connection, as TypeORM's runner would send them. */
  const runner = (c: PoolClient) =>
    ({ query: async (sql: string, params?: unknown[]) => (await c.query<Record<string, unknown>>(sql, params)).rows }) as unknown as QueryRunner;
  const inTransaction = async (work: (c: PoolClient) => Promise<void>, end: 'COMMIT' | 'ROLLBACK') => {
    const c = await engine.db.connect();
    try {
      await c.query('BEGIN');
      await work(c);
      await c.query(end);
    } finally {
      c.release();
    }
  };

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

  // Ngách 3 of ngõ 95 is written "ngõ 95/3", "ngõ 95 ngách 3", "ngách 95/3, ngõ 95", "ngách 3 ngõ 95", with
  // or without diacritics: one ngách, and another ngách of the ngõ, or the ngõ itself, another place.
  it('links the reports of one ngách however its numbers are written, and keeps the ngõ and its other ngách apart', async () => {
    const original = await report('52 ngõ 95/3 Minh Khai');
    for (const [i, address] of [
      '52 ngõ 95 ngách 3 Minh Khai',
      '52 ngo 95 ngach 3 Minh Khai',
      'Số nhà 52, ngách 95/3, ngõ 95, Minh Khai',
      '52 ngách 3 ngõ 95 Minh Khai',
    ].entries()) {
      const c = await report(address, i % 2 ? HOTLINE_CHANNEL : IHANOI);
      expect({ address, duplicateOf: (await row(c.id)).duplicate_of }).toEqual({ address, duplicateOf: original.id });
    }
    for (const address of ['52 ngõ 95/4 Minh Khai', '52 ngõ 95 Minh Khai', '52 ngõ 3/95 Minh Khai']) {
      const c = await report(address);
      expect({ address, duplicateOf: (await row(c.id)).duplicate_of }).toEqual({ address, duplicateOf: null });
    }
  });

  // Times City is the complex at 458 Minh Khai: named beside the number, before or after it, it is that number.
  it('links a report naming the complex at a street number to one giving the number alone; a tower stays apart', async () => {
    const original = await report('458 Minh Khai');
    for (const address of ['458 Minh Khai, Times City', 'Times City, 458 Minh Khai', 'Số 458 Minh Khai, Times City, Hà Nội']) {
      const c = await report(address);
      expect({ address, duplicateOf: (await row(c.id)).duplicate_of }).toEqual({ address, duplicateOf: original.id });
    }
    const tower = await report('458 Minh Khai, tòa T5');
    expect((await row(tower.id)).duplicate_of).toBeNull();
  });

  it('finds the ward in an address typed with full-width letters (a Chinese or Japanese input method)', async () => {
    const c = await submitRouted(engine, IHANOI, {
      category: 'sanitation',
      description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.',
      location: { address: '１２ Ｔạ Ｑuang Ｂửu，ＰＨƯỜＮＧ　ＢÁＣＨ　ＫＨＯＡ' },
    });
    expect((await row(c.id)).area_code).not.toBeNull();
  });

  describe('within the area the case lies in, however its ward was given', () => {
    const submit = (location: Record<string, string>, key: Record<string, string> = IHANOI) =>
      submitRouted(engine, key, { category: 'sanitation', description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.', location });
    /** As an operator enters a call: no code, no point, the address as the caller says it. */
    const call = async (address: string) => {
      const res = await engine
        .http()
        .post('/v1/hotline/feedback')
        .set(bearer(operator))
        .send({ category: 'sanitation', description: 'Người dân gọi 1022 phản ánh rác thải ùn ứ trên vỉa hè.', location: { address } });
      expect(res.status).toBe(202);
      const { id } = res.body as { id: string };
      await waitFor(
        () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
        (r) => r[0].status !== 'received',
        { what: 'routing' },
      );
      return { id };
    };

    it('links a call to a report at the same address, neither naming the ward by code', async () => {
      const first = await submit({ address: 'Số 31 phố Lê Thanh Nghị, phường Bách Khoa' });
      const second = await call('31 Le Thanh Nghi, Bach Khoa');
      expect(await row(second.id)).toMatchObject({ duplicate_of: first.id, area_code: (await row(first.id)).area_code });
    });

    it('links a report naming the ward in its address to one that sent its code, in any letter case', async () => {
      const first = await submit({ address: '33 Lê Thanh Nghị', wardCode: 'bach_khoa' });
      const byAddress = await submit({ address: '33 LÊ THANH NGHỊ, P. BÁCH KHOA' });
      const byCode = await submit({ address: 'so 33 le thanh nghi', wardCode: 'BACH_KHOA' });
      expect((await row(byAddress.id)).duplicate_of).toBe(first.id);
      expect((await row(byCode.id)).duplicate_of).toBe(first.id);
    });

    it('keeps one address in two areas apart, and an address in no known area unmatched', async () => {
      const a = await submit({ address: '35 Minh Khai, phường Bách Khoa' });
      const b = await submit({ address: '35 Minh Khai, phường Quỳnh Mai' });
      expect((await row(a.id)).area_code).not.toBe((await row(b.id)).area_code);
      expect((await row(b.id)).duplicate_of).toBeNull();
      await submit({ address: '37 Nguyễn Trãi, Thanh Xuân' });
      const nowhere = await submit({ address: '37 Nguyễn Trãi, Thanh Xuân' });
      expect(await row(nowhere.id)).toMatchObject({ area_code: null, duplicate_of: null });
    });
  });

  it('sends an address in another district to triage, typed with diacritics or without (Telex off)', async () => {
    for (const address of ['15 Minh Khai, quận Hoàng Mai', '15 Minh Khai, quan Hoang Mai', '15 MINH KHAI, Q HOANG MAI']) {
      const c = await submitRouted(engine, IHANOI, {
        category: 'sanitation',
        description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.',
        location: { address },
      });
      const [routed] = await engine.query<{ status: string; triage_reason: string | null; area_code: string | null }>(
        `SELECT status, triage_reason, area_code FROM cases WHERE id = $1`,
        [c.id],
      );
      expect({ address, ...routed }).toEqual({ address, status: 'triage', triage_reason: 'area_unknown', area_code: null });
    }
  });

  const routed = async (address: string) => {
    const c = await submitRouted(engine, IHANOI, {
      category: 'sanitation',
      description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày chưa được thu gom.',
      location: { address },
    });
    const [r] = await engine.query<{ status: string; triage_reason: string | null; area_code: string | null }>(
      `SELECT status, triage_reason, area_code FROM cases WHERE id = $1`,
      [c.id],
    );
    return r;
  };

  it('sends an address naming another district bare after the street to triage, as with "quận"', async () => {
    for (const address of [
      '15 Minh Khai, Hoàng Mai',
      '15 Minh Khai, Hoàng Mai'.normalize('NFD'),
      '15 Minh Khai, Hoang Mai',
      '15 MINH KHAI, HOÀNG MAI, HÀ NỘI',
      '12 Bạch Mai, Đống Đa',
      '12 Bach Mai, Dong Da',
      'Số 12 phố Bạch Mai, Đống Đa, Hà Nội',
    ]) {
      expect({ address, ...(await routed(address)) }).toEqual({ address, status: 'triage', triage_reason: 'area_unknown', area_code: null });
    }
  });

  it('keeps a street that bears a district\'s name, or begins with "huyen", a street, and routes by the ward', async () => {
    for (const [address, area] of [
      ['Số 3, ngõ 12, Huyen Tran Cong Chua, Le Dai Hanh', 'LE_DAI_HANH'],
      ['Cong vien Thong Nhat, Huyen Tran Cong Chua, phuong Le Dai Hanh', 'LE_DAI_HANH'],
      ['Số 3, ngõ 12, Huyền Trân Công Chúa, Lê Đại Hành'.normalize('NFD'), 'LE_DAI_HANH'],
      ['Số 12, Hoàng Mai, Bạch Mai', 'BACH_MAI'],
      ['12 Hoàng Mai, Bạch Mai', 'BACH_MAI'],
    ]) {
      const r = await routed(address);
      expect({ address, area: r.area_code, triaged: r.status === 'triage' }).toEqual({ address, area, triaged: false });
    }
  });

  it('migration DuplicatesByArea1767540000000: down gives back the ward index and search, up the area ones', async () => {
    const migration = new (MIGRATIONS.find((m) => m.name === 'DuplicatesByArea1767540000000')!)();
    const c = await engine.db.connect();
    const runner = { query: async (sql: string, params?: unknown[]) => (await c.query<Record<string, unknown>>(sql, params)).rows } as unknown as QueryRunner;
    const state = async () => ({
      indexes: (await c.query<{ i: string }>(`SELECT indexname AS i FROM pg_indexes WHERE indexname LIKE 'cases_dup_%address_idx' ORDER BY 1`)).rows.map(
        (r) => r.i,
      ),
      search: /x\.(\w+) = l\.\1 AND x\.address_key/.exec(
        (await c.query<{ d: string }>(`SELECT pg_get_functiondef('routing_cases'::regproc) AS d`)).rows[0].d,
      )?.[1],
    });
    try {
      await c.query('BEGIN');
      expect(await state()).toEqual({ indexes: ['cases_dup_area_address_idx'], search: 'area_code' });
      await migration.down(runner);
      expect(await state()).toEqual({ indexes: ['cases_dup_address_idx'], search: 'ward_code' });
      await migration.up(runner);
      expect(await state()).toEqual({ indexes: ['cases_dup_area_address_idx'], search: 'area_code' });
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  describe('migration AddressKeysRefolded1767535000000', () => {
    const migration = () => new (MIGRATIONS.find((m) => m.name === 'AddressKeysRefolded1767535000000')!)();

    it('keys again the open cases keyed the old way, so new reports meet them; closed cases and addresses stay as they are', async () => {
      const open = await report('17 P. Lê Thanh Nghị, P. Bách Khoa');
      const closed = await report('19 phố Lê Thanh Nghị');
      // As the release before keyed them: "P." after the number cut the key to the number alone.
      await engine.query(`UPDATE cases SET address_key = '17' WHERE id = $1`, [open.id]);
      await engine.query(`UPDATE cases SET address_key = '19 pho le thanh nghi', status = 'closed', closed_at = now() WHERE id = $1`, [closed.id]);
      await inTransaction((c) => migration().up(runner(c)), 'COMMIT');
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

  describe('migration AlleyKeysRefolded1767560000000', () => {
    const migration = () => new (MIGRATIONS.find((m) => m.name === 'AlleyKeysRefolded1767560000000')!)();
    it('keys again the open cases keyed the old way, so new reports of the ngách meet them; down keys them as the release before', async () => {
      const ngach = await report('61 ngõ 97/3 Minh Khai');
      const complex = await report('Times City, 460 Minh Khai');
      const closed = await report('63 ngõ 97/3 Minh Khai');
      // As the release before keyed them: the slash a space, the ngõ's word kept, the place before the number kept.
      const before = { [ngach.id]: '61 ngo 97 3 minh khai', [complex.id]: 'times city 460 minh khai', [closed.id]: '63 ngo 97 3 minh khai' };
      for (const [id, key] of Object.entries(before)) await engine.query(`UPDATE cases SET address_key = $2 WHERE id = $1`, [id, key]);
      await engine.query(`UPDATE cases SET status = 'closed', closed_at = now() WHERE id = $1`, [closed.id]);
      const keys = async (c: PoolClient) =>
        Object.fromEntries(
          (await c.query<{ id: string; k: string }>(`SELECT id::text, address_key AS k FROM cases WHERE id = ANY($1::uuid[])`, [Object.keys(before)])).rows.map(
            (r) => [r.id, r.k],
          ),
        );
      const after = { [ngach.id]: '61 ngach 97 3 minh khai', [complex.id]: '460 minh khai', [closed.id]: '63 ngo 97 3 minh khai' };

      // Down gives back the keys of the release before (rolled back here, so the file's other cases keep theirs).
      await inTransaction(async (c) => {
        await migration().up(runner(c));
        expect(await keys(c)).toEqual(after);
        await migration().down(runner(c));
        expect(await keys(c)).toEqual(before);
      }, 'ROLLBACK');
      await inTransaction((c) => migration().up(runner(c)), 'COMMIT');
      expect(await row(ngach.id)).toMatchObject({ address: '61 ngõ 97/3 Minh Khai', address_key: after[ngach.id] });
      expect((await row(closed.id)).address_key).toBe('63 ngo 97 3 minh khai');
      // Every open case now holds the key intake makes today.
      const rows = await engine.query<{ address: string; address_key: string | null }>(
        `SELECT address, address_key FROM cases WHERE address IS NOT NULL AND status NOT IN ('closed', 'merged')`,
      );
      expect(rows.filter((r) => r.address_key !== normaliseAddress(r.address))).toEqual([]);
      expect((await row((await report('61 ngo 97 ngach 3 Minh Khai')).id)).duplicate_of).toBe(ngach.id);
      expect((await row((await report('460 Minh Khai, Times City')).id)).duplicate_of).toBe(complex.id);
    });
  });

  describe('migration AddressTextKeysRefolded1767600000000', () => {
    const migration = () => new (MIGRATIONS.find((m) => m.name === 'AddressTextKeysRefolded1767600000000')!)();

    it('keys again the open cases keyed with an invisible character or a line break the old way, so reports written plainly meet them', async () => {
      const pasted = await report('27 Lê Thanh Ngh\u200bị');
      const lines = await report('29 Lê Thanh Nghị\nBách Khoa\nHai Bà Trưng');
      const closed = await report('31 Lê Thanh Ngh\u200bị');
      // As the release before keyed them: the zero-width space a break ("ngh" then read as ngách), the lines one part.
      const before = { [pasted.id]: '27 le thanh ngach i', [lines.id]: '29 le thanh nghi bach khoa hai ba trung', [closed.id]: '31 le thanh ngach i' };
      for (const [id, key] of Object.entries(before)) await engine.query(`UPDATE cases SET address_key = $2 WHERE id = $1`, [id, key]);
      await engine.query(`UPDATE cases SET status = 'closed', closed_at = now() WHERE id = $1`, [closed.id]);
      await inTransaction((c) => migration().up(runner(c)), 'COMMIT');
      expect(await row(pasted.id)).toMatchObject({ address: '27 Lê Thanh Ngh\u200bị', address_key: '27 le thanh nghi' });
      expect((await row(lines.id)).address_key).toBe('29 le thanh nghi');
      expect((await row(closed.id)).address_key).toBe('31 le thanh ngach i');
      // Every open case now holds the key intake makes today.
      const rows = await engine.query<{ address: string; address_key: string | null }>(
        `SELECT address, address_key FROM cases WHERE address IS NOT NULL AND status NOT IN ('closed', 'merged')`,
      );
      expect(rows.filter((r) => r.address_key !== normaliseAddress(r.address))).toEqual([]);
      expect((await row((await report('Số 27 Lê Thanh Nghị')).id)).duplicate_of).toBe(pasted.id);
      expect((await row((await report('29 Lê Thanh Nghị, phường Bách Khoa')).id)).duplicate_of).toBe(lines.id);
    });
  });

  it("routes an address with a zero-width space inside the ward's name, given no ward code, as its clean form", async () => {
    const placed = async (address: string) => {
      const { id } = await submitRouted(engine, IHANOI, {
        category: 'sanitation',
        description: 'Rác thải ùn ứ trên vỉa hè nhiều ngày.',
        location: { address },
      });
      return (
        await engine.query<{ status: string; unit_code: string | null; area_code: string | null }>(
          `SELECT status, unit_code, area_code FROM cases WHERE id = $1`,
          [id],
        )
      )[0];
    };
    const clean = await placed('Số 41 Lê Thanh Nghị, phường Bách Khoa');
    expect(clean.area_code).not.toBeNull();
    expect(await placed('Số 43 Lê Thanh Nghị, phường Bá\u200bch Khoa')).toEqual(clean);
  });
});
