/** Citizens' text is stored as given, but in one Unicode form so search and length limits agree. */
export function nfc(value: string): string {
  return value.normalize('NFC');
}

/**
 * A comparison key for Vietnamese place names: no diacritics, đ -> d (Ð too, the eth old texts use for
 * Đ), lower case, single spaces.
 * Citizens often type without diacritics ("Bach Khoa" for "Bách Khoa"). Compatibility forms fold too
 * (NFKD: the full-width letters and ideographic space of a Chinese or Japanese input method), and the
 * invisible characters that sit inside a word when text is pasted (soft hyphen, joiners, word joiner,
 * BOM) are dropped rather than split it: "Bô\u00adng" is "bong", not "bo ng".
 */
export function foldVietnamese(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\u00ad|\u200c|\u200d|\u2060|\ufeff/g, '')
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

/** The parts of an address: what commas, semicolons, brackets and spaced dashes separate. */
export const ADDRESS_PARTS = /[,;()[\]]|\s[-–]\s/;

/** Words of a residential group whose number is no house number: tổ 5, cụm 3, tổ dân phố, khu, khu tập thể (folded). */
export const GROUP_WORDS: readonly string[] = ['to', 'cum', 'tdp', 'khu', 'ktt'];
