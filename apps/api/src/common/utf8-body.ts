import { isUtf8 } from 'node:buffer';
import { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestException } from '@nestjs/common';

/**
 * The body parser's `verify` hook: a UTF-8 body with invalid bytes is refused. Decoding would replace
 * each bad byte with U+FFFD, so `X\xFF` and `X\xFE` became the same externalId and idempotency merged
 * two different submissions.
 */
export function refuseInvalidUtf8(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void {
  // requireKnownMediaType refuses other charsets first; a body decoded from one must not get through.
  if (encoding && !/^utf-?8$/i.test(encoding)) {
    throw Object.assign(new Error(`charset ${encoding} is not accepted: send the body encoded as UTF-8`), { status: 415, type: 'charset.unsupported' });
  }
  if (!isUtf8(body)) {
    throw Object.assign(new Error('request body is not valid UTF-8: send text encoded as UTF-8'), { status: 400, type: 'encoding.invalid' });
  }
}

/**
 * Refuses a query string whose percent-encoded bytes are not UTF-8, as the body's are refused: Express
 * decodes each bad byte to U+FFFD, so `unit=%FF` was looked up as the unit '\uFFFD' (404) and two
 * different values read alike. Raw bytes in the target (which Node keeps as latin1 characters) count
 * as bytes too; a `%` not followed by two hex digits is left to the parser, which keeps it as it is.
 */
export function refuseInvalidUtf8Query(req: IncomingMessage, _res: ServerResponse, next: (e?: unknown) => void): void {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  if (at === -1) return next();
  const query = url.slice(at + 1);
  // eslint-disable-next-line no-control-regex -- every byte outside ASCII
  if (!/%[89a-fA-F][0-9a-fA-F]|[^\x00-\x7f]/.test(query)) return next();
  const bytes = Buffer.from(
    query.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  if (isUtf8(bytes)) return next();
  next(new BadRequestException('the query string is not valid UTF-8: percent-encode the UTF-8 bytes of each character (á is %C3%A1)'));
}
