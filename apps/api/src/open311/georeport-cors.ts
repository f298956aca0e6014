import type { NextFunction, Request, Response } from 'express';
import { isGeoReportRequest } from './georeport-errors';

/**
 * GeoReport v2 is read from browsers on other sites: a city's map of requests, a ward's dashboard, a
 * web portal that posts a request and shows its token. Helmet's `Cross-Origin-Resource-Policy:
 * same-origin` and no `Access-Control-Allow-Origin` left every such page unable to read an answer. Any
 * origin may read them: what is public there is public anyway, and a channel's write needs its
 * `api_key`, which a page on another site has only when its channel gave it (no cookie is involved,
 * so no credentials are allowed). The rest of the API (officers, channels' backends) stays same-origin.
 */
export function geoReportCors(req: Request, res: Response, next: NextFunction): void {
  if (!isGeoReportRequest(req)) return next();
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  // A page reads only the CORS-safelisted headers unless told: a 429's or 503's Retry-After says when to try again.
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Location');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Api-Key');
    res.setHeader('Access-Control-Max-Age', '86400');
    res.statusCode = 204;
    return void res.end();
  }
  next();
}
