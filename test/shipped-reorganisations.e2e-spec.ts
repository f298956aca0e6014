import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadOrganisationOnFirstStart, loadShippedReorganisations, reorganisationsSeed } from '@fr/directory';
import { AreaRef, resolveArea } from '@fr/domain';
import { adminToken, bearer, DEV_KEYS, submitRouted, TestEngine } from '@fr/testing';

interface Unit {
  code: string;
  active: boolean;
  validTo: string | null;
  successors: string[];
  predecessors: string[];
}

/**
 * What `npm start` does on an empty database after loading config/ (reorganisationsSeed): every plan
 * of config/reorganisations/ whose date has passed is applied, in date order, once.
 */
describe('the shipped reorganisations of 2025 on a fresh database', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    admin = await adminToken(engine);
  });
  afterAll(() => engine?.close());

  it("loads them once and shows today's organisation, the 2024 units inactive with their successors named", async () => {
    const ds = engine.api.get(DataSource);
    // As npm start loads them.
    expect(await reorganisationsSeed({ ...engine.config, loadReorganisations: true })(ds)).toBe(3);
    expect(await loadShippedReorganisations(ds, engine.config.configDir, () => new Date())).toBe(0);

    const plans = await engine.http().get('/v1/reorganisations').set(bearer(admin));
    type Listed = { source: string; status: string; createdAt: string; appliedAt: string };
    expect((plans.body as Listed[]).map((p) => [p.source, p.status])).toEqual([
      ['2025-01-01-ward-mergers.yaml', 'applied'],
      ['2025-03-01-district-police.yaml', 'applied'],
      ['2025-07-01-two-tier-local-government.yaml', 'applied'],
    ]);
    // Each was applied once recorded, not at the instant the loading began.
    for (const p of plans.body as Listed[]) expect(Date.parse(p.appliedAt)).toBeGreaterThanOrEqual(Date.parse(p.createdAt));

    const all = await engine.http().get('/v1/units?include=inactive').set(bearer(admin));
    expect(all.status).toBe(200);
    const unit = new Map((all.body as Unit[]).map((u) => [u.code, u]));
    expect(unit.get('P_QUYNH_LOI')).toMatchObject({ active: false, validTo: '2024-12-31T17:00:00.000Z', successors: ['P_BACH_MAI'] });
    expect(unit.get('P_CAU_DEN')).toMatchObject({ active: false, successors: ['P_BACH_KHOA'] });
    expect(unit.get('P_BACH_KHOA')).toMatchObject({ active: false, validTo: '2025-06-30T17:00:00.000Z', successors: ['P2025_BACH_MAI'] });
    expect(unit.get('P_THANH_NHAN')).toMatchObject({ active: false, successors: ['P2025_HAI_BA_TRUNG', 'P2025_BACH_MAI'] });
    expect(unit.get('CONG_AN')).toMatchObject({ active: false, validTo: '2025-02-28T17:00:00.000Z', successors: ['VP'] });
    expect(unit.get('VP')).toMatchObject({ active: false, successors: ['VP_HBT'] });
    expect(unit.get('P2025_BACH_MAI')?.predecessors).toEqual(expect.arrayContaining(['P_BACH_KHOA', 'P_BACH_MAI', 'P_QUYNH_MAI', 'P_THANH_NHAN']));
    // Every unit of the 2024 sample has ended.
    const old = [...unit.values()].filter((u) => !u.code.startsWith('P2025_') && u.code !== 'VP_HBT');
    expect(old.filter((u) => u.active)).toEqual([]);
    expect(old.filter((u) => u.successors.length === 0)).toEqual([]);

    const today = await engine.http().get('/v1/units').set(bearer(admin));
    expect((today.body as Unit[]).map((u) => u.code).sort()).toEqual([
      'P2025_BACH_MAI',
      'P2025_CUA_NAM',
      'P2025_HAI_BA_TRUNG',
      'P2025_HONG_HA',
      'P2025_TUONG_MAI',
      'P2025_VINH_HUNG',
      'P2025_VINH_TUY',
      'VP_HBT',
    ]);
    const mid2025 = await engine.http().get('/v1/units?at=2025-05-01T00:00:00%2B07:00').set(bearer(admin));
    const wards = (mid2025.body as (Unit & { kind: string })[]).filter((u) => u.kind === 'ward');
    expect(wards).toHaveLength(15);

    const [triage] = await engine.query<{ value: string }>(`SELECT value FROM system_state WHERE key = 'triage_unit'`);
    expect(triage.value).toBe('VP_HBT');
    const rules = await engine.query<{ id: string; unit_code: string | null; to_ward: boolean }>(
      `SELECT id, unit_code, to_ward FROM routing_rules WHERE unit_code IS NOT NULL`,
    );
    expect(rules).toEqual([]);
  });

  it("stores the district's name at a later start of a database loaded before routing read it, and loads nothing else again", async () => {
    const ds = engine.api.get(DataSource);
    await engine.query(`DELETE FROM system_state WHERE key = 'district'`);
    const [units] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM units`);
    expect(await loadOrganisationOnFirstStart(ds, engine.config)).toBe(false);
    expect(await engine.query(`SELECT value FROM system_state WHERE key = 'district'`)).toEqual([{ value: 'Quận Hai Bà Trưng' }]);
    expect(await engine.query(`SELECT count(*)::int AS n FROM units`)).toEqual([units]);
    expect(await loadOrganisationOnFirstStart(ds, engine.config)).toBe(false);
  });

  it('starts on a file it loaded before that this version would refuse (an earlier version took its pattern), and still refuses a new such file', async () => {
    const ds = engine.api.get(DataSource);
    await loadShippedReorganisations(ds, engine.config.configDir, () => new Date());
    const dir = mkdtempSync(join(tmpdir(), 'fr-reorg-'));
    try {
      cpSync(engine.config.configDir, dir, { recursive: true });
      // A pattern the guard of this version refuses (three parts repeated), in a plan already loaded.
      const file = join(dir, 'reorganisations', '2025-07-01-two-tier-local-government.yaml');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('"ngoai de"');
      writeFileSync(file, text.replace('"ngoai de"', '"ngoai de.*[0-9]+.*x"'));
      expect(await loadShippedReorganisations(ds, dir, () => new Date())).toBe(0);
      // A new file with the same pattern is refused, as any broken new file is.
      writeFileSync(join(dir, 'reorganisations', '2099-01-01-new.yaml'), text.replace('"ngoai de"', '"ngoai de.*[0-9]+.*x"'));
      await expect(loadShippedReorganisations(ds, dir, () => new Date())).rejects.toThrow(/2099-01-01-new\.yaml: .*ngoai de\.\*\[0-9\]\+\.\*x/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('addresses on the shipped areas', () => {
    // Applied by the first test; again here (a no-op then) so that these run alone too (-t).
    beforeAll(() => loadShippedReorganisations(engine.api.get(DataSource), engine.config.configDir, () => new Date()));
    /** The areas and the district's name as routing reads them (readRoutingTable). */
    const routingTable = async () =>
      (
        await engine.query<{ areas: AreaRef[]; district: string | null }>(
          `SELECT (SELECT json_agg(json_build_object('code', code, 'name', name, 'unitCode', unit_code, 'match', match, 'active', active,
                                                     'streets', streets, 'successors', successors)) FROM areas) AS areas,
                  (SELECT value FROM system_state WHERE key = 'district') AS district`,
        )
      )[0];

    it.each([
      // An old ward's own name is no street of its split: the address's street decides, else the fallback.
      ['15 Hồng Mai, phường Minh Khai', 'BACH_MAI_2025'],
      ['ngõ 12 Kim Ngưu, phường Minh Khai', 'BACH_MAI_2025'],
      ['12 Hồng Mai, phường Trương Định', 'BACH_MAI_2025'],
      ['số 200 phố Bạch Mai, phường Trương Định', 'BACH_MAI_2025'],
      ['tổ 12, phường Trương Định', 'BACH_MAI_2025'],
      ['1 Đại Cồ Việt, P.Lê Đại Hành, Q.HBT', 'BACH_MAI_2025'],
      ['phường Bạch Mai (phường Trương Định cũ)', 'BACH_MAI_2025'],
      ['15 Lạc Trung, phường Minh Khai', 'VINH_TUY_2025'],
      ['20 Tân Mai, phường Trương Định', 'TUONG_MAI_2025'],
      // A name after a house number or "phố" is a street, not the ward.
      ['200 Trương Định, Bạch Mai, Hà Nội', 'BACH_MAI_2025'],
      ['10 Minh Khai, Bạch Mai, Hà Nội', 'BACH_MAI_2025'],
      ['46 P. Hai Bà Trưng, Cửa Nam, Hà Nội', 'CUA_NAM_2025'],
      // The former district's name written without "quận" is not the new ward Hai Bà Trưng.
      ['25 Tạ Quang Bửu, Hai Bà Trưng, Hà Nội', 'BACH_MAI_2025'],
      ['Quỳnh Mai, Hai Bà Trưng', 'BACH_MAI_2025'],
      ['25 Tạ Quang Bửu, Bách Khoa, Hai Bà Trưng, Hà Nội', 'BACH_MAI_2025'],
      ['12 Tô Hiến Thành, phường Ðống Mác', 'HAI_BA_TRUNG_2025'],
      // Another district's Bạch Mai hospital is not the ward; a ward of today keeps the slices it took from other districts.
      ['Cổng Bệnh viện Bạch Mai, 78 Giải Phóng, quận Đống Đa', null],
      ['phường Minh Khai, quận Bắc Từ Liêm', null],
      ['phường Cửa Nam, quận Hoàn Kiếm', 'CUA_NAM_2025'],
      ['Tô Hiến Thành, Q.10, TP.HCM', null],
      // Another district written bare, as citizens leave "quận" out; a street bearing a district's name, or
      // beginning with "huyen" (Huyền Trân Công Chúa), stays a street.
      ['12 Bạch Mai, Đống Đa', null],
      ['Số 8 Ngõ 121 Thái Hà, Đống Đa, Hà Nội', null],
      ['20 Tân Mai, Hoàng Mai', null],
      ['Số 3, ngõ 12, Huyen Tran Cong Chua, Le Dai Hanh', 'HAI_BA_TRUNG_2025'],
      ['Số 12, Hoàng Mai, Bạch Mai', 'BACH_MAI_2025'],
      ['12 Bạch Mai, quận Hai Bà Trưng', 'BACH_MAI_2025'],
      ['12 Bạch Mai, Hai Bà Trưng', 'BACH_MAI_2025'],
      // As beside "quận Hoàn Kiếm": a ward of today decides when written with its prefix.
      ['12 Hàng Bông, Cửa Nam, Hoàn Kiếm', null],
      ['12 Hàng Bông, phường Cửa Nam, Hoàn Kiếm', 'CUA_NAM_2025'],
      // Parts that mention a district are no qualifier; this district written by initials, with dots or cũ.
      ['Trước cổng Quận ủy Hai Bà Trưng, 30 Lê Đại Hành', 'HAI_BA_TRUNG_2025'],
      ['Quỳnh Mai, Q.HBT cũ', 'BACH_MAI_2025'],
      ['Quỳnh Mai, Q. H.B.T', 'BACH_MAI_2025'],
      ['Quỳnh Mai, đối diện trụ sở Công an quận Hoàng Mai', 'BACH_MAI_2025'],
      ['Bạch Mai, quận cũ Hai Bà Trưng', 'BACH_MAI_2025'],
      // A ward of today named beside old wards that lead to it.
      ['phường Tương Mai (phường Trương Định cũ)', 'TUONG_MAI_2025'],
      ['phường Vĩnh Hưng (phường Thanh Lương cũ)', 'VINH_HUNG_2025'],
      ['Tương Mai, Trương Định', 'TUONG_MAI_2025'],
      ['phường Bạch Mai (phường Lê Đại Hành cũ)', 'BACH_MAI_2025'],
      ['phường Cửa Nam (phường Nguyễn Du cũ)', 'CUA_NAM_2025'],
      // A bare name the prefixed ward outranks is still a street of its split.
      ['Vĩnh Hưng, phường Thanh Lương', 'VINH_HUNG_2025'],
      // "P." after a comma is phường, after a house number phố.
      ['Tổ 5, P. Vĩnh Tuy, Hai Bà Trưng', 'VINH_TUY_2025'],
      ['Số 10, P. Cửa Nam, Q. Hoàn Kiếm', 'CUA_NAM_2025'],
      ['số 3, P. Minh Khai, 20 Hồng Mai', 'BACH_MAI_2025'],
      // A street that bears an old ward's name decides its split; the district beside it is no ward.
      ['12 Trương Định', 'TUONG_MAI_2025'],
      ['ngõ 40 Trương Định, quận Hai Bà Trưng', 'TUONG_MAI_2025'],
      ['42 Thanh Nhàn, Hai Bà Trưng', 'BACH_MAI_2025'],
      ['12 Minh Khai, Hai Bà Trưng, Hà Nội', 'VINH_TUY_2025'],
      ['Times City, 458 Minh Khai, Hai Bà Trưng', 'VINH_TUY_2025'],
      ['Tổ 5 P. Trương Định', 'BACH_MAI_2025'],
      // Not this district's wards: a city, a commune, a street named after the district elsewhere.
      ['12 Lê Lợi, phường Vĩnh Ninh, thành phố Huế', null],
      ['xã Đồng Tâm, Mỹ Đức', null],
      ['46 Hai Bà Trưng, Hoàn Kiếm', null],
      // The wards merged away in 2020 keep their names too.
      ['10 Bùi Thị Xuân, phường Bùi Thị Xuân', 'HAI_BA_TRUNG_2025'],
      ['5 Ngô Thì Nhậm, phường Ngô Thì Nhậm', 'HAI_BA_TRUNG_2025'],
      // Still the ward where it is written as one.
      ['phường Hai Bà Trưng, Hà Nội', 'HAI_BA_TRUNG_2025'],
      ['Hai Bà Trưng', 'HAI_BA_TRUNG_2025'],
      ['15 Lạc Trung, phường Quỳnh Mai', 'BACH_MAI_2025'],
    ] as [string, string | null][])('resolves %s to %s on the shipped areas', async (address, area) => {
      const table = await routingTable();
      expect(table.district).toBe('Quận Hai Bà Trưng');
      expect(resolveArea({ address }, table.areas, { district: table.district })).toMatchObject({ areaCode: area });
    });

    it('takes the wardCode of a split ward with the streets its address names, its own name left out', async () => {
      const table = await routingTable();
      expect(resolveArea({ wardCode: 'THANH_LUONG', address: 'Vĩnh Hưng' }, table.areas)).toMatchObject({ areaCode: 'VINH_HUNG_2025' });
      expect(resolveArea({ wardCode: 'TRUONG_DINH', address: '12 Hồng Mai, phường Trương Định' }, table.areas)).toMatchObject({ areaCode: 'BACH_MAI_2025' });
      expect(resolveArea({ wardCode: 'TRUONG_DINH', address: 'phường Tương Mai (phường Trương Định cũ)' }, table.areas)).toMatchObject({
        areaCode: 'TUONG_MAI_2025',
      });
    });
  });

  it("routes an address of a 2024 ward by the street: Lạc Trung of Minh Khai to Vĩnh Tuy, all of Quỳnh Mai to Bạch Mai (the README's example)", async () => {
    await engine.startWorker();
    const unitOf = async (address: string, externalId: string) => {
      const { id } = await submitRouted(
        engine,
        { 'X-Api-Key': DEV_KEYS.ihanoi },
        { externalId, category: 'sidewalk_encroachment', description: 'Hàng quán lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.', location: { address } },
      );
      const [row] = await engine.query<{ unit_code: string }>(`SELECT unit_code FROM cases WHERE id = $1`, [id]);
      return row.unit_code;
    };
    expect(await unitOf('15 Lạc Trung, phường Minh Khai', 'shipped-lac-trung-1')).toBe('P2025_VINH_TUY');
    expect(await unitOf('15 Minh Khai, phường Minh Khai', 'shipped-lac-trung-2')).toBe('P2025_VINH_TUY');
    expect(await unitOf('15 Lạc Trung, phường Quỳnh Mai', 'shipped-lac-trung-3')).toBe('P2025_BACH_MAI');
  });
});
