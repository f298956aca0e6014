import { isUtf8 } from 'node:buffer';
import { IncomingMessage, ServerResponse } from 'node:http';

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
