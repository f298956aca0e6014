import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { isGeoReportRequest } from '../open311/georeport-errors';

const JSON_TYPE = /^application\/([\w.+-]+\+)?json$/i;
/**
 * The two imports that read a body of another type, and the paths that take it (Express matches paths
 * in any letter case, with or without a trailing slash). Taken everywhere, a CSV or calendar body reached
 * a JSON operation as a string: a DELETE or a body-less POST was carried out (a recompute, not its dry
 * run), and a POST with fields was told they were missing.
 */
const IMPORTS: readonly { type: RegExp; path: RegExp }[] = [
  { type: /^text\/calendar$/i, path: /^\/v1\/calendars\/[^/]+\/ics\/?$/i },
  { type: /^text\/csv$/i, path: /^\/v1\/compliance\/figures\/?$/i },
];
/** Open311 GeoReport v2 is form-encoded by its specification. */
const FORM = /^application\/x-www-form-urlencoded$/i;

/**
 * A body in another format (a form, plain text, XML) would reach validation as an empty object and be
 * answered with a list of missing fields; say what is wrong instead. Requests without a body pass.
 */
/** The largest body each media type may have (the body parsers' limits, bootstrap.ts). */
export const BODY_LIMITS = { json: 256 * 1024, form: 256 * 1024, calendar: 1024 * 1024, csv: 2 * 1024 * 1024 } as const;

function bodyLimitFor(type: string): number {
  if (/^text\/calendar$/i.test(type)) return BODY_LIMITS.calendar;
  if (/^text\/csv$/i.test(type)) return BODY_LIMITS.csv;
  return BODY_LIMITS.json;
}

/**
 * The limit a request's Content-Length exceeds, or null. It is told 413 at once, before its body is
 * read: a client announcing `Expect: 100-continue` waits for the go-ahead and never sends it (Node's
 * default answers every one with 100 Continue); any other is answered and its connection closed, where
 * the body parser would first have read the whole announced body, at any size (3.5 GB in 10 s, a core
 * busy meanwhile), to say 413 at its end.
 */
export function declaredTooLarge(req: IncomingMessage): number | null {
  const length = Number(req.headers['content-length']);
  const limit = bodyLimitFor(
    String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim(),
  );
  return Number.isFinite(length) && length > limit ? limit : null;
}

export function requireKnownMediaType(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  // DELETE too: the document promises 415 to every operation but a GET (openapi.ts), and a DELETE with an
  // XML body was carried out (204).
  if (!hasBody || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
  const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
  const charset = charsetOf(params);
  if (charset !== null && !/^utf-8$/i.test(charset)) {
    // The parsers would decode UTF-16/32 (and others) and turn bad code points into U+FFFD, so two
    // different externalIds became one case; JSON is UTF-8 anyway (RFC 8259).
    return next(new UnsupportedMediaTypeException(`charset ${charset.slice(0, 40)} is not accepted: send the body encoded as UTF-8`));
  }
  const limit = declaredTooLarge(req);
  // As the body parser's own refusal, so the error filter words it alike (and in GeoReport's format
  // there). The body was not read: the connection closes after the answer instead of reading it off.
  const tooLarge = () => {
    res.setHeader('Connection', 'close');
    next(Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large', limit }));
  };
  const toParser = () => {
    if (limit !== null) return tooLarge();
    if (req.headers['content-length'] === undefined) capStreamedBody(req, bodyLimitFor(type));
    next();
  };
  if (JSON_TYPE.test(type) || IMPORTS.some((i) => i.type.test(type) && i.path.test(req.path))) return toParser();
  if (isGeoReportRequest(req)) {
    if (FORM.test(type)) return toParser();
    // Through the error filter, which answers in GeoReport's error format there.
    return next(
      new UnsupportedMediaTypeException(
        `send the body as application/x-www-form-urlencoded or application/json${type ? `, not ${type}` : ' (Content-Type is missing)'}`,
      ),
    );
  }
  res.status(415).json({
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: `send the body as application/json${type ? `, not ${type}` : ' (Content-Type is missing)'}; calendars also take text/calendar, head-count imports text/csv`,
  });
}

/**
 * A body sent without a length (chunked) is cut off once it passes twice its limit: the body parser
 * stops keeping it at the limit but reads the rest off to the end before it answers 413, however long
 * the client goes on sending. Past twice the limit the connection is closed, unanswered. Counted from
 * the parser's own reading (a listener added once the parser's is, so that it takes no data from it).
 */
function capStreamedBody(req: Request, limit: number): void {
  let seen = 0;
  const count = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > 2 * limit) {
      req.off('data', count);
      req.socket.destroy();
    }
  };
  process.nextTick(() => {
    if (req.listenerCount('data') > 0 && !req.readableEnded) req.on('data', count);
  });
}

/** The charset parameter of a Content-Type (unquoted), or null when there is none. */
function charsetOf(params: string[]): string | null {
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^";]*)"?$/i.exec(p);
    if (m) return m[1].trim();
  }
  return null;
}
