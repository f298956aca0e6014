import { ValidationError } from '@fr/domain';

/** Inbox and escalation lists page newest first by id; the cursor is the last id seen, opaque to callers. */
export function encodeIdCursor(id: string): string {
  return Buffer.from(JSON.stringify(['id', id])).toString('base64url');
}

export function decodeIdCursor(cursor: string): string {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v[0] === 'id' && typeof v[1] === 'string' && /^\d{1,18}$/.test(v[1])) return v[1];
  } catch {
    /* fall through */
  }
  throw new ValidationError('cursor is not a cursor this API returned', ['cursor']);
}
