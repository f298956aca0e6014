import { normalisePhone as normaliseCasePhone } from '@fr/domain';
import { createHmac } from 'node:crypto';

/**
 * A phone number as the privacy records key it: as the domain's normalisePhone reads it (the hotline's
 * key, the national 0 kept once: '+84 (0)912 345 678', '912 345 678' and '0912345678' are one number),
 * or, when that finds no number (too short or too long), its digits. A copy of its own read
 * '+84 (0)912…' as '00912…' and '912…' without its 0, so reads and data-subject requests missed a
 * citizen whose number was written so, or written one way on the case and another in the request.
 */
export function normalisePhone(phone: string): string {
  return normaliseCasePhone(phone) ?? phone.normalize('NFKC').replace(/\D/g, '');
}

/** How the privacy side read a number before it read it as the domain does: what older hashes hold. */
function formerlyNormalised(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.startsWith('84') && digits.length >= 11 ? `0${digits.slice(2)}` : digits;
}

/**
 * The forms the same number was keyed by before (contact_reads.phone_hash, privacy_requests.phone_hash):
 * the number as written read the former way, and the forms its other writings gave then ('+84 (0)912…'
 * as '00912…', '912…' without its 0, '0084 912…' as written). Looked up beside the number's own.
 */
export function earlierContactPhoneForms(phone: string): string[] {
  const now = normalisePhone(phone);
  const forms = [formerlyNormalised(phone)];
  const national = normaliseCasePhone(phone);
  if (national !== null) {
    const rest = national.slice(1);
    forms.push(`0${national}`, rest, `0084${rest}`, `00840${rest}`);
  }
  return [...new Set(forms)].filter((form) => form !== now && form !== '');
}

/**
 * The forms a case's phone key (citizen_phone_key, keyed when it was stored) may hold for this number:
 * the domain's normalisePhone now, and what it gave before it kept the national 0 once ('+84 (0)912…'
 * kept its 0: one 0 more; '912…' stayed without it: one 0 less). Wider than earlierPhoneForms (a number
 * of 8 digits after its 0 too): the lookup checks each case found by key against the number as read
 * now, so a form that is another number's costs an index probe and finds nothing. None for what the
 * domain reads as no number: no case was keyed by such a phone.
 */
export function caseKeyForms(phone: string): string[] {
  const now = normaliseCasePhone(phone);
  if (now === null) return [];
  return [...new Set([now, `0${now}`, now.slice(1)])].filter((form) => /^\d{9,11}$/.test(form));
}

/**
 * An e-mail address as the privacy records compare it: NFC (as intake stores it), trimmed, lower case.
 * Without NFC, 'nguyễn@…' typed on a keyboard that sends decomposed Vietnamese found none of the
 * citizen's cases, nor the reads of their contact.
 */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/**
 * The keyed hash (HMAC-SHA256 under FR_PRIVACY_KEY) that finds a citizen's records without storing
 * their phone or e-mail: a plain hash of a phone number is reversed by trying the billion numbers.
 */
export function contactHash(key: string, kind: 'phone' | 'email', value: string): Buffer {
  const normal = kind === 'phone' ? normalisePhone(value) : normaliseEmail(value);
  return keyedContact(key, kind, normal);
}

function keyedContact(key: string, kind: 'phone' | 'email', normal: string): Buffer {
  return createHmac('sha256', key).update(`${kind}:${normal}`, 'utf8').digest();
}

/**
 * Every hash a record of this contact may hold: its own (contactHash) first, then, for a phone, those of
 * the forms records kept before this version were keyed by (earlierContactPhoneForms).
 */
export function contactHashes(key: string, kind: 'phone' | 'email', value: string): Buffer[] {
  const earlier = kind === 'phone' ? earlierContactPhoneForms(value) : [];
  return [contactHash(key, kind, value), ...earlier.map((form) => keyedContact(key, kind, form))];
}

/** A keyed hash of a request's own words (canonical text): compared on a retry, never readable from a copy of the table. */
export function requestHash(key: string, canonical: string): Buffer {
  return createHmac('sha256', key).update(`request:${canonical}`, 'utf8').digest();
}

/**
 * A keyed hash of a channel's own id of a data-subject request: what finds a retry. Integrators make such
 * ids of the caller's number, and the request is kept long after the data it erased; the id in clear
 * would outlive the erasure. Migration PrivacyRequestExternalKey hashes the ids stored before the same way.
 */
export function externalIdHash(key: string, channel: string, externalId: string): Buffer {
  return createHmac('sha256', key).update(`external-id:${channel}:${externalId}`, 'utf8').digest();
}

/**
 * The SQL expression of a phone column's digits, compatibility forms folded: where NORMALISED_PHONE_SQL
 * starts. Its normalisation changes only the prefix (0084, 84, the national 0) and leaves at least 8
 * digits after it, so a phone and its normalised form end with the same 8 digits (or are the same
 * shorter digits): a cheap first test before the whole expression.
 */
export const PHONE_DIGITS_SQL = (col: string) => `regexp_replace(normalize(${col}, NFKC), '[^0-9]', '', 'g')`;

/**
 * The SQL expression of a phone column in normalisePhone's form (cases still holding one), step by step
 * as the domain's normalisePhone: compatibility forms folded (full-width digits), digits only, 0084 read
 * as 84, 84 as the national 0 (kept once), a number of 9 or 10 digits after the missing 0 given it; a
 * result of other than 9 to 11 digits falls back to the digits.
 */
export const NORMALISED_PHONE_SQL = (col: string) =>
  `(SELECT COALESCE(CASE WHEN n ~ '^[0-9]{9,11}$' THEN n END, d0) FROM (
     SELECT d0, CASE WHEN d ~ '^84' AND length(d) >= 11 THEN '0' || regexp_replace(substr(d, 3), '^0', '')
                     WHEN d ~ '^[1-9][0-9]{8,9}$' THEN '0' || d
                     ELSE d END AS n
       FROM (SELECT d0, CASE WHEN d0 ~ '^0084' AND length(d0) >= 13 THEN substr(d0, 3) ELSE d0 END AS d
               FROM (SELECT ${PHONE_DIGITS_SQL(col)} AS d0) AS digits) AS international) AS national)`;
