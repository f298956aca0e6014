import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { Deliveries } from '@fr/notifications';
import { JobName, JobPayloads, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost } from './configured-worker-host';

@Processor(QueueName.Notifications)
export class DeliveriesProcessor extends ConfiguredWorkerHost {
  constructor(private readonly deliveries: Deliveries) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.Deliver: {
        const { deliveryId } = job.data as JobPayloads[JobName.Deliver];
        if (!deliveryId) throw new UnrecoverableError('deliver needs a deliveryId');
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        return { result: await this.deliveries.send(deliveryId, final) };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Notifications}'`);
    }
  }
}
