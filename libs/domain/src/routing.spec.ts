import { AreaRef, decideRoute, resolveArea, RoutingRule, UnitRef } from './routing';

const areas: AreaRef[] = [
  { code: 'BACH_MAI', name: 'Phường Bạch Mai', unitCode: 'P_BACH_MAI', match: ['Bạch Mai'] },
  { code: 'THANH_NHAN', name: 'Phường Thanh Nhàn', unitCode: 'P_THANH_NHAN', match: ['Thanh Nhàn'] },
  { code: 'PHO_HUE', name: 'Phường Phố Huế', unitCode: 'P_PHO_HUE', match: ['Phố Huế'] },
  { code: 'DONG_TAM', name: 'Phường Đồng Tâm', unitCode: 'P_DONG_TAM', match: ['Đồng Tâm'] },
];
const units = new Map<string, UnitRef>([
  ['P_BACH_MAI', { code: 'P_BACH_MAI', active: true, handlerId: 'h-bm', leaderId: 'l-bm' }],
  ['P_THANH_NHAN', { code: 'P_THANH_NHAN', active: true, handlerId: 'h-tn', leaderId: null }],
  ['P_PHO_HUE', { code: 'P_PHO_HUE', active: true, handlerId: null, leaderId: 'l-ph' }],
  ['P_DONG_TAM', { code: 'P_DONG_TAM', active: false, handlerId: 'h-dt', leaderId: 'l-dt' }],
  ['CONG_AN', { code: 'CONG_AN', active: true, handlerId: 'h-ca', leaderId: 'l-ca' }],
  ['QLDT', { code: 'QLDT', active: true, handlerId: 'h-qldt', leaderId: 'l-qldt' }],
]);
const directory = { area: (c: string) => areas.find((a) => a.code === c), unit: (c: string) => units.get(c) };
const rule = (r: Partial<RoutingRule> & { id: string }): RoutingRule => ({
  category: null,
  areas: null,
  unit: null,
  toWard: false,
  inform: [],
  ...r,
});

describe(decideRoute.name, () => {
  const rules: RoutingRule[] = [
    rule({ id: 'lighting-in-bach-mai', category: 'roads_lighting', areas: ['BACH_MAI'], toWard: true }),
    rule({ id: 'lighting', category: 'roads_lighting', unit: 'QLDT' }),
    rule({ id: 'order', category: 'public_order', unit: 'CONG_AN' }),
    rule({ id: 'construction', category: 'illegal_construction', toWard: true, inform: ['QLTTXD', 'P_BACH_MAI'] }),
    rule({ id: 'order-duplicate', category: 'public_order', unit: 'QLDT' }),
  ];

  it('takes the first rule that fits, in order', () => {
    expect(decideRoute({ category: 'public_order', areaCode: null }, rules, directory)).toMatchObject({
      kind: 'assign',
      ruleId: 'order',
      unitCode: 'CONG_AN',
      handlerId: 'h-ca',
      leaderId: 'l-ca',
    });
  });

  it('lets an area-limited rule win before a general one, only inside its areas', () => {
    expect(decideRoute({ category: 'roads_lighting', areaCode: 'BACH_MAI' }, rules, directory)).toMatchObject({
      ruleId: 'lighting-in-bach-mai',
      unitCode: 'P_BACH_MAI',
    });
    expect(decideRoute({ category: 'roads_lighting', areaCode: 'THANH_NHAN' }, rules, directory)).toMatchObject({
      ruleId: 'lighting',
      unitCode: 'QLDT',
    });
    expect(decideRoute({ category: 'roads_lighting', areaCode: null }, rules, directory)).toMatchObject({ ruleId: 'lighting' });
  });

  it("sends a ward rule to the ward of the case's area, informing other units", () => {
    expect(decideRoute({ category: 'illegal_construction', areaCode: 'THANH_NHAN' }, rules, directory)).toEqual({
      kind: 'assign',
      ruleId: 'construction',
      unitCode: 'P_THANH_NHAN',
      handlerId: 'h-tn',
      leaderId: null,
      inform: ['QLTTXD', 'P_BACH_MAI'],
    });
    // The owner is not told of its own case twice.
    expect(decideRoute({ category: 'illegal_construction', areaCode: 'BACH_MAI' }, rules, directory)).toMatchObject({ inform: ['QLTTXD'] });
  });

  it('falls back to triage when the ward of a ward rule is unknown', () => {
    expect(decideRoute({ category: 'illegal_construction', areaCode: null, areaProblem: 'no wardCode and no address' }, rules, directory)).toMatchObject({
      kind: 'triage',
      reason: 'area_unknown',
      ruleId: 'construction',
      detail: expect.stringContaining('no wardCode and no address') as unknown,
    });
  });

  it('falls back to triage when no rule fits', () => {
    expect(decideRoute({ category: 'other', areaCode: 'BACH_MAI' }, rules, directory)).toMatchObject({
      kind: 'triage',
      reason: 'no_matching_rule',
      ruleId: null,
    });
    expect(decideRoute({ category: 'other', areaCode: null }, [], directory)).toMatchObject({ reason: 'no_matching_rule' });
  });

  it('falls back to triage when the unit has no designated handler, or is inactive', () => {
    expect(decideRoute({ category: 'illegal_construction', areaCode: 'PHO_HUE' }, rules, directory)).toMatchObject({
      kind: 'triage',
      reason: 'unit_without_handler',
      intendedUnit: 'P_PHO_HUE',
    });
    expect(decideRoute({ category: 'illegal_construction', areaCode: 'DONG_TAM' }, rules, directory)).toMatchObject({
      kind: 'triage',
      reason: 'unit_inactive',
      intendedUnit: 'P_DONG_TAM',
    });
  });

  it('lets a wildcard rule catch every category', () => {
    const catchAll = [rule({ id: 'all-to-qldt', unit: 'QLDT' })];
    expect(decideRoute({ category: 'anything', areaCode: null }, catchAll, directory)).toMatchObject({ ruleId: 'all-to-qldt' });
  });
});

describe(resolveArea.name, () => {
  it('takes a known wardCode, in any letter case', () => {
    expect(resolveArea({ wardCode: 'thanh_nhan' }, areas)).toEqual({ areaCode: 'THANH_NHAN', source: 'ward_code', problem: null });
  });

  it('falls back to the address when the wardCode is unknown', () => {
    expect(resolveArea({ wardCode: 'X', address: 'ngõ 5, phường Thanh Nhàn' }, areas)).toMatchObject({ areaCode: 'THANH_NHAN', source: 'address' });
    expect(resolveArea({ wardCode: 'X' }, areas)).toEqual({ areaCode: null, source: null, problem: "unknown wardCode 'X'" });
  });

  it('prefers a ward written with its prefix over a street of the same name', () => {
    expect(resolveArea({ address: '120 phố Bạch Mai, P. Thanh Nhàn' }, areas).areaCode).toBe('THANH_NHAN');
    expect(resolveArea({ address: '45 Phố Huế, phường Bạch Mai' }, areas).areaCode).toBe('BACH_MAI');
  });

  it('matches addresses typed without diacritics', () => {
    expect(resolveArea({ address: 'so 3 ngo 12, phuong thanh nhan, hai ba trung' }, areas).areaCode).toBe('THANH_NHAN');
    expect(resolveArea({ address: 'DONG TAM' }, areas).areaCode).toBe('DONG_TAM');
  });

  it('decides nothing when the address is ambiguous or names no ward', () => {
    expect(resolveArea({ address: 'giữa Bạch Mai và Phố Huế' }, areas)).toMatchObject({ areaCode: null, problem: 'the address names more than one ward' });
    expect(resolveArea({ address: 'Hồ Gươm' }, areas)).toMatchObject({ areaCode: null, problem: 'the address names no known ward' });
    expect(resolveArea({}, areas)).toMatchObject({ areaCode: null, problem: 'no wardCode and no address' });
  });

  // Addresses are capped at intake (500 characters), but a name read in each mention's words before it was
  // quadratic: 105 kB naming two wards 5,000 times each took 3 s.
  it('reads a long address naming a ward many times in time linear in its length', () => {
    const address = 'Bạch Mai, Thanh Nhàn '.repeat(5000);
    const started = performance.now();
    expect(resolveArea({ address }, areas).areaCode).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reads a district or a city followed by a long run of blanks in time linear in its length', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    const started = performance.now();
    for (const prefix of ['quận', 'x, quan', 'x, TP']) {
      expect(resolveArea({ address: `${prefix} a${' '.repeat(40_000)}b` }, areas, district).areaCode).toBeNull();
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not match a ward name inside a longer word', () => {
    expect(resolveArea({ address: 'Thanh Nhàn Mới' }, areas).areaCode).toBe('THANH_NHAN');
    expect(resolveArea({ address: 'Xuân Đồng Tâmxyz' }, areas).areaCode).toBeNull();
  });
});

describe('resolveArea through reorganisations', () => {
  const areas: AreaRef[] = [
    {
      code: 'QUYNH_MAI',
      name: 'Phường Quỳnh Mai',
      unitCode: 'P_QUYNH_MAI',
      match: ['Quỳnh Mai'],
      active: false,
      successors: [
        { area: 'MAI_DONG', streets: ['Lạc Trung'], patterns: [] },
        { area: 'BACH_MAI_2025', streets: [], patterns: [] },
      ],
    },
    {
      code: 'CAU_DEN',
      name: 'Phường Cầu Dền',
      unitCode: 'P_CAU_DEN',
      match: ['Cầu Dền'],
      active: false,
      successors: [{ area: 'BACH_KHOA', streets: [], patterns: [] }],
    },
    {
      code: 'BACH_KHOA',
      name: 'Phường Bách Khoa',
      unitCode: 'P_BACH_KHOA',
      match: ['Bách Khoa'],
      active: false,
      successors: [{ area: 'BACH_MAI_2025', streets: [], patterns: [] }],
    },
    { code: 'MAI_DONG', name: 'Phường Mai Động', unitCode: 'P_MAI_DONG', match: ['Mai Động'], streets: ['Lạc Trung'] },
    { code: 'BACH_MAI_2025', name: 'Phường Bạch Mai', unitCode: 'P2025_BACH_MAI', match: ['Bạch Mai'], streets: ['Tạ Quang Bửu'] },
    { code: 'HAI_BA_TRUNG_2025', name: 'Phường Hai Bà Trưng', unitCode: 'P2025_HAI_BA_TRUNG', match: ['Hai Bà Trưng'] },
  ];

  it('sends an old ward split by street to the successor its street names, else to the fallback', () => {
    expect(resolveArea({ address: '15 Lạc Trung, phường Quỳnh Mai' }, areas)).toMatchObject({ areaCode: 'MAI_DONG', source: 'address' });
    expect(resolveArea({ address: '2 ngõ 44, phường Quỳnh Mai' }, areas)).toMatchObject({ areaCode: 'BACH_MAI_2025' });
  });

  it("finds an ended ward by one of its streets, and follows the split's street rules to its successor", () => {
    // The new wards do not list the old ward's streets; a citizen names the street and no ward.
    const split: AreaRef[] = [
      {
        code: 'BACH_MAI_OLD',
        name: 'Phường Bạch Mai',
        unitCode: 'P_BACH_MAI_OLD',
        match: ['Bạch Mai'],
        active: false,
        streets: ['Hồng Mai', 'Lê Thanh Nghị', 'Tạ Quang Bửu'],
        successors: [
          { area: 'BM_A', streets: ['Hồng Mai'], patterns: [] },
          { area: 'BM_B', streets: ['Lê Thanh Nghị'], patterns: [] },
          { area: 'BM_B', streets: [], patterns: [] },
        ],
      },
      { code: 'BM_A', name: 'Phường Bạch Mai A', unitCode: 'P_BM_A', match: ['Bạch Mai A'] },
      { code: 'BM_B', name: 'Phường Bạch Mai B', unitCode: 'P_BM_B', match: ['Bạch Mai B'], streets: ['Lò Đúc'] },
    ];
    expect(resolveArea({ address: '5 Hồng Mai' }, split)).toMatchObject({ areaCode: 'BM_A', source: 'street' });
    expect(resolveArea({ address: '8 Lê Thanh Nghị' }, split)).toMatchObject({ areaCode: 'BM_B', source: 'street' });
    // A street the split did not list goes to its fallback, as an address naming the old ward would.
    expect(resolveArea({ address: '1 Tạ Quang Bửu' }, split)).toMatchObject({ areaCode: 'BM_B', source: 'street' });
    // A street a ward of today lists goes there, as before: the old ward's streets are read only when none does.
    expect(resolveArea({ address: 'góc Hồng Mai và Lò Đúc' }, split)).toMatchObject({ areaCode: 'BM_B', source: 'street' });
  });

  it('recognises a new ward by its name', () => {
    expect(resolveArea({ address: '3 ngõ 5, phường Mai Động' }, areas)).toMatchObject({ areaCode: 'MAI_DONG', source: 'address' });
    expect(resolveArea({ wardCode: 'mai_dong' }, areas)).toMatchObject({ areaCode: 'MAI_DONG', source: 'ward_code' });
  });

  it('follows a merge through several reorganisations, by wardCode too', () => {
    expect(resolveArea({ wardCode: 'CAU_DEN' }, areas)).toMatchObject({ areaCode: 'BACH_MAI_2025', source: 'ward_code' });
    expect(resolveArea({ address: 'số 1 Cầu Dền' }, areas)).toMatchObject({ areaCode: 'BACH_MAI_2025' });
  });

  it('reads the streets of a split ward from the address without the wards it names', () => {
    // "Lạc Trung" is the street; the ward named is Quỳnh Mai, whose name is no street here.
    expect(resolveArea({ address: '15 Lạc Trung, phường Quỳnh Mai' }, areas).areaCode).toBe('MAI_DONG');
    // The ward's name written as a street's, after a house number: the ward named beside it decides.
    expect(resolveArea({ address: '200 Quỳnh Mai, Bạch Mai' }, areas)).toMatchObject({ areaCode: 'BACH_MAI_2025', source: 'address' });
    // Google Maps writes phố as "P.": after a house number it is a street, not "phường".
    expect(resolveArea({ address: '46 P. Hai Bà Trưng, Mai Động' }, areas).areaCode).toBe('MAI_DONG');
    // Alone, a name after a house number still names its ward.
    expect(resolveArea({ address: 'số 1 Cầu Dền' }, areas).areaCode).toBe('BACH_MAI_2025');
  });

  it('reads a commune written "xã X" as that commune, and "thị xã X" or "thành phố X" as no ward', () => {
    const communes: AreaRef[] = [
      { code: 'TAN_LAP', name: 'Xã Tân Lập', unitCode: 'X_TAN_LAP', match: ['Tân Lập'] },
      { code: 'SON_TAY', name: 'Phường Sơn Tây', unitCode: 'P_SON_TAY', match: ['Sơn Tây'] },
    ];
    expect(resolveArea({ address: 'Thôn 3, xã Tân Lập' }, communes).areaCode).toBe('TAN_LAP');
    expect(resolveArea({ address: 'Tân Lập, thị xã Sơn Tây' }, communes).areaCode).toBe('TAN_LAP');
    expect(resolveArea({ address: 'thành phố Sơn Tây' }, communes).areaCode).toBeNull();
  });

  it('reads "P." after a comma as phường, after a house number as phố', () => {
    expect(resolveArea({ address: 'Tổ 5, P. Mai Động, 46 P. Hai Bà Trưng' }, areas).areaCode).toBe('MAI_DONG');
  });

  it("takes the district's own name, written bare, for the ward of that name only when nothing else is named", () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    expect(resolveArea({ address: '1 Tạ Quang Bửu, Hai Bà Trưng, Hà Nội' }, areas, district)).toMatchObject({ areaCode: 'BACH_MAI_2025', source: 'street' });
    expect(resolveArea({ address: 'Quỳnh Mai, Hai Bà Trưng' }, areas, district).areaCode).toBe('BACH_MAI_2025');
    expect(resolveArea({ address: 'Hai Bà Trưng, Hà Nội' }, areas, district)).toMatchObject({ areaCode: 'HAI_BA_TRUNG_2025', source: 'address' });
    expect(resolveArea({ address: 'phường Hai Bà Trưng, Mai Động' }, areas, district).areaCode).toBe('HAI_BA_TRUNG_2025');
    // Without the district's name, as before: a bare mention.
    expect(resolveArea({ address: '1 Tạ Quang Bửu, Hai Bà Trưng' }, areas).areaCode).toBe('HAI_BA_TRUNG_2025');
    // Weaker than a name where a street goes: on Bạch Mai street, as with "quận", not in two wards.
    for (const address of [
      '12 Bạch Mai, Hai Bà Trưng',
      '12 Bach Mai, Hai Ba Trung',
      '12 Bạch Mai, Hai Bà Trưng, Hà Nội'.normalize('NFD'),
      '12 Bạch Mai, quận Hai Bà Trưng',
    ]) {
      expect([address, resolveArea({ address }, areas, district).areaCode]).toEqual([address, 'BACH_MAI_2025']);
    }
    // Nor does it take a ward code's old ward to the ward of its name.
    expect(resolveArea({ wardCode: 'QUYNH_MAI', address: '15 Lạc Trung, Hai Bà Trưng' }, areas, district).areaCode).toBe('MAI_DONG');
  });

  it('takes an address in another district, with or without diacritics, for none of its wards, unless it prefixes a ward of today', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    expect(resolveArea({ address: 'Cổng bệnh viện Bạch Mai, 78 Giải Phóng, quận Đống Đa' }, areas, district)).toEqual({
      areaCode: null,
      source: null,
      problem: "the address names another district or province, outside Quận Hai Bà Trưng: its ward names are not this district's",
    });
    expect(resolveArea({ address: 'phường Quỳnh Mai, Q. Thanh Xuân' }, areas, district).areaCode).toBeNull();
    // The same typed without diacritics (Telex off): the other district still holds, rather than a ward of
    // this one that shares a street's name. A ward of today written with its prefix still decides.
    const elsewhere = [
      'phuong Quynh Mai, quan Dong Da',
      '15 Lac Trung, quan Hoang Mai',
      'ngo 5 Bach Mai, quan Dong Da',
      '12 Nguyen Trai, Q Thanh Xuan, phuong Quynh Mai',
      '12 Bach Mai, huyen Thanh Tri',
      'so 3 Cau Den, thi xa Son Tay',
    ];
    expect(elsewhere.map((a) => [a, resolveArea({ address: a }, areas, district).areaCode])).toEqual(elsewhere.map((a) => [a, null]));
    expect(resolveArea({ address: 'phuong Bach Mai, quan Dong Da' }, areas, district).areaCode).toBe('BACH_MAI_2025');
    expect(resolveArea({ address: 'phường Bạch Mai, quận Đống Đa' }, areas, district).areaCode).toBe('BACH_MAI_2025');
    for (const ours of [
      'phường Quỳnh Mai, Q.HBT',
      'Quỳnh Mai, quận Hai Bà Trưng cũ, Hà Nội',
      'trước quán cà phê, phường Quỳnh Mai',
      'phuong Quynh Mai, quan Hai Ba Trung',
      'phuong Quynh Mai, Q HBT, Ha Noi',
      // Opening the address, "Quan" is a name (Quan Hoa, Quan Nhân): not judged.
      'Quan Nhan, phuong Quynh Mai',
    ]) {
      expect(resolveArea({ address: ours }, areas, district).areaCode).toBe('BACH_MAI_2025');
    }
  });

  // Since 2025 a ward belongs to its province, and other provinces have wards of the same names (Bạch Đằng in
  // Quảng Ninh, Cửa Nam and Nguyễn Du in Nam Định, Minh Khai in Hà Nam): another province or city outranks them.
  it('takes an address in another province or city for none of its wards, even beside a ward of today', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    const elsewhere = [
      'phường Bạch Mai, TP Hạ Long, Quảng Ninh',
      'phuong Bach Mai, tp Vinh Yen, tinh Vinh Phuc',
      'phường Mai Động, tỉnh Quảng Ninh',
      'phường Mai Động, Thành phố Nam Định'.normalize('NFD'),
      '12 Tạ Quang Bửu, TP. Nam Định',
      '15 Lạc Trung, Hà Nam',
      '12 Bạch Mai, Đà Nẵng',
      '46 Hai Bà Trưng, TP.HCM',
      'Quỳnh Mai, Vinh, Nghệ An',
      'Tổ 3, Quỳnh Mai, tỉnh Hòa Bình',
    ];
    expect(elsewhere.map((a) => [a, resolveArea({ address: a }, areas, district).areaCode])).toEqual(elsewhere.map((a) => [a, null]));
    expect(resolveArea({ address: '15 Lạc Trung, Hà Nam' }, areas, district).problem).toBe(
      "the address names another district or province, outside Quận Hai Bà Trưng: its ward names are not this district's",
    );
    for (const ours of [
      'phường Bạch Mai, TP Hà Nội',
      'phuong Bach Mai, TP. Ha Noi',
      '1 Tạ Quang Bửu, Thành phố Hà Nội',
      '1 Tạ Quang Bửu, Hà Nội, Việt Nam',
      'đối diện TPBank, 1 Tạ Quang Bửu',
      // Hòa Bình alone is also an alley here (ngõ Hòa Bình, off Minh Khai street), not the province.
      'Tổ 3, Hòa Bình, phường Bạch Mai',
      '1 Tạ Quang Bửu, TP Hà Nội Việt Nam',
    ]) {
      expect([ours, resolveArea({ address: ours }, areas, district).areaCode]).toEqual([ours, 'BACH_MAI_2025']);
    }
  });

  // "12 Bạch Đằng, phường Chương Dương": Bạch Đằng street runs through other wards too; the ward the address
  // names, not one of ours, says where it is.
  it('sends an address naming a ward it does not know to triage rather than by a street of the same name', () => {
    const unknown = [
      '12 Bạch Mai, phường Chương Dương, Hà Nội',
      '12 Bach Mai, phuong Phuong Mai',
      '15 Lạc Trung, P. Chương Dương',
      '15 Lạc Trung, P.Chương Dương',
      'Quỳnh Mai, phường 2',
      'Bạch Mai, xã Thanh Liệt',
      'số 1 Cầu Dền, phường Đồng Xuân',
      'Tổ 5, P. Chương Dương, Bạch Mai',
    ];
    expect(unknown.map((a) => [a, resolveArea({ address: a }, areas).areaCode])).toEqual(unknown.map((a) => [a, null]));
    expect(resolveArea({ address: '15 Lạc Trung, P. Chương Dương' }, areas).problem).toBe(
      "the address names a ward, commune or town that is none of this deployment's: its other names may be streets elsewhere",
    );
    for (const [address, area] of [
      // A ward of today written with its prefix still decides; a known ward's name may run on.
      ['phường Bạch Mai (phường Chương Dương cũ)', 'BACH_MAI_2025'],
      ['12 Bạch Mai, phường Bạch Mai cũ', 'BACH_MAI_2025'],
      ['phường Quỳnh Mai quận Hai Bà Trưng', 'BACH_MAI_2025'],
      // Not a ward: a room, the word alone or before no name, a name that begins with "Phương", society.
      ['P. 302, 1 Tạ Quang Bửu', 'BACH_MAI_2025'],
      ['UBND phường, 1 Tạ Quang Bửu', 'BACH_MAI_2025'],
      ['1 Tạ Quang Bửu, giáp các phường lân cận', 'BACH_MAI_2025'],
      ['Phương Mai Garden, Quỳnh Mai', 'BACH_MAI_2025'],
      ['Hội Bảo trợ xã hội, 1 Tạ Quang Bửu', 'BACH_MAI_2025'],
      // "P." after a house number's part is phố: Google Maps' "P. Trần Xuân Soạn" split from its number.
      ['Số 12, P. Trần Xuân Soạn, Bạch Mai', 'BACH_MAI_2025'],
    ] as [string, string][]) {
      expect([address, resolveArea({ address }, areas).areaCode]).toEqual([address, area]);
    }
  });

  // "12 Kim Ngưu, Hai Bà Trưng": the former district's name, not the new ward Hai Bà Trưng, which the splits
  // say none of Kim Ngưu went to.
  it("reads a street a split lists when the address names this district, before taking the district's name for the ward", () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    const split = (code: string, parts: [string, string[]][]): AreaRef => ({
      code,
      name: `Phường ${code}`,
      unitCode: `P_${code}`,
      match: [code],
      active: false,
      successors: [...parts.map(([area, streets]) => ({ area, streets, patterns: [] })), { area: 'HAI_BA_TRUNG_2025', streets: [], patterns: [] }],
    });
    const wards: AreaRef[] = [
      split('OLD_A', [
        ['BACH_MAI_2025', ['Đoàn Trần Nghiệp']],
        ['VINH_TUY_2025', ['Kim Ngưu']],
      ]),
      split('OLD_B', [['BACH_MAI_2025', ['Kim Ngưu', 'Đoàn Trần Nghiệp']]]),
      { code: 'HAI_BA_TRUNG_2025', name: 'Phường Hai Bà Trưng', unitCode: 'P2025_HAI_BA_TRUNG', match: ['Hai Bà Trưng'] },
      { code: 'BACH_MAI_2025', name: 'Phường Bạch Mai', unitCode: 'P2025_BACH_MAI', match: ['Bạch Mai'] },
      { code: 'VINH_TUY_2025', name: 'Phường Vĩnh Tuy', unitCode: 'P2025_VINH_TUY', match: ['Vĩnh Tuy'] },
    ];
    for (const [address, area] of [
      ['12 Đoàn Trần Nghiệp, Hai Bà Trưng, Hà Nội', 'BACH_MAI_2025'],
      ['12 Doan Tran Nghiep, Hai Ba Trung', 'BACH_MAI_2025'],
      ['12 Đoàn Trần Nghiệp, quận Hai Bà Trưng', 'BACH_MAI_2025'],
      ['12 Đoàn Trần Nghiệp, Q.HBT', 'BACH_MAI_2025'],
      // The splits send the street to two wards: the address does not say which.
      ['12 Kim Ngưu, Hai Bà Trưng', null],
      ['12 Kim Ngưu, quận Hai Bà Trưng', null],
      // A street no split lists: the district's name is read for the ward, as before.
      ['ngõ 102 Trường Chinh, Hai Bà Trưng', 'HAI_BA_TRUNG_2025'],
      ['Hai Bà Trưng, Hà Nội', 'HAI_BA_TRUNG_2025'],
      // Without this district named, a split's street alone decides nothing: it may run on into another district.
      ['12 Đoàn Trần Nghiệp', null],
      ['12 Đoàn Trần Nghiệp, Hà Nội', null],
    ] as [string, string | null][]) {
      expect([address, resolveArea({ address }, wards, district).areaCode]).toEqual([address, area]);
    }
    expect(resolveArea({ address: '12 Đoàn Trần Nghiệp, Hai Bà Trưng' }, wards, district).source).toBe('street');
    expect(resolveArea({ address: '12 Kim Ngưu, Hai Bà Trưng' }, wards, district).problem).toBe('the address names streets of more than one ward');
  });

  it('reads "quận X" closing a part that opens with a house number as the district, when the address has no commas', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    for (const [address, area] of [
      ['12 Bạch Mai quận Đống Đa', null],
      ['số 5 ngõ 10 Bạch Mai Q.Đống Đa, Hà Nội', null],
      ['ngõ 5 Bạch Mai huyện Thanh Trì', null],
      ['12 Bạch Mai quận Hai Bà Trưng Hà Nội', 'BACH_MAI_2025'],
      ['12 Bạch Mai Q.HBT', 'BACH_MAI_2025'],
      // Not opening with a house number: a mention, as before ("Quận ủy", "Công an quận").
      ['Quỳnh Mai, đối diện trụ sở Công an quận Hoàng Mai', 'BACH_MAI_2025'],
      ['12 Bạch Mai trước cổng Quận ủy Đống Đa', 'BACH_MAI_2025'],
    ] as [string, string | null][]) {
      expect([address, resolveArea({ address }, areas, district).areaCode]).toEqual([address, area]);
    }
  });

  // Citizens often leave "quận"/"huyện" out: "Số 8 Ngõ 121 Thái Hà, Đống Đa, Hà Nội". Written bare in a part
  // of its own after the street, another district of the city is read as "quận Đống Đa" is.
  it('reads another district written bare after the street as that district, as "quận Đống Đa" is read', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    const bare = [
      '12 Bạch Mai, Đống Đa',
      '12 Bạch Mai, Đống Đa'.normalize('NFD'),
      '12 Bach Mai, Dong Da',
      '12 BẠCH MAI, ĐỐNG ĐA, HÀ NỘI',
      '12 Bạch Mai, Đống Đa, Hà Nội',
      '12 Bạch Mai, Đống Đa cũ, HN',
      'ngõ 5 Bạch Mai, Hoàng Mai',
      '15 Lạc Trung, Hoàng Mai, TP Hà Nội',
      'Bạch Mai, Thanh Trì',
      'Tổ 5, Bạch Mai, Hoàng Mai',
      'phường Quỳnh Mai, Thanh Xuân',
    ];
    const prefixed = (a: string) => resolveArea({ address: a.replace(/, ([^,]+)$/, ', quận $1') }, areas, district).areaCode;
    expect(bare.map((a) => [a, resolveArea({ address: a }, areas, district).areaCode])).toEqual(bare.map((a) => [a, null]));
    expect(resolveArea({ address: '12 Bạch Mai, Đống Đa' }, areas, district).problem).toBe(
      "the address names another district or province, outside Quận Hai Bà Trưng: its ward names are not this district's",
    );
    // As the prefixed form goes.
    expect(prefixed('12 Bạch Mai, Đống Đa')).toBeNull();
    // A ward of today written with its prefix still decides, as beside "quận".
    expect(resolveArea({ address: 'phường Bạch Mai, Đống Đa' }, areas, district).areaCode).toBe('BACH_MAI_2025');
    // Only with the deployment's district known, as for "quận Đống Đa".
    expect(resolveArea({ address: '12 Bạch Mai, Đống Đa' }, areas).areaCode).toBe('BACH_MAI_2025');
    // This district written bare is no other district.
    expect(resolveArea({ address: 'Quỳnh Mai, Hai Bà Trưng, Hà Nội' }, areas, district).areaCode).toBe('BACH_MAI_2025');
  });

  // "Hoàng Mai" is a district and a street; "Huyền Trân Công Chúa" a street that, typed without diacritics,
  // begins with "huyen" (huyện); "Cầu Giấy" a district and a street.
  it('keeps a street that bears a district\'s name, or begins with "huyen", a street', () => {
    const district = { district: 'Quận Hai Bà Trưng' };
    for (const [address, area] of [
      // A street's name after a house number, in the part of the number or the next one.
      ['12 Hoàng Mai, Bạch Mai', 'BACH_MAI_2025'],
      ['Số 12, Hoàng Mai, Bạch Mai', 'BACH_MAI_2025'],
      ['Ngõ 146, Hoàng Mai, phường Bạch Mai', 'BACH_MAI_2025'],
      ['so 12, Hoang Mai, Bach Mai', 'BACH_MAI_2025'],
      // "huyen" before a name that is no district is the street Huyền Trân Công Chúa, not huyện.
      ['Số 3, ngõ 12, Huyen Tran Cong Chua, Bach Mai', 'BACH_MAI_2025'],
      ['Cong vien Thong Nhat, Huyen Tran Cong Chua, Bach Mai', 'BACH_MAI_2025'],
      ['Cổng công viên Thống Nhất, Huyền Trân Công Chúa, Bạch Mai', 'BACH_MAI_2025'],
      ['Cổng công viên Thống Nhất, Huyền Trân Công Chúa, Bạch Mai'.normalize('NFD'), 'BACH_MAI_2025'],
      // A district's name inside a longer name is not the district.
      ['12 Bạch Mai, Thanh Xuân Bắc', 'BACH_MAI_2025'],
      // The district after the street is still the district; huyện before a district's name too.
      ['Ngõ 146 Đ. Hoàng Mai, Hoàng Văn Thụ, Hoàng Mai, Hà Nội', null],
      ['12 Bach Mai, huyen Thanh Tri', null],
      ['Số 3, ngõ 12, Bạch Mai, huyen Thanh Tri', null],
    ] as [string, string | null][]) {
      expect([address, resolveArea({ address }, areas, district).areaCode]).toEqual([address, area]);
    }
  });

  it("takes a name that is a ward of this deployment's for the ward, though a district bore it", () => {
    // Since 1 July 2025 a ward of Hà Nội bears the name of the district Hoàng Mai.
    const withHoangMai: AreaRef[] = [...areas, { code: 'HOANG_MAI_2025', name: 'Phường Hoàng Mai', unitCode: 'P2025_HOANG_MAI', match: ['Hoàng Mai'] }];
    const district = { district: 'Quận Hai Bà Trưng' };
    expect(resolveArea({ address: '12 Tân Mai, Hoàng Mai' }, withHoangMai, district).areaCode).toBe('HOANG_MAI_2025');
    expect(resolveArea({ address: '12 Tan Mai, Hoang Mai' }, withHoangMai, district).areaCode).toBe('HOANG_MAI_2025');
  });

  it("finds a ward by one of its streets when the address names no ward, and does not take a district's name for a ward", () => {
    expect(resolveArea({ address: '1 Tạ Quang Bửu, quận Hai Bà Trưng' }, areas)).toMatchObject({ areaCode: 'BACH_MAI_2025', source: 'street' });
    expect(resolveArea({ address: '9 Lạc Trung' }, areas)).toMatchObject({ areaCode: 'MAI_DONG', source: 'street' });
  });
});
