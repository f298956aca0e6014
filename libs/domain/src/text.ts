/** Citizens' text is stored as given, but in one Unicode form so search and length limits agree. */
export function nfc(value: string): string {
  return value.normalize('NFC');
}

const FORMAT_CHARACTER = /\p{Cf}/u;

/**
 * Text without the characters that show nothing (Unicode's format characters, Cf: zero-width space,
 * joiners, word joiner, BOM, soft hyphen, direction marks), as visibleText reads a text. Pasted text and
 * some keyboards leave them inside words ("Bạ\u200bch Mai"), where read as a break they split the name. A
 * zero-width space between a small letter and a capital ("Bạch\u200bMai") stands for the space it
 * replaced: no Vietnamese word has a capital inside. Between two small letters it cannot be told from one
 * inside a word, and is dropped: the text is read as it shows.
 */
export function withoutInvisibles(value: string): string {
  // Most text holds none: telling so is a tenth of the replacing.
  if (!FORMAT_CHARACTER.test(value)) return value;
  return value.replace(/(?<=\p{Ll}\p{M}*)\u200b+(?=\p{Lu})/gu, ' ').replace(/\p{Cf}/gu, '');
}

/** Line breaks (a form's text box, an operator's notes), each the end of an address's part. */
const LINE_BREAK = /\r\n?|[\n\v\f\u0085\u2028\u2029]/g;

/**
 * Dashes that end a part, as a comma does: one between two letters ("12 Bạch Mai-Đống Đa-Hà Nội", typed
 * quickly), and one with a space on a side before a word that opens a ward, district or province written
 * with its diacritics, or before "Q." ("Tạ Quang Bửu -phường Bạch Mai"). A hyphenated name is split too
 * ("Bà Rịa-Vũng Tàu", "Văn hóa-Thể thao"), which reads its halves as parts: routing knows the provinces'
 * halves. A dash between digits is a house number range ("12-14"), after a digit a building's ("B5-12").
 */
const DASH_BETWEEN_PARTS = /(?<=\p{L})[-–—](?=\p{L})|\s?[-–—]\s?(?=(?:phường|quận|huyện|thị xã|thị trấn|tỉnh|thành phố)\s|q\.)/giu;

/**
 * An address as routing and the duplicate search read it, once, where they take it: NFC, the characters
 * that show nothing dropped (withoutInvisibles), a line break or a dash between parts (DASH_BETWEEN_PARTS)
 * the end of a part (a comma), every other run of whitespace (tab, no-break, narrow, ideographic space) one
 * space. The address itself is stored as the citizen wrote it.
 */
export function addressText(address: string): string {
  const text = withoutInvisibles(address)
    .normalize('NFC')
    .replace(LINE_BREAK, ', ')
    // Only the runs that are not one space already: replacing every space was most of the time.
    .replace(/\s{2,}|[^\S ]/g, ' ');
  return (/[-–—]/.test(text) ? text.replace(DASH_BETWEEN_PARTS, ', ') : text).trim();
}

/**
 * A comparison key for Vietnamese place names: no diacritics, đ -> d (Ð too, the eth old texts use for
 * Đ), lower case, single spaces.
 * Citizens often type without diacritics ("Bach Khoa" for "Bách Khoa"). Compatibility forms fold too
 * (NFKD: the full-width letters and ideographic space of a Chinese or Japanese input method, the no-break
 * and narrow spaces of word processors), and the characters that show nothing are dropped rather than
 * split a word (withoutInvisibles): "Bô\u00adng" and "Bạ\u200bch" are "bong" and "bach", not "bo ng", "ba ch".
 */
export function foldVietnamese(value: string): string {
  return withoutInvisibles(value.normalize('NFKD'))
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐðÐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * The key a person's name is compared by (subject requests: whose cases a shared phone reaches): as
 * foldVietnamese folds it (any letter case, with or without diacritics, đ as d), but keeping letters and
 * digits of every script, so that "张伟" or "Иван" is a name and not the empty string foldVietnamese makes
 * of it. null when the name holds no letter or digit at all ("", "   ", "-", "?", accents over nothing):
 * that is no name, not a name equal to every other such one.
 */
export function personNameKey(name: string | null | undefined): string | null {
  if (!name) return null;
  const key = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐðÐ]/g, 'd')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return key || null;
}

/**
 * Whether two names can be one person's: alike as personNameKey folds them (a citizen types without diacritics,
 * and "Le Van Tu" must find "Lê Văn Tú"), and, word by word, with the same diacritics where both words are
 * written with them. The key alone made "Lê Văn Tú" and "Lê Văn Tư" on one family's phone one person, each
 * reached by the other's request; they are two names, as anyone who writes them with their diacritics means
 * them. A word written without any still stands for either, so the relation is not an equality: "Le Van Tu" is
 * the same as both, which are not each other's (refuseSeveralPeople asks for the name with its diacritics then).
 * A tone mark counts wherever it is placed ("Hoà", "Hòa") and however the text is composed (NFC or NFD).
 */
export function samePersonName(a: string | null | undefined, b: string | null | undefined): boolean {
  const key = personNameKey(a);
  if (key === null || key !== personNameKey(b)) return false;
  const wordsA = markedWords(a!);
  const wordsB = markedWords(b!);
  // Alike folded, the names have as many words; each word is told apart only where both carry marks.
  return wordsA.length === wordsB.length && wordsA.every((w, i) => w === null || wordsB[i] === null || w === wordsB[i]);
}

/** Vietnamese tone marks (grave, acute, tilde, hook above, dot below), one a syllable wherever it is placed. */
const TONE_MARK = /[\u0300\u0301\u0303\u0309\u0323]/u;

/**
 * Each word of a name as personNameKey splits it: null when written without diacritics (no mark, no đ), else its
 * letters with their other marks (â, ă, ê, ô, ơ, ư, đ) in lower case and its tone apart.
 */
function markedWords(name: string): (string | null)[] {
  return name
    .normalize('NFD')
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .map((w) => {
      if (!/[\p{M}đĐðÐ]/u.test(w)) return null;
      const tone = TONE_MARK.exec(w)?.[0] ?? '';
      return `${w.replace(new RegExp(TONE_MARK.source, 'gu'), '').normalize('NFC').toLowerCase()}${tone}`;
    });
}

const foldedNames = new Map<string, string>();
const FOLDED_NAMES_KEPT = 10_000;

/**
 * foldVietnamese for the names routing compares every address with (wards' names and match lists,
 * split wards' streets): the same few hundred strings for every case, kept folded. Folding them
 * again for each case was most of resolveArea's time (59 us a call on the shipped areas, 2026-12-06;
 * the worker spends about 1.7 ms a case in all). Addresses are folded as they come.
 */
export function foldedName(name: string): string {
  let key = foldedNames.get(name);
  if (key === undefined) {
    if (foldedNames.size >= FOLDED_NAMES_KEPT) foldedNames.clear();
    key = foldVietnamese(name);
    foldedNames.set(name, key);
  }
  return key;
}

/** The parts of an address (read by addressText): what commas, semicolons, brackets and spaced dashes separate. */
export const ADDRESS_PARTS = /[,;()[\]]|\s[-–—]\s/;

/** Words of a residential group whose number is no house number: tổ 5, cụm 3, tổ dân phố, khu, khu tập thể (folded). */
export const GROUP_WORDS: readonly string[] = ['to', 'cum', 'tdp', 'khu', 'ktt'];
