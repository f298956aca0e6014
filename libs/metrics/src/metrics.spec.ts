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

  it('counts a collector that fails and keeps the rest', async () => {
    const metrics = new Metrics();
    metrics.onScrape('outbox', () => Promise.reject(new Error('database is unavailable')));
    expect(await metrics.scrape()).toContain('fr_metrics_collector_errors_total{collector="outbox"} 1');
  });
});
