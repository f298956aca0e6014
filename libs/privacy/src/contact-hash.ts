import { createHmac } from 'node:crypto';

/** A Vietnamese phone number as digits, national form: '+84 912-345-678' and '0912345678' are one number. */
export function normalisePhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.startsWith('84') && digits.length >= 11 ? `0${digits.slice(2)}` : digits;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The keyed hash (HMAC-SHA256 under FR_PRIVACY_KEY) that finds a citizen's records without storing
 * their phone or e-mail: a plain hash of a phone number is reversed by trying the billion numbers.
 */
export function contactHash(key: string, kind: 'phone' | 'email', value: string): Buffer {
  const normal = kind === 'phone' ? normalisePhone(value) : normaliseEmail(value);
  return createHmac('sha256', key).update(`${kind}:${normal}`, 'utf8').digest();
}

/** A keyed hash of a request's own words (canonical text): compared on a retry, never readable from a copy of the table. */
export function requestHash(key: string, canonical: string): Buffer {
  return createHmac('sha256', key).update(`request:${canonical}`, 'utf8').digest();
}

/** The SQL expression of a phone column in normalisePhone's form (cases still holding one). */
export const NORMALISED_PHONE_SQL = (col: string) =>
  `(CASE WHEN regexp_replace(${col}, '\\D', '', 'g') ~ '^84\\d{9,}$' THEN '0' || substr(regexp_replace(${col}, '\\D', '', 'g'), 3)
         ELSE regexp_replace(${col}, '\\D', '', 'g') END)`;
