import { boardAllows } from './queue-board';

describe(boardAllows.name, () => {
  const changes: [string, string][] = [
    ['PUT', '/api/queues/routing/retry/failed'],
    ['PUT', '/api/queues/sla/sla-timer.1.receive.2.1.3/retry'],
    ['PUT', '/api/queues/routing/retry/completed'],
    ['PUT', '/api/queues/routing/clean/failed'],
    ['PUT', '/api/queues/routing/empty'],
    ['PUT', '/api/queues/routing/obliterate'],
    ['PUT', '/api/queues/pause'],
    ['PUT', '/api/queues/routing/route-case.1/promote'],
    ['POST', '/api/queues/routing/add'],
    ['POST', '/api/metrics/history/purge'],
    ['PATCH', '/api/queues/routing/route-case.1/update-data'],
  ];

  it('lets reading through, and no change while read-only', () => {
    expect(boardAllows('GET', '/api/queues', false)).toBe(true);
    expect(boardAllows('HEAD', '/', false)).toBe(true);
    for (const [method, path] of changes) expect([method, path, boardAllows(method, path, false)]).toEqual([method, path, false]);
  });

  it('with retries allowed, lets through only retries: of every failed job of a queue, or of one job', () => {
    const allowed = changes.filter(([method, path]) => boardAllows(method, path, true)).map(([, path]) => path);
    expect(allowed).toEqual(['/api/queues/routing/retry/failed', '/api/queues/sla/sla-timer.1.receive.2.1.3/retry']);
  });
});
