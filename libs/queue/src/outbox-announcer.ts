import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { onOutboxCommitted } from '@fr/persistence';
import { createRedisClient, RedisClient } from './redis-connection';

/** The Redis channel on which processes without a relay tell the relays that outbox rows were committed. */
export function outboxChannel(queuePrefix: string): string {
  return `${queuePrefix}:outbox-committed`;
}

/**
 * For a process that writes outbox rows but runs no relay (the API): passes each commit's signal to
 * the workers' relays over Redis pub/sub. At most one PUBLISH is in flight; signals that arrive
 * meanwhile are sent as one more, so 64 requests committing together cost a few messages, not 64.
 * Never awaited by a request and never failing one: a lost message delays delivery by at most the
 * relay's poll interval.
 */
@Injectable()
export class OutboxAnnouncer implements OnApplicationBootstrap, OnApplicationShutdown {
  private redis: RedisClient | null = null;
  private unsubscribe: (() => void) | null = null;
  private sending = false;
  private again = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.redis = createRedisClient(this.config.redisUrl, 'producer', { lazyConnect: true });
    this.redis.on('error', () => undefined);
    this.redis.connect().catch(() => undefined);
    this.unsubscribe = onOutboxCommitted(this.ds, () => this.announce());
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.redis?.disconnect();
    this.redis = null;
  }

  private announce(): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    const redis = this.redis;
    if (!redis) return;
    this.sending = true;
    redis
      .publish(outboxChannel(this.config.queuePrefix), '')
      .catch(() => undefined)
      .finally(() => {
        this.sending = false;
        if (this.again) {
          this.again = false;
          this.announce();
        }
      });
  }
}
