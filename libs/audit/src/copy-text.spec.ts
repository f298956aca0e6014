import { CopyTextLines } from './copy-text';

/** What COPY ... TO STDOUT (text format) writes for one-column rows. */
function copyText(lines: string[]): Buffer {
  const esc = (s: string) =>
    s.replace(/[\\\b\f\n\r\t\v]/g, (c) => ({ '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' })[c]!);
  return Buffer.from(lines.map((l) => esc(l) + '\n').join(''), 'utf8');
}

function convert(input: Buffer, chunkSize: number): string {
  const t = new CopyTextLines();
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) parts.push(t.convert(input.subarray(i, i + chunkSize)));
  return Buffer.concat(parts).toString('utf8');
}

describe('COPY text output back to CSV lines', () => {
  const lines = [
    'a,b,Phường Bách Khoa,2025-01-01T08:00:00+07:00',
    '"Lấn chiếm vỉa hè, lòng đường ""trái phép""",x',
    'back\\slash,"two\r\nlines",tab\there,\b\f\v',
    '',
    '\\',
    'ends with a backslash\\',
  ];
  const expected = lines.map((l) => l + '\r\n').join('');

  it('gives every line back byte for byte, ended by CRLF, however the output is chunked', () => {
    const input = copyText(lines);
    for (const size of [1, 2, 3, 7, 64, input.length]) expect(convert(input, size)).toBe(expected);
  });

  it('tells, outside a pipeline, that the output ended inside an escape sequence', () => {
    const whole = new CopyTextLines();
    whole.convert(copyText(['a\\b']));
    expect(whole.ended()).toBeNull();
    const cut = new CopyTextLines();
    cut.convert(Buffer.from('a\\'));
    expect(cut.ended()).toBeInstanceOf(Error);
  });
});
