import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isGeoReportRequest } from '../open311/georeport-errors';

const ACCEPTED = [/^application\/([\w.+-]+\+)?json$/i, /^text\/calendar$/i, /^text\/csv$/i];
/** Open311 GeoReport v2 is form-encoded by its specification. */
const FORM = /^application\/x-www-form-urlencoded$/i;

/**
 * A body in another format (a form, plain text, XML) would reach validation as an empty object and be
 * answered with a list of missing fields; say what is wrong instead. Requests without a body pass.
 */
export function requireKnownMediaType(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
  const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
  const charset = charsetOf(params);
  if (charset !== null && !/^utf-8$/i.test(charset)) {
    // The parsers would decode UTF-16/32 (and others) and turn bad code points into U+FFFD, so two
    // different externalIds became one case; JSON is UTF-8 anyway (RFC 8259).
    return next(new UnsupportedMediaTypeException(`charset ${charset.slice(0, 40)} is not accepted: send the body encoded as UTF-8`));
  }
  if (ACCEPTED.some((re) => re.test(type))) return next();
  if (isGeoReportRequest(req)) {
    if (FORM.test(type)) return next();
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

/** The charset parameter of a Content-Type (unquoted), or null when there is none. */
function charsetOf(params: string[]): string | null {
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^";]*)"?$/i.exec(p);
    if (m) return m[1].trim();
  }
  return null;
}
