import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue, RedisConnection } from 'bullmq';
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
/** How long a stopping process waits for Redis to answer before it drops its queues' connections. */
export const SHUTDOWN_REDIS_ANSWER_MS = 1000;

/**
 * A stop while Redis is down: BullMQ closes a queue's or worker's connection with QUIT, which a worker's
 * client (it waits for Redis rather than fail, redisOptions) holds in its offline queue until Redis is back,
 * so the worker's stop waited for FR_SHUTDOWN_TIMEOUT_SECONDS and exited 1 (test/sla-redis-down.e2e-spec.ts).
 * Closed with `force`, the connection is dropped instead, and the close that @nestjs/bullmq makes later
 * finds it closing and returns. A job running then is left active in Redis and runs again once its lock has
 * expired (WORKER_OPTIONS), which every job here allows; nothing else was waiting in the connection.
 */
export async function dropWhenRedisAway(answers: () => Promise<boolean>, closers: readonly (() => Promise<void>)[]): Promise<boolean> {
  if (await answers()) return false;
  await Promise.all(closers.map((close) => close().catch(() => undefined)));
  return true;
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
export class QueueModule implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Queue');

  constructor(private readonly registry: QueueRegistry) {}

  /**
   * Without a listener BullMQ prints a queue's errors (its Redis connection refused or reset) to the
   * console: multi-line stacks naming no queue, outside the JSON log. Workers have theirs (ConfiguredWorkerHost).
   */
  onModuleInit(): void {
    for (const queue of this.registry.all()) queue.on('error', (err: Error) => this.logger.warn(`queue '${queue.name}' error: ${err.message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const queues = this.registry.all();
    // QueueBase keeps its connection protected, and offers no forced close of it (Worker.close(true) has one).
    const dropped = await dropWhenRedisAway(
      () => this.registry.answers(SHUTDOWN_REDIS_ANSWER_MS),
      queues.map((q) => () => (q as unknown as { connection: RedisConnection }).connection.close(true)),
    );
    if (dropped) this.logger.warn(`Redis does not answer: the queues' connections are dropped rather than closed`);
  }

  onApplicationShutdown(): void {
    closeQueueClusters();
  }
}
