import * as http from 'node:http';
import type { Socket } from 'node:net';
import { BadRequestException, NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Request } from 'express';
import { geoReportError, isGeoReportPath } from '../open311/georeport-errors';

/**
 * Express's adapter, with the HTTP server building each request and response on the application's own
 * prototypes (`app.request`, `app.response`) from the start.
 *
 * Why: Express moves every request and response onto those prototypes with `Object.setPrototypeOf` as
 * it starts handling them, and V8 keeps objects whose prototype was changed alive through the next
 * young-generation collection (the objects and what they hold). Measured with `--trace-gc-nvp`, a bare
 * Express 5 app answering 200 GET/s for 15 s on this 2-core machine: 30% of what was allocated survived
 * each scavenge, 15.9 MB promoted to the old generation, scavenges p50 1.8 ms and max 5.8 ms; built on
 * the app's prototypes from the start (Express's own `setPrototypeOf` then changes nothing): 1.9%
 * survived, 1.3 MB promoted, p50 0.6 ms, max 1.6 ms. The same server with no Express at all: 0.5%.
 * In the engine's API a scavenge stopped every request in flight for 5-25 ms about every 300 ms at
 * 200 requests a second (README, Benchmark).
 *
 * HTTPS and `forceCloseConnections` (neither used by the engine) keep Nest's own server.
 */
export class PrototypedExpressAdapter extends ExpressAdapter {
  private endKeepAlive?: () => void;

  override initHttpServer(options: NestApplicationOptions): void {
    const app = this.getInstance<Express>();
    answerPreconditionsAsOrigin(app);
    if (options?.httpsOptions || options?.forceCloseConnections) return super.initHttpServer(options);
    this.httpServer = http.createServer(serverOptionsFor(app), app);
    this.endKeepAlive = closeConnectionsOnceAnswered(this.httpServer as http.Server);
  }

  override close() {
    this.endKeepAlive?.();
    return super.close();
  }
}

/**
 * Closing the server stops it listening and ends the connections idle at that moment, but Node keeps
 * one with a request in flight and lets its client send the next request on it: a channel posting
 * feedback steadily on its kept-alive connection (as integrators are told to) was answered by a stopped
 * API for as long as it sent, and every stop under load ran into FR_SHUTDOWN_TIMEOUT_SECONDS and exited
 * with code 1, cutting the requests in flight (`npm start` stopping the others after a worker crashed
 * took 30 s). Once the stop begins, each answer still to be sent says `Connection: close` and its
 * connection ends with it; one whose headers were out already (a streamed export) ends when it is done.
 */
function closeConnectionsOnceAnswered(server: http.Server): () => void {
  const inFlight = new Set<http.ServerResponse>();
  let closing = false;
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (closing) server.closeIdleConnections();
    });
  });
  return () => {
    closing = true;
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  };
}

/**
 * Express's `req.fresh` (the `fresh` package) calls every request with `Cache-Control: no-cache` stale,
 * whatever its If-None-Match says, and so answers it 200 with the whole body. fetch (browsers', Node's
 * undici, and so openapi-fetch, ky, ofetch) adds `Cache-Control: no-cache` and `Pragma: no-cache` to
 * every request whose code sets If-None-Match itself: a channel that kept the ETag of a status it polls
 * never got the 304 the document declares. RFC 9110 (13.1.2) has the origin answer a matching
 * If-None-Match on a GET or HEAD with 304; the request's no-cache (RFC 9111 5.2.1.4) only bars a cache
 * in between from answering without asking the origin, and a 304 from the origin is that asking.
 * Otherwise as Express: a GET or HEAD whose answer is a 2xx (or 304), If-None-Match (weak comparison,
 * `*` for any) before If-Modified-Since.
 */
export function answerPreconditionsAsOrigin(app: Express): void {
  Object.defineProperty(app.request, 'fresh', {
    configurable: true,
    enumerable: true,
    get(this: Request): boolean {
      if (this.method !== 'GET' && this.method !== 'HEAD') return false;
      const status = this.res?.statusCode ?? 0;
      if (!((status >= 200 && status < 300) || status === 304)) return false;
      const noneMatch = this.headers['if-none-match'];
      if (noneMatch !== undefined) {
        if (noneMatch.trim() === '*') return true;
        const etag = this.res?.get('ETag');
        if (!etag) return false;
        const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
        return noneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
      }
      const modifiedSince = this.headers['if-modified-since'];
      const lastModified = this.res?.get('Last-Modified');
      if (!modifiedSince || !lastModified) return false;
      const since = Date.parse(modifiedSince);
      const modified = Date.parse(lastModified);
      return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
    },
  });
}

/** The IncomingMessage and ServerResponse classes whose instances have `app.request` / `app.response` as prototype. */
export function serverOptionsFor(app: Express): http.ServerOptions {
  function AppRequest(this: http.IncomingMessage, socket: Socket): void {
    (http.IncomingMessage as unknown as (this: http.IncomingMessage, socket: Socket) => void).call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: unknown): void {
    (http.ServerResponse as unknown as (this: http.ServerResponse, ...args: unknown[]) => void).call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
    ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
    // Node's own refusal of an HTTP/1.1 request without Host is a bare 400; requireSingleHeaders answers it
    // (and a Host sent twice, which Node lets through) in the API's shape.
    requireHostHeader: false,
  };
}

/**
 * One Host header, as RFC 9112 (3.2) requires of an HTTP/1.1 request: with two, Node kept the first,
 * and a proxy or cache in front may have used the other (Open311's discovery names the host it was
 * asked on). Missing on HTTP/1.1, or sent more than once: 400. Authorization and Content-Type at most
 * once, for the same reason: Node keeps the first of each, so "Authorization: Bearer <admin's>" then
 * "Authorization: Bearer <handler's>" acted as the admin where a gateway in front may have checked the
 * handler's, and a body was read by one Content-Type while a filter in front read the other.
 */
export function requireSingleHeaders(req: http.IncomingMessage, _res: http.ServerResponse, next: (err?: unknown) => void): void {
  let hosts = 0;
  let authorizations = 0;
  let contentTypes = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    // By length first: most headers are none of the three, and lower-casing each costs on every request.
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 13 && name.toLowerCase() === 'authorization') authorizations++;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') contentTypes++;
  }
  if ((hosts === 1 || (hosts === 0 && req.httpVersion === '1.0')) && authorizations <= 1 && contentTypes <= 1) return next();
  const twice = hosts > 1 ? ['Host', hosts] : authorizations > 1 ? ['Authorization', authorizations] : contentTypes > 1 ? ['Content-Type', contentTypes] : null;
  next(
    new BadRequestException(
      twice === null ? 'the Host header is missing: an HTTP/1.1 request must name its host' : `the ${twice[0]} header is sent ${twice[1]} times; send it once`,
    ),
  );
}

/**
 * Node answers a request it cannot parse (headers past its 16 KB, a chunk's extensions past 16 KB, a
 * malformed request line, a request that did not arrive in time) with a bare status line and no body;
 * clients and proxies that read every error as the API's JSON got nothing to read. Answered here in the
 * API's shape instead, on the same terms as Node: only while nothing of a response has been written on
 * the connection.
 */
export function answerUnparsableRequests(server: http.Server): void {
  // An Expect other than 100-continue: Node's answer is a bare 417.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const [contentType, body] = errorBody(
      pathOf(req.url),
      417,
      http.STATUS_CODES[417]!,
      `Expect: ${String(req.headers.expect).slice(0, 40)} is not supported; only 100-continue is`,
    );
    res.writeHead(417, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
  });
  // CONNECT (a tunnel through a proxy) is no method of the API: Node dropped the connection unanswered.
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    const [contentType, body] = errorBody(null, 405, http.STATUS_CODES[405]!, 'CONNECT is not supported: this server is no proxy');
    socket.on('error', () => undefined);
    socket.end(
      `HTTP/1.1 405 ${http.STATUS_CODES[405]}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) return void socket.destroy();
    const [status, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, `the request line and headers are longer than the ${http.maxHeaderSize} bytes allowed: shorten the query or the headers`]
        : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? [413, "a chunk's extensions are longer than the 16 KB allowed: send the body without chunk extensions"]
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'the request did not arrive in time']
            : [400, `the request is not well-formed HTTP/1.1 (${err.code ?? 'parse error'})`];
    const error = http.STATUS_CODES[status]!;
    const [contentType, body] = errorBody(requestPath(err), status, error, message);
    // Closed once the answer is written, as Node does: ended only, a client that kept its side open held
    // the socket (and a request already in Express) until the request timeout.
    socket.end(
      `HTTP/1.1 ${status} ${error}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}

/**
 * The path of the request line as far as Node read it (the parser's error carries the bytes it had,
 * `rawPacket`), without its query; null when it cannot be told.
 */
function requestPath(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): string | null {
  const start = err.rawPacket?.subarray(0, 2048).toString('latin1') ?? '';
  return /^[A-Z]+ (\/[^ ?\r\n]*)[ ?]/.exec(start)?.[1] ?? null;
}

/** A request target's path, without its query; null when it is not a path (`*`, an authority). */
function pathOf(url: string | undefined): string | null {
  return url?.startsWith('/') ? url.split('?')[0] : null;
}

/** Under /open311 in GeoReport v2's error format (as the error filter answers there), elsewhere in the API's. */
function errorBody(path: string | null, status: number, error: string, message: string): [string, string] {
  if (path !== null && isGeoReportPath(path)) {
    const geo = geoReportError(path, status, message);
    return [geo.contentType, geo.body];
  }
  return ['application/json; charset=utf-8', JSON.stringify({ statusCode: status, error, message })];
}
