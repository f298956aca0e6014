import * as http from 'node:http';
import type { Socket } from 'node:net';
import { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

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
  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions || options?.forceCloseConnections) return super.initHttpServer(options);
    const app = this.getInstance<Express>();
    this.httpServer = http.createServer(serverOptionsFor(app), app);
  }
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
  };
}
