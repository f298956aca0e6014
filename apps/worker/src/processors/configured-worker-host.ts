import { BeforeApplicationShutdown, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { Job, WorkerOptions } from 'bullmq';
import type { Logger as PinoRoot } from 'pino';
import { APP_CONFIG, AppConfig, ROOT_LOGGER, withJobContext } from '@fr/config';
import { Metrics } from '@fr/metrics';
import { dropWhenRedisAway, QueueRegistry, SHUTDOWN_REDIS_ANSWER_MS } from '@fr/queue';

/**
 * How soon the jobs of a worker that died (SIGKILL, OOM, a lost machine) run again: each processor's
 * `@Processor(queue, WORKER_OPTIONS)`. Nothing in PostgreSQL tells such a job lost (it is active in Redis,
 * so the reconcilers leave it to run), and BullMQ moves it back to its queue only once its lock has
 * expired and a stalled-job check has seen it twice (the check is shared by the queue's workers: one
 * that ran within the interval, the dead worker's included, skips the next). With BullMQ's defaults,
 * a 30 s lock and a check every 30 s, a crash run saw level notices the killed worker held recorded 53 s
 * and 75 s late, and its webhook calls waited as long (test/worker-crash.e2e-spec.ts: 61 s). Now at most
 * about 20 s. A lock is renewed every half of its duration, so only an event loop blocked for 10 s, or a
 * Redis away as long, lets a running job be taken for stalled; it then runs again, which every job
 * here allows (firings, fan-outs and deliveries are recorded once; a webhook may arrive twice with one id).
 */
export const WORKER_OPTIONS: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'> = Object.freeze({ lockDuration: 10_000, stalledInterval: 5_000 });

/**
 * A processor that runs FR_WORKER_CONCURRENCY jobs at once (BullMQ's default is one, which let SLA
 * timers queue up behind each other under a burst of breaches), each on behalf of the request that
 * caused it (its `requestId`: every log line of the job and the jobs it causes carry it), and timed.
 */
export abstract class ConfiguredWorkerHost extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  @Inject(APP_CONFIG) protected readonly appConfig!: AppConfig;
  @Inject(Metrics) protected readonly metrics!: Metrics;
  @Inject(ROOT_LOGGER) private readonly root!: PinoRoot;
  @Inject(QueueRegistry) private readonly queueRegistry!: QueueRegistry;

  constructor() {
    super();
    // The explorer binds `process` once the module is initialised: it gets this wrapper.
    const process = this.process.bind(this);
    this.process = (job: Job, token?: string) => withJobContext(job, this.root, () => process(job, token));
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.concurrency(this.appConfig);
    const observe = (job: Job | undefined, outcome: 'completed' | 'failed') => {
      if (!job?.processedOn || !job.finishedOn) return;
      this.metrics.jobDuration.observe({ queue: job.queueName, name: job.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
    };
    this.worker.on('completed', (job) => observe(job, 'completed'));
    this.worker.on('failed', (job) => observe(job, 'failed'));
    // Without a listener BullMQ writes these to the console: multi-line stacks with no queue, outside the
    // JSON log and uncounted ("Missing lock for job ..." after Redis lost its keys, under chaos). The
    // reconcilers put the jobs back; the line and the count say it happened.
    this.worker.on('error', (err: Error & { code?: unknown }) => {
      this.metrics.queueWorkerErrors.inc({ queue: this.worker.name });
      this.root.warn({ context: 'QueueWorker', queue: this.worker.name, code: err.code, err }, `queue worker error: ${err.message}`);
    });
  }

  /** Redis away at the stop: the worker's connections are dropped, not closed with a QUIT that waits for it (dropWhenRedisAway). */
  async beforeApplicationShutdown(): Promise<void> {
    await dropWhenRedisAway(() => this.queueRegistry.answers(SHUTDOWN_REDIS_ANSWER_MS), [() => this.worker.close(true)]);
  }

  protected concurrency(config: AppConfig): number {
    return config.workerConcurrency;
  }
}
