import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { QueueName } from './queues';
import { redisOptions } from './redis-connection';

/**
 * The queues as seen from a process that runs no workers (the API): for counting jobs and for the
 * queue board. Producer connections, so a Redis outage fails a scrape or a page at once instead of
 * hanging it; opened on first use.
 */
@Injectable()
export class QueueInspector implements OnApplicationShutdown {
  private queues: Queue[] | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  all(): Queue[] {
    this.queues ??= Object.values(QueueName).map((name) => {
      const q = new Queue(name, { connection: redisOptions(this.config.redisUrl, 'producer'), prefix: this.config.queuePrefix });
      // Failures surface in the call that met them; the event must not go unhandled.
      q.on('error', () => undefined);
      return q;
    });
    return this.queues;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all((this.queues ?? []).map((q) => q.close().catch(() => undefined)));
    this.queues = null;
  }
}
