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
const digits = (value: string) => value.replace(/\D/g, '').length;

function phoneRule(name: string, rule: string, holds: (value: string) => boolean) {
  return (object: object, propertyName: string) =>
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
}

/**
 * A phone a channel sends (intake, Open311, subject requests) or an admin looks up: stored as the citizen
 * typed it, so any country's number of 6 to 20 digits.
 */
export const IsChannelPhone = () =>
  phoneRule('isChannelPhone', CHANNEL_PHONE_RULE, (v) => written(v) && digits(v) >= CHANNEL_PHONE_DIGITS.min && digits(v) <= CHANNEL_PHONE_DIGITS.max);

/** A phone the hotline desk types for a caller: one it can find them by again (normalisePhone's 9 to 11 digits). */
export const IsDeskPhone = () => phoneRule('isDeskPhone', DESK_PHONE_RULE, (v) => written(v) && normalisePhone(v) !== null);
