import { AreaRef, resolveArea } from './routing';

/*
 * Addresses as citizens' apps, the 1022 hotline's operators and web forms really write them: each variant
 * must find the area its clean form finds (a ward, or none: an address elsewhere stays out whatever its
 * spelling). The clean forms are anchored first, so a variant that "agrees" with a broken clean form fails.
 */

// Hai Bà Trưng after 1 July 2025: three wards of today, an old ward split by street and one merged.
const areas: AreaRef[] = [
  { code: 'BACH_MAI', name: 'Phường Bạch Mai', unitCode: 'P2025_BACH_MAI', match: ['Bạch Mai'], streets: ['Tạ Quang Bửu', 'Lê Thanh Nghị'] },
  { code: 'HAI_BA_TRUNG', name: 'Phường Hai Bà Trưng', unitCode: 'P2025_HAI_BA_TRUNG', match: ['Hai Bà Trưng'], streets: ['Lò Đúc', 'Hòa Mã'] },
  { code: 'VINH_TUY', name: 'Phường Vĩnh Tuy', unitCode: 'P2025_VINH_TUY', match: ['Vĩnh Tuy'], streets: ['Nguyễn Khoái'] },
  {
    code: 'QUYNH_MAI',
    name: 'Phường Quỳnh Mai',
    unitCode: 'P_QUYNH_MAI',
    match: ['Quỳnh Mai'],
    active: false,
    successors: [
      { area: 'VINH_TUY', streets: ['Lạc Trung'], patterns: [] },
      { area: 'BACH_MAI', streets: [], patterns: [] },
    ],
  },
  {
    code: 'THANH_NHAN',
    name: 'Phường Thanh Nhàn',
    unitCode: 'P_THANH_NHAN',
    match: ['Thanh Nhàn'],
    active: false,
    successors: [{ area: 'BACH_MAI', streets: [], patterns: [] }],
  },
];
const HBT = { district: 'Quận Hai Bà Trưng' };

// A deployment in Tây Hồ (before 2025), for a name with "uy" under a tone mark.
const tayHo: AreaRef[] = [
  { code: 'THUY_KHUE', name: 'Phường Thụy Khuê', unitCode: 'P_THUY_KHUE', match: ['Thụy Khuê'] },
  { code: 'BUOI', name: 'Phường Bưởi', unitCode: 'P_BUOI', match: ['Bưởi'] },
];
const TAY_HO = { district: 'Quận Tây Hồ' };

/** The clean forms and where they go. */
const CLEAN: [string, string | null][] = [
  ['Số 5 ngõ 10 Tạ Quang Bửu, phường Bạch Mai, quận Hai Bà Trưng, Hà Nội', 'BACH_MAI'],
  ['phường Bạch Mai, quận Hai Bà Trưng', 'BACH_MAI'],
  ['Tổ 5, phường Vĩnh Tuy', 'VINH_TUY'],
  ['12 Hòa Mã, quận Hai Bà Trưng', 'HAI_BA_TRUNG'],
  ['15 Lạc Trung, phường Quỳnh Mai', 'VINH_TUY'],
  ['Số 12, P. Trần Xuân Soạn, Bạch Mai', 'BACH_MAI'],
  ['20 Thanh Nhàn, phường Thanh Nhàn', 'BACH_MAI'],
  // Elsewhere: another district, another province, a ward not ours. None of their variants may find a ward.
  ['12 Bạch Mai, quận Đống Đa', null],
  ['12 Bạch Mai, Đống Đa', null],
  ['12 Bạch Mai, Thanh Hóa', null],
  ['phường Bạch Mai, tỉnh Khánh Hòa', null],
  ['12 Bạch Mai, Thừa Thiên Huế', null],
  ['12 Bạch Mai, Bà Rịa Vũng Tàu', null],
  ['15 Lạc Trung, phường Chương Dương', null],
];
const TAY_HO_CLEAN: [string, string | null][] = [['Số 3 Thụy Khuê, phường Thụy Khuê, quận Tây Hồ', 'THUY_KHUE']];

const INVISIBLE: [string, string][] = [
  ['U+200B zero-width space', '\u200b'],
  ['U+200C zero-width non-joiner', '\u200c'],
  ['U+200D zero-width joiner', '\u200d'],
  ['U+2060 word joiner', '\u2060'],
  ['U+FEFF byte order mark', '\ufeff'],
  ['U+00AD soft hyphen', '\u00ad'],
  ['U+200E left-to-right mark', '\u200e'],
];
const SPACES: [string, string][] = [
  ['U+00A0 no-break space', '\u00a0'],
  ['U+202F narrow no-break space', '\u202f'],
  ['U+3000 ideographic space', '\u3000'],
  ['U+2009 thin space', '\u2009'],
  ['a tab', '\t'],
];

/** [what, variant, its clean form] */
const VARIANTS: [string, string, string][] = [
  // Invisible characters pasted from web pages, chat apps and word processors.
  ...INVISIBLE.flatMap(([what, c]): [string, string, string][] => [
    [`${what} inside the ward's name`, `phường Bạ${c}ch Mai, quận Hai Bà Trưng`, 'phường Bạch Mai, quận Hai Bà Trưng'],
    [`${what} inside "phường"`, `phư${c}ờng Bạch Mai, quận Hai Bà Trưng`, 'phường Bạch Mai, quận Hai Bà Trưng'],
    [`${what} beside a space between words`, `phường Bạch${c} Mai,${c} quận Hai Bà Trưng`, 'phường Bạch Mai, quận Hai Bà Trưng'],
    [`${what} opening and closing the address`, `${c}phường Bạch Mai, quận Hai Bà Trưng${c}`, 'phường Bạch Mai, quận Hai Bà Trưng'],
    [`${what} inside a street a split decides by`, `15 Lạc${c} Tru${c}ng, phường Quỳnh Mai`, '15 Lạc Trung, phường Quỳnh Mai'],
    [`${what} inside the house number`, `1${c}2 Hòa Mã, quận Hai Bà Trưng`, '12 Hòa Mã, quận Hai Bà Trưng'],
    [`${what} inside "quận" of another district`, `12 Bạch Mai, q${c}uận Đống Đa`, '12 Bạch Mai, quận Đống Đa'],
    [`${what} inside another district written bare`, `12 Bạch Mai, Đố${c}ng Đa`, '12 Bạch Mai, Đống Đa'],
    [`${what} inside another province`, `12 Bạch Mai, Tha${c}nh Hóa`, '12 Bạch Mai, Thanh Hóa'],
    [`${what} inside "phường" of a ward not ours`, `15 Lạc Trung, phườ${c}ng Chương Dương`, '15 Lạc Trung, phường Chương Dương'],
    [`${what} inside "P." after a house number's part`, `Số 12, P${c}. Trần Xuân Soạn, Bạch Mai`, 'Số 12, P. Trần Xuân Soạn, Bạch Mai'],
  ]),
  // Non-breaking and other spaces (word processors, French and East Asian keyboards), tabs and line breaks.
  ...SPACES.flatMap(([what, s]): [string, string, string][] => [
    [`${what} between words`, `phường${s}Bạch${s}Mai,${s}quận Hai${s}Bà${s}Trưng`, 'phường Bạch Mai, quận Hai Bà Trưng'],
    [`${what} after "quận" of another district`, `12 Bạch Mai, quận${s}Đống Đa`, '12 Bạch Mai, quận Đống Đa'],
    [`${what} in a ward not ours`, `15 Lạc Trung, phường${s}Chương${s}Dương`, '15 Lạc Trung, phường Chương Dương'],
    [`${what} around a dash between parts`, `12 Bạch Mai${s}-${s}quận Đống Đa`, '12 Bạch Mai, quận Đống Đa'],
  ]),
  ['runs of spaces', '  Số 5   ngõ 10  Tạ Quang Bửu ,  phường   Bạch Mai ', 'Số 5 ngõ 10 Tạ Quang Bửu, phường Bạch Mai, quận Hai Bà Trưng, Hà Nội'],
  ["a line break between parts (a form's text box)", 'Số 5 ngõ 10 Tạ Quang Bửu\nphường Bạch Mai\nquận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['CR LF between parts', 'Số 5 ngõ 10 Tạ Quang Bửu\r\nphường Bạch Mai\r\nHà Nội', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['a line break before another district', '12 Bạch Mai\nquận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a line break before another district written bare', '12 Bạch Mai\nĐống Đa\nHà Nội', '12 Bạch Mai, Đống Đa'],
  ['a line break before a ward not ours', '15 Lạc Trung\nphường Chương Dương', '15 Lạc Trung, phường Chương Dương'],
  ['a line break before "P." after a house number\'s part', 'Số 12\nP. Trần Xuân Soạn\nBạch Mai', 'Số 12, P. Trần Xuân Soạn, Bạch Mai'],
  // Decomposed text (macOS and some Android keyboards, text copied from PDFs).
  ...CLEAN.map(([clean]): [string, string, string] => ['decomposed (NFD)', clean.normalize('NFD'), clean]),
  ['decomposed, another district bare', '12 Bạch Mai, Đống Đa'.normalize('NFD'), '12 Bạch Mai, Đống Đa'],
  // Old-style tone placement (on the first vowel of "oa", "oe", "uy").
  ['old-style "Hoà"', '12 Hoà Mã, quận Hai Bà Trưng', '12 Hòa Mã, quận Hai Bà Trưng'],
  ['old-style "Hoá"', '12 Bạch Mai, Thanh Hoá', '12 Bạch Mai, Thanh Hóa'],
  ['old-style "Hoà" in a province after a ward', 'phường Bạch Mai, tỉnh Khánh Hoà', 'phường Bạch Mai, tỉnh Khánh Hòa'],
  ['old-style "Hoà", decomposed', '12 Hoà Mã, quận Hai Bà Trưng'.normalize('NFD'), '12 Hòa Mã, quận Hai Bà Trưng'],
  // ALL CAPS (hotline operators, older forms).
  ['ALL CAPS', 'PHƯỜNG BẠCH MAI, QUẬN HAI BÀ TRƯNG', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['ALL CAPS, a street a split decides by', '15 LẠC TRUNG, PHƯỜNG QUỲNH MAI', '15 Lạc Trung, phường Quỳnh Mai'],
  ['ALL CAPS, another district', '12 BẠCH MAI, QUẬN ĐỐNG ĐA', '12 Bạch Mai, quận Đống Đa'],
  ['ALL CAPS, a ward not ours', '15 LẠC TRUNG, PHƯỜNG CHƯƠNG DƯƠNG', '15 Lạc Trung, phường Chương Dương'],
  ['ALL CAPS, "P." after a house number\'s part', 'SỐ 12, P. TRẦN XUÂN SOẠN, BẠCH MAI', 'Số 12, P. Trần Xuân Soạn, Bạch Mai'],
  ['ALL CAPS without diacritics', 'PHUONG BACH MAI, QUAN HAI BA TRUNG', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['ALL CAPS, old-style tone placement', '12 HOÀ MÃ, QUẬN HAI BÀ TRƯNG', '12 Hòa Mã, quận Hai Bà Trưng'],
  // Abbreviations.
  ['"P." and "Q."', 'P. Bạch Mai, Q. Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['"P." and "Q." without a space', 'P.Bạch Mai, Q.Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['"Q.HBT"', 'P.Bạch Mai, Q.HBT', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['"Q.HBT" after a street', '12 Hòa Mã, Q.HBT', '12 Hòa Mã, quận Hai Bà Trưng'],
  [
    '"TP. Hà Nội"',
    'Số 5 ngõ 10 Tạ Quang Bửu, P. Bạch Mai, Q. Hai Bà Trưng, TP. Hà Nội',
    'Số 5 ngõ 10 Tạ Quang Bửu, phường Bạch Mai, quận Hai Bà Trưng, Hà Nội',
  ],
  ['"TP.HN"', 'P. Bạch Mai, Q. HBT, TP.HN', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['"HN"', 'P. Bạch Mai, HN', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['"HBT, HN" bare', 'Tổ 5, P. Vĩnh Tuy, HBT, HN', 'Tổ 5, phường Vĩnh Tuy'],
  ['"Q." of another district', '12 Bạch Mai, Q. Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['"Q." of another district, no space', '12 Bạch Mai, Q.Đống Đa, HN', '12 Bạch Mai, quận Đống Đa'],
  ['"P." of a ward not ours', '15 Lạc Trung, P.Chương Dương', '15 Lạc Trung, phường Chương Dương'],
  ['"p." in lower case', 'p. Bạch Mai, q. Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  // Punctuation.
  ['hyphens between parts', 'Số 5 ngõ 10 Tạ Quang Bửu - phường Bạch Mai - quận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['en dashes between parts', 'Số 5 ngõ 10 Tạ Quang Bửu – phường Bạch Mai – quận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['em dashes between parts', 'Số 5 ngõ 10 Tạ Quang Bửu — phường Bạch Mai — quận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['a hyphen before another district', '12 Bạch Mai - quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['an en dash before another district written bare', '12 Bạch Mai – Đống Đa – Hà Nội', '12 Bạch Mai, Đống Đa'],
  ['an em dash before another district', '12 Bạch Mai — quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a hyphen before a ward not ours', '15 Lạc Trung - phường Chương Dương', '15 Lạc Trung, phường Chương Dương'],
  ['a hyphen between parts without spaces', '12 Bạch Mai-quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a hyphen before "Q." without spaces', '12 Bạch Mai-Q.Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a hyphen before "phường" spaced on one side', 'Số 5 ngõ 10 Tạ Quang Bửu -phường Bạch Mai', 'phường Bạch Mai, quận Hai Bà Trưng'],
  [
    'a zero-width space standing for the space between a small letter and a capital',
    'phường Bạch\u200bMai, quận Hai\u200bBà Trưng',
    'phường Bạch Mai, quận Hai Bà Trưng',
  ],
  ['a house number range', '12-14 Hòa Mã, quận Hai Bà Trưng', '12 Hòa Mã, quận Hai Bà Trưng'],
  ['hyphens without spaces between parts', 'Số 5 ngõ 10 Tạ Quang Bửu-P.Bạch Mai-Q.HBT-HN', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['hyphens without spaces, another district bare', '12 Bạch Mai-Đống Đa-Hà Nội', '12 Bạch Mai, Đống Đa'],
  ['hyphens without spaces, another district without diacritics', '12 bach mai-quan dong da', '12 Bạch Mai, quận Đống Đa'],
  ['ALL CAPS, hyphens without spaces, another district bare', '12 BẠCH MAI-ĐỐNG ĐA', '12 Bạch Mai, Đống Đa'],
  ['an en dash without spaces before a ward not ours', '15 Lạc Trung–P.Chương Dương', '15 Lạc Trung, phường Chương Dương'],
  ['a province written with its hyphen', '12 Bạch Mai, Thừa Thiên-Huế', '12 Bạch Mai, Thừa Thiên Huế'],
  ['a province written with its spaced hyphen', '12 Bạch Mai, Bà Rịa - Vũng Tàu', '12 Bạch Mai, Bà Rịa Vũng Tàu'],
  ['a province written with its hyphen, no comma before it', '12 Bạch Mai-Bà Rịa-Vũng Tàu', '12 Bạch Mai, Bà Rịa Vũng Tàu'],
  ['a building and its room', 'Phòng 12, nhà B5-12 Tạ Quang Bửu, phường Bạch Mai', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['a hyphenated place before the street', 'Trung tâm Văn hóa-Thể thao, 12 Hòa Mã, Q.HBT', '12 Hòa Mã, quận Hai Bà Trưng'],
  ['a slash between alley and house number', 'số 5/10 Tạ Quang Bửu, phường Bạch Mai', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ["a slash, a split's street", '15/3 Lạc Trung, phường Quỳnh Mai', '15 Lạc Trung, phường Quỳnh Mai'],
  ['a slash before another district', '12/40 Bạch Mai, quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a trailing full stop', 'phường Bạch Mai, quận Hai Bà Trưng.', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['a trailing full stop after another district', '12 Bạch Mai, quận Đống Đa.', '12 Bạch Mai, quận Đống Đa'],
  ['a trailing full stop after another district bare', '12 Bạch Mai, Đống Đa.', '12 Bạch Mai, Đống Đa'],
  ['a trailing full stop after a ward not ours', '15 Lạc Trung, phường Chương Dương.', '15 Lạc Trung, phường Chương Dương'],
  ['a trailing full stop after a province', '12 Bạch Mai, Thanh Hóa.', '12 Bạch Mai, Thanh Hóa'],
  ['doubled commas', 'Số 5 ngõ 10 Tạ Quang Bửu,, phường Bạch Mai,, quận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['doubled commas before another district', '12 Bạch Mai,, quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['doubled commas before another district bare', '12 Bạch Mai,, Đống Đa', '12 Bạch Mai, Đống Đa'],
  ['an empty part', '12 Bạch Mai, , Đống Đa', '12 Bạch Mai, Đống Đa'],
  ['a space before the comma', '12 Bạch Mai , quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['no space after the comma', '12 Bạch Mai,quận Đống Đa', '12 Bạch Mai, quận Đống Đa'],
  ['a leading comma', ', phường Bạch Mai, quận Hai Bà Trưng', 'phường Bạch Mai, quận Hai Bà Trưng'],
  ['a semicolon between parts', '15 Lạc Trung; phường Chương Dương', '15 Lạc Trung, phường Chương Dương'],
  ['a full stop between parts', 'Số 12. P. Trần Xuân Soạn. Bạch Mai', 'Số 12, P. Trần Xuân Soạn, Bạch Mai'],
  ['the ward in brackets', '20 Thanh Nhàn (phường Thanh Nhàn)', '20 Thanh Nhàn, phường Thanh Nhàn'],
  ['"số" with a colon', 'Số: 12, P. Trần Xuân Soạn, Bạch Mai', 'Số 12, P. Trần Xuân Soạn, Bạch Mai'],
];

const TAY_HO_VARIANTS: [string, string, string][] = [
  ['old-style "Thuỵ"', 'Số 3 Thuỵ Khuê, phường Thuỵ Khuê, quận Tây Hồ', 'Số 3 Thụy Khuê, phường Thụy Khuê, quận Tây Hồ'],
  ['old-style "Thuỵ", ALL CAPS', 'SỐ 3 THUỴ KHUÊ, P. THUỴ KHUÊ', 'Số 3 Thụy Khuê, phường Thụy Khuê, quận Tây Hồ'],
  ['old-style "Thuỵ", decomposed', 'Số 3 Thuỵ Khuê, phường Thuỵ Khuê'.normalize('NFD'), 'Số 3 Thụy Khuê, phường Thụy Khuê, quận Tây Hồ'],
  ['zero-width space in "Thụy"', 'Số 3 Thụy Khuê, phường Thụ\u200by Khuê', 'Số 3 Thụy Khuê, phường Thụy Khuê, quận Tây Hồ'],
];

describe(`${resolveArea.name}: addresses as they are written`, () => {
  it.each([...CLEAN.map(([a, code]) => [a, code, HBT] as const), ...TAY_HO_CLEAN.map(([a, code]) => [a, code, TAY_HO] as const)])(
    'the clean form %j goes to %s',
    (address, code, district) => {
      expect(resolveArea({ address }, district === HBT ? areas : tayHo, district).areaCode).toBe(code);
    },
  );

  const areaOf = (clean: string, table: [string, string | null][]) => {
    const found = table.find(([a]) => a === clean);
    if (!found) throw new Error(`no clean form ${clean}`);
    return found[1];
  };

  it.each(VARIANTS.map(([what, variant, clean]) => [what, variant, clean, areaOf(clean, CLEAN)] as const))(
    '%s: %j goes where %j does (%s)',
    (_what, variant, _clean, code) => {
      expect(resolveArea({ address: variant }, areas, HBT).areaCode).toBe(code);
    },
  );

  // What the text shows decides: a zero-width space between two small letters, or two capitals, cannot be
  // told from one inside a word ("Bạ\u200bch"), so it joins them as it does there, and no ward is read.
  it.each([
    ['a zero-width space alone between two small letters reads as the text shows, "bạchmai": no ward, triage', 'phường bạch\u200bmai, quận hai bà trưng'],
    ['a zero-width space alone between two capitals reads as the text shows, "BẠCHMAI": no ward, triage', 'PHƯỜNG BẠCH\u200bMAI'],
  ])('%s (%j)', (_what, address) => {
    expect(resolveArea({ address }, areas, HBT).areaCode).toBeNull();
  });

  it.each(TAY_HO_VARIANTS.map(([what, variant, clean]) => [what, variant, clean, areaOf(clean, TAY_HO_CLEAN)] as const))(
    '%s: %j goes where %j does (%s)',
    (_what, variant, _clean, code) => {
      expect(resolveArea({ address: variant }, tayHo, TAY_HO).areaCode).toBe(code);
    },
  );
});
