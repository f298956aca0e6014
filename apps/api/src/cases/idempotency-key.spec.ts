import { ValidationError } from '@fr/domain';
import { IDEMPOTENCY_KEY_PATTERN, parseIdempotencyKey } from './idempotency-key';

describe(parseIdempotencyKey.name, () => {
  const sut = parseIdempotencyKey;

  it('reads no key without the header', () => {
    expect(sut(undefined)).toBeUndefined();
  });

  it('takes a bare key and a structured-field string as the same key', () => {
    expect(sut('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(sut('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(sut('abc')).toBe(sut('"abc"'));
  });

  it('unescapes a quote and a backslash in a string', () => {
    expect(sut('"a\\"b\\\\c"')).toBe('a"b\\c');
  });

  it('takes 1 to 255 characters', () => {
    expect(sut('k')).toBe('k');
    expect(sut('k'.repeat(255))).toHaveLength(255);
    expect(sut(`"${'k'.repeat(255)}"`)).toHaveLength(255);
  });

  it.each([
    ['empty', ''],
    ['an empty string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['a string of 256', `"${'k'.repeat(256)}"`],
    ['an unclosed string', '"abc'],
    ['text after the string', '"abc"d'],
    ['a lone quote', '"'],
    ['an escape of another character', '"a\\nb"'],
    ['a space', 'two words'],
    ['a space in a string', '"two words"'],
    ['a list (the header sent twice)', 'a, b'],
    ['a comma', 'a,b'],
    ['a quote inside a bare key', 'a"b'],
    ['a backslash in a bare key', 'a\\b'],
    ['a letter beyond ASCII', 'ké'],
    ['a control character', 'a\tb'],
  ])('refuses %s, naming the header', (_what, raw) => {
    let thrown: unknown;
    try {
      sut(raw);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).message).toMatch(/^Idempotency-Key /);
    expect((thrown as ValidationError).fields).toEqual(['Idempotency-Key']);
  });

  it('refuses a header sent twice', () => {
    expect(() => sut(['a', 'b'])).toThrow(ValidationError);
  });

  it('agrees with the pattern the document states', () => {
    const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);
    const samples = ['abc', '"abc"', '"a\\"b"', 'k'.repeat(255), `"${'k'.repeat(255)}"`, 'k'.repeat(256), '""', '"abc', 'a b', 'a,b', 'ké', 'a\\b', '"a\\nb"'];
    for (const raw of samples) {
      let takes = true;
      try {
        sut(raw);
      } catch {
        takes = false;
      }
      expect([raw, pattern.test(raw)]).toEqual([raw, takes]);
    }
  });
});
