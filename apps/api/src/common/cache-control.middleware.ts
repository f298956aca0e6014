import type { NextFunction, Request, Response } from 'express';

/**
 * A response to a caller who presented a credential (an officer's bearer token, a channel's key,
 * Open311's `api_key`) is that caller's: it may hold personal data (a case's contact, a subject
 * request's answer) or what only that channel may see. RFC 9111 keeps shared caches off responses to
 * `Authorization` (3.5) but not to `X-Api-Key`, and a GET's 200 without Cache-Control may be stored
 * and served by heuristics (4.2.2): a cache keyed on the URL could hand one channel's answer to
 * another. So no shared cache keeps them, and the caller's own cache asks again each time (the ETag
 * makes that a 304). Routes that say otherwise (/metrics: no-store) set their own.
 */
export function privateWhenCredentialed(req: Request, res: Response, next: NextFunction): void {
  if (req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined || /[?&]api_key=/i.test(req.url)) markPrivate(res);
  next();
}

/**
 * The same for a credential this middleware cannot see: Open311's POST takes `api_key` in its body, which is
 * parsed after it, so the controller marks its answer when it reads the key there.
 */
export function markPrivate(res: Response): void {
  res.setHeader('Cache-Control', 'private, no-cache');
  res.vary('Authorization');
  res.vary('X-Api-Key');
}
