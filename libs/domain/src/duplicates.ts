import { ADDRESS_PARTS, addressText, foldVietnamese, GROUP_WORDS } from './text';

/**
 * Duplicate reports (issue 14): one broken street light reported by twenty residents is one problem.
 * A new case's candidates are open cases of its category near its coordinates or at the same
 * normalised address in the same ward; the pure parts of that search live here.
 */

/** Mean Earth radius (IUGG), in metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const METRES_PER_DEGREE_LAT = (Math.PI * EARTH_RADIUS_M) / 180;

/**
 * Words that name a kind of alley, written in full, without diacritics, abbreviated, or in the southern
 * and central forms (hẻm, kiệt), mapped to one spelling. Keys are folded (no diacritics). "hẻm" stays apart
 * until the alley's numbers are read (foldAlleys): after a ngách it is the ngách's branch, as Hà Nội names it.
 */
const WORD_FORMS: Readonly<Record<string, string>> = Object.freeze({
  ngo: 'ngo',
  ng: 'ngo',
  hem: 'hem',
  kiet: 'ngo',
  ngach: 'ngach',
  ngh: 'ngach',
});

/** Abbreviations written for a residential place, spelt out: "KTT Quỳnh Mai" is "khu tập thể Quỳnh Mai". */
const SPELT_OUT: Readonly<Record<string, readonly string[]>> = Object.freeze({
  ktt: ['khu', 'tap', 'the'],
  tdp: ['to', 'dan', 'pho'],
});

/**
 * Words that say a street's name follows ("phố", "đường", "Đ.", "đg"), left out: "12 phố Hàng Bông",
 * "12 P. Hàng Bông" and "12 Hàng Bông" are one place. Dropped only where a street word goes (first in a
 * part, or after a number or another of them), so that "Khu D" keeps its D; names that fold to one of
 * them ("Phó Đức Chính", "Dương Văn Bé") lose it there too, whichever way they are typed.
 */
const STREET_WORDS = new Set(['pho', 'duong', 'dg', 'd']);
/** "P." and "Ph.": "phố" right after a house number or first in the address ("46 P. Hai Bà Trưng"), else "phường". */
const WARD_OR_STREET = new Set(['p', 'ph']);

/** "Số" / "số nhà" / "SN" before a house number says nothing the number does not. */
const NUMBER_PREFIXES = new Set(['so', 'sn', 'nha']);

/**
 * Where an address starts naming its ward, district or city: matched apart (ward code), so cut.
 * Only words no Hanoi street starts with ("Xã Đàn", "Thanh Nhàn", "Hà Huy Tập", "Huyền Trân Công Chúa"
 * are streets).
 */
const ADMIN_WORDS = new Set(['phuong', 'p', 'ph', 'quan', 'q', 'tp', 'hn']);
const ADMIN_PAIRS = new Set(['ha noi', 'thanh pho']);
/**
 * Of those, the ones that cannot begin a street's name either: a part that begins with one names only
 * a ward or above ("Hà Nội", "Phường Hai Bà Trưng"), which says nothing about where in it. "P." may be
 * "Phố" there ("P. Bạch Mai"), so it is not among them.
 */
const TAIL_ONLY_WORDS = new Set(['phuong', 'quan', 'q', 'tp', 'hn']);

/** Words after which a number is an alley's, a group's or a building's, not the name of a street following it. */
const NOT_NAMES = new Set([...GROUP_WORDS, 'ngo', 'ngach', 'hem', 'toa', 'nha', 'day', 'lo', 'can', 'tang']);

/** Rules of the address key that a migration's way down can turn off (normaliseAddress). */
export interface AddressKeyRules {
  /** A ngách written by its ngõ's number, in every order and spelling, as one key (foldAlleys). */
  alleys: boolean;
  /** A place's name before its house number and street left out, as after them (namesPlaceAt). */
  placesBefore: boolean;
}

const CURRENT_RULES: AddressKeyRules = Object.freeze({ alleys: true, placesBefore: true });

/** The rules of the release before AlleyKeysRefolded1767560000000. */
export const ADDRESS_KEY_RULES_BEFORE_ALLEYS: AddressKeyRules = Object.freeze({ alleys: false, placesBefore: false });

/**
 * A comparison key for an address, so that "Số 12, Ngõ 34 Phố Huế" and "12 ngo 34 pho Hue, P. Phố Huế"
 * meet: NFC then folded (lower case, no diacritics, so tone placement and keyboards do not matter, đ and
 * Ð -> d, punctuation and runs of spaces to one space, as citizens often type without diacritics),
 * "số"/"số nhà" before a number dropped, alley words spelt one way and a ngách written by its ngõ's
 * number (foldAlleys: "ngõ 5 ngách 3", "ngõ 5/3", "ngách 5/3, ngõ 5", "ngách 3 ngõ 5" are one key), street
 * words left out, and the ward/district/city tail cut (the ward is compared by code): what follows
 * "phường", "P.", "Ph.", "Q.", "TP", "Hà Nội" or "HN", and the parts without a number after the part that
 * named the street ("12 Hàng Bông, Cửa Nam, Hoàn Kiếm": bare names of the ward and district). A part
 * before the street that names only a ward or above is skipped ("Phường Cửa Nam, 12 Hàng Bông").
 * A part without a number that names a place at the house number and street after it ("Times City, 458
 * Minh Khai") is left out as it is after them ("458 Minh Khai, Times City"): Times City is the complex at
 * 458 Minh Khai, and its name says nothing the number does not (where the address names a tower, "tòa T5",
 * the tower's number keeps its part). Two reports at one number of a large complex may be about two of its
 * corners; they are linked for a handler to judge, and `unlink` parts them.
 * Null when nothing is left to compare.
 *
 * `rules` turns this release's two new rules off, giving the keys of the release before (migration
 * AlleyKeysRefolded1767560000000 keys open cases with them again on its way down); every caller but that
 * one takes the default.
 */
export function normaliseAddress(address: string | null | undefined, rules: AddressKeyRules = CURRENT_RULES): string | null {
  if (!address) return null;
  const parts = addressText(address)
    .split(ADDRESS_PARTS)
    .map((part) =>
      foldVietnamese(part)
        .split(' ')
        .filter(Boolean)
        .flatMap((t) => (Object.hasOwn(SPELT_OUT, t) ? SPELT_OUT[t] : [t])),
    )
    .filter((part) => part.length > 0);
  const out: string[] = [];
  // Where the numbers of one alley cannot run on: before the first token of a part, and after a "số" left out.
  const seams = new Set<number>();
  const key = () => (out.length === 0 ? null : rules.alleys ? foldAlleys(out, seams).join(' ') : out.map((t) => (t === 'hem' ? 'ngo' : t)).join(' '));
  // A number then a name has been seen: the street is named, and parts without a number after it are its tail.
  let numbered = false;
  let streetNamed = false;
  for (let p = 0; p < parts.length; p++) {
    if (streetNamed && parts.slice(p).every((part) => !part.some((t) => /\d/.test(t)))) break;
    const tokens = parts[p];
    const first = tokens[0];
    // A part that is all tail, before anything of the street: "Phường Cửa Nam, 12 Hàng Bông", "Hà Nội".
    if (out.length === 0 && !isNumber(tokens[1]) && (TAIL_ONLY_WORDS.has(first) || ADMIN_PAIRS.has(`${first} ${tokens[1]}`))) continue;
    // A place's name before its house number and street: "Times City, 458 Minh Khai".
    if (rules.placesBefore && out.length === 0 && namesPlaceAt(tokens, parts.slice(p + 1))) continue;
    seams.add(out.length);
    let streetPlace = true;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      const next = tokens[i + 1];
      const prev = tokens[i - 1];
      // Not the number of "tổ 5, P. Vĩnh Tuy": a residential group's, after which "P." is the ward.
      const afterHouseNumber = isNumber(prev) && !GROUP_WORDS.includes(tokens[i - 2] ?? '');
      const phoAbbrev = WARD_OR_STREET.has(t) && (afterHouseNumber || (out.length === 0 && i === 0));
      if (next !== undefined && !isNumber(next) && ((STREET_WORDS.has(t) && (streetPlace || isNumber(prev))) || phoAbbrev)) {
        streetPlace = true;
        continue;
      }
      streetPlace = false;
      const pair = ADMIN_PAIRS.has(`${t} ${next}`);
      if (out.length > 0 && !isNumber(next) && (ADMIN_WORDS.has(t) || pair)) return key();
      if (NUMBER_PREFIXES.has(t) && followedByNumber(tokens, i)) {
        seams.add(out.length);
        continue;
      }
      // "ngõ 5 ng. 3": the second "ng." is the ngách.
      const word = t === 'ng' && (out.includes('ngo') || out.includes('hem')) ? 'ngach' : Object.hasOwn(WORD_FORMS, t) ? WORD_FORMS[t] : t;
      out.push(word);
      if (isNumber(word)) {
        numbered = true;
        // A number is where a street word may come: "12 phố X", "ngõ 34 Phố Huế".
        streetPlace = true;
      } else if (numbered && !NOT_NAMES.has(word) && !NUMBER_PREFIXES.has(word)) {
        streetNamed = true;
      }
    }
  }
  return key();
}

/**
 * Whether a first part without a number names a place at the house number and street of the part after
 * it ("Times City, 458 Minh Khai", "Bệnh viện Bạch Mai, 78 Giải Phóng"), not a place the number is in
 * ("KTT Quỳnh Mai, nhà B5": B5 alone is no place) nor a named alley ("Ngõ Quỳnh, 12").
 */
function namesPlaceAt(tokens: readonly string[], rest: readonly (readonly string[])[]): boolean {
  if (tokens.some((t) => /\d/.test(t)) || Object.hasOwn(WORD_FORMS, tokens[0])) return false;
  const next = rest[0] ?? [];
  let i = 0;
  while (NUMBER_PREFIXES.has(next[i]) && followedByNumber(next, i)) i++;
  if (!isNumber(next[i])) return false;
  const name = next.slice(i + 1).find((t) => !STREET_WORDS.has(t) && !WARD_OR_STREET.has(t));
  return name !== undefined && !isNumber(name) && !NOT_NAMES.has(name);
}

const ALLEY_WORDS = new Set(['ngo', 'ngach', 'hem']);

/**
 * One spelling for an alley's place in the alleys: Hà Nội numbers a ngách on its ngõ ("ngách 595/7" is
 * ngách 7 of ngõ 595, the house sign's form) and writes it so, or as "ngõ 595/7", "ngõ 595 ngách 7",
 * "ngách 7 ngõ 595", or "ngách 595/7, ngõ 595"; a ngách's branch, the hẻm, adds a number ("5/3/2"). The
 * south writes a hẻm's branch so ("hẻm 1041/62"), Huế and Đà Nẵng a kiệt's. Every form becomes the ngõ
 * alone ("ngo 5") or "ngach" and the numbers from the ngõ's ("ngach 5 3", "ngach 5 3 2"). A ngõ named and
 * not numbered ("ngách 5/12 ngõ Quỳnh") is kept as written. The numbers of an alley run on within a part
 * (the slash folds to a space), not across parts nor after a "số" left out (`seams`): "ngõ 5, số 3" is
 * house 3 of ngõ 5.
 */
function foldAlleys(tokens: readonly string[], seams: ReadonlySet<number>): string[] {
  const out: string[] = [];
  // The alley just read: its word as written first, its numbers, and where its key starts in `out`.
  let alley: { word: string; path: string[]; at: number } | null = null;
  for (let i = 0; i < tokens.length; ) {
    const word = tokens[i];
    const numbers: string[] = [];
    let j = i + 1;
    while (ALLEY_WORDS.has(word) && j < tokens.length && isNumber(tokens[j]) && (j === i + 1 || !seams.has(j))) numbers.push(tokens[j++]);
    if (numbers.length === 0) {
      out.push(word === 'hem' ? 'ngo' : word);
      alley = null;
      i++;
      continue;
    }
    const path: readonly string[] = alley?.path ?? [];
    const ngo = word !== 'ngach';
    let joined: string[] | null = null;
    if (alley && numbers.length === 1) {
      // "ngõ 5 ngách 3"; "ngách 5/3 hẻm 2"; "ngách 595/7, ngõ 595"; "ngách 7 ngõ 595".
      if (word === 'ngach' && path.length === 1 && alley.word !== 'ngach') joined = [...path, numbers[0]];
      else if (word === 'hem' && path.length >= 2) joined = [...path, numbers[0]];
      else if (ngo && path.length >= 2 && path[0] === numbers[0]) joined = [...path];
      else if (ngo && path.length === 1 && alley.word === 'ngach') joined = [numbers[0], ...path];
    } else if (alley && word === 'ngach' && path.length === 1 && alley.word !== 'ngach' && numbers[0] === path[0]) {
      // "Ngõ 5, ngách 5/3".
      joined = numbers;
    }
    if (joined) {
      out.length = alley!.at;
      alley = { word: alley!.word, path: joined, at: alley!.at };
    } else {
      alley = { word, path: numbers, at: out.length };
    }
    out.push(alley.path.length > 1 || alley.word === 'ngach' ? 'ngach' : 'ngo', ...alley.path);
    i = j;
  }
  return out;
}

function isNumber(t: string | undefined): boolean {
  return t !== undefined && /^\d/.test(t);
}

/** "số 12", "số nhà 12", "sn 12". */
function followedByNumber(tokens: readonly string[], i: number): boolean {
  const next = tokens[i + 1];
  return isNumber(next) || (next !== undefined && NUMBER_PREFIXES.has(next) && isNumber(tokens[i + 2]));
}

/** Great-circle distance in metres (haversine): exact enough at a few hundred metres. */
export function distanceMetres(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface BoundingBox {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

/**
 * The latitude/longitude box that contains every point within `radiusM` of the centre: what a btree
 * on (category, lat, lng) can range-scan; the exact distance is then checked on the few rows inside.
 */
export function boundingBox(centre: { lat: number; lng: number }, radiusM: number): BoundingBox {
  const dLat = radiusM / METRES_PER_DEGREE_LAT;
  // Degrees of longitude shrink towards the poles; clamped so the box stays finite near them.
  const cos = Math.max(Math.cos((centre.lat * Math.PI) / 180), 0.01);
  const dLng = dLat / cos;
  return { minLat: centre.lat - dLat, maxLat: centre.lat + dLat, minLng: centre.lng - dLng, maxLng: centre.lng + dLng };
}
