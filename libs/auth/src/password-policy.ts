import { nfc, ValidationError, visibleText } from '@fr/domain';
import { COMMON_PASSWORDS } from './common-passwords';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords';

/** One to four characters over and over (aaaaaaaa, abababab, abcabcabc, 12341234): as weak as the piece repeated. */
const REPEATED_PIECE = /^(.{1,4}?)\1+$/su;

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function visibleCharacters(text: string): number {
  let n = 0;
  for (const _ of GRAPHEMES.segment(visibleText(text))) n++;
  return n;
}

/**
 * The rules a password an officer will use must meet, on account creation, PATCH and an officer's own
 * change; `field` names it in the 400. Judged as it is hashed (hashPassword): in NFC. `username` is
 * canonical (lower case). Applied to the bootstrap administrator's FR_ADMIN_PASSWORD in production only: see
 * loadOrganisationOnFirstStart.
 */
export function checkPassword(raw: string, username: string, field = 'password'): void {
  const password = nfc(raw);
  const refuse = (problem: string) => {
    throw new ValidationError(`${field} ${problem}`, [field]);
  };
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    refuse(`must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  // Eight spaces were taken: the length must be in characters a person typed, not padding. Counted as
  // a reader sees them (grapheme clusters): "a" and seven combining accents stacked on it passed as eight.
  if (visibleCharacters(password) < PASSWORD_MIN_LENGTH) refuse(`must have at least ${PASSWORD_MIN_LENGTH} visible characters`);
  const lower = password.toLowerCase();
  if (REPEATED_PIECE.test(lower)) refuse('must not repeat one character or a short pattern (such as abababab)');
  if (COMMON_PASSWORDS.has(lower)) refuse('is one of the most common passwords, the first any guesser tries; choose another');
  if (username && lower.includes(username.toLowerCase())) refuse('must not contain the username');
}
