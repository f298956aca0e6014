import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { INestApplication, Module } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { DataSource } from 'typeorm';
import { accessLog, AppConfig, AppConfigModule, nestLogger, ROOT_LOGGER, rootLogger } from '@fr/config';
import { httpMetricsMiddleware, Metrics } from '@fr/metrics';
import { Clock, TimeSource } from '@fr/sla';
import { ApiModule } from './api.module';
import { HttpErrorFilter } from './common/http-exception.filter';
import { answerUnparsableRequests, PrototypedExpressAdapter, requireSingleHeaders } from './common/http-server';
import { BODY_LIMITS, declaredTooLarge, requireKnownMediaType } from './common/media-type.middleware';
import { privateWhenCredentialed } from './common/cache-control.middleware';
import { boundRequestsInFlight } from './common/requests-in-flight.middleware';
import { geoReportCors } from './open311/georeport-cors';
import { assignRequestId } from './common/request-id.middleware';
import { SafeInputPipe } from './common/safe-input.pipe';
import { checkKnownQueries } from './common/known-query.interceptor';
import { refuseInvalidJsonBody, refuseInvalidUtf8, refuseInvalidUtf8Query } from './common/utf8-body';
import { refuseMalformedForm } from './open311/form-body';
import { buildValidationPipe } from './common/validation';
import { buildOpenApiDocument } from './openapi';
import { parseQuery } from './common/query-parser';
import { checkChannelKeys } from './intake/channel-keys-check';
import { mountQueueBoard } from './queue-board/queue-board';

/**
 * Builds the API exactly as production runs it; tests boot it through here too, and may give it a
 * clock to follow (TestEngine's `clock` option).
 */
/**
 * Idle keep-alive connections are kept for 65 s, past the idle timeouts of the usual clients and load
 * balancers (60 s), instead of Node's 5 s: with 5 s a client that reused a connection as the server
 * closed it got a reset (ECONNRESET, 3 of 6,000 requests in one paced bench run while the machine was
 * loaded), and a proxy in front would get a 502 now and then. headersTimeout must exceed it.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * A request's whole body must arrive within 70 s (Node checks every 30 s, so it is cut within 100 s),
 * not Node's 300 s: a client that announced a body and sent none held its socket five minutes, and a
 * few hundred such clients hold the server's sockets (slowloris). The largest body taken (a head-count
 * CSV, a year's calendar) arrives in seconds on a slow mobile link. At least headersTimeout, as Node asks.
 */
export const REQUEST_TIMEOUT_MS = 70_000;

function keepIdleConnections(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  // httpAllowHalfOpen stays false, although a client that half-closes after its request (printf | nc -N)
  // then gets no answer: a FIN is all the server learns of a caller that left, and it is what stops a
  // verification or an export whose caller went away and frees its place (test/heavy-reads.e2e-spec.ts).
}

export async function createApiApp(config: AppConfig, options: { clock?: TimeSource } = {}): Promise<INestApplication> {
  @Module({ imports: [AppConfigModule.forRoot(config), ApiModule] })
  class ApiRootModule {}

  // The root logger from the first line: buffered until useLogger, a start that failed flushed Nest's own
  // coloured text (its modules, TypeORM's retries) into a log of JSON lines.
  const app = await NestFactory.create<NestExpressApplication>(ApiRootModule, new PrototypedExpressAdapter(), {
    logger: nestLogger(rootLogger(config)),
    abortOnError: false,
  });
  app.useLogger(nestLogger(app.get(ROOT_LOGGER)));
  const server = app.getHttpServer() as Server;
  keepIdleConnections(server);
  answerUnparsableRequests(server);
  // A body announced too large is refused before it is sent (requireKnownMediaType answers 413).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredTooLarge(req) === null) res.writeContinue();
    server.emit('request', req, res);
  });
  if (options.clock) app.get(Clock).follow(options.clock);
  app.use(assignRequestId);
  app.use(accessLog(app.get(ROOT_LOGGER)));
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  app.use(requireSingleHeaders);
  // Behind a load balancer the client's address (per-address login limits) comes from X-Forwarded-For.
  if (config.trustProxy !== null) app.set('trust proxy', config.trustProxy);
  app.set('query parser', parseQuery);
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(geoReportCors);
  app.use(privateWhenCredentialed);
  mountQueueBoard(app);
  app.use(requireKnownMediaType);
  app.use(refuseInvalidUtf8Query);
  // Every JSON media type requireKnownMediaType lets through (application/json and any +json type) is
  // parsed: a +json body left unparsed reached validation as an empty object (a list of missing fields).
  app.useBodyParser('json', { type: ['application/json', 'application/*+json'], limit: BODY_LIMITS.json, verify: refuseInvalidJsonBody });
  app.useBodyParser('text', { type: 'text/calendar', limit: BODY_LIMITS.calendar, verify: refuseInvalidUtf8 });
  // Open311 GeoReport POSTs are form-encoded (requireKnownMediaType admits forms there only); flat
  // keys, so `attribute[code]` stays one field and no nested object can be built from a form.
  app.useBodyParser('urlencoded', { extended: false, limit: BODY_LIMITS.form, verify: refuseMalformedForm });
  // The office's head-count imports (POST /v1/compliance/figures).
  app.useBodyParser('text', { type: 'text/csv', limit: BODY_LIMITS.csv, verify: refuseInvalidUtf8 });
  app.use(boundRequestsInFlight(config.requestConcurrency, config.officerRequestConcurrency, config.channelRequestConcurrency));
  app.useGlobalPipes(new SafeInputPipe(), buildValidationPipe());
  checkKnownQueries(app);
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  await app.init();
  try {
    await checkChannelKeys(app.get(DataSource), config);
  } catch (e) {
    await app.close();
    throw e;
  }
  return app;
}

/**
 * The OpenAPI document of the API without starting it: the module graph is read (preview mode) but no
 * provider is instantiated, so nothing connects to PostgreSQL or Redis (scripts/openapi.js writes
 * openapi/openapi.json with it).
 */
export async function createApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  @Module({ imports: [AppConfigModule.forRoot(config), ApiModule] })
  class ApiDocumentModule {}

  const app = await NestFactory.create(ApiDocumentModule, { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
