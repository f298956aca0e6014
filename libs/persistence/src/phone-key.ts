import { createHmac } from 'node:crypto';

/**
 * The key a case is found by from its caller's phone (normalised by the domain's normalisePhone):
 * an HMAC under a deployment secret, so an exact match is an index lookup and neither the index nor
 * a copy of the table reveals numbers (an unkeyed hash of 10 digits is reversed by trying them all).
 */
export function phoneLookupKey(secret: string, normalisedPhone: string): string {
  return createHmac('sha256', secret).update(normalisedPhone).digest('hex');
}
