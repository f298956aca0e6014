import { UTF8_BOM } from '@fr/domain';

/** One record of a CSV file, with the line it starts on (a quoted value may hold a line break). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export interface CsvRead {
  records: CsvRecord[];
  /** What separates the values: `,`, or `;` as spreadsheets write CSV where the comma is the decimal mark (vi-VN). */
  delimiter: ',' | ';';
  /** Records that could not be read (an unclosed quote, text after a closing quote), by the line each starts on. */
  problems: { line: number; message: string }[];
}

/**
 * Reads CSV as RFC 4180 writes it and as spreadsheets export it: values in double quotes may hold the
 * delimiter, line breaks and `""` for a quote; lines end in CRLF, LF or a lone CR (old Mac Excel); a
 * byte-order mark is dropped. The delimiter is the header's (the first line that is not blank): a
 * header with a `;` and no `,` (Excel and LibreOffice under
 * Vietnamese settings, where the comma is the decimal mark) is read with `;`. Spaces around an
 * unquoted value are padding (`80, 80` typed by hand) and go; inside quotes they are the value's.
 * Blank lines are skipped. Each record carries the line it starts on, so problems name what the
 * sender sees in an editor. A record with a NUL character is a problem of its line.
 */
export function readCsv(text: string): CsvRead {
  const src = text.startsWith(UTF8_BOM) ? text.slice(UTF8_BOM.length) : text;
  const header = src.split(/\r\n?|\n/).find((l) => l.trim() !== '') ?? '';
  const delimiter = header.includes(';') && !header.includes(',') ? ';' : ',';
  const records: CsvRecord[] = [];
  const problems: CsvRead['problems'] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const start = line;
    const cells: string[] = [];
    let broken: string | null = null;
    for (;;) {
      // One value: spaces, then a quoted or a bare value, then spaces, then the delimiter or the record's end.
      while (src[i] === ' ' || src[i] === '\t') i++;
      let value = '';
      if (src[i] === '"') {
        i++;
        for (;;) {
          if (i >= src.length) {
            broken ??= 'a quoted value is not closed (a " is missing)';
            break;
          }
          const c = src[i];
          if (c === '"') {
            if (src[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) line++;
          value += c;
          i++;
        }
        while (src[i] === ' ' || src[i] === '\t') i++;
        if (i < src.length && src[i] !== delimiter && src[i] !== '\n' && src[i] !== '\r') {
          broken ??= 'text after a closing quote (write "" for a quote inside a quoted value)';
          i = nextStop(src, i, delimiter);
        }
      } else {
        const end = nextStop(src, i, delimiter);
        value = src.slice(i, end).trim();
        i = end;
      }
      cells.push(value);
      if (src[i] === delimiter) {
        i++;
        continue;
      }
      // The record's end: CRLF, LF, a lone CR or the end of the text.
      if (src[i] === '\r' || src[i] === '\n') {
        i += src[i] === '\r' && src[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    // PostgreSQL's text holds no NUL: a value with one would fail the import's statement (a 500).
    if (!broken && cells.some((c) => c.includes('\u0000'))) broken = 'a value holds a NUL character (U+0000)';
    if (broken) problems.push({ line: start, message: broken });
    else if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
  }
  return { records, delimiter, problems };
}

/** Where a bare value ends: at the delimiter, the line's end or the text's end. */
function nextStop(src: string, from: number, delimiter: string): number {
  let i = from;
  while (i < src.length && src[i] !== delimiter && src[i] !== '\n' && src[i] !== '\r') i++;
  return i;
}
