import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { JobName, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost } from './configured-worker-host';

/** The scheduler of the daily sweep: one per deployment, however many workers upsert it. */
export const PRIVACY_SWEEP_SCHEDULER = 'privacy-sweep-daily';
/** 02:30 in Hanoi, out of office hours. */
export const PRIVACY_SWEEP_PATTERN = '30 2 * * *';

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
    try {
      await this.queue.upsertJobScheduler(
        PRIVACY_SWEEP_SCHEDULER,
        { pattern: PRIVACY_SWEEP_PATTERN, tz: 'Asia/Ho_Chi_Minh' },
        { name: JobName.PrivacySweep, data: {} },
      );
    } catch (e) {
      this.logger.warn(`the daily privacy sweep could not be scheduled (the next maintenance pass retries): ${(e as Error).message}`);
    }
  }
}

/** The daily personal-data sweep (Law 91/2025/QH15): BullMQ repeats it; the use case does the work. */
@Processor(QueueName.Privacy)
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
