import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '@fr/metrics';
import { selectRow } from '@fr/persistence';
import { QueueInspector } from './queue-inspector';
import { QueueName } from './queues';

/** The states an operator watches; BullMQ's prioritized and paused jobs count as waiting. */
const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Read on scrape: the jobs in each queue by state, the SLA timers still pending, and the outbox rows
 * the relays have not moved yet with the age of the oldest (a relay that stopped shows as age).
 */
@Injectable()
export class QueueGauges implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly inspector: QueueInspector,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('queues', () => this.collectQueues());
    this.metrics.onScrape('outbox', () => this.collectOutbox());
  }

  async collectQueues(): Promise<void> {
    await Promise.all(
      this.inspector.all().map(async (q) => {
        const c = await q.getJobCounts('waiting', 'prioritized', 'paused', 'active', 'delayed', 'failed');
        const count = { waiting: c.waiting + c.prioritized + c.paused, active: c.active, delayed: c.delayed, failed: c.failed };
        for (const state of STATES) this.metrics.queueJobs.set({ queue: q.name, state }, count[state]);
        if (q.name === (QueueName.Sla as string)) this.metrics.slaTimersPending.set(count.waiting + count.delayed);
      }),
    );
  }

  async collectOutbox(): Promise<void> {
    const row = await selectRow<{ n: string; age: number }>(
      this.ds,
      `SELECT count(*)::text AS n, COALESCE(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age FROM outbox`,
    );
    this.metrics.outboxBacklog.set(Number(row?.n ?? 0));
    this.metrics.outboxOldestAge.set(row?.age ?? 0);
  }
}
