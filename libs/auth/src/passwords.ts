import { randomBytes } from 'node:crypto';
import { argon2id, hash, verify } from 'argon2';
import { nfc } from '@fr/domain';

export const PASSWORD_MIN_LENGTH = 8;
/** argon2 accepts any length; a cap keeps a login request from buying a long hash. */
export const PASSWORD_MAX_LENGTH = 256;

/** argon2id's cost: the library's defaults (64 MiB, 3 passes, 4 lanes), above OWASP's minimum. */
export const PASSWORD_HASH_COST = Object.freeze({ memoryCost: 65536, timeCost: 3, parallelism: 4 });
export type PasswordHashCost = { memoryCost: number; timeCost: number; parallelism: number };
let cost: PasswordHashCost = PASSWORD_HASH_COST;

/**
 * For test suites only, as Django's test settings swap the password hasher: the cost of the hashes
 * made from now on in this process (a stored hash is always verified at the cost it was made with).
 * No configuration reaches it, so a deployment cannot lower it by mistake. Measured on the 2-core
 * machine (6 December 2026): one hash at PASSWORD_HASH_COST takes 240 ms with nothing else running,
 * and every e2e file makes dozens (the seeded administrator, each officer a test creates and its
 * login); test/auth.e2e-spec.ts, which tests the hashes themselves, sets the real cost back.
 */
export function usePasswordHashCostForTests(next: PasswordHashCost): void {
  // Jest sets JEST_WORKER_ID in every test process; code that reaches this elsewhere is a mistake.
  if (process.env.JEST_WORKER_ID === undefined) throw new Error('the password hash cost is lowered in test processes only');
  cost = next;
  dummy = null;
}

/** The cost hashes are made with in this process now (a test database template is kept per cost). */
export function passwordHashCost(): PasswordHashCost {
  return cost;
}

/**
 * argon2id at PASSWORD_HASH_COST. Hashed in NFC: a Vietnamese keyboard types "ậ" as one code point or
 * as "a" + two combining marks (Unikey's "Unicode tổ hợp"), and the officer must get in whichever one
 * they use that day.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(nfc(password), { type: argon2id, ...cost });
}

/**
 * How a password matched its hash: `raw` when only as typed, not in NFC (a hash made before passwords
 * were normalised, from a decomposed string), which the caller may replace with an NFC hash.
 */
export type PasswordMatch = false | 'nfc' | 'raw';

export async function verifyPassword(passwordHash: string, password: string): Promise<PasswordMatch> {
  const normalised = nfc(password);
  if (await verifyOne(passwordHash, normalised)) return 'nfc';
  if (normalised !== password && (await verifyOne(passwordHash, password))) return 'raw';
  return false;
}

async function verifyOne(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed login, not a 500 that tells the caller the account exists.
    return false;
  }
}

let dummy: Promise<string> | null = null;

/**
 * Burns the time of one real verification when there is no hash to check (unknown user, or an
 * account that has no password yet), so response times do not tell which usernames exist. Through
 * verifyPassword, so that a password not in NFC costs its two verifications here too.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
  return false;
}
