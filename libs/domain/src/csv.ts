/** CSV as spreadsheet users open it: UTF-8 with a byte-order mark, RFC 4180 quoting, CRLF. */
export const UTF8_BOM = '\uFEFF';

export type CsvValue = string | number | boolean | null | undefined | Date;

function cell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  // A cell starting like a formula is run by spreadsheets: make it text (OWASP "CSV injection").
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  // ';' too: a spreadsheet reading ';' as the separator (regional settings with a decimal comma, as Vietnam's)
  // split an unquoted cell there, and what followed could begin like a formula.
  return /[",;\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: readonly CsvValue[]): string {
  return values.map(cell).join(',') + '\r\n';
}
