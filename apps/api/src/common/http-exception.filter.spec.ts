import { ArgumentsHost, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ActionNotAllowedInStateError, BusyError, CallerGoneError, RequestUnderWayError, UnprocessableFieldError, ValidationError } from '@fr/domain';
import { HttpErrorFilter } from './http-exception.filter';

function respond(exception: unknown) {
  const sent: { status?: number; body?: Record<string, unknown>; headers: Record<string, string>; destroyed?: boolean } = { headers: {} };
  const res = {
    headersSent: false,
    writableEnded: false,
    destroy() {
      sent.destroyed = true;
    },
    setHeader(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: Record<string, unknown>) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return sent;
}

describe('HttpErrorFilter', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('names the dependency a failed health check found down, and keeps every check', () => {
    // What @nestjs/terminus throws when a check fails.
    const details = { postgres: { status: 'up' }, redis: { status: 'down', message: 'timeout after 2000 ms' } };
    const sent = respond(new ServiceUnavailableException({ status: 'error', info: { postgres: details.postgres }, error: { redis: details.redis }, details }));
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'unhealthy: redis is down (timeout after 2000 ms)',
      checks: details,
    });
  });

  it('answers a server at its bound with 503 and the Retry-After the error gives', () => {
    const sent = respond(new BusyError('2 verification(s) of the audit trail are running; try again in 5 s', 5));
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: '2 verification(s) of the audit trail are running; try again in 5 s' });
  });

  it('answers a request whose Idempotency-Key is held by one under way with 409 and the Retry-After the error gives', () => {
    const sent = respond(new RequestUnderWayError('a request with this Idempotency-Key is still under way', 1));
    expect(sent.status).toBe(409);
    expect(sent.headers['retry-after']).toBe('1');
    expect(sent.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'a request with this Idempotency-Key is still under way' });
  });

  it('answers nothing to a caller that has gone, and closes what is left of its connection', () => {
    const sent = respond(new CallerGoneError());
    expect(sent).toEqual({ headers: {}, destroyed: true });
  });

  it('names the fields of a domain validation error as the validation pipe does: errors [{ field, problems }]', () => {
    const sent = respond(new ValidationError('expectedVersion is required: send the version of the case you last read', ['expectedVersion']));
    expect(sent.status).toBe(400);
    expect(sent.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'expectedVersion is required: send the version of the case you last read',
      errors: [{ field: 'expectedVersion', problems: ['expectedVersion is required: send the version of the case you last read'] }],
    });
  });

  it('gives each field of a many-problem error the lines that name it', () => {
    const message = 'calendar 2026: timezone must be Asia/Ho_Chi_Minh\ncalendar 2026: daysOff[0].date is not a date';
    const sent = respond(new ValidationError(message, ['timezone', 'daysOff[0].date']));
    expect(sent.body!.errors).toEqual([
      { field: 'timezone', problems: ['calendar 2026: timezone must be Asia/Ho_Chi_Minh'] },
      { field: 'daysOff[0].date', problems: ['calendar 2026: daysOff[0].date is not a date'] },
    ]);
  });

  it('gives each field of an error that knows its problems apart those alone, while the message lists them all', () => {
    // renames[0].unit is the start of renames[0].unitCode: a field is not found by its name in a line.
    const sent = respond(
      ValidationError.ofProblems([
        { field: 'effectiveAt', problem: "plan.effectiveAt must be an ISO 8601 date-time, got 'nope'" },
        { field: 'renames[0].unitCode', problem: 'plan.renames[0].unitCode is not a field of a plan here (known: unit, name, aliases)' },
        { field: 'renames[0].unit', problem: 'plan.renames[0].unit is required' },
        { field: null, problem: 'plan changes nothing' },
        { field: 'effectiveAt', problem: 'plan.effectiveAt is too far ahead' },
      ]),
    );
    expect(sent.status).toBe(400);
    expect(sent.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message:
        "plan.effectiveAt must be an ISO 8601 date-time, got 'nope'; plan.renames[0].unitCode is not a field of a plan here (known: unit, name, aliases); plan.renames[0].unit is required; plan changes nothing; plan.effectiveAt is too far ahead",
      errors: [
        { field: 'effectiveAt', problems: ["plan.effectiveAt must be an ISO 8601 date-time, got 'nope'", 'plan.effectiveAt is too far ahead'] },
        { field: 'renames[0].unitCode', problems: ['plan.renames[0].unitCode is not a field of a plan here (known: unit, name, aliases)'] },
        { field: 'renames[0].unit', problems: ['plan.renames[0].unit is required'] },
      ],
    });
  });

  it('lists the first 50 of many problems, saying how many there were, and unknown values of several fields as a 422 in the same shape', () => {
    const lines = Array.from({ length: 60 }, (_, i) => ({
      field: `line ${i + 2}.unit_code`,
      problem: `line ${i + 2}: unit_code 'X${i}' is not an active unit`,
    }));
    const many = respond(ValidationError.ofProblems(lines)).body as { message: string; errors: { field: string; problems: string[] }[] };
    expect(many.errors).toHaveLength(50);
    expect(many.errors[49]).toEqual({ field: 'line 51.unit_code', problems: ["line 51: unit_code 'X49' is not an active unit"] });
    expect(many.message).toMatch(/^60 problems, the first 50 in errors: line 2: unit_code 'X0' is not an active unit; line 3: /);
    const unknown = respond(UnprocessableFieldError.ofProblems(lines.slice(0, 2)));
    expect(unknown.status).toBe(422);
    expect(unknown.body).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: "line 2: unit_code 'X0' is not an active unit; line 3: unit_code 'X1' is not an active unit",
      errors: [
        { field: 'line 2.unit_code', problems: ["line 2: unit_code 'X0' is not an active unit"] },
        { field: 'line 3.unit_code', problems: ["line 3: unit_code 'X1' is not an active unit"] },
      ],
    });
  });

  it('carries the current state of a case whose state refuses the action', () => {
    const sent = respond(new ActionNotAllowedInStateError('closed', 'resolve'));
    expect(sent.status).toBe(409);
    expect(sent.body).toEqual({ statusCode: 409, error: 'Conflict', message: "cannot resolve a case in state 'closed'", state: 'closed' });
  });

  it('says nothing of internals for an unexpected error', () => {
    const sent = respond(new Error('connection to 10.0.0.5:5432 refused; password=hunter2'));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });

  it.each([
    ['PostgreSQL refusing connections', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 })],
    [
      'both address families refusing',
      Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]), { code: 'ECONNREFUSED' }),
    ],
    ['too many connections', Object.assign(new Error('sorry, too many clients already'), { code: '53300', severity: 'FATAL' })],
    [
      'a database closed to connections',
      Object.assign(new Error('database "fr" is not currently accepting connections'), { code: '55000', severity: 'FATAL' }),
    ],
    [
      'a statement timeout inside TypeORM',
      Object.assign(new Error('canceling statement due to statement timeout'), { name: 'QueryFailedError', code: '57014', driverError: { code: '57014' } }),
    ],
    [
      'an administrator ending the session',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' }),
    ],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    [
      'Redis unreachable for a producer',
      Object.assign(new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'), {
        name: 'MaxRetriesPerRequestError',
      }),
    ],
    ['Redis down without an offline queue', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
  ])('answers 503 with Retry-After for %s, naming no internals', (_what, error) => {
    const sent = respond(error);
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(String(sent.body!.message)).toMatch(/unavailable; try again in 5 s$/);
    expect(String(sent.body!.message)).not.toMatch(/127\.0\.0\.1|5432|statement/);
  });

  it('says the database is busy, not unavailable, when the pool waited in vain for a connection', () => {
    for (const error of [
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Query failed'), { name: 'QueryFailedError', driverError: new Error('timeout exceeded when trying to connect') }),
    ]) {
      const sent = respond(error);
      expect(sent.status).toBe(503);
      expect(sent.headers['retry-after']).toBe('5');
      expect(sent.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'database is busy: every pooled connection stayed in use; try again in 5 s',
      });
    }
  });

  it('says the database is busy when PostgreSQL undid the request for meeting another (a deadlock, a serialization failure)', () => {
    for (const code of ['40P01', '40001']) {
      const sent = respond(Object.assign(new Error('deadlock detected'), { name: 'QueryFailedError', code, driverError: { code, severity: 'ERROR' } }));
      expect(sent.status).toBe(503);
      expect(sent.headers['retry-after']).toBe('5');
      expect(sent.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'database is busy: this request met another at the same records and was undone, nothing changed; try again in 5 s',
      });
    }
  });

  it('keeps a query that is wrong, not unavailable, a 500', () => {
    const sent = respond(Object.assign(new Error('division by zero'), { name: 'QueryFailedError', code: '22012', driverError: { code: '22012' } }));
    expect(sent.status).toBe(500);
    expect(sent.headers['retry-after']).toBeUndefined();
  });
});
