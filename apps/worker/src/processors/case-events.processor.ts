import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { Deliveries } from '@fr/notifications';
import { JobName, JobPayloads, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost } from './configured-worker-host';

/** Changes a citizen should see, one job per audit event: fanned out to the channel and subscribers. */
@Processor(QueueName.CaseEvents)
export class CaseEventsProcessor extends ConfiguredWorkerHost {
  constructor(private readonly deliveries: Deliveries) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.CaseEvent: {
        const { caseId, eventId } = job.data as JobPayloads[JobName.CaseEvent];
        if (!caseId || !eventId) throw new UnrecoverableError('case-event needs caseId and eventId');
        return { deliveries: await this.deliveries.caseEvent(caseId, eventId) };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.CaseEvents}'`);
    }
  }
}
