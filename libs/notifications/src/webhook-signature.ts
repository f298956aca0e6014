import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing per the Standard Webhooks specification (https://www.standardwebhooks.com), byte for byte
 * what its reference library `standardwebhooks` verifies: the key is the base64-decoded part of a
 * `whsec_` secret, the signed content `${webhook-id}.${webhook-timestamp}.${body}`, each signature
 * `v1,<base64 HMAC-SHA256>`, several separated by spaces (during a secret rotation).
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The specification's recommended key sizes. */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;
const GENERATED_SECRET_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/** What is wrong with a secret a caller chose, or null when it is a usable `whsec_` secret. */
export function webhookSecretProblem(secret: string): string | null {
  const help = `secret must be whsec_ followed by the base64 of ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} random bytes; leave it out to have one generated`;
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return help;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!encoded || !BASE64.test(encoded)) return help;
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < WEBHOOK_SECRET_MIN_BYTES || bytes > WEBHOOK_SECRET_MAX_BYTES) return `${help} (it has ${bytes} bytes)`;
  return null;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret, 'base64');
}

/** The `webhook-signature` header: one `v1,` signature per secret, in the order given. */
export function webhookSignature(secrets: readonly string[], messageId: string, timestampSeconds: number, body: string): string {
  const content = `${messageId}.${timestampSeconds}.${body}`;
  return secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(content, 'utf8').digest('base64')}`).join(' ');
}

/** The `webhook-id` of a delivery: stable across its retries, unique across deployments. */
export function webhookMessageId(deliveryMessageId: string): string {
  return `msg_${deliveryMessageId.replace(/-/g, '')}`;
}

/** The secrets that sign now: the current one, and the previous one while its rotation overlap lasts. */
export function signingSecrets(current: string, previous: string | null, previousExpiresAt: Date | null, now: Date): string[] {
  return previous && previousExpiresAt && previousExpiresAt.getTime() > now.getTime() ? [current, previous] : [current];
}
