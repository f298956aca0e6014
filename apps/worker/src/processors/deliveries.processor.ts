import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { Deliveries, DeliveriesReconciler, DeliveryAttemptFailed } from '@fr/notifications';
import { DELIVERY_BACKOFF, deliveryRetryDelay, JobName, JobPayloads, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost, WORKER_OPTIONS } from './configured-worker-host';

@Processor(QueueName.Notifications, WORKER_OPTIONS)
export class DeliveriesProcessor extends ConfiguredWorkerHost {
  constructor(
    private readonly deliveries: Deliveries,
    private readonly reconciler: DeliveriesReconciler,
    private readonly ds: DataSource,
  ) {
    super();
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    // BullMQ asks the worker's settings for the wait of a custom backoff type (jobOptionsFor gives deliveries theirs).
    const delays = this.appConfig.deliveryRetryDelaysMs;
    this.worker.opts.settings = {
      ...this.worker.opts.settings,
      // The row's count of attempts, when the failure carries it: a job added again after a wipe goes on
      // with the schedule where the row left it (Deliveries.send).
      backoffStrategy: (attemptsMade: number, type?: string, err?: Error) =>
        type === DELIVERY_BACKOFF ? deliveryRetryDelay(err instanceof DeliveryAttemptFailed ? err.attempt : attemptsMade, delays) : 0,
    };
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.Deliver: {
        const { deliveryId } = job.data as JobPayloads[JobName.Deliver];
        if (!deliveryId) throw new UnrecoverableError('deliver needs a deliveryId');
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        return { result: await this.deliveries.send(deliveryId, final, job.opts.attempts ?? 1) };
      }
      case JobName.Redeliver: {
        const { deliveryId } = job.data as JobPayloads[JobName.Redeliver];
        if (!deliveryId) throw new UnrecoverableError('redeliver needs a deliveryId');
        const outcome = await this.reconciler.ensureDeliveryJob(this.ds, deliveryId, null);
        // Its previous job is still running (a worker holds it): the queue tries again shortly.
        if (outcome === 'locked') throw new Error(`the job of delivery ${deliveryId} is running; trying again`);
        return { result: outcome };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Notifications}'`);
    }
  }
}
