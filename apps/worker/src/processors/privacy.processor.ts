import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { defaultRepeatStrategy, Job, Queue, UnrecoverableError } from 'bullmq';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { JobName, QueueName, removeJobById } from '@fr/queue';
import { ConfiguredWorkerHost, WORKER_OPTIONS } from './configured-worker-host';

/** The scheduler of the daily sweep: one per deployment, however many workers upsert it. */
export const PRIVACY_SWEEP_SCHEDULER = 'privacy-sweep-daily';
/** 02:30 in Hanoi, out of office hours. */
export const PRIVACY_SWEEP_PATTERN = '30 2 * * *';
const PRIVACY_SWEEP_REPEAT = { pattern: PRIVACY_SWEEP_PATTERN, tz: 'Asia/Ho_Chi_Minh' };

/**
 * Keeps the daily sweep scheduled. Upserted at start and by every maintenance pass: Redis keeps
 * nothing on disk here, and a restart would lose the scheduler with the queue (the same id is
 * upserted again, so the job stays scheduled once).
 */
@Injectable()
export class PrivacySweepSchedule {
  private readonly logger = new Logger(PrivacySweepSchedule.name);

  constructor(@InjectQueue(QueueName.Privacy) private readonly queue: Queue) {}

  async ensure(): Promise<void> {
    let problem: unknown;
    try {
      await this.upsert();
      return;
    } catch (e) {
      problem = e;
    }
    try {
      if (await this.removeOrphanedRun()) {
        await this.upsert();
        this.logger.warn('the daily privacy sweep was rescheduled after removing its next run, left in no list by a partial loss of Redis keys');
        return;
      }
    } catch (e) {
      problem = e;
    }
    this.logger.warn(`the daily privacy sweep could not be scheduled (the next maintenance pass retries): ${(problem as Error).message}`);
  }

  private upsert() {
    return this.queue.upsertJobScheduler(PRIVACY_SWEEP_SCHEDULER, PRIVACY_SWEEP_REPEAT, { name: JobName.PrivacySweep, data: {} });
  }

  /**
   * Redis that loses some keys (the scheduler's, the delayed list) can keep the hash of the next run:
   * BullMQ then refuses to create that run ("job ID already exists") on every upsert until its time
   * has passed, and that day's sweep never runs. The run's id is BullMQ's (`repeat:<scheduler>:<time>`,
   * the time from the same cron pattern); a hash in no list is removed so the upsert can go through.
   */
  private async removeOrphanedRun(): Promise<boolean> {
    const next = defaultRepeatStrategy(Date.now(), PRIVACY_SWEEP_REPEAT) as number | undefined;
    if (!next) return false;
    const jobId = `repeat:${PRIVACY_SWEEP_SCHEDULER}:${next}`;
    const job = await this.queue.getJob(jobId);
    if (!job || (await job.getState()) !== 'unknown') return false;
    return (await removeJobById(this.queue, jobId)) === 1;
  }
}

/** The daily personal-data sweep (Law 91/2025/QH15): BullMQ repeats it; the use case does the work. */
@Processor(QueueName.Privacy, WORKER_OPTIONS)
export class PrivacyProcessor extends ConfiguredWorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly sweep: EraseExpiredContactDetails,
    private readonly schedule: PrivacySweepSchedule,
  ) {
    super();
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    void this.schedule.ensure();
  }

  protected override concurrency(): number {
    return 1;
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.PrivacySweep:
        return this.sweep.runOnce();
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Privacy}'`);
    }
  }
}
