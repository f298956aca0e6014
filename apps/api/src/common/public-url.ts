import { BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isHostWithPort } from '@fr/config';

/**
 * The API's address as the caller reached it, for documents that name it (Open311 discovery): the
 * configured FR_PUBLIC_URL when there is one, else the request's scheme and host (X-Forwarded-Proto and
 * X-Forwarded-Host behind a trusted proxy, as Express reads them). What a caller wrote there is checked,
 * so a document never names `http://undefined`, a `user@evil.tld` authority or a `javascript:` scheme;
 * and the answer says it varies with those headers, so a cache does not hand one caller's to another.
 */
export function publicBaseUrl(configured: string | null, req: Request, res: Response): string {
  if (configured) return configured;
  res.vary('Host').vary('X-Forwarded-Host').vary('X-Forwarded-Proto');
  const host = req.host;
  const proto = req.protocol;
  if (!host) {
    throw new BadRequestException('the request has no Host header, and the server has no FR_PUBLIC_URL to name its address by: send Host');
  }
  if (!isHostWithPort(host)) {
    throw new BadRequestException(`Host '${host.slice(0, 80)}' is not a host name or address with an optional port`);
  }
  if (proto !== 'http' && proto !== 'https') {
    throw new BadRequestException(`X-Forwarded-Proto '${proto.slice(0, 40)}' is neither http nor https`);
  }
  return `${proto}://${host.toLowerCase()}`;
}
