import { columns, NO_COLUMNS } from './column-set';

describe('columns', () => {
  it('numbers the placeholders from the given parameter and keeps the values in order', () => {
    const at = new Date('2026-03-02T01:00:00Z');
    expect(columns`severity = ${'urgent'}, acknowledged_at = ${at}`.render(3)).toEqual({
      text: 'severity = $3, acknowledged_at = $4',
      params: ['urgent', at],
    });
  });

  it('splices a nested set in place, values included', () => {
    const inner = columns`due_at = ${null}, warn_at = ${2}`;
    expect(columns`a = ${1}, ${inner}, b = b + 1, c = ${3}`.render(1)).toEqual({
      text: 'a = $1, due_at = $2, warn_at = $3, b = b + 1, c = $4',
      params: [1, null, 2, 3],
    });
    expect(columns`${inner}`.render(5)).toEqual({ text: 'due_at = $5, warn_at = $6', params: [null, 2] });
  });

  it('knows when it changes nothing', () => {
    expect(NO_COLUMNS.render(3)).toEqual({ text: '', params: [] });
  });
});
