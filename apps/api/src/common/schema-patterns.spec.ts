import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { dayOrInstantProblem, normalisePhone, normaliseTrackingCode, TYPED_TRACKING_CODE_PATTERN } from '@fr/domain';
import { CHANNEL_PHONE_PATTERN, DESK_PHONE_PATTERN, DESK_PHONE_QUERY_PATTERN, IsChannelPhone, IsDeskPhone } from './phone.decorators';
import { dayOrInstantSchema, instantSchema, NoControlChars, NotBlank, SingleLine, TextRule, textPattern } from './text.decorators';

/**
 * The patterns the OpenAPI document gives for what the validators check (a validating proxy reads them,
 * not the code) must agree with the validators: on strings made of the characters each rule is about,
 * the pattern matches exactly what the validator takes.
 */
const RUNS = { numRuns: 3000, seed: 20261207 };
const matches = (pattern: string, s: string) => new RegExp(pattern, 'u').test(s);
const textOf = (chars: string[], maxLength = 12) => fc.array(fc.constantFrom(...chars), { maxLength }).map((a) => a.join(''));

class Blank {
  @NotBlank() v?: string;
}
class Controls {
  @NoControlChars() v?: string;
}
class OneLine {
  @NotBlank() @NoControlChars() @SingleLine() v?: string;
}
class Lines {
  @NotBlank() @NoControlChars() v?: string;
}
class ChannelPhone {
  @IsChannelPhone() v?: string;
}
class DeskPhone {
  @IsDeskPhone() v?: string;
}

const takes = (cls: new () => { v?: string }, v: string) => validateSync(Object.assign(new cls(), { v })).length === 0;

describe('the OpenAPI patterns of text rules', () => {
  // What the rules are about: spaces of every kind, controls, line breaks, invisible characters, marks over nothing.
  const CHARS = ['a', 'ă', 'Đ', '1', ' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u0007', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\u3000'];
  const INVISIBLE = ['\u200b', '\u200d', '\u00ad', '\ufeff', '\u0301', '\u0323', '\ufe0f', '\u2060'];

  it.each<[string, new () => { v?: string }, TextRule[]]>([
    ['NotBlank', Blank, ['notBlank']],
    ['NoControlChars', Controls, ['noControl']],
    ['NotBlank, NoControlChars and SingleLine', OneLine, ['notBlank', 'noControl', 'singleLine']],
    ['NotBlank and NoControlChars', Lines, ['notBlank', 'noControl']],
  ])('%s: the pattern takes what the validators take', (_name, cls, rules) => {
    const pattern = textPattern(rules);
    fc.assert(
      fc.property(textOf([...CHARS, ...INVISIBLE]), (s) => matches(pattern, s) === takes(cls, s)),
      RUNS,
    );
  });

  it('reads a long blank text in one pass', () => {
    const started = Date.now();
    expect(matches(textPattern(['notBlank', 'noControl']), ' '.repeat(100_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('the OpenAPI patterns of phone numbers', () => {
  const PHONE_CHARS = ['0', '1', '4', '8', '9', ' ', '.', '(', ')', '-', '+', 'x'];

  it("a channel's phone: the pattern and maxLength 20 take what IsChannelPhone takes", () => {
    fc.assert(
      fc.property(textOf(PHONE_CHARS, 24), (s) => (s.length <= 20 && matches(CHANNEL_PHONE_PATTERN, s)) === takes(ChannelPhone, s)),
      RUNS,
    );
  });

  it("the desk's phone: the pattern and maxLength 20 take what IsDeskPhone takes (+84, 0084 and the national 0 included)", () => {
    const prefixed = fc.tuple(fc.constantFrom('', '+84', '0084', '84', '+84 (0)', '0'), textOf(PHONE_CHARS, 16)).map(([p, s]) => p + s);
    fc.assert(
      fc.property(prefixed, (s) => (s.length <= 20 && matches(DESK_PHONE_PATTERN, s)) === takes(DeskPhone, s)),
      RUNS,
    );
  });

  it("the desk's search: the pattern takes what normalisePhone reads as a number, whatever surrounds the digits", () => {
    const said = fc.tuple(fc.constantFrom('', '+84', '0084', 'số '), textOf([...PHONE_CHARS, 'a', '/', ':'], 20)).map(([p, s]) => p + s);
    fc.assert(
      fc.property(said, (s) => matches(DESK_PHONE_QUERY_PATTERN, s) === (normalisePhone(s) !== null)),
      RUNS,
    );
  });
});

describe('the OpenAPI pattern of tracking codes as typed', () => {
  it('takes what normaliseTrackingCode reads as a code (letters in either case, look-alikes, separators)', () => {
    const chars = ['7', 'K', 'k', 'M', '3', 'Q', 'O', 'o', 'I', 'l', 'U', 'u', 'Z', '-', ' ', '\u2013', '\u00ad', '\u200b', '.'];
    fc.assert(
      fc.property(textOf(chars, 14), (s) => matches(TYPED_TRACKING_CODE_PATTERN, s) === (normaliseTrackingCode(s) !== null)),
      RUNS,
    );
  });
});

describe('the OpenAPI schemas of dates and instants', () => {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const dayOrInstant = ajv.compile(dayOrInstantSchema());
  const instant = ajv.compile(instantSchema());
  const dates = fc
    .tuple(
      fc.constantFrom('1999', '2000', '2026', '2028', '2099', '2100'),
      fc.constantFrom('00', '01', '02', '12', '13'),
      fc.constantFrom('00', '01', '29', '30', '31'),
    )
    .map(([y, m, d]) => `${y}-${m}-${d}`);
  const times = fc.constantFrom('', 'T09:15:00', 't09:15:00.123', 'T09:15:00.1234567891', 'T09:15', 'T24:00:00', 'T23:59:60', 'T09:61:00');
  const offsets = fc.constantFrom('', 'Z', 'z', '+07:00', '+0700', '-05:00', '+14:00', '+14:30', '-12:00', '-12:30', '+12:45', '+15:00');
  // A local date in 2000 or 2099 whose instant is not (the first hours of 2000 in Hanoi): the pattern reads the date as written.
  const edge = (s: string) => /^(2000-01-01|2099-12-31)T/i.test(s);
  // What the API takes beside RFC 3339, which the document leaves out: minutes without seconds, an offset without its colon.
  const lenient = (s: string) => /T\d{2}:\d{2}(?!:)|[+-]\d{4}$/i.test(s);

  it('take what dayOrInstantProblem takes (years 2000-2099, real days, offsets -12:00 to +14:00), and nothing else', () => {
    fc.assert(
      fc.property(dates, times, offsets, (date, time, offset) => {
        const s = date + time + (time ? offset : '');
        if (edge(s) || lenient(s)) return true;
        return dayOrInstant(s) === (dayOrInstantProblem('x', s) === null) && instant(s) === (time !== '' && dayOrInstantProblem('x', s) === null);
      }),
      RUNS,
    );
  });
});
