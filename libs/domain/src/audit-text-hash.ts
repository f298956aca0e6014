import { createHash } from 'node:crypto';

/**
 * The hashes by which an audit event covers the free texts kept outside the chain
 * (libs/persistence/src/audit-texts.ts says why). Here, not beside them, so that the chain's checks
 * (libs/audit/src/audit-chain.ts), which each verification thread loads, need nothing of the
 * database layer: loading @fr/persistence took 460 ms and 1,369 modules a thread, @fr/domain 12 ms
 * and 39 (compiled code, 2026-12-07).
 */
export const AUDIT_TEXTS_KEY = 'texts';

/** The hex sha256 of a text's salt followed by its UTF-8 bytes. */
export function auditTextHash(salt: Buffer, body: string): string {
  return createHash('sha256').update(salt).update(body, 'utf8').digest('hex');
}

/** The hashes an event's data carries for its texts, or {} when it has none (or is not an object). */
export function textHashesOf(data: unknown): Record<string, string> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const t = (data as Record<string, unknown>)[AUDIT_TEXTS_KEY];
  if (!t || typeof t !== 'object' || Array.isArray(t)) return {};
  return Object.fromEntries(Object.entries(t as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
