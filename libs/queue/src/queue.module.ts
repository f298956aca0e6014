import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { QueueName } from './queues';
import { closeQueueClusters, queueConnection, RedisClient } from './redis-connection';

/** Looks up the registered BullMQ queue of a name, for code that publishes to any queue (the relay). */
@Injectable()
export class QueueRegistry {
  constructor(private readonly moduleRef: ModuleRef) {}
  get(name: string): Queue {
    if (!(Object.values(QueueName) as string[]).includes(name)) throw new Error(`unknown queue '${name}'`);
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }
  all(): Queue[] {
    return Object.values(QueueName).map((n) => this.get(n));
  }

  /**
   * Whether the queues' Redis answers a PING within `ms`. A worker's clients wait for Redis rather than
   * fail (redisOptions, worker role), so a sweep that reads Redis while it is down waits until it is back,
   * and every sweep after it with it: no escalation level was told for as long as Redis was away. The
   * sweeps that have work to do without Redis ask first.
   */
  async answers(ms = REDIS_ANSWER_MS): Promise<boolean> {
    const check = (async () => {
      const client = (await this.get(QueueName.Sla).client) as unknown as RedisClient;
      // Not connected: a command would only join the queue of those waiting for it.
      if (client.status !== 'ready') return false;
      return (await client.ping()) === 'PONG';
    })().catch(() => false);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    return Promise.race([check, late]).finally(() => clearTimeout(timer));
  }
}

/** How long a sweep waits for Redis to answer before it takes it for down (QueueRegistry.answers). */
export const REDIS_ANSWER_MS = 3000;

const queues = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));

/**
 * The BullMQ connection and every queue, for the modules that add or run jobs (the worker's): a
 * module that needs them imports QueueModule. The API does not: it writes outbox rows instead.
 */
@Module({
  imports: [
    AppConfigModule,
    BullModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: queueConnection(config.redisUrl),
        prefix: config.queuePrefix,
      }),
    }),
    queues,
  ],
  providers: [QueueRegistry],
  exports: [queues, QueueRegistry],
})
export class QueueModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Queue');

  constructor(private readonly registry: QueueRegistry) {}

  /**
   * Without a listener BullMQ prints a queue's errors (its Redis connection refused or reset) to the
   * console: multi-line stacks naming no queue, outside the JSON log. Workers have theirs (ConfiguredWorkerHost).
   */
  onModuleInit(): void {
    for (const queue of this.registry.all()) queue.on('error', (err: Error) => this.logger.warn(`queue '${queue.name}' error: ${err.message}`));
  }

  onApplicationShutdown(): void {
    closeQueueClusters();
  }
}
