import { randomBytes } from 'node:crypto';
import { argon2id, hash, verify } from 'argon2';

export const PASSWORD_MIN_LENGTH = 8;
/** argon2 accepts any length; a cap keeps a login request from buying a long hash. */
export const PASSWORD_MAX_LENGTH = 256;

/** argon2id with the library's defaults (64 MiB, 3 passes, 4 lanes), above OWASP's minimum. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { type: argon2id });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
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
 * account that has no password yet), so response times do not tell which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
  return false;
}
