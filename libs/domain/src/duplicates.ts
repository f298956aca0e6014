import { foldVietnamese } from './text';

/**
 * Duplicate reports (issue 14): one broken street light reported by twenty residents is one problem.
 * A new case's candidates are open cases of its category near its coordinates or at the same
 * normalised address in the same ward; the pure parts of that search live here.
 */

/** Mean Earth radius (IUGG), in metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const METRES_PER_DEGREE_LAT = (Math.PI * EARTH_RADIUS_M) / 180;

/**
 * Words that name a kind of street or alley, written in full, without diacritics, abbreviated, or in
 * the southern and central forms (hẻm, kiệt), mapped to one spelling. Keys are folded (no diacritics).
 */
const WORD_FORMS: Readonly<Record<string, string>> = Object.freeze({
  ngo: 'ngo',
  ng: 'ngo',
  hem: 'ngo',
  kiet: 'ngo',
  ngach: 'ngach',
  ngh: 'ngach',
  duong: 'duong',
  d: 'duong',
  pho: 'pho',
});

/** "Số" / "số nhà" / "SN" before a house number says nothing the number does not. */
const NUMBER_PREFIXES = new Set(['so', 'sn', 'nha']);

/**
 * Where an address starts naming its ward, district or city: matched apart (ward code), so cut.
 * Only words no Hanoi street starts with ("Xã Đàn", "Thanh Nhàn", "Hà Huy Tập" are streets).
 */
const ADMIN_WORDS = new Set(['phuong', 'p', 'quan', 'q', 'tp']);
const ADMIN_PAIRS = new Set(['ha noi', 'thanh pho']);
/**
 * Of those, the ones that cannot begin a street's name either: an address that begins with one names
 * only a ward or above ("Hà Nội", "Phường Hai Bà Trưng"), which says nothing about where in it. "P."
 * may be "Phố" there ("P. Bạch Mai"), so it is not among them.
 */
const TAIL_ONLY_WORDS = new Set(['phuong', 'quan', 'q', 'tp']);

/**
 * A comparison key for an address, so that "Số 12, Ngõ 34 Phố Huế" and "12 ngo 34 pho Hue, P. Phố Huế"
 * meet: NFC then folded (lower case, no diacritics, đ -> d, punctuation and runs of spaces to one
 * space, as citizens often type without diacritics), "số"/"số nhà" before a number dropped, alley and
 * street words spelt one way, and the ward/district/city tail cut (the ward is compared by code).
 * Null when nothing is left to compare.
 */
export function normaliseAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  const tokens = foldVietnamese(address.normalize('NFC')).split(' ').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    // The tail names the ward or above; only once something of the street itself was seen. An address
    // that is all tail has no key: two reports that name only the city would otherwise be one place.
    const pair = ADMIN_PAIRS.has(`${t} ${tokens[i + 1]}`);
    if (out.length === 0 && !isNumber(tokens[i + 1]) && (TAIL_ONLY_WORDS.has(t) || pair)) return null;
    if (out.length > 0 && !isNumber(tokens[i + 1]) && (ADMIN_WORDS.has(t) || pair)) break;
    if (NUMBER_PREFIXES.has(t) && followedByNumber(tokens, i)) continue;
    out.push(Object.hasOwn(WORD_FORMS, t) ? WORD_FORMS[t] : t);
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
