import { IncomingMessage, ServerResponse } from 'node:http';
import { refuseInvalidUtf8 } from '../common/utf8-body';

/**
 * The form body parser's `verify` hook (GeoReport POSTs are form-encoded). The parser decodes a
 * percent-escape that is not UTF-8 (`%FF`) as the literal text "%FF": refused instead, like raw
 * bytes that are not UTF-8.
 */
export function refuseMalformedForm(req: IncomingMessage, res: ServerResponse, body: Buffer, encoding: string | null): void {
  refuseInvalidUtf8(req, res, body, encoding);
  for (const part of body.toString('utf8').split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw Object.assign(new Error('form body is not valid: a percent-encoded value is not UTF-8 text'), { status: 400, type: 'encoding.invalid' });
    }
  }
}
