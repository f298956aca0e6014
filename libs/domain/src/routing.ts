import { ADDRESS_PARTS, addressText, foldedName, foldVietnamese, GROUP_WORDS } from './text';

/** A routing rule as the engine evaluates it; `toWard` sends the case to the ward of its location. */
export interface RoutingRule {
  id: string;
  category: string | null;
  areas: string[] | null;
  unit: string | null;
  toWard: boolean;
  inform: string[];
}

export interface AreaRef {
  code: string;
  name: string;
  unitCode: string;
  match: string[];
  /** False once a reorganisation ended the area; its names stay recognised and lead to its successors. */
  active?: boolean;
  /** Streets of the area: an address naming one and no ward still finds it. */
  streets?: string[];
  /** Where an ended area's addresses went, tried in order (see successorFor). */
  successors?: AreaSuccessor[];
}

/**
 * One successor of an ended area or unit. A merge names one with no streets or patterns; a split names
 * several, each with the streets (names as addresses write them) or patterns (regular expressions
 * over the address folded by foldVietnamese) that send an address there; one without either is the
 * split's fallback.
 */
export interface AreaSuccessor {
  area: string;
  streets: string[];
  patterns: string[];
}

export interface UnitRef {
  code: string;
  active: boolean;
  handlerId: string | null;
  leaderId: string | null;
}

export type TriageReason = 'no_matching_rule' | 'area_unknown' | 'unit_without_handler' | 'unit_inactive';

export type RoutingDecision =
  | { kind: 'assign'; ruleId: string; unitCode: string; handlerId: string; leaderId: string | null; inform: string[] }
  | { kind: 'triage'; reason: TriageReason; ruleId: string | null; intendedUnit: string | null; detail: string };

export interface AreaResolution {
  areaCode: string | null;
  source: 'ward_code' | 'address' | 'street' | null;
  /** Why no area was found, when none was. */
  problem: string | null;
}

/** Whether a folded address (spaces around) names a street, or matches a pattern, of a successor. */
function successorMatches(s: { streets: readonly string[]; patterns: readonly string[] }, folded: string): boolean {
  return s.streets.some((st) => folded.includes(` ${foldedName(st)} `)) || s.patterns.some((p) => new RegExp(p).test(folded.trim()));
}

/**
 * The successor an address belongs to: the first whose streets or patterns it matches, else the one
 * without either (a merge, or a split's fallback); null when none fits. `byStreet` says whether the
 * address itself decided.
 */
export function successorFor<S extends { streets: readonly string[]; patterns: readonly string[] }>(
  successors: readonly S[],
  address: string | null | undefined,
): { successor: S; byStreet: boolean } | null {
  const folded = ` ${foldVietnamese(address ?? '')} `;
  const decided = successors.find((s) => (s.streets.length || s.patterns.length) && successorMatches(s, folded));
  if (decided) return { successor: decided, byStreet: true };
  const fallback = successors.find((s) => !s.streets.length && !s.patterns.length);
  return fallback ? { successor: fallback, byStreet: false } : null;
}

/** An area, or the active area its addresses now belong to (succession followed through several reorganisations). */
function currentArea(area: AreaRef, address: string | null | undefined, byCode: ReadonlyMap<string, AreaRef>): { area: AreaRef; byStreet: boolean } | string {
  let at = area;
  let byStreet = false;
  for (let hops = 0; at.active === false; hops++) {
    const next = hops < 10 ? successorFor(at.successors ?? [], address) : null;
    const to = next && byCode.get(next.successor.area);
    if (!next || !to) return `ward '${area.name}' no longer exists and the address names none of the streets that decide its successor`;
    byStreet ||= next.byStreet;
    at = to;
  }
  return { area: at, byStreet };
}

/** How a ward's name is written in an address, strongest first (see mentionsOf). */
const MENTIONS = ['prefixed', 'bare', 'weak', 'district'] as const;
type Mention = (typeof MENTIONS)[number];

/** One place an address names an area: how, and the span of the name (with its prefix) in the folded text. */
interface Named {
  area: AreaRef;
  kind: Mention;
  from: number;
  to: number;
}

/** A token that makes the name after it a street: a house number (12, 5a, 12/40), or a street word. */
const STREET_MARK = /^(\d[a-z0-9]*|so|pho|duong|dg|d|ngo|ngach|hem|kiet)$/;

/**
 * The address folded (foldVietnamese) with its commas, semicolons, brackets and dashes kept as a `,`
 * token: "Tổ 5, P. Vĩnh Tuy" is not "5 P. Vĩnh Tuy" (a house number on phố Vĩnh Tuy).
 */
function foldAddress(address: string): string {
  return address.split(ADDRESS_PARTS).map(foldVietnamese).filter(Boolean).join(' , ');
}

/**
 * Every place the folded address (spaces around) writes `key`, each read as:
 * - `prefixed`: "phường X", "P. X" (but not right after a house number: Google Maps writes phố as "P.",
 *   "46 P. Hai Bà Trưng");
 * - `bare`: X alone, as wards are often written ("15 Lạc Trung, Quỳnh Mai");
 * - `weak`: X where it is more likely a street: right after a house number or a street word ("200 Trương
 *   Định", "phố Bạch Mai");
 * - `district`: X being the district's own name written without "quận" ("25 Tạ Quang Bửu, Hai Bà Trưng":
 *   the new ward Hai Bà Trưng bears the former district's name), weaker still: "12 Bạch Mai, Hai Bà
 *   Trưng" is on Bạch Mai street as "12 Bạch Mai, quận Hai Bà Trưng" is, not in two wards.
 * A name after "quận", "huyện", "thị xã", "thành phố" or "TP" is none of them.
 */
function mentionsOf(text: string, key: string, districtKey: string | null, commune: boolean): Omit<Named, 'area'>[] {
  const found: Omit<Named, 'area'>[] = [];
  const needle = ` ${key} `;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    // The three words before it, found from `at` back: splitting all the text before each mention was
    // quadratic in a long address.
    let from = at;
    for (let words = 0; words < 4 && from > 0; words++) from = text.lastIndexOf(' ', from - 1);
    const before = text.slice(Math.max(0, from), at).trim().split(' ');
    const last = before[before.length - 1] ?? '';
    const prev = before[before.length - 2] ?? '';
    // "thành phố Huế" holds the key "phố Huế": a city, as "thành phố X" is.
    const district =
      ['quan', 'q', 'huyen', 'tp'].includes(last) ||
      (last === 'xa' && prev === 'thi') ||
      (last === 'pho' && prev === 'thanh') ||
      (last === 'thanh' && key.startsWith('pho '));
    // "xã X" is a commune: not a ward of that name.
    if (district || (last === 'xa' && !commune)) continue;
    // A house number, not the "5" of "tổ 5" or "cụm 3".
    const afterNumber = /^\d/.test(prev) && !GROUP_WORDS.includes(before[before.length - 3] ?? '');
    const street = STREET_MARK.test(last) && !(/^\d/.test(last) && GROUP_WORDS.includes(prev));
    // A street named after the district ("46 Hai Bà Trưng, Hoàn Kiếm") is not the ward of that name.
    if (key === districtKey && (street || (last === 'p' && afterNumber))) continue;
    const kind: Mention =
      last === 'phuong' || (last === 'xa' && commune) || (last === 'p' && !afterNumber)
        ? 'prefixed'
        : last === 'p' || street
          ? 'weak'
          : key === districtKey
            ? 'district'
            : 'bare';
    found.push({ kind, from: kind === 'prefixed' ? at - last.length - 1 : at, to: at + key.length + 1 });
  }
  return found;
}

/**
 * Hà Nội's district-level units as addresses still name them (folded): the 12 quận, the town Sơn Tây and the
 * 17 huyện of 2008-2025 (abolished on 1 July 2025 by Resolution 1656/NQ-UBTVQH15, but citizens, maps and
 * old documents keep writing them), and Từ Liêm, split into Nam and Bắc Từ Liêm in 2013 and still written.
 * Written bare ("Số 8 Ngõ 121 Thái Hà, Đống Đa, Hà Nội"), only these are taken for a district: any other
 * bare name may be a street, a ward or a landmark.
 */
const HANOI_DISTRICTS: ReadonlySet<string> = new Set(
  [
    ...['Ba Đình', 'Hoàn Kiếm', 'Tây Hồ', 'Long Biên', 'Cầu Giấy', 'Đống Đa', 'Hai Bà Trưng', 'Hoàng Mai', 'Thanh Xuân'],
    ...['Nam Từ Liêm', 'Bắc Từ Liêm', 'Hà Đông', 'Từ Liêm', 'Sơn Tây'],
    ...['Ba Vì', 'Chương Mỹ', 'Đan Phượng', 'Đông Anh', 'Gia Lâm', 'Hoài Đức', 'Mê Linh', 'Mỹ Đức', 'Phú Xuyên'],
    ...['Phúc Thọ', 'Quốc Oai', 'Sóc Sơn', 'Thạch Thất', 'Thanh Oai', 'Thanh Trì', 'Thường Tín', 'Ứng Hòa'],
  ].map(foldVietnamese),
);

/** A district's name as written after "quận" or alone: folded, dots, "cũ" (former) and the city after it left out. */
function districtNameOf(written: string): string {
  return foldVietnamese(written.replace(/\./g, ''))
    .split(' ')
    .filter((w) => w !== 'cu')
    .join(' ')
    .replace(/ (tp|thanh pho)? ?(ha noi|hn)$/, '');
}

/** Whether an address part ends with a house or alley number (not a residential group's: "tổ 5"): the next part names its street. */
function endsWithHouseNumber(part: string): boolean {
  const tokens = foldVietnamese(part).split(' ');
  return /^\d/.test(tokens[tokens.length - 1]) && !GROUP_WORDS.includes(tokens[tokens.length - 2] ?? '');
}

/** Whether a district's name (districtNameOf) is this district's: its name, or its initials ("Q.HBT", "Q. H.B.T"). */
function isThisDistrict(name: string, districtKey: string): boolean {
  const initials = districtKey
    .split(' ')
    .map((w) => w[0])
    .join('');
  return name.includes(districtKey) || name.replace(/ /g, '') === initials;
}

/** Whether the address writes this district with its prefix in a part of its own ("quận Hai Bà Trưng", "Q.HBT"). */
function namesThisDistrict(address: string, districtKey: string | null): boolean {
  if (!districtKey) return false;
  return address.split(ADDRESS_PARTS).some((part) => {
    const m = /^(quận|quan|q\.?)\s*(.+)$/iu.exec(part.trim());
    return m !== null && isThisDistrict(districtNameOf(m[2]), districtKey);
  });
}

/**
 * Another district the address names in a part of its own ("78 Giải Phóng, quận Đống Đa": Bạch Mai
 * hospital, not the ward Bạch Mai), as written; null when it names this one, or none. A part that only
 * mentions one ("trụ sở Công an quận Hoàng Mai", "Quận ủy Hai Bà Trưng") is no qualifier. Read on the
 * text with its diacritics, where "quận" is not "quán" (a shop) and "huyện" not "Huyền". Typed without
 * them ("15 Minh Khai, quan Hoang Mai"), "quan", "huyen", "thi xa" and "Q" are read as the district only
 * in a part after the first (not "Quan Hoa", a street) that is not the street of a number the part before
 * ends with ("Số 3, ngõ 12, Huyen Tran Cong Chua"); there, a shop ("quan nuoc") sends the case to triage,
 * where the district would have sent it to the ward of the same street name here, a wrong unit; and
 * "huyen" only before one of Hà Nội's districts: else it begins the street Huyền Trân Công Chúa. In such a
 * part, one of Hà Nội's districts written bare ("12 Bạch Mai, Đống Đa") is that district as "quận Đống Đa"
 * is, unless an area here bears the name (since 2025 wards bear the names of former districts: a ward here is
 * what the deployment knows). This district may be written by its name or initials, with dots, "cũ"
 * (former) anywhere. "quận", "huyện" or "Q." closing a part that opens with a house number is the district
 * too ("12 Bạch Mai quận Đống Đa", typed without commas).
 */
function otherDistrict(address: string, districtKey: string | null, areas: readonly AreaRef[]): string | null {
  if (!districtKey) return null;
  const ours = (name: string) => isThisDistrict(name, districtKey);
  // The part before ended with a house or alley number (not a residential group's: "tổ 5"): this part names its street.
  let streetOfNumber = false;
  for (const [i, part] of address.split(ADDRESS_PARTS).entries()) {
    const judged = i > 0 && !streetOfNumber;
    streetOfNumber = endsWithHouseNumber(part);
    const m =
      // On the part trimmed, with no lazy name before trailing blanks: that was quadratic in a run of blanks.
      /^(quận|huyện|thị xã|q\.)\s*(.+)$/iu.exec(part.trim()) ??
      (judged ? /^(quan|huyen|thi xa|q)\s+(.+)$/i.exec(part.trim()) : null) ??
      // Typed without commas, closing a house number's part: "12 Bạch Mai quận Đống Đa".
      /^(?:\d|(?:số|so|ngõ|ngo|ngách|ngach|hẻm|hem)\s+\d).*?\s(quận|huyện|q\.)\s*(\S.*)$/iu.exec(part.trim());
    if (m) {
      const name = districtNameOf(m[2]);
      if (!name || /^(uy|doan|doi)\b/.test(name) || ours(name)) continue;
      if (m[1].toLowerCase() === 'huyen' && !HANOI_DISTRICTS.has(name)) continue;
      return `${m[1]} ${m[2]}`;
    }
    if (!judged) continue;
    const name = districtNameOf(part);
    if (HANOI_DISTRICTS.has(name) && !ours(name) && !areas.some((a) => (a.match.length ? a.match : [a.name]).some((n) => foldedName(n) === name))) {
      return part.trim();
    }
  }
  return null;
}

/**
 * Vietnam's provinces and centrally-run cities other than Hà Nội (the 63 of 2008-2025; the 34 of 12 June
 * 2025 keep names among them), folded, as an address writes one bare ("12 Minh Khai, Vinh, Nghệ An").
 * Huế and Hòa Bình are left out: "Huế" alone may be phố Huế here, "Hòa Bình" an alley off Minh
 * Khai ("Tổ 3, Hòa Bình, Minh Khai"); "TP Huế", "tỉnh Hòa Bình" still are. "Thừa Thiên" and "Bà Rịa" are
 * in: written with a dash, "Thừa Thiên-Huế" and "Bà Rịa-Vũng Tàu" are two parts (addressText).
 */
const OTHER_PROVINCES: ReadonlySet<string> = new Set(
  [
    ...['Hà Giang', 'Cao Bằng', 'Bắc Kạn', 'Bắc Cạn', 'Tuyên Quang', 'Lào Cai', 'Điện Biên', 'Lai Châu', 'Sơn La', 'Yên Bái'],
    ...['Thái Nguyên', 'Lạng Sơn', 'Quảng Ninh', 'Bắc Giang', 'Phú Thọ', 'Vĩnh Phúc', 'Bắc Ninh', 'Hải Dương', 'Hải Phòng', 'Hưng Yên'],
    ...['Thái Bình', 'Hà Nam', 'Nam Định', 'Ninh Bình', 'Thanh Hóa', 'Nghệ An', 'Hà Tĩnh', 'Quảng Bình', 'Quảng Trị', 'Thừa Thiên Huế', 'Thừa Thiên'],
    ...['Đà Nẵng', 'Quảng Nam', 'Quảng Ngãi', 'Bình Định', 'Phú Yên', 'Khánh Hòa', 'Ninh Thuận', 'Bình Thuận', 'Kon Tum', 'Gia Lai'],
    ...['Đắk Lắk', 'Daklak', 'Đắk Nông', 'Lâm Đồng', 'Bình Phước', 'Tây Ninh', 'Bình Dương', 'Đồng Nai', 'Bà Rịa Vũng Tàu', 'Vũng Tàu', 'Bà Rịa'],
    ...['Hồ Chí Minh', 'TP HCM', 'TPHCM', 'HCM', 'Sài Gòn', 'Long An', 'Tiền Giang', 'Bến Tre', 'Trà Vinh', 'Vĩnh Long', 'Đồng Tháp'],
    ...['An Giang', 'Kiên Giang', 'Cần Thơ', 'Hậu Giang', 'Sóc Trăng', 'Bạc Liêu', 'Cà Mau'],
  ].map(foldVietnamese),
);

/**
 * Another province or city the address names in a part of its own after the first: "tỉnh X", "thành
 * phố X", "TP X" with X not Hà Nội, or one of OTHER_PROVINCES bare; as written, else null. Since 2025 wards
 * belong to their province and several provinces have wards named as ours are (Bạch Đằng in Quảng Ninh,
 * Cửa Nam in Nam Định), so this outranks even a ward of today written with its prefix. A part that is the
 * street of the number before it is not judged, as in otherDistrict.
 */
function otherProvince(address: string, areas: readonly AreaRef[]): string | null {
  let streetOfNumber = false;
  for (const [i, part] of address.split(ADDRESS_PARTS).entries()) {
    const judged = i > 0 && !streetOfNumber;
    streetOfNumber = endsWithHouseNumber(part);
    if (!judged) continue;
    // "TP" then a dot or a space: "TPBank" is a bank.
    const m = /^(thành phố\s|thanh pho\s|tỉnh\s|tinh\s|tp\.|tp\s)\s*(\S.*)$/iu.exec(part.trim());
    const name = districtNameOf(m ? m[2] : part);
    if (m && name && !/^(ha noi|hanoi|hn)\b/.test(name)) return part.trim();
    if (!m && OTHER_PROVINCES.has(name) && !areas.some((a) => (a.match.length ? a.match : [a.name]).some((n) => foldedName(n) === name))) return part.trim();
  }
  return null;
}

/**
 * A ward, commune or town the address names with its prefix ("phường Chương Dương", "P. Chương Dương",
 * "xã Thanh Liệt", "phường 2") that is none of these areas, as written; else null. Its other names are then
 * likely streets that run on into that ward ("12 Bạch Đằng, phường Chương Dương"): triage, not a guess.
 * "phường", "xã" (not "thị xã", "xã hội", "hợp tác xã") and "thị trấn" are read with their diacritics, inside
 * a part only before a capital or a number ("các phường lân cận" is no name); "phuong" and "P." only opening
 * a part ("Phương Mai" is a name; "P." opening the address, or before a number, is a room: "P. 302"; after a
 * part ending in a house number, phố).
 */
function unknownWard(address: string, areas: readonly AreaRef[]): string | null {
  const keys = areas.flatMap((a) => (a.match.length ? a.match : [a.name]).map(foldedName)).filter(Boolean);
  let streetOfNumber = false;
  for (const [i, part] of address.split(ADDRESS_PARTS).entries()) {
    // "P." after a part ending in a house number is phố, as after the number itself: "Số 12, P. Trần Xuân Soạn".
    const phoAllowed = i > 0 && !streetOfNumber;
    streetOfNumber = endsWithHouseNumber(part);
    const inside = /(?:^|\s)(phường|(?<!thị |tác )xã(?! hội)|thị trấn)\s+(\S.*)$/iu.exec(part);
    const m =
      (inside && (!part.slice(0, inside.index).trim() || /^[\p{Lu}\d]/u.test(inside[2])) ? inside : null) ??
      /^\s*(phuong)\s+(\S.*)$/i.exec(part) ??
      (phoAllowed ? /^\s*(p\.)\s*(\p{L}.*)$/iu.exec(part) : null);
    if (!m) continue;
    const rest = foldVietnamese(m[2]);
    if (rest && !keys.some((k) => rest === k || rest.startsWith(`${k} `))) return `${m[1]} ${m[2].trim()}`;
  }
  return null;
}

/** The district's name as an address writes it bare: "Quận Hai Bà Trưng" -> "hai ba trung". */
function districtKeyOf(district: string | null | undefined): string | null {
  const key = foldVietnamese(district ?? '').replace(/^(quan|huyen|thi xa|thanh pho|tp|q) /, '');
  return key || null;
}

/** Whether `from`, an area, is `to` or leads to it by any of its successors (a split's, each of them). */
function leadsTo(from: AreaRef, to: string, byCode: ReadonlyMap<string, AreaRef>, hops = 0): boolean {
  if (from.code === to) return true;
  if (from.active !== false || hops > 10) return false;
  return (from.successors ?? []).some((s) => {
    const next = byCode.get(s.area);
    return next !== undefined && leadsTo(next, to, byCode, hops + 1);
  });
}

/**
 * Finds the area of a case: its wardCode if known, else a ward named in the address, else a street
 * of exactly one ward. An address often names streets that share a ward's name (Bạch Mai, Phố Huế,
 * Minh Khai streets), so a ward written with its prefix ("phường Thanh Nhàn", "P. Thanh Nhàn") wins
 * over a bare mention, and a bare mention decides only when it is the only one; a name written where a
 * street goes (after a house number, "phố") or the district's own name counts only when nothing else
 * does (mentionsOf). A ward that no longer exists is still recognised (citizens keep its name) and leads
 * to its successor, by the streets of the address when it was split: the wards that decide are not
 * streets there ("15 Hồng Mai, phường Minh Khai" is on Hồng Mai, not on Minh Khai street). A ward of
 * today named beside old wards that lead to it wins ("phường Tương Mai (phường Trương Định cũ)").
 */
export function resolveArea(
  location: { wardCode?: string | null; address?: string | null },
  areas: readonly AreaRef[],
  options: { district?: string | null } = {},
): AreaResolution {
  const problems: string[] = [];
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const districtKey = districtKeyOf(options.district);
  // Read once, as it shows (addressText): the helpers below take it so.
  const address = location.address ? addressText(location.address) : '';
  const text = ` ${foldAddress(address)} `;
  const mentions: Named[] = [];
  if (address) {
    for (const area of areas) {
      for (const name of area.match.length ? area.match : [area.name]) {
        const key = foldedName(name);
        if (key) for (const m of mentionsOf(text, key, districtKey, foldedName(area.name).startsWith('xa '))) mentions.push({ area, ...m });
      }
    }
  }
  // The address's streets: its text without the names of the wards that decide (blanked, not cut, since
  // an old ward and the new one that took its name share spans). A bare name the prefixed ones outrank
  // stays: "Vĩnh Hưng, phường Thanh Lương" is on Vĩnh Hưng street, which decides Thanh Lương's split.
  const streetsWithout = (deciding: (m: Named) => boolean): string => {
    const blank = [...text];
    for (const m of mentions) if (deciding(m)) blank.fill(' ', m.from, m.to);
    return blank.join('').replace(/ +/g, ' ');
  };
  if (location.wardCode) {
    const wanted = location.wardCode.trim().toUpperCase();
    const found = areas.find((a) => a.code.toUpperCase() === wanted);
    // A ward of today the address names, which the old ward of the code leads to, is where it went.
    const today =
      found?.active === false
        ? [...new Set(mentions.filter((m) => m.kind !== 'weak' && m.kind !== 'district' && m.area.active !== false).map((m) => m.area))]
        : [];
    if (found && today.length === 1 && leadsTo(found, today[0].code, byCode)) return { areaCode: today[0].code, source: 'ward_code', problem: null };
    const current =
      found &&
      currentArea(
        found,
        streetsWithout((m) => m.area === found && m.kind !== 'weak' && m.kind !== 'district'),
        byCode,
      );
    if (current && typeof current !== 'string') return { areaCode: current.area.code, source: 'ward_code', problem: null };
    problems.push(typeof current === 'string' ? current : `unknown wardCode '${location.wardCode}'`);
  }
  // Each area once, at the strongest way the address names it.
  const strongest = new Map<AreaRef, Mention>();
  for (const m of mentions) {
    const had = strongest.get(m.area);
    if (had === undefined || MENTIONS.indexOf(m.kind) < MENTIONS.indexOf(had)) strongest.set(m.area, m.kind);
  }
  const named = (tier: Mention) => [...strongest].filter(([, kind]) => kind === tier).map(([area]) => area);
  // A ward of today written with its prefix decides whatever district follows: since 2025 wards belong
  // to the city, and one such as Cửa Nam took slices of several former districts.
  const prefixedToday = named('prefixed').some((a) => a.active !== false);
  const elsewhere = address && districtKey ? (otherProvince(address, areas) ?? (!prefixedToday ? otherDistrict(address, districtKey, areas) : null)) : null;
  const unknown = address && !elsewhere && !prefixedToday ? unknownWard(address, areas) : null;
  // Said without quoting the address: the problem becomes the reason of a triage's audit event, chained and
  // never erased, and citizens write their names and numbers into the part it would quote ("phường Kim Liên nhà chị Lan 0912…").
  if (elsewhere) {
    problems.push(`the address names another district or province, outside ${options.district}: its ward names are not this district's`);
  } else if (unknown) {
    problems.push("the address names a ward, commune or town that is none of this deployment's: its other names may be streets elsewhere");
  } else if (address) {
    // The wards of today whose streets the address names; when none, an ended ward's streets, through its
    // successors' street rules: after a split the new wards list none of the old one's streets, and
    // "5 Hồng Mai" alone went to triage although the split said where Hồng Mai went. Only then: a street
    // a ward of today lists still goes there, as before.
    const names = (a: AreaRef) => (a.streets ?? []).some((st) => text.includes(` ${foldedName(st)} `));
    const byStreet = () => {
      const today = areas.filter((a) => a.active !== false && names(a)).map((a) => a.code);
      if (today.length) return today;
      const wards = new Set<string>();
      for (const a of areas.filter((x) => x.active === false && names(x))) {
        const current = currentArea(a, text, byCode);
        if (typeof current !== 'string') wards.add(current.area.code);
      }
      return [...wards];
    };
    // The wards of today the splits send the address's streets to. Read only where the address names this
    // district, whose old wards the splits divided: alone, a street such as Giải Phóng runs on into others.
    const bySplit = () => {
      const wards = new Set<string>();
      for (const a of areas.filter((x) => x.active === false)) {
        for (const s of a.successors ?? []) {
          const to = (s.streets.length || s.patterns.length) && successorMatches(s, text) ? byCode.get(s.area) : undefined;
          const current = to && currentArea(to, text, byCode);
          if (current && typeof current !== 'string') wards.add(current.area.code);
        }
      }
      return [...wards];
    };
    const splitDecides = (): AreaResolution | null => {
      const wards = bySplit();
      if (wards.length === 1) return { areaCode: wards[0], source: 'street', problem: null };
      if (wards.length > 1) return { areaCode: null, source: null, problem: [...problems, 'the address names streets of more than one ward'].join('; ') };
      return null;
    };
    for (const tier of ['prefixed', 'bare', 'streets', 'weak', 'district'] as const) {
      // "12 Kim Ngưu, Hai Bà Trưng" names the former district, not the new ward of its name: a street a split
      // lists decides first.
      const decided = tier === 'district' && named(tier).length ? splitDecides() : null;
      if (decided) return decided;
      if (tier === 'streets') {
        const wards = byStreet();
        if (wards.length === 1) return { areaCode: wards[0], source: 'street', problem: null };
        if (wards.length > 1) return { areaCode: null, source: null, problem: [...problems, 'the address names streets of more than one ward'].join('; ') };
        continue;
      }
      const these = named(tier);
      if (!these.length) continue;
      const today = [...new Set(these.filter((a) => a.active !== false))];
      // Not among weak mentions: those are streets ("12 Thanh Nhàn, Hai Bà Trưng": Thanh Nhàn street, the district).
      if (tier !== 'weak' && today.length === 1 && these.every((a) => leadsTo(a, today[0].code, byCode))) {
        return { areaCode: today[0].code, source: 'address', problem: null };
      }
      // Weak mentions stay: they are the address's streets ("12 Trương Định" decides Trương Định's split).
      const streets = streetsWithout((m) => m.kind === tier && tier !== 'weak');
      const current = these.map((a) => currentArea(a, streets, byCode));
      const found = current.filter((c): c is { area: AreaRef; byStreet: boolean } => typeof c !== 'string');
      // A new ward may bear an old ward's name: where the street decided, it decides.
      const decisive = found.some((c) => c.byStreet) ? found.filter((c) => c.byStreet) : found;
      const codes = new Set(decisive.map((c) => c.area.code));
      if (codes.size === 1) return { areaCode: [...codes][0], source: 'address', problem: null };
      problems.push(
        codes.size > 1 ? 'the address names more than one ward' : [...new Set(current.filter((c): c is string => typeof c === 'string'))].join('; '),
      );
      return { areaCode: null, source: null, problem: problems.join('; ') };
    }
    const decided = namesThisDistrict(address, districtKey) ? splitDecides() : null;
    if (decided) return decided;
    problems.push('the address names no known ward');
  } else if (!location.wardCode) {
    problems.push('no wardCode and no address');
  }
  return { areaCode: null, source: null, problem: problems.join('; ') };
}

/**
 * An address's streets as routing reads them beside these areas: the places it names one of them as a
 * ward (not as a street, "25 Vĩnh Tuy") blanked. A split's moves read open cases' addresses with it, so
 * "10 Nguyễn Khoái, phường Vĩnh Tuy" moves with Nguyễn Khoái, where new feedback at that address goes,
 * not with a part that lists Vĩnh Tuy street.
 */
export function streetsOfAddress(address: string | null | undefined, areas: readonly { name: string; match?: readonly string[] }[]): string {
  const text = ` ${foldAddress(addressText(address ?? ''))} `;
  const blank = [...text];
  for (const a of areas) {
    for (const name of a.match?.length ? a.match : [a.name]) {
      const key = foldedName(name);
      if (!key) continue;
      for (const m of mentionsOf(text, key, null, foldedName(a.name).startsWith('xa '))) if (m.kind !== 'weak') blank.fill(' ', m.from, m.to);
    }
  }
  return blank.join('').replace(/ +/g, ' ');
}

/**
 * Decides where a case goes. Rules are tried in order; the first whose category and areas fit
 * decides. The office's triage queue takes whatever cannot be routed to a unit that can act on it.
 */
export function decideRoute(
  input: { category: string; areaCode: string | null; areaProblem?: string | null },
  rules: readonly RoutingRule[],
  directory: { area(code: string): AreaRef | undefined; unit(code: string): UnitRef | undefined },
): RoutingDecision {
  for (const rule of rules) {
    if (rule.category !== null && rule.category !== input.category) continue;
    if (rule.areas !== null && (input.areaCode === null || !rule.areas.includes(input.areaCode))) continue;

    let unitCode: string | null = rule.unit;
    if (rule.toWard) {
      const area = input.areaCode === null ? undefined : directory.area(input.areaCode);
      if (!area) {
        return {
          kind: 'triage',
          reason: 'area_unknown',
          ruleId: rule.id,
          intendedUnit: null,
          detail: `rule '${rule.id}' sends the case to its ward, but the ward is unknown: ${input.areaProblem ?? 'no area'}`,
        };
      }
      unitCode = area.unitCode;
    }
    const unit = unitCode === null ? undefined : directory.unit(unitCode);
    if (!unit || !unit.active) {
      return {
        kind: 'triage',
        reason: 'unit_inactive',
        ruleId: rule.id,
        intendedUnit: unitCode,
        detail: `rule '${rule.id}' names unit '${unitCode}', which is not active`,
      };
    }
    if (!unit.handlerId) {
      return {
        kind: 'triage',
        reason: 'unit_without_handler',
        ruleId: rule.id,
        intendedUnit: unit.code,
        detail: `unit '${unit.code}' has no designated handler`,
      };
    }
    return {
      kind: 'assign',
      ruleId: rule.id,
      unitCode: unit.code,
      handlerId: unit.handlerId,
      leaderId: unit.leaderId,
      inform: rule.inform.filter((u) => u !== unit.code),
    };
  }
  return {
    kind: 'triage',
    reason: 'no_matching_rule',
    ruleId: null,
    intendedUnit: null,
    detail: `no routing rule matches category '${input.category}'${input.areaCode ? ` in area '${input.areaCode}'` : ''}`,
  };
}
