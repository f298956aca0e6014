import { HttpException, HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { BusyError } from '@fr/domain';
import { RETRY_AFTER_SECONDS } from './infrastructure-errors';

/** Operations' eyes stay open under load: the health check and Prometheus' scrape are never refused. */
export const NEVER_REFUSED = /^\/(health|metrics)\/?$/i;

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
 *
 * One caller, a channel key or (without credentials) a client address, has at most
 * FR_CHANNEL_REQUEST_CONCURRENCY of the places: an integrator's client resending refused requests at
 * once (300 connections) held every place, and the hotline's feedback beside it was refused 68-97% of
 * the time; with the share, none was (it waits its turn for the pool behind the flooder's places).
 * Officers are bounded together above, not one by one: one officer's bulk action must pass.
 */
export function boundRequestsInFlight(most: number, mostForOfficers: number, mostPerCaller: number) {
  let inFlight = 0;
  let officers = 0;
  const callers = new Map<string, number>();
  return (req: Request, res: Response, next: NextFunction): void => {
    if (NEVER_REFUSED.test(req.path)) return next();
    // As the officers' guard reads it: a gateway's own Basic credentials in front of a channel do not make it an officer.
    const officer = /^Bearer\s/i.test(req.headers.authorization ?? '');
    const caller = callerOf(req, officer);
    const held = caller === null ? 0 : (callers.get(caller.id) ?? 0);
    if (caller !== null && held >= mostPerCaller) {
      return next(
        overShare(
          `${held} requests ${caller.what} are being worked on, the most one caller may have at once (FR_CHANNEL_REQUEST_CONCURRENCY=${mostPerCaller})`,
        ),
      );
    }
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
    if (caller !== null) callers.set(caller.id, held + 1);
    // 'close' comes once the answer is sent, and when the caller leaves before it: the place is given back either way.
    res.once('close', () => {
      inFlight--;
      if (officer) officers--;
      if (caller !== null) {
        const left = (callers.get(caller.id) ?? 1) - 1;
        if (left > 0) callers.set(caller.id, left);
        else callers.delete(caller.id);
      }
    });
    next();
  };
}

/**
 * Whom a request counts against: the channel key it presents, as the guards will read it (an Open311
 * form's api_key before the header), even beside an officer's token, which intake ignores; else, without
 * credentials, its client address (behind a proxy, the one FR_TRUST_PROXY lets Express read). An
 * officer's request is counted with the officers' only. The key is not checked here: a made-up key is
 * a caller of its own, but is refused by the guard in memory, holding its place for no time.
 */
function callerOf(req: Request, officer: boolean): { id: string; what: string } | null {
  const body: unknown = req.body;
  const inBody = body && typeof body === 'object' ? (body as { api_key?: unknown }).api_key : undefined;
  const key = typeof inBody === 'string' && inBody ? inBody : req.headers['x-api-key'];
  if (typeof key === 'string' && key) return { id: `key ${key}`, what: 'with this channel key' };
  return officer ? null : { id: `address ${req.ip}`, what: 'without credentials from this address' };
}

function busy(what: string): BusyError {
  return new BusyError(`${what}; try again in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS);
}

/**
 * 429, not the server's 503: the server has places left for other callers; this one is over its own
 * share. A 503 would read as the server's trouble: nginx in front (proxy_next_upstream http_503,
 * max_fails=3) would count one integrator's flood against the instance and take it out for every
 * channel, and the alert on 5xx would fire for a client's misbehaviour.
 */
function overShare(what: string): HttpException {
  return new HttpException({ message: `${what}; try again in ${RETRY_AFTER_SECONDS} s`, retryAfterSeconds: RETRY_AFTER_SECONDS }, HttpStatus.TOO_MANY_REQUESTS);
}
