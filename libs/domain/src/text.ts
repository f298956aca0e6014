/** Citizens' text is stored as given, but in one Unicode form so search and length limits agree. */
export function nfc(value: string): string {
  return value.normalize('NFC');
}

/**
 * A comparison key for Vietnamese place names: no diacritics, đ -> d (Ð too, the eth old texts use for
 * Đ), lower case, single spaces.
 * Citizens often type without diacritics ("Bach Khoa" for "Bách Khoa").
 */
export function foldVietnamese(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐðÐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}
