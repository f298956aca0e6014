import { prepared } from './sql';

describe('prepared', () => {
  it('names a text by its content: the same name for the same text, in any process, and another for another text', () => {
    const a = prepared('SELECT $1::int AS x');
    expect(prepared('SELECT $1::int AS x')).toEqual(a);
    expect(a.name).toMatch(/^fr_[0-9a-f]{20}$/);
    expect(prepared('SELECT $1::int AS y').name).not.toBe(a.name);
  });

  it('reads as its text where TypeORM logs or reports the statement', () => {
    expect(String(prepared('SELECT 1'))).toBe('SELECT 1');
  });
});
