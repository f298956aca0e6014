import type { Request, Response } from 'express';
import { toXml, XML_CONTENT_TYPE } from './xml';

export const GEOREPORT_PATH = '/open311/v2';

/** Every path under /open311 answers errors in GeoReport's format, whatever raised them (routing, parsing, a use case). */
export function isGeoReportPath(path: string): boolean {
  return path === '/open311' || path.startsWith('/open311/');
}

export function isGeoReportRequest(req: Request | undefined): boolean {
  return !!req && typeof req.path === 'string' && isGeoReportPath(req.path);
}

/**
 * GeoReport v2's error format: a list of { code, description }, as JSON or as
 * <errors><error><code/><description/></error></errors> when the path asked for .xml. The
 * specification answers bad input with 400 (it has no 422) and a bad api_key with 403.
 */
export function geoReportError(path: string, status: number, message: string): { code: number; contentType: string; body: string } {
  const code = status === 422 ? 400 : status;
  const errors = [{ code, description: message }];
  return path.endsWith('.xml')
    ? { code, contentType: XML_CONTENT_TYPE, body: toXml('errors', errors) }
    : { code, contentType: 'application/json; charset=utf-8', body: JSON.stringify(errors) };
}

export function writeGeoReportError(req: Request, res: Response, status: number, message: string): void {
  const { code, contentType, body } = geoReportError(req.path, status, message);
  res.status(code);
  res.setHeader('Content-Type', contentType);
  res.send(body);
}
