import { DynamicModule, Global, LoggerService, Module } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import { storage as loggerStorage } from 'nestjs-pino/storage';
import pino from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_CONFIG, AppConfig, AppConfigModule } from './config.module';
import { holdsContact, holdsPlainName } from './contact-in-value';
import { currentRequestId, withRequestId } from './request-context';

/**
 * Query parameters that carry a citizen's contact (the hotline's and the records of reads' lookups), or a
 * credential (Open311 clients may send their channel's `api_key` in the query of a GET).
 */
// Open311's fields too: a client may put them in the query string of its POST (first_name, last_name,
// address_string, description, attribute[...], device_id, account_id).
const CENSORED_QUERY_KEYS =
  /^(phone|email|e-?mail|name|first_?name|last_?name|full_?name|citizen.*|address(_?string)?|description|title|attribute|device_?id|account_?id|api_?key|key|token|access_?token)$/i;

/**
 * The request's URL as it may be logged: the values of personal and credential query parameters censored
 * (`GET /v1/hotline/cases?phone=...` put the caller's number in every access line), and any value that
 * holds a phone number or an e-mail address whatever its name (`?sdt=`, `?so_dien_thoai=`, a number in
 * `service_request_id`, `?x=1;phone=...`): the names clients give them are not a list one can finish. So
 * is any value holding a name written without diacritics (`?q=Nguyen-Van-An`, holdsPlainName).
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return loggablePath(url);
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      let key: string;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {
        key = rawKey;
      }
      // phone[]=..., phone[0]=... name the same parameter.
      if (CENSORED_QUERY_KEYS.test(key.replace(/\[.*$/, ''))) return `${rawKey}=[redacted]`;
      // A number written as the name itself (`?0912345678`, `?x%3D0912345678`), or a name (`?Nguyễn%20Văn%20An`:
      // a search typed without its `q=`).
      const named = decoded(rawKey);
      if (holdsContact(named) || holdsWords(named) || holdsPlainName(named)) return '[redacted]';
      if (eq < 0) return pair;
      const value = decoded(pair.slice(eq + 1).replace(/\+/g, ' '));
      return holdsContact(value) || holdsPlainName(value) ? `${rawKey}=[redacted]` : pair;
    });
  return `${loggablePath(url.slice(0, q))}?${params.join('&')}`;
}

/**
 * A path segment that is a phone number or an e-mail address: an operator who types the caller's
 * number where a tracking code goes (GET /v1/hotline/cases/0966555121) put it in the access log. Or words
 * (holdsWords), or a name written without diacritics and without spaces (/v1/hotline/cases/Nguyen-Thi-Minh-Nguyet,
 * holdsPlainName), which holdsWords takes for an id.
 */
function loggablePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      const text = decoded(segment);
      const digits = text.replace(/\D/g, '').length;
      const phone = /^\+?[\d .,_()\p{Pd}]+$/u.test(text) && digits >= 9 && digits <= 12;
      // Or one inside the segment: '0912345678.json', 'sdt-0912345678'.
      return phone || holdsContact(text) || holdsWords(text) || holdsPlainName(text) ? '[redacted]' : segment;
    })
    .join('/');
}

/**
 * Words, not a route's name, an id or a code: a letter outside ASCII (Vietnamese is written with them) or
 * words spaced apart (or joined by '+', a form's space). An operator who typed the caller's name where the tracking code goes
 * (GET /v1/hotline/cases/Nguy%E1%BB%85n%20V%C4%83n%20A) put it in the access log; a tracking code read
 * out in two halves ('7KM3Q 9X2AB') goes as well, which costs the log nothing it needs.
 */
function holdsWords(text: string): boolean {
  return /[^\p{ASCII}]/u.test(text.replace(/[^\p{L}\p{M}]/gu, '')) || /[\p{L}\p{N}][\s+]+[\p{L}\p{N}]/u.test(text);
}

/**
 * Percent-decoded and folded as the masks fold free text: full-width digits ('０９１２…'), no-break
 * spaces and zero-width characters passed the tests and were logged whole.
 */
function decoded(raw: string): string {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    text = raw;
  }
  return text.normalize('NFKC').replace(/\p{Cf}/gu, '');
}

/** The engine's root logger: the one every log line goes through, in the API's requests as in the workers' jobs. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Structured JSON logs. Requests are logged by method, route and status only (accessLog): headers
 * carry API keys and tokens, and bodies carry citizens' names and phones, so neither is ever
 * serialised. Every line written on behalf of a request, or of a job a request caused, carries its
 * `requestId`, read from the request's context when the line is written (`mixin`).
 */
export function rootLogger(config: AppConfig): pino.Logger {
  // process.stdout (not pino's own fd writer) so a test can read every line the engine logs.
  return pino(
    {
      level: config.logLevel,
      base: { service: 'feedback-router' },
      mixin: requestIdMixin,
      redact: { paths: ['req.headers', 'citizen', '*.citizen', 'citizenName', 'citizenPhone', 'phone', 'password'], censor: '[redacted]' },
    },
    process.stdout,
  );
}

/** What every line of the root logger gets: the id of the request it is written for, if any. */
export function requestIdMixin(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

// Global, as every processor's host takes it (ConfiguredWorkerHost).
@Global()
@Module({
  imports: [AppConfigModule],
  providers: [{ provide: ROOT_LOGGER, inject: [APP_CONFIG], useFactory: rootLogger }],
  exports: [ROOT_LOGGER],
})
class RootLoggerModule {}

/**
 * The app's root logger (ROOT_LOGGER). Nothing logs per request but accessLog: pino-http's
 * per-request loggers (nestjs-pino's LoggerModule) cost the API about a tenth of its CPU per request
 * (two child loggers a request, each serialising its bindings, and a second AsyncLocalStorage), at
 * any log level, even when nothing was logged (measured 2026-12-05: 0.90 of the CPU without them,
 * 5,000-request runs of intake interleaved between two engines alike but for it).
 */
export function loggingModule(): DynamicModule {
  return { module: RootLoggerModule };
}

/**
 * A process's start failed after its configuration was read (the database or Redis unreachable, a
 * migration refused): said in the log's JSON as every other line, for the log collector, then exit 1 for
 * the process manager to restart it.
 */
export function exitOnStartFailure(config: AppConfig, what: string, e: unknown): never {
  rootLogger(config).fatal({ err: e instanceof Error ? { message: e.message, type: e.name } : { message: String(e) } }, `${what} could not start`);
  process.exit(1);
}

/**
 * Nest's logger for an app (`app.useLogger`): nestjs-pino's adapter (context, errors and their stacks
 * as it writes them) over this app's root logger, or over the job's logger inside a job
 * (withJobContext). Not nestjs-pino's own fallback logger, which is the first app's in a process.
 * Nest's `new Logger(context)` instances still write through the logger of the last app that called
 * `useLogger` in the process: one app per process in production; tests that start engines at different
 * levels in one process see the last one's level on those lines.
 */
export function nestLogger(root: pino.Logger): LoggerService {
  const current = () => loggerStorage.getStore()?.logger ?? root;
  const target = Object.fromEntries(
    (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const).map((level) => [
      level,
      (...args: unknown[]) => (current()[level] as (...a: unknown[]) => void)(...args),
    ]),
  );
  return new Logger(target as unknown as PinoLogger, {});
}

/**
 * One line a request when it ends, at info (warn for a 4xx and a 503, error for another 5xx; nothing
 * when that level is off): its id, method and URL with personal parameters censored (loggableUrl), its
 * status, and how long it took; 'request aborted' when the client left before the answer was sent.
 * A 503 is a refusal with Retry-After, by design (a bound on verifications, exports or reports, or a
 * dependency the error filter already logs at warn): at error level, twenty auditors refreshing a
 * report looked like twenty failures to whoever alerts on errors.
 */
export function accessLog(logger: pino.Logger) {
  return (req: IncomingMessage & { id?: unknown; originalUrl?: string }, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const status = res.statusCode;
      const refused = status === 503;
      const level = status >= 500 && !refused ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const aborted = !res.writableFinished;
      const id = typeof req.id === 'string' ? req.id : undefined;
      // Under the request's id whatever context the event comes in, so the line has it once (mixin).
      withRequestId(id, () =>
        logger[level](
          {
            req: { id, method: req.method, url: loggableUrl(req.originalUrl ?? req.url ?? '') },
            res: { statusCode: status },
            responseTime: Math.round(performance.now() - started),
          },
          aborted ? 'request aborted' : refused ? 'request refused' : status >= 500 ? 'request errored' : 'request completed',
        ),
      );
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
