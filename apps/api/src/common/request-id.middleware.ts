import type { NextFunction, Request, Response } from 'express';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestId } from '@fr/config';

/**
 * Gives the request its id before anything else runs (a valid incoming X-Request-Id, or a new
 * UUID), echoes it, and runs the rest of the request on its behalf: its log lines (pino-http reuses
 * `req.id`) and the outbox rows it writes, hence the jobs it causes, carry it.
 */
export function assignRequestId(req: Request & { id?: unknown }, res: Response, next: NextFunction): void {
  const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  req.id = id;
  res.setHeader('X-Request-Id', id);
  withRequestId(id, next);
}
