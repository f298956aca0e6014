import { Writable } from 'node:stream';
import pino from 'pino';
import { storage } from 'nestjs-pino/storage';
import { requestIdMixin } from './logging';
import { currentRequestId, isRequestId, requestIdFrom, withJobContext, withRequestId } from './request-context';

describe('request ids', () => {
  it('keeps a valid incoming X-Request-Id and replaces anything else by a UUID', () => {
    expect(requestIdFrom('3f2c1a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c')).toBe('3f2c1a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c');
    expect(requestIdFrom(['trace.0001:abc', 'other-one-0002'])).toBe('trace.0001:abc');
    for (const bad of [undefined, '', 'short', 'has spaces in it', 'x'.repeat(129), 'name=<script>', 'Lê Thị Trang 0913555777']) {
      const id = requestIdFrom(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(isRequestId(42)).toBe(false);
  });

  it('replaces an id that holds a phone number: it would go whole into every log line and job payload of the request', () => {
    // Integrators and hotline desks make their ids of the caller's number, as they do externalIds.
    for (const bad of ['1022-0912777431', 'call:0912777431', 'req.84912777431.1', '0912-777-431-retry', 'ihn_0912.777.431']) {
      const id = requestIdFrom(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(isRequestId(bad)).toBe(false);
    }
    // Correlation ids as proxies and tracers make them stay.
    for (const good of [
      '00000000-0000-4000-8000-000000000000',
      '3f2c1a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '1-67891233-abcdef012345678912345678',
      'pii-intake-A',
    ])
      expect(requestIdFrom(good)).toBe(good);
  });

  it("replaces an id that holds a citizen's name written without diacritics (with them it is no id at all)", () => {
    for (const bad of ['Nguyen-Thi-Minh-Nguyet', 'nguyen.thi.minh.nguyet', 'NguyenThiMinhNguyet', 'hotline:tran-van-hung:1', 'ihn-Lo-Thi-Quynh-Hoa-01']) {
      expect(isRequestId(bad)).toBe(false);
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    for (const good of ['pii-intake-A', 'obs-failed-0001', 'trace.0001:abc', 'ihanoi-batch-2026-12-07', 'retry-3-hotline-desk']) {
      expect(requestIdFrom(good)).toBe(good);
    }
  });

  it('runs code on behalf of a request, and on behalf of none inside it when told so', async () => {
    expect(currentRequestId()).toBeUndefined();
    await withRequestId('request-0001', async () => {
      await new Promise((r) => setImmediate(r));
      expect(currentRequestId()).toBe('request-0001');
      withRequestId(undefined, () => expect(currentRequestId()).toBeUndefined());
    });
  });

  it("binds a job's request id into its work and every line it logs", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
    // The engine's root logger (rootLogger) takes the id from the context on every line.
    const root = pino({ base: null, mixin: requestIdMixin }, sink);
    const job = { id: 'route-case.1', queueName: 'routing', data: { caseId: '1', requestId: 'request-0002' } };
    withJobContext(job, root, () => {
      expect(currentRequestId()).toBe('request-0002');
      storage.getStore()!.logger.info('routed');
    });
    expect(lines).toEqual([expect.objectContaining({ requestId: 'request-0002', jobId: 'route-case.1', queue: 'routing', msg: 'routed' })]);
    // Outside the job, nothing is written on its behalf.
    root.info('idle');
    expect(lines[1]).not.toHaveProperty('requestId');
    // A job from a sweep (no request behind it), or one whose payload carries something else, runs on behalf of none.
    withJobContext({ ...job, data: { caseId: '1', requestId: 'not valid!' } }, root, () => expect(currentRequestId()).toBeUndefined());
  });
});
