import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { Deliveries } from '@fr/notifications';
import { BatchWhileBusy, JobName, JobPayloads, QueueName } from '@fr/queue';
import { ConfiguredWorkerHost, WORKER_OPTIONS } from './configured-worker-host';

/**
 * Changes a citizen should see, one job per audit event: fanned out to the channel and subscribers.
 * A routing batch announces one event per case; those waiting together are fanned out in one
 * transaction (retried one by one if it fails).
 */
@Processor(QueueName.CaseEvents, WORKER_OPTIONS)
export class CaseEventsProcessor extends ConfiguredWorkerHost {
  private readonly batcher: BatchWhileBusy<{ caseId: string; eventId: string }, number>;

  constructor(private readonly deliveries: Deliveries) {
    super();
    this.batcher = new BatchWhileBusy((events) => this.deliveries.caseEvents(events), { maxBatch: 100, maxInFlight: 2, retryAlone: true });
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.CaseEvent: {
        const { caseId, eventId } = job.data as JobPayloads[JobName.CaseEvent];
        if (!caseId || !eventId) throw new UnrecoverableError('case-event needs caseId and eventId');
        return { deliveries: await this.batcher.submit({ caseId, eventId }) };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.CaseEvents}'`);
    }
  }
}
