import { ApiProperty } from '@nestjs/swagger';
import { registerDecorator } from 'class-validator';
import { normalisePhone } from '@fr/domain';

/** How a phone may be written, whoever takes it: digits, spaces, . ( ) - and a leading +, 20 characters at most. */
const PHONE_FORM = /^\+?[0-9 .()-]{1,20}$/;
const PHONE_MAX_CHARS = 20;

/** The length a channel's phone takes, counted in digits as a number is read out: '12 345' is five, not six. */
const CHANNEL_PHONE_DIGITS = { min: 6, max: 20 } as const;

/** What a channel's phone field says when it refuses a number: the length it takes, and how it may be written. */
export const CHANNEL_PHONE_RULE = `must be a phone number of ${CHANNEL_PHONE_DIGITS.min} to ${CHANNEL_PHONE_DIGITS.max} digits (with spaces, . ( ) - and a leading +: ${PHONE_MAX_CHARS} characters at most)`;

/** The hotline desk's: callers are found by the number, 9 to 11 digits once normalised (normalisePhone), as its search takes it. */
export const DESK_PHONE_RULE = 'is not a number the desk can find the caller by (9 to 11 digits, a leading +84 read as 0); check it with the caller';

const written = (value: string) => value.length <= PHONE_MAX_CHARS && PHONE_FORM.test(value);

/*
 * The same rules as patterns for the OpenAPI document (with maxLength 20), so that a validating proxy
 * refuses what the API refuses: a digit followed by any separators is one step, `n` of them `n` digits.
 */
const SEPARATORS = '[ .()-]*';
/** n digits, each followed by any separators: `sep` after every one. */
const digitsThen = (n: string, sep: string) => `(?:[0-9]${sep})${n}`;
const digitThen = (d: string, sep: string) => `${d}${sep}`;
/** IsChannelPhone's pattern: 6 to 20 digits, with spaces, . ( ) - and a leading +. */
export const CHANNEL_PHONE_PATTERN = `^\\+?${SEPARATORS}${digitsThen('{6,20}', SEPARATORS)}$`;
/**
 * What normalisePhone reads as 9 to 11 digits, the digits separated by `sep`: a national number of 9 to 11
 * digits (with or without its 0); 84 and then 10 digits, or 840 and 10 (+84 (0)...); 0084 and then 9 or 10,
 * or 00840 and 10 (dialled from abroad).
 */
function deskPattern(lead: string, sep: string): string {
  const d = (x: string) => digitThen(x, sep);
  const n = (x: string) => digitsThen(x, sep);
  return `^${lead}${sep}(?:${n('{9,11}')}|${d('8')}${d('4')}(?:${d('0')})?${n('{10}')}|${d('0')}${d('0')}${d('8')}${d('4')}(?:${n('{9,10}')}|${d('0')}${n('{10}')}))$`;
}
/** IsDeskPhone's pattern. */
export const DESK_PHONE_PATTERN = deskPattern('\\+?', SEPARATORS);
/** The desk's search by phone (GET /v1/hotline/cases?phone=): the number as the caller says it, anything between the digits. */
export const DESK_PHONE_QUERY_PATTERN = deskPattern('', '[^0-9]*');
const digits = (value: string) => value.replace(/\D/g, '').length;

function phoneRule(name: string, rule: string, holds: (value: string) => boolean, pattern: string) {
  return (object: object, propertyName: string) => {
    ApiProperty({ type: 'string', maxLength: PHONE_MAX_CHARS, pattern })(object, propertyName);
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      // One message whatever is wrong (too few digits, too many characters, a letter): a MaxLength beside the
      // pattern added class-validator's own words for the same refusal, and five digits spaced out passed.
      options: { message: `${propertyName} ${rule}` },
      // Not text: IsString says so.
      validator: { validate: (value: unknown) => typeof value !== 'string' || holds(value) },
    });
  };
}

/**
 * A phone a channel sends (intake, Open311, subject requests) or an admin looks up: stored as the citizen
 * typed it, so any country's number of 6 to 20 digits.
 */
export const IsChannelPhone = () =>
  phoneRule(
    'isChannelPhone',
    CHANNEL_PHONE_RULE,
    (v) => written(v) && digits(v) >= CHANNEL_PHONE_DIGITS.min && digits(v) <= CHANNEL_PHONE_DIGITS.max,
    CHANNEL_PHONE_PATTERN,
  );

/** A phone the hotline desk types for a caller: one it can find them by again (normalisePhone's 9 to 11 digits). */
export const IsDeskPhone = () => phoneRule('isDeskPhone', DESK_PHONE_RULE, (v) => written(v) && normalisePhone(v) !== null, DESK_PHONE_PATTERN);
