import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_CONFIG, AppConfig, AppConfigModule } from './config.module';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-context';

/**
 * The request's id: the one assigned before routing (the API's request-id middleware, which also
 * echoes it), else a valid incoming X-Request-Id, else a new UUID.
 */
export function requestIdOf(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}

/** Query parameters that carry a citizen's contact (the hotline's and the records of reads' lookups). */
const PERSONAL_QUERY_KEYS = /^(phone|email|e-?mail|name|citizen.*)$/i;

/**
 * The request's URL as it may be logged: the values of personal query parameters censored
 * (`GET /v1/hotline/cases?phone=...` put the caller's number in every access line).
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
      return PERSONAL_QUERY_KEYS.test(key.replace(/\[.*$/, '')) ? `${rawKey}=[redacted]` : pair;
    });
  return `${loggablePath(url.slice(0, q))}?${params.join('&')}`;
}

/**
 * A path segment that is a phone number or an e-mail address: an operator who types the caller's
 * number where a tracking code goes (GET /v1/hotline/cases/0966555121) put it in the access log.
 */
function loggablePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      let text: string;
      try {
        text = decodeURIComponent(segment);
      } catch {
        text = segment;
      }
      const digits = text.replace(/\D/g, '').length;
      const phone = /^\+?[\d .()-]+$/.test(text) && digits >= 9 && digits <= 12;
      return phone || text.includes('@') ? '[redacted]' : segment;
    })
    .join('/');
}

/**
 * Structured JSON logs. Requests are logged by method, route and status only: headers carry API
 * keys and tokens, and bodies carry citizens' names and phones, so neither is ever serialised.
 */
export function loggingModule(): DynamicModule {
  return LoggerModule.forRootAsync({
    imports: [AppConfigModule],
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      // process.stdout (not pino's own fd writer) so a test can read every line the engine logs.
      pinoHttp: [
        {
          level: config.logLevel,
          base: { service: 'feedback-router' },
          genReqId: requestIdOf,
          // On every line the request logs, not only the access line: jobs log the same key.
          customProps: (req: { id: unknown }) => ({ requestId: req.id }),
          serializers: {
            req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url) }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
          redact: { paths: ['req.headers', 'citizen', '*.citizen', 'citizenName', 'citizenPhone', 'phone', 'password'], censor: '[redacted]' },
          customLogLevel: (_req: unknown, res: { statusCode: number }, err?: unknown) =>
            err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        },
        process.stdout,
      ],
    }),
  });
}
