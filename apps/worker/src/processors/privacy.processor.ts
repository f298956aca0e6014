import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { JobName, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost } from './configured-worker-host';

/** The scheduler of the daily sweep: one per deployment, however many workers upsert it. */
export const PRIVACY_SWEEP_SCHEDULER = 'privacy-sweep-daily';
/** 02:30 in Hanoi, out of office hours. */
export const PRIVACY_SWEEP_PATTERN = '30 2 * * *';

/** The daily personal-data sweep (Law 91/2025/QH15): BullMQ repeats it; the use case does the work. */
@Processor(QueueName.Privacy)
export class PrivacyProcessor extends ConfiguredWorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(PrivacyProcessor.name);

  constructor(
    private readonly sweep: EraseExpiredContactDetails,
    @InjectQueue(QueueName.Privacy) private readonly queue: Queue,
  ) {
    super();
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    // Idempotent: every worker upserts the same scheduler id, so the job is scheduled once.
    void this.queue
      .upsertJobScheduler(PRIVACY_SWEEP_SCHEDULER, { pattern: PRIVACY_SWEEP_PATTERN, tz: 'Asia/Ho_Chi_Minh' }, { name: JobName.PrivacySweep, data: {} })
      .catch((e: Error) => this.logger.warn(`the daily privacy sweep could not be scheduled (the next worker start retries): ${e.message}`));
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
