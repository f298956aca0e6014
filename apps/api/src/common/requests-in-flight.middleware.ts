import type { NextFunction, Request, Response } from 'express';
import { BusyError } from '@fr/domain';
import { RETRY_AFTER_SECONDS } from './infrastructure-errors';

/** Operations' eyes stay open under load: the health check and Prometheus' scrape are never refused. */
const NEVER_REFUSED = /^\/(health|metrics)\/?$/i;

/**
 * How many requests this API process works on at once (FR_REQUEST_CONCURRENCY), and how many of them
 * carry an officer's token (FR_OFFICER_REQUEST_CONCURRENCY); one more is answered 503 with Retry-After
 * at once. Unbounded, 1,000 clients posting feedback (past what one process takes) queued in the pool
 * until its 5 s wait ran out: accepted ones took 5-6 s (median), refused ones as long, their clients
 * waiting for nothing. Bounded, refusals came in 0.5 s and acceptances in 1.2-1.4 s. And 200
 * connections reading the case list held intake 8 s (median): officers' requests get a smaller share,
 * so that the channels' intake keeps the rest (0.5-2.4 s with a share of 16-32; the default, 64, lets
 * bursts of ordinary work through: see AppConfig.officerRequestConcurrency).
 *
 * The connection is kept: a proxy in front reuses it, and a new one waits for Node to accept it, one
 * per turn of a busy event loop. Counted once the body has arrived (mounted after the body parsers): a
 * client trickling its body holds its socket until Node's request timeout, but no place, or a few
 * hundred such clients would have every request refused.
 */
export function boundRequestsInFlight(most: number, mostForOfficers: number) {
  let inFlight = 0;
  let officers = 0;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (NEVER_REFUSED.test(req.path)) return next();
    // As the officers' guard reads it: a gateway's own Basic credentials in front of a channel do not make it an officer.
    const officer = /^Bearer\s/i.test(req.headers.authorization ?? '');
    if (inFlight >= most) {
      return next(busy(`${inFlight} requests are being worked on, the most this server takes at once (FR_REQUEST_CONCURRENCY=${most})`));
    }
    if (officer && officers >= mostForOfficers) {
      return next(
        busy(
          `${officers} requests with an officer's token are being worked on, the most this server takes at once (FR_OFFICER_REQUEST_CONCURRENCY=${mostForOfficers})`,
        ),
      );
    }
    inFlight++;
    if (officer) officers++;
    // 'close' comes once the answer is sent, and when the caller leaves before it: the place is given back either way.
    res.once('close', () => {
      inFlight--;
      if (officer) officers--;
    });
    next();
  };
}

function busy(what: string): BusyError {
  return new BusyError(`${what}; try again in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS);
}
