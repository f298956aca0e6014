import type { Request, Response } from 'express';
import { toXml, XML_CONTENT_TYPE } from './xml';

export const GEOREPORT_PATH = '/open311/v2';

/** Every path under /open311 answers errors in GeoReport's format, whatever raised them (routing, parsing, a use case). */
export function isGeoReportRequest(req: Request | undefined): boolean {
  return !!req && typeof req.path === 'string' && (req.path === '/open311' || req.path.startsWith('/open311/'));
}

/**
 * GeoReport v2's error format: a list of { code, description }, as JSON or as
 * <errors><error><code/><description/></error></errors> when the path asked for .xml. The
 * specification answers bad input with 400 (it has no 422) and a bad api_key with 403.
 */
export function writeGeoReportError(req: Request, res: Response, status: number, message: string): void {
  const code = status === 422 ? 400 : status;
  const errors = [{ code, description: message }];
  res.status(code);
  if (req.path.endsWith('.xml')) {
    res.setHeader('Content-Type', XML_CONTENT_TYPE);
    res.send(toXml('errors', errors));
  } else {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.json(errors);
  }
}
