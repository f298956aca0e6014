import { Metrics } from './metrics';

describe(Metrics.name, () => {
  it('answers a scrape without a collector that never answers (BullMQ waiting for a Redis that is down), counting it', async () => {
    const metrics = new Metrics();
    metrics.collectorTimeoutMs = 50;
    metrics.onScrape('queues', () => new Promise<void>(() => undefined));
    metrics.onScrape('outbox', () => {
      metrics.outboxBacklog.set(7);
      return Promise.resolve();
    });
    const text = await metrics.scrape();
    expect(text).toContain('fr_outbox_backlog 7');
    expect(text).toContain('fr_metrics_collector_errors_total{collector="queues"} 1');
    expect(text).not.toContain('fr_metrics_collector_errors_total{collector="outbox"}');
  });

  it('starts no second reading while the first has not answered: scrapes wait on the same one', async () => {
    const metrics = new Metrics();
    metrics.collectorTimeoutMs = 20;
    let started = 0;
    let answer: () => void = () => undefined;
    metrics.onScrape('queues', () => {
      started++;
      return new Promise<void>((resolve) => (answer = resolve));
    });
    await metrics.scrape();
    await metrics.scrape();
    expect(started).toBe(1);
    answer();
    await new Promise(setImmediate); // the answered reading leaves in its own microtask
    await metrics.scrape();
    expect(started).toBe(2);
  });

  it('counts a collector that fails and keeps the rest', async () => {
    const metrics = new Metrics();
    metrics.onScrape('outbox', () => Promise.reject(new Error('database is unavailable')));
    expect(await metrics.scrape()).toContain('fr_metrics_collector_errors_total{collector="outbox"} 1');
  });
});
