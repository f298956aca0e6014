import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { holdsContact, holdsPlainName } from '@fr/config';
import { assertUnreachable, BusyError, CallerGoneError, DomainError, DomainErrorCode, maskContactsInText, RequestUnderWayError } from '@fr/domain';
import { isGeoReportRequest, writeGeoReportError } from '../open311/georeport-errors';
import { Dependency, poolWaitTimedOut, RETRY_AFTER_SECONDS, transactionCollided, unavailableDependency } from './infrastructure-errors';

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusOf(code: DomainErrorCode): number {
  switch (code) {
    case DomainErrorCode.NOT_FOUND:
      return 404;
    case DomainErrorCode.CONFLICT:
    case DomainErrorCode.STATE_CONFLICT:
      return 409;
    case DomainErrorCode.FORBIDDEN:
      return 403;
    case DomainErrorCode.VALIDATION:
      return 400;
    case DomainErrorCode.UNPROCESSABLE:
      return 422;
    case DomainErrorCode.BUSY:
      // The server's bound, not the caller's rate (that is 429): a proxy may try another instance.
      return 503;
    default:
      return assertUnreachable(code);
  }
}

/**
 * Every error leaves as `{ statusCode, error, message }` (API.md), with `message` one readable
 * sentence; internal errors say nothing about internals. Errors about fields also carry
 * `errors: [{ field, problems }]`, whether the validation pipe or a use case found them, and a
 * refused state change carries `state` (ErrorDto documents the shape). This is the one place that maps errors to
 * statuses: a dependency that is down (PostgreSQL, Redis) is a 503 with Retry-After wherever it
 * surfaces, so no controller needs its own handling.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    let dependency: Dependency | null;
    let extra: Record<string, unknown> = {};
    let retryAfter: number | null = null;
    const headers: Record<string, string> = {};

    // Nobody is left to answer: the work stopped because the caller closed the connection.
    if (exception instanceof CallerGoneError) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (exception instanceof DomainError) {
      status = statusOf(exception.code);
      message = exception.message;
      if (exception instanceof BusyError || exception instanceof RequestUnderWayError) retryAfter = exception.retryAfterSeconds;
      const e = exception as DomainError & { state?: string; fields?: readonly string[]; problemsOf?: ReadonlyMap<string, readonly string[]> | null };
      if (e.state) extra = { state: e.state };
      if (e.fields?.length) extra = { ...extra, errors: fieldErrors(e.fields, exception.message, e.problemsOf ?? null) };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'string') message = body;
      else {
        const b = body as {
          message?: string | string[];
          errors?: unknown;
          details?: Record<string, { status?: string; message?: string }>;
          retryAfterSeconds?: number;
          limiter?: string;
        };
        message = Array.isArray(b.message) ? b.message.join('; ') : (b.message ?? exception.message);
        if (status === 400) message = scalarBodyMessage(message) ?? withoutJsonExcerpt(message);
        if (typeof b.retryAfterSeconds === 'number') {
          retryAfter = b.retryAfterSeconds;
          // Retry-After-<limiter> is what the login throttle answered before; kept for clients that read it.
          if (b.limiter) headers[`Retry-After-${b.limiter}`] = String(b.retryAfterSeconds);
        }
        if (b.errors) extra = { errors: b.errors };
        if (b.details) {
          // A failed health check: say which dependency is down, and keep every check's result.
          const down = Object.entries(b.details).filter(([, d]) => d.status !== 'up');
          message = `unhealthy: ${down.map(([name, d]) => (d.message ? `${name} is down (${d.message})` : `${name} is down`)).join('; ')}`;
          extra = { checks: b.details };
        }
      }
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      message =
        exception.type === 'entity.parse.failed'
          ? `malformed JSON body: ${withoutJsonExcerpt(exception.message)}`
          : exception.type === 'entity.too.large'
            ? `request body is larger than the ${exception.limit} bytes allowed`
            : exception.message;
    } else if (isUndecodableBody(exception)) {
      // The body-parser's inflation failed: the body is not what its Content-Encoding says. zlib's error
      // came through without the body-parser's `type`, and was answered 500 with a stack in the log.
      status = HttpStatus.BAD_REQUEST;
      const encoding = (res.req as Request | undefined)?.headers['content-encoding'] ?? 'its Content-Encoding';
      message = `the request body is not valid ${encoding} data (${exception.code}): send it compressed as Content-Encoding says, or send it without Content-Encoding`;
    } else if ((dependency = unavailableDependency(exception))) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      // A pool that waited in vain says the server is busy, not that PostgreSQL is down: operators read
      // "unavailable" as an outage (ten reports at once held every connection; PostgreSQL was fine).
      message = poolWaitTimedOut(exception)
        ? `${dependency} is busy: every pooled connection stayed in use; try again in ${RETRY_AFTER_SECONDS} s`
        : transactionCollided(exception)
          ? `${dependency} is busy: this request met another at the same records and was undone, nothing changed; try again in ${RETRY_AFTER_SECONDS} s`
          : `${dependency} is unavailable; try again in ${RETRY_AFTER_SECONDS} s`;
      this.logger.warn(`503: ${exception instanceof Error ? exception.message : String(exception)}`);
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (res.headersSent) return;
    // A path that exists, asked with a method it does not take: 405 with Allow (OPTIONS: 204 with Allow),
    // not the router's "Cannot PUT /v1/feedback" 404, which told clients and proxies the path was unknown.
    const asked = res.req as Request | undefined;
    if (status === HttpStatus.NOT_FOUND && exception instanceof HttpException && asked && /^Cannot [A-Z]+ /.test(message)) {
      const { routed, allowed } = allowedMethods(asked);
      // A handler may answer 404 in the router's words (GET /metrics when metrics are off): not a 405.
      const handled = routed.has(asked.method) || (asked.method === 'HEAD' && routed.has('GET'));
      if (allowed.length && !handled) {
        res.setHeader('Allow', allowed.join(', '));
        if (asked.method === 'OPTIONS') return void res.status(HttpStatus.NO_CONTENT).end();
        status = HttpStatus.METHOD_NOT_ALLOWED;
        message = `${asked.method} is not allowed here; allowed: ${allowed.join(', ')}`;
      }
    }
    if (retryAfter === null && status === HttpStatus.SERVICE_UNAVAILABLE) retryAfter = RETRY_AFTER_SECONDS;
    if (retryAfter !== null) res.setHeader('Retry-After', String(retryAfter));
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const req = res.req as Request | undefined;
    if (status < 500) ({ message, extra } = withoutPersonalData(message, extra, citizensPath(req)));
    // Messages may quote what the caller sent (a path parameter, a value): never echo an essay back.
    if (message.length > 500) message = `${message.slice(0, 500)}…`;
    // Open311 clients expect the GeoReport error format, whatever raised the error under /open311.
    if (req && isGeoReportRequest(req)) return writeGeoReportError(req, res, status, message);
    // Said outright: a route's own Content-Type (@Header, set before its interceptors run) would otherwise label the JSON, e.g. text/html on /board.
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.status(status).json({ statusCode: status, error: REASON[status] ?? 'Error', message, ...extra });
  }
}

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

/**
 * The methods the app's routes take on this request's path (`routed`), and what Allow lists: those, HEAD
 * with GET, and OPTIONS; both empty when no route matches the path.
 */
function allowedMethods(req: Request): { routed: Set<string>; allowed: string[] } {
  const app = req.app as unknown as { router?: { stack: RouteLayer[] } } | undefined;
  const routed = new Set<string>();
  for (const layer of app?.router?.stack ?? []) {
    // Middleware applied to every path (`/{*path}`, all methods) is no endpoint.
    if (!layer.route || layer.route.path.includes('*') || !layer.match(req.path)) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') routed.add(m.toUpperCase());
  }
  if (routed.size === 0) return { routed, allowed: [] };
  const allowed = new Set([...routed, 'OPTIONS']);
  if (routed.has('GET')) allowed.add('HEAD');
  return { routed, allowed: [...allowed].sort() };
}

/**
 * A domain error names its fields: each field gets its own problems when the error knows them apart,
 * else (one message, several problems on separate lines) the lines that mention it, or the whole message.
 */
function fieldErrors(
  fields: readonly string[],
  message: string,
  problemsOf: ReadonlyMap<string, readonly string[]> | null,
): { field: string; problems: string[] }[] {
  const lines = message.split('\n').filter((l) => l.trim());
  return fields.map((field) => {
    const known = problemsOf?.get(field);
    if (known?.length) return { field, problems: [...known] };
    const own = lines.filter((l) => l.includes(field));
    return { field, problems: own.length ? own : [message] };
  });
}

/**
 * The JSON parser's strict mode refuses a body of `null`, `42` or `"hello"` with `Unexpected token 'n',
 * "null" is not valid JSON`, which is false: it is valid JSON, only not an object. Says so instead.
 */
function scalarBodyMessage(message: string): string | null {
  const quoted = /^Unexpected token .+, "(.*)" is not valid JSON$/s.exec(message);
  if (!quoted) return null;
  try {
    const value: unknown = JSON.parse(quoted[1]);
    return value === null || typeof value !== 'object' ? 'the request body must be a JSON object' : null;
  } catch {
    return null;
  }
}

/**
 * V8's JSON.parse quotes the body around the error (`Unexpected token 'N', ..."":{"name":Nguyễn Văn"... is not
 * valid JSON`): a citizen's name, number or ID number, answered and kept by whatever logs answers. The position
 * is not given then; the token is enough to find it.
 */
function withoutJsonExcerpt(message: string): string {
  const excerpt = /^(.*?), (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s.exec(message);
  return excerpt ? `${excerpt[1]} in the JSON body (the text around it is not repeated)` : message;
}

const REDACTED = '[redacted]';

/**
 * The paths where what a caller sends is a citizen's (feedback, the hotline's calls, subject requests, Open311,
 * the cases): there a quoted value that reads as a person's name is left out. Elsewhere a quoted name is the
 * office's own, a unit's ("Phường Nguyễn Du", named after a person as most streets and wards are) or an
 * officer's username, and a refusal that hid it would not say what to mend; phone and ID numbers are masked on
 * every path.
 */
const CITIZENS_PATH = /^\/(?:v1\/(?:feedback|hotline|privacy|cases)|open311)(?:[/?.]|$)/;
function citizensPath(req: Request | undefined): boolean {
  return req === undefined || CITIZENS_PATH.test(req.path ?? req.url ?? '');
}

/**
 * A refusal quotes what the caller sent: a key not found, a value or a field name not taken. Sent where it does not
 * belong, that is a citizen's name or number as often as not (a hotline desk's externalId made of the caller's
 * number, a name typed where a tracking code goes, a form field named with it), and it came back whole, to be kept
 * wherever answers are logged. On the citizens' paths (`names`, CITIZENS_PATH) a quoted value or a field that holds
 * a name (holdsPlainName: with diacritics or without) is left out; one that holds a phone number or an e-mail address is masked as the contact fields are
 * (left out if still one); the rest is quoted as it was, which is what a caller needs to mend a request.
 */
function withoutPersonalData(message: string, extra: Record<string, unknown>, names: boolean): { message: string; extra: Record<string, unknown> } {
  const value = (v: string): string => {
    if (names && holdsPlainName(v)) return REDACTED;
    const masked = maskContactsInText(v);
    return holdsContact(masked) ? REDACTED : masked;
  };
  const fields = Array.isArray(extra.errors) ? (extra.errors as { field: string; problems: string[] }[]) : [];
  // A field's own name, each part of its path ('citizen.<name>', 'attribute[<number>]'), as messages repeat it.
  const named = new Map<string, string>();
  for (const { field } of fields) {
    for (const part of field.split(/[.[\]]/)) {
      const shown = part && value(part);
      if (shown && shown !== part) named.set(part, shown);
    }
  }
  const text = (t: string): string => {
    let out = t;
    for (const [part, shown] of named) out = out.split(part).join(shown);
    return out.replace(/'([^'\n]{1,200})'/g, (_quoted: string, v: string) => `'${value(v)}'`);
  };
  const errors = fields.map((e) => ({ ...e, field: text(e.field), problems: e.problems.map(text) }));
  return { message: text(message), extra: fields.length ? { ...extra, errors } : extra };
}

/** zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR, ...) and brotli's (ERR__ERROR_FORMAT_..., ERR_BROTLI_...) as the body-parser passes them on. */
function isUndecodableBody(e: unknown): e is { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^Z_[A-Z_]+$/.test(code) || /^ERR_(_ERROR|BROTLI)/.test(code));
}

function isBodyParserError(e: unknown): e is { status: number; type: string; message: string; limit?: number } {
  return !!e && typeof e === 'object' && typeof (e as { type?: unknown }).type === 'string' && typeof (e as { status?: unknown }).status === 'number';
}
