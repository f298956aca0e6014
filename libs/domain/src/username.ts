/**
 * The one form of a username: stored by account creation, looked up at login, counted by the login
 * limits. Folding is
 * done here, in JavaScript, and PostgreSQL compares the result exactly: its lower() folds some
 * letters differently (it turns 'İ' into 'i', JavaScript into 'i' + U+0307), and a spelling that the
 * database matched to an account but the throttle counted apart opened a fresh bucket per spelling.
 * Usernames are stored in lower-case ASCII, so a name that folds to anything else matches nobody.
 */
export function canonicalUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase().normalize('NFC');
}
