import { ADDRESS_PARTS, foldVietnamese, GROUP_WORDS } from './text';

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
 * and central forms (hẻm, kiệt), mapped to one spelling. Keys are folded (no diacritics).
 */
const WORD_FORMS: Readonly<Record<string, string>> = Object.freeze({
  ngo: 'ngo',
  ng: 'ngo',
  hem: 'ngo',
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
const NOT_NAMES = new Set([...GROUP_WORDS, 'ngo', 'ngach', 'toa', 'nha', 'day', 'lo', 'can', 'tang']);

/**
 * A comparison key for an address, so that "Số 12, Ngõ 34 Phố Huế" and "12 ngo 34 pho Hue, P. Phố Huế"
 * meet: NFC then folded (lower case, no diacritics, so tone placement and keyboards do not matter, đ and
 * Ð -> d, punctuation and runs of spaces to one space, as citizens often type without diacritics),
 * "số"/"số nhà" before a number dropped, alley words spelt one way, street words left out, and the
 * ward/district/city tail cut (the ward is compared by code): what follows "phường", "P.", "Ph.", "Q.",
 * "TP", "Hà Nội" or "HN", and the parts without a number after the part that named the street
 * ("12 Hàng Bông, Cửa Nam, Hoàn Kiếm": bare names of the ward and district). A part before the street
 * that names only a ward or above is skipped ("Phường Cửa Nam, 12 Hàng Bông").
 * Null when nothing is left to compare.
 */
export function normaliseAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const parts = address
    .normalize('NFC')
    .split(ADDRESS_PARTS)
    .map((part) =>
      foldVietnamese(part)
        .split(' ')
        .filter(Boolean)
        .flatMap((t) => (Object.hasOwn(SPELT_OUT, t) ? SPELT_OUT[t] : [t])),
    )
    .filter((part) => part.length > 0);
  const out: string[] = [];
  // A number then a name has been seen: the street is named, and parts without a number after it are its tail.
  let numbered = false;
  let streetNamed = false;
  for (let p = 0; p < parts.length; p++) {
    if (streetNamed && parts.slice(p).every((part) => !part.some((t) => /\d/.test(t)))) break;
    const tokens = parts[p];
    const first = tokens[0];
    // A part that is all tail, before anything of the street: "Phường Cửa Nam, 12 Hàng Bông", "Hà Nội".
    if (out.length === 0 && !isNumber(tokens[1]) && (TAIL_ONLY_WORDS.has(first) || ADMIN_PAIRS.has(`${first} ${tokens[1]}`))) continue;
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
      if (out.length > 0 && !isNumber(next) && (ADMIN_WORDS.has(t) || pair)) return out.join(' ');
      if (NUMBER_PREFIXES.has(t) && followedByNumber(tokens, i)) continue;
      // "ngõ 5 ng. 3": the second "ng." is the ngách.
      const word = t === 'ng' && out.includes('ngo') ? 'ngach' : Object.hasOwn(WORD_FORMS, t) ? WORD_FORMS[t] : t;
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
  return out.length > 0 ? out.join(' ') : null;
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
