import { ValidationError } from '@fr/domain';

/** The request header of draft-ietf-httpapi-idempotency-key-header, and the answer's mark of a replay. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/**
 * The key's forms on the wire, for the document: a structured-field string (`"abc"`, the draft's form,
 * `\"` and `\\` escaped) or the bare key, 1-255 visible ASCII characters either way. A bare key has no
 * quote, backslash or comma, which would read as a string or a list.
 */
export const IDEMPOTENCY_KEY_PATTERN = '^(?:"(?:[!#-\\[\\]-~]|\\\\["\\\\]){1,255}"|[!#-+\\--\\[\\]-~]{1,255})$';

const BARE = /^[!#-+\--[\]-~]+$/;
const QUOTED_CHAR = /[!#-[\]-~]|\\["\\]/y;

/**
 * The key an Idempotency-Key header carries, unquoted (`"abc"` and `abc` are one key), or undefined
 * without the header. Anything else is refused naming the header: the request is not acted on.
 */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // Node joins a header sent twice with ', ': one request has one key.
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  const key = value.startsWith('"') ? unquoted(value) : BARE.test(value) ? value : null;
  if (key === null || key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new ValidationError(
      `${IDEMPOTENCY_KEY_HEADER} must be one key of 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, bare (no quote, backslash or comma) or as a quoted string ("abc")`,
      [IDEMPOTENCY_KEY_HEADER],
    );
  }
  return key;
}

/** The content of a structured-field string, or null when `value` is not one whole string of visible characters. */
function unquoted(value: string): string | null {
  let key = '';
  let at = 1;
  while (at < value.length - 1) {
    QUOTED_CHAR.lastIndex = at;
    const m = QUOTED_CHAR.exec(value);
    if (!m) return null;
    key += m[0].length === 2 ? m[0][1] : m[0];
    at += m[0].length;
  }
  return value.length >= 2 && at === value.length - 1 && value.endsWith('"') ? key : null;
}
