import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@fr/config';

/**
 * A processor that runs FR_WORKER_CONCURRENCY jobs at once. BullMQ's default is one, which let SLA
 * timers queue up behind each other under a burst of breaches.
 */
export abstract class ConfiguredWorkerHost extends WorkerHost implements OnApplicationBootstrap {
  @Inject(APP_CONFIG) private readonly appConfig!: AppConfig;

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.concurrency(this.appConfig);
  }

  protected concurrency(config: AppConfig): number {
    return config.workerConcurrency;
  }
}
