import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { QueueName } from './queues';
import { closeQueueClusters, queueConnection } from './redis-connection';

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
}

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
