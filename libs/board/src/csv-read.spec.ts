import { readCsv } from './csv-read';

describe('readCsv', () => {
  const cells = (text: string) => readCsv(text).records.map((r) => r.cells);

  it('reads plain lines, CRLF or LF, a byte-order mark and blank lines', () => {
    expect(readCsv('\uFEFFa,b\r\n1,2\r\n\r\n3,4\n').records).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
      { line: 4, cells: ['3', '4'] },
    ]);
  });

  it('reads quoted values as spreadsheets write them: every value quoted, "" for a quote, delimiters and line breaks inside', () => {
    expect(cells('"unit_code","kind"\r\n"P_THANH_NHAN","staff"\r\n')).toEqual([
      ['unit_code', 'kind'],
      ['P_THANH_NHAN', 'staff'],
    ]);
    expect(cells('a,"Phường ""Thanh Nhàn"", Hai Bà Trưng",c\n')).toEqual([['a', 'Phường "Thanh Nhàn", Hai Bà Trưng', 'c']]);
    const multi = readCsv('a,b\n"dòng một\ndòng hai",x\ny,z\n');
    expect(multi.records).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['dòng một\ndòng hai', 'x'] },
      { line: 4, cells: ['y', 'z'] },
    ]);
  });

  it('takes ; as the separator when the header has ; and no comma (a spreadsheet under Vietnamese settings)', () => {
    const read = readCsv('unit_code;kind;total\r\nQLDT;staff;80\r\n"A;B";"1,5";x\r\n');
    expect(read.delimiter).toBe(';');
    expect(read.records.map((r) => r.cells)).toEqual([
      ['unit_code', 'kind', 'total'],
      ['QLDT', 'staff', '80'],
      ['A;B', '1,5', 'x'],
    ]);
    expect(readCsv('a,b;c\n').delimiter).toBe(',');
  });

  it('trims spaces around bare values and around quotes, but keeps those inside quotes', () => {
    expect(cells(' a , b ,  " c " \n')).toEqual([['a', 'b', ' c ']]);
    expect(cells(',,\n')).toEqual([['', '', '']]);
  });

  it('names the line of a record whose quote is not closed, or that has text after a closing quote', () => {
    expect(readCsv('a,b\n1,"2\n3,4\n').problems).toEqual([{ line: 2, message: 'a quoted value is not closed (a " is missing)' }]);
    const read = readCsv('a,b\n"1"x,2\r\n3,4\n');
    expect(read.problems).toEqual([{ line: 2, message: 'text after a closing quote (write "" for a quote inside a quoted value)' }]);
    expect(read.records.map((r) => r.line)).toEqual([1, 3]);
    // Named by the line the record starts on, where a quoted line break came first.
    expect(readCsv('a,b\n"x\ny"z,2\n').problems).toEqual([{ line: 2, message: expect.stringMatching(/^text after a closing quote/) as unknown }]);
  });

  it('reads lines ended by a lone CR (old Mac Excel), counting them', () => {
    const read = readCsv('a;b\r1;2\r"x\ry";3\r4;5');
    expect(read.delimiter).toBe(';');
    expect(read.records).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
      { line: 3, cells: ['x\ry', '3'] },
      { line: 5, cells: ['4', '5'] },
    ]);
  });

  it('names a line holding a NUL character, quoted or not, as a problem', () => {
    const read = readCsv('unit_code,kind\nP_BACH_KHOA\u0000,staff\n"QL\u0000DT",staff\nQLDT,staff\n');
    expect(read.problems).toEqual([
      { line: 2, message: 'a value holds a NUL character (U+0000)' },
      { line: 3, message: 'a value holds a NUL character (U+0000)' },
    ]);
    expect(read.records.map((r) => r.line)).toEqual([1, 4]);
  });

  it('takes the separator from the first line that is not blank', () => {
    expect(readCsv('\r\n  \r\nunit_code;kind\r\nQLDT;staff\r\n').delimiter).toBe(';');
  });
});
