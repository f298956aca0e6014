/**
 * Tracking codes citizens read out over the 1022 hotline: Crockford base32 (no I, L, O, U),
 * 10 random characters (50 bits) so codes cannot be guessed in sequence, shown as XXXXX-XXXXX.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACKING_CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

export function generateTrackingCode(randomBytes: (n: number) => Uint8Array): string {
  const bytes = randomBytes(10);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += ALPHABET[bytes[i] & 31];
    if (i === 4) out += '-';
  }
  return out;
}

/** Separators normaliseTrackingCode drops that a pattern can list: whitespace, dashes, the common invisible characters. */
const TYPED_SEPARATORS = '[\\s\\u00ad\\u200b-\\u200f\\u2010-\\u2015\\u2060\\u2212\\u30fc\\ufe58\\ufe63\\ufeff\\uff0d\\uff70-]*';

/**
 * A JSON Schema pattern for what normaliseTrackingCode takes as people type it: ten characters of the
 * alphabet in either case (with the look-alikes I, L and O; no U), separated anyhow. (Full-width letters,
 * which it folds too, are left out.)
 */
export const TYPED_TRACKING_CODE_PATTERN = `^${TYPED_SEPARATORS}(?:[0-9A-TV-Za-tv-z]${TYPED_SEPARATORS}){10}$`;

/** Accepts what people type: lower case, no dash, spaces, and the look-alikes O/I/L. Null if not a code. */
export function normaliseTrackingCode(input: string): string | null {
  // NFKC folds full-width letters and digits (a phone's keyboard); any dash (Unicode's Pd, the minus sign, the
  // long-vowel marks a Japanese or Chinese keyboard types for one) is a separator, as a word processor turns "-"
  // into "–" and people paste codes from it; invisible format characters (a soft hyphen, a zero-width space) go.
  const s = input
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\p{Pd}\p{Cf}\u2212\u30fc\uff70]/gu, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]{10}$/.test(s)) return null;
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}
