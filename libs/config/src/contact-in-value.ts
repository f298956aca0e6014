/**
 * A Vietnamese phone number (0 or 84 and 9 to 11 more digits, spaced or dotted) or an e-mail address
 * anywhere in a value a caller chose (a query value, a path segment, a request id). Dates and times
 * ('2026-12-31T00:00:00+07:00') and ids are neither.
 */
const PHONE_IN_VALUE = /(?<![\d.])\(?(?:\+?84|0)(?:[ ._/()\p{Pd}]{0,3}\d){8,11}(?!\d)/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function holdsContact(text: string): boolean {
  // An id's digit groups ('00000000-0000-4000-…') read as a dashed number; an id is no one's contact.
  return text.includes('@') || (PHONE_IN_VALUE.test(text) && !UUID.test(text));
}

/**
 * A Vietnamese person's name written without diacritics in a value a caller chose, its words joined so that
 * no space gives it away ('Nguyen-Thi-Minh-Nguyet', 'nguyen_thi_minh_nguyet', 'NguyenThiMinhNguyet',
 * 'nguyenthiminhnguyet'): hotline desks and integrators make request ids and path segments of the caller's
 * name as they do of the number. A log line cannot look for the case's citizen (it knows no case), so it
 * looks for the shape of a name, as it does for words with diacritics (any of which it drops): a common
 * family name, then Vietnamese syllables, one or more (two or more after a family name that is also an
 * everyday word: 'le', 'do', 'mai'). Plain Vietnamese that begins like a name ('phan-anh', 'dang-ky',
 * 'ho-so-dat-dai') is taken for one, as its accented form is. Names it does not take: a rare family name,
 * a given name alone, a name in a code's capitals and underscores ('P_NGUYEN_DU', 'NGUYEN_VAN_AN': units
 * are named after wards and wards after people), and the time zone Asia/Ho_Chi_Minh.
 */
export function holdsPlainName(text: string): boolean {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, (d) => (d === 'đ' ? 'd' : 'D'));
  if (CODE.test(folded)) return false;
  // A run: words joined by one to three separators. A word is a run of letters in one case, or a word of a
  // name written in camel case ('NguyenThiMinhNguyet'); letters in mixed case otherwise (a token, a key) are none.
  let run: string[] = [];
  const ended = () => {
    const named = run.length === 1 ? NAME_RUN_TOGETHER.test(run[0]) : namedIn(run);
    run = [];
    return named;
  };
  for (const m of folded.matchAll(/(\p{L}+)([\s._+~:\p{Pd}]{1,3}(?=\p{L}))?/gu)) {
    const letters = m[1];
    const words =
      letters === letters.toLowerCase() || letters === letters.toUpperCase() ? [letters] : CAMEL_CASE.test(letters) ? letters.match(/\p{Lu}\p{Ll}+/gu)! : [];
    if (words.length === 0) {
      if (run.length && ended()) return true;
      continue;
    }
    run.push(...words.map((w) => w.toLowerCase()));
    // Joined to the next word, or the run ends here.
    if (!m[2] && ended()) return true;
  }
  return false;
}

const CAMEL_CASE = /^(?:\p{Lu}\p{Ll}+)+$/u;

/** A code: capitals and digits joined by underscores (a unit's, an area's). */
const CODE = /^[A-Z0-9]+(?:_[A-Z0-9]+)+$/;

/** Common family names, folded, that are not everyday words as well. */
const FAMILY_NAMES = [
  'nguyen', 'tran', 'pham', 'hoang', 'huynh', 'phan', 'vu', 'vo', 'dang', 'bui', 'ngo', 'duong', 'dinh', 'trinh', 'truong', 'doan',
  'luong', 'quach', 'trieu', 'kieu', 'khuc', 'khuat', 'nghiem', 'nong', 'luu', 'vuong', 'thach', 'giang', 'tieu', 'thieu', 'uong',
  'diep', 'phung', 'ninh',
]; // prettier-ignore
/** Family names that are also everyday words, or syllables of place names ('le', 'do', 'mai', 'ha'). */
const WORD_FAMILY_NAMES = [
  'le', 'do', 'ho', 'ha', 'ly', 'mai', 'cao', 'ta', 'to', 'la', 'lu', 'chu', 'thai', 'ton', 'lai', 'lo', 'lam', 'dao', 'tang',
  'bach', 'tong', 'quan', 'mac', 'kim', 'hua', 'au', 'an', 'vi', 'dam', 'ung', 'hau', 'giap', 'sam', 'khong',
]; // prettier-ignore
const DISTINCT = new Set(FAMILY_NAMES);
const WORDLIKE = new Set(WORD_FAMILY_NAMES);
/** A Vietnamese syllable without its diacritics: an initial consonant, a vowel group Vietnamese has ('io' is none), a final consonant. */
const INITIAL = '(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])';
const RHYME = '(?:oai|oay|oeo|uay|uoi|uou|uya|uye|uyu|yeu|ieu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])(?:ng|nh|ch|[cmnpt])?';
const IS_SYLLABLE = new RegExp(`^${INITIAL}?${RHYME}$`);
// Run together, only after a family name of four letters or more, and only syllables that begin with a consonant,
// the one place a reader can tell where a syllable begins: 'nguyenthiminhnguyet', not 'transaction' (tran-sa-c-ti-on).
const NAME_RUN_TOGETHER = new RegExp(`^(?:${FAMILY_NAMES.filter((n) => n.length >= 4).join('|')})(?:${INITIAL}${RHYME}){2,4}$`);
const NOT_NAMES = new Set(['ho chi minh']);

function namedIn(run: readonly string[]): boolean {
  if (NOT_NAMES.has(run.join(' '))) return false;
  return run.some((word, i) => {
    const given = DISTINCT.has(word) ? 1 : WORDLIKE.has(word) ? 2 : 0;
    const after = run.slice(i + 1, i + 1 + given);
    // A given name of one letter ('Nguyen Van A') is rare, and a letter alone is as often a token's.
    return given > 0 && after.length === given && after.every((w) => w.length > 1 && IS_SYLLABLE.test(w));
  });
}
