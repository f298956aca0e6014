import { ArgumentsHost, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HttpErrorFilter } from './http-exception.filter';

function respond(exception: unknown) {
  const sent: { status?: number; body?: Record<string, unknown> } = {};
  const res = {
    headersSent: false,
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
  beforeAll(() => Logger.overrideLogger(false));

  it('names the dependency a failed health check found down, and keeps every check', () => {
    // What @nestjs/terminus throws when a check fails.
    const details = { postgres: { status: 'up' }, redis: { status: 'down', message: 'timeout after 2000 ms' } };
    const sent = respond(new ServiceUnavailableException({ status: 'error', info: { postgres: details.postgres }, error: { redis: details.redis }, details }));
    expect(sent.status).toBe(503);
    expect(sent.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'unhealthy: redis is down (timeout after 2000 ms)',
      checks: details,
    });
  });

  it('says nothing of internals for an unexpected error', () => {
    const sent = respond(new Error('connection to 10.0.0.5:5432 refused; password=hunter2'));
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });
});
