import { ApiProperty } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Transform } from 'class-transformer';
import { isUUID, Matches as MatchesRule, registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { dayOrInstantProblem, instantProblem, showsNothing, VIETNAM_DAY_SHAPE } from '@fr/domain';

/*
 * The validators below that refuse a shape of text also say so in the OpenAPI document (a pattern or a
 * format on the property's schema), so that what a validating proxy or a generated client reads is what the
 * API checks: a field documented as any string, refused with 400 for a blank, a line break or a date in
 * another form, was a request the document called valid. An explicit @ApiProperty above them may still
 * say more (it is applied last and merged).
 */

/** Control characters NoControlChars refuses (tabs and line breaks are text). */
const CONTROL = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f';
/** Line breaks SingleLine refuses. */
const LINE_BREAKS = '\\n\\r\\u0085\\u2028\\u2029';
/**
 * What shows nothing (showsNothing): whitespace, format characters (Unicode Cf) and combining marks (M),
 * written as ranges rather than \p{...}, which not every JSON Schema validator's regular expressions read.
 * The common ones: zero-width spaces and joiners, direction marks, the soft hyphen, the BOM, variation
 * selectors, combining accents.
 */
const SHOWS_NOTHING =
  '\\s\\u00ad\\u0300-\\u036f\\u0483-\\u0489\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u180e\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u20d0-\\u20ff\\ufe00-\\ufe0f\\ufe20-\\ufe2f\\ufeff\\ufff9-\\ufffb';
/** The same without the whitespace JavaScript's \s holds that a pattern's class must list one by one. */
const INVISIBLE_NOT_SPACE = SHOWS_NOTHING.slice('\\s'.length);
/** JavaScript's whitespace (\s), one by one, less the control characters and line breaks a rule may refuse. */
const SPACES = ['\\t', '\\n', '\\u000b', '\\u000c', '\\r', ' ', '\\u00a0', '\\u1680', '\\u2000-\\u200a', '\\u2028', '\\u2029', '\\u202f', '\\u205f', '\\u3000'];

export type TextRule = 'noControl' | 'singleLine' | 'notBlank';

/**
 * The pattern of a text held to `rules`: no refused character anywhere and, for notBlank, one that shows
 * something. Written so that a validator reads it in one pass (the characters before the first visible
 * one cannot be visible), not by trying every split of a long blank text.
 */
export function textPattern(rules: Iterable<TextRule>): string {
  const set = new Set(rules);
  const refused = (set.has('noControl') ? CONTROL : '') + (set.has('singleLine') ? LINE_BREAKS : '');
  const anything = refused ? `[^${refused}]*` : '[\\s\\S]*';
  if (!set.has('notBlank')) return `^${anything}$`;
  const spaces = SPACES.filter(
    (c) => !(set.has('noControl') && ['\\u000b', '\\u000c'].includes(c)) && !(set.has('singleLine') && ['\\n', '\\r', '\\u2028', '\\u2029'].includes(c)),
  );
  const blank = `[${spaces.join('')}${INVISIBLE_NOT_SPACE}]*`;
  const visible = `[^${SHOWS_NOTHING}${refused}]`;
  return `^${blank}${visible}${anything}$`;
}

const TEXT_RULES = Symbol('textRules');

/** Records one more rule of a text property and documents the pattern of all of them. */
function documentTextRule(target: object, key: string, rule: TextRule, each = false): void {
  const rules = new Set<TextRule>([...((Reflect.getOwnMetadata(TEXT_RULES, target, key) as TextRule[] | undefined) ?? []), rule]);
  Reflect.defineMetadata(TEXT_RULES, [...rules], target, key);
  // A list of texts (each: true) documents its items; the property's own schema says it is an array.
  if (!each) ApiProperty({ type: 'string', pattern: textPattern(rules) })(target, key);
}

/**
 * class-validator's Matches, its regular expression written in the document as the property's pattern (or
 * its items', for `each`). A flag other than u cannot be said by a JSON Schema pattern: refused at start.
 */
export function Matches(pattern: RegExp, options?: ValidationOptions) {
  if (pattern.flags.replace('u', '') !== '') throw new Error(`Matches(${String(pattern)}): JSON Schema patterns take no flags`);
  return (object: object, propertyName: string) => {
    if (!options?.each) ApiProperty({ type: 'string', pattern: pattern.source })(object, propertyName);
    MatchesRule(pattern, options)(object, propertyName);
  };
}

/** What a path's unit or channel code, and the ids the API counts (absences, deliveries, notifications), look like. */
export const CODE_PARAM_SCHEMA = { type: 'string' as const, pattern: '^[A-Za-z0-9_.-]{1,40}$' };
export const SERIAL_ID_PARAM_SCHEMA = { type: 'string' as const, pattern: '^[0-9]{1,18}$' };

/**
 * A page's cursor: only a nextCursor the API returned is one (base64url of what the API put in it), so the
 * document says its alphabet and length; a cursor of that shape that the API did not make is still a 400.
 */
export const CURSOR_SCHEMA = { maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' };

/**
 * Instants and days as instantProblem and dayOrInstantProblem take them, beside the formats: the years
 * 2000-2099 (as written: the first hours of 2000 in Hanoi, still 1999 in UTC, are refused all the same),
 * offsets from -12:00 to +14:00, no leap second, at most nine digits of a second.
 */
const OFFSET = '(?:[Zz]|[+-](?:0[0-9]|1[01]):[0-5][0-9]|[+-]12:00|\\+1[23]:[0-5][0-9]|\\+14:00)';
const TIME = '[Tt][0-9]{2}:[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?';
const DAY = '20[0-9]{2}-[0-9]{2}-[0-9]{2}';
export const INSTANT_PATTERN = `^${DAY}${TIME}${OFFSET}$`;
export const DAY_OR_INSTANT_PATTERN = `^${DAY}(?:${TIME}${OFFSET})?$`;
/** IsInstant's schema: an RFC 3339 date-time (with its offset) in the years 2000-2099. */
export const instantSchema = () => ({ type: 'string' as const, format: 'date-time', pattern: INSTANT_PATTERN });
/** IsDayOrInstant's schema: a date or an RFC 3339 date-time, in the years 2000-2099. */
export const dayOrInstantSchema = () => ({
  type: 'string' as const,
  pattern: DAY_OR_INSTANT_PATTERN,
  // The type in each branch too: generators of client types read it there when a schema has anyOf.
  anyOf: [
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
  ] as SchemaObject[],
});

/** Normalises text to NFC before validation, so length limits count what is stored. */
export const NormaliseText = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC') : value));

/** PostgreSQL text cannot hold NUL, and control characters in citizens' text are a sign of abuse. */
export function NoControlChars(options?: ValidationOptions) {
  return (object: object, propertyName: string) => {
    documentTextRule(object, propertyName, 'noControl', options?.each);
    registerDecorator({
      name: 'noControlChars',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not contain control characters`, ...options },
      validator: {
        // eslint-disable-next-line no-control-regex -- finding control characters is the point
        validate: (value: unknown) => typeof value !== 'string' || !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value),
      },
    });
  };
}

/**
 * At most `max` characters as PostgreSQL counts them (code points), with class-validator's message.
 * Its own MaxLength (validator.js isLength) counts a character and the variation selector after it
 * (U+FE0E, U+FE0F) as one: 200 "a\uFE0F" pairs passed a limit of 200 and then overflowed the
 * varchar(200) behind it (a 500), or stored twice the limit in a text column.
 */
export function MaxLength(max: number, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'maxLength',
      target: object.constructor,
      propertyName,
      constraints: [max],
      options: { message: (args) => `${options?.each ? 'each value in ' : ''}${args.property} must be shorter than or equal to ${max} characters`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && codePointsAtMost(value, max) },
    });
}

function codePointsAtMost(value: string, max: number): boolean {
  if (value.length <= max) return true;
  let count = 0;
  for (const _ of value) if (++count > max) return false;
  return true;
}

/**
 * A URL without a user name or password ("https://user:pass@cdn.vn/a.jpg"): an attachment's URL is
 * shown to other readers (Open311's public media_url among them), and a webhook's is refused the same.
 */
export function NoUrlCredentials(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'noUrlCredentials',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not carry a user name or password`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return true;
          try {
            const url = new URL(value);
            return !url.username && !url.password;
          } catch {
            return true; // not a URL at all: IsUrl says so
          }
        },
      },
    });
}

/** A character as U+XXXX: how a message names one that shows nothing. */
const codePointOf = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** A space of any kind (JavaScript's \s holds the BOM too: it is a format character here). */
const ANY_SPACE = /[\p{Z}\t\n\v\f\r\u0085]/u;
/** A space, or a character that shows nothing: what a code cannot hold and a log does not show. */
const HIDDEN_IN_CODE = /[\p{Z}\t\n\v\f\r\u0085\p{Cf}]/u;

/**
 * The message of a code's pattern (`what`: "an area code"), naming the space or the character that shows
 * nothing when the code holds one: "BACH_KHOA\u200b" and "BACH_KHOA\u00a0" read as BACH_KHOA in a channel's
 * logs, and "must be an area code" alone did not say why it is not one. Codes are not trimmed: a space
 * before or after one is refused the same, and named.
 */
export function codeMessage(what: string): (args: ValidationArguments) => string {
  return (args) => {
    const message = `${args.property} must be ${what} (letters, digits, _ . -)`;
    const hidden = typeof args.value === 'string' ? HIDDEN_IN_CODE.exec(args.value) : null;
    if (!hidden) return message;
    return `${message}; it holds ${codePointOf(hidden[0])}, ${ANY_SPACE.test(hidden[0]) ? 'a space' : 'a character that shows nothing'}`;
  };
}

/**
 * Characters that show nothing in an e-mail address: format characters (zero-width space and joiners,
 * soft hyphen, word joiner), variation selectors, spaces, and an accent over no letter (at the start of
 * the local part or of a label). The e-mail check let them through ("an@hbt.v\u200bn" passed as an
 * address), and an address stored with one matched no data-subject request or read lookup by the
 * address the citizen sees, nor reached them.
 */
const INVISIBLE_IN_EMAIL = /[\p{Cf}\p{Z}\s\uFE00-\uFE0F\u{E0100}-\u{E01EF}]|(?:^|[@.])(\p{M})/u;

/** An e-mail address without invisible characters (INVISIBLE_IN_EMAIL); the message names the one found. */
export function NoInvisibleInEmail(options?: ValidationOptions) {
  const found = (value: unknown) => (typeof value === 'string' ? INVISIBLE_IN_EMAIL.exec(value) : null);
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'noInvisibleInEmail',
      target: object.constructor,
      propertyName,
      options: {
        message: (args) => {
          const m = found(args.value);
          const ch = m ? (m[1] ?? m[0]) : '';
          return `${args.property} must not contain characters that show nothing (${codePointOf(ch)}): an e-mail address as the citizen reads it`;
        },
        ...options,
      },
      validator: { validate: (value: unknown) => found(value) === null },
    });
}

/**
 * A title or name is one line: channels put it where a line break would start something else (a mail
 * or HTTP header, an SMS, a CSV cell, a list line).
 */
export function SingleLine(options?: ValidationOptions) {
  return (object: object, propertyName: string) => {
    documentTextRule(object, propertyName, 'singleLine', options?.each);
    registerDecorator({
      name: 'singleLine',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be one line (no line breaks)`, ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || !/[\r\n\u0085\u2028\u2029]/.test(value) },
    });
  };
}

/**
 * An optional text that shows nothing (blanks, zero-width characters, accents over no letter) is no
 * text: taken as absent, as "" is, rather than stored ("\u0301\u0301" was kept as a citizen's name, an
 * address that located nothing, an append-only review's comment).
 */
export const BlankAsAbsent = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' && showsNothing(value) ? undefined : value));

/** Rejects text that is only whitespace (or invisible format characters, see visibleText) where content is required. */
export function NotBlank(options?: ValidationOptions) {
  return (object: object, propertyName: string) => {
    documentTextRule(object, propertyName, 'notBlank', options?.each);
    registerDecorator({
      name: 'notBlank',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not be blank`, ...options },
      // Combining marks alone (accents over no letter) show nothing either.
      validator: { validate: (value: unknown) => typeof value !== 'string' || !showsNothing(value) },
    });
  };
}

/**
 * A validator whose message is the value's problem as `problem` describes it (null when there is none):
 * one message that says what is wrong. With `missingOk`, an absent value is left to the property's other
 * decorators (IsString / IsDefined: "... is required").
 */
function describedBy(
  name: string,
  problem: (property: string, value: unknown) => string | null,
  otherwise: string,
  missingOk: boolean,
  options?: ValidationOptions,
) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: (args) => problem(args.property, args.value) ?? `${args.property} ${otherwise}`, ...options },
      validator: { validate: (value: unknown) => (missingOk && value === undefined) || problem(propertyName, value) === null },
    });
}

/** An instant as instantProblem describes it; the message says what is wrong. */
export function IsInstant(options?: ValidationOptions) {
  const validate = describedBy('isInstant', instantProblem, 'is not a valid instant', false, options);
  return (object: object, propertyName: string) => {
    ApiProperty(instantSchema())(object, propertyName);
    validate(object, propertyName);
  };
}

/**
 * A day in Asia/Ho_Chi_Minh or an instant, as dayOrInstantProblem describes them; dayOrInstantAt reads
 * the value at the edge of the day the field means (a start, an end, "as at"). A missing value is left
 * to IsString / IsDefined; any other value is checked, so a number or a list is told what a date looks
 * like rather than about its length.
 */
export function IsDayOrInstant(options?: ValidationOptions) {
  const problem = (name: string, value: unknown) => dayOrInstantProblem(name, value, { shape: VIETNAM_DAY_SHAPE });
  const validate = describedBy('isDayOrInstant', problem, 'is not a valid date', true, options);
  return (object: object, propertyName: string) => {
    ApiProperty(dayOrInstantSchema())(object, propertyName);
    validate(object, propertyName);
  };
}

/**
 * A whole number in a range, with one message: IsInt, Min and Max apart told `limit=0x10` three things
 * at once, two of them beside the point ("must not be greater than 100; must not be less than 1").
 */
export function IsIntBetween(min: number, max: number, message?: (args: ValidationArguments) => string) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isIntBetween',
      target: object.constructor,
      propertyName,
      options: { message: message ?? ((args) => `${args.property} must be a whole number from ${min} to ${max}`) },
      validator: { validate: (value: unknown) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max },
    });
}

/** A whole number as a path or query parameter writes it: digits only, short of 2^53. */
export const WHOLE_NUMBER_TEXT = /^[0-9]{1,15}$/;

/**
 * A query parameter read as a whole number only when it is written in digits: `@Type(() => Number)`
 * read `limit=0x10` as 16, `1e1` as 10, `+5` and ` 1` as numbers, and an empty `limit=` as 0 (then
 * "must not be less than 1"). Anything else stays a string, and the integer check names the parameter.
 */
export function IntegerQuery() {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && WHOLE_NUMBER_TEXT.test(value) ? Number(value) : value));
}

/**
 * A query parameter read as a decimal number only when it is written as one: `@Type(() => Number)`
 * made an empty `lat=` (or a blank) 0 and `0x15` 21, so `lat=&lng=` searched near (0, 0). Anything
 * else stays a string, and the number check names the parameter.
 */
export function DecimalQuery() {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^[+-]?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value));
}

/**
 * A list of case ids (uuid), one to `max`, told in one message what is wrong with it: a value that is not
 * a list is told that, and not also the list's size rule as separate IsArray / ArrayMaxSize checks did.
 */
export function IsCaseIdList(max: number, options?: ValidationOptions) {
  const problem = (name: string, value: unknown): string | null => {
    if (!Array.isArray(value)) return `${name} must be a list of case ids (uuid), such as ["0190d5a2-7c1e-7a3b-9f10-2b4c6d8e0f12"]`;
    if (value.length === 0) return `${name} lists one case id at least`;
    if (value.length > max) return `${name} lists at most ${max} case ids, got ${value.length}`;
    if (!value.every((v) => typeof v === 'string' && isUUID(v, 'all'))) return `${name} must hold case ids (uuid) only`;
    return null;
  };
  return describedBy('isCaseIdList', problem, 'is not a valid list', true, options);
}
