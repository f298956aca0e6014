import { Logger } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { JobName, JobPayloads, QueueName } from '@fr/queue';

/**
 * Changes a citizen should see, one job per audit event. Channels learn of them here; delivery to a
 * channel's webhook plugs in at this point (notifications), until then the event is acknowledged.
 */
@Processor(QueueName.CaseEvents)
export class CaseEventsProcessor extends WorkerHost {
  private readonly logger = new Logger(CaseEventsProcessor.name);

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.CaseEvent: {
        const { caseId, eventId } = job.data as JobPayloads[JobName.CaseEvent];
        if (!caseId || !eventId) throw new UnrecoverableError('case-event needs caseId and eventId');
        this.logger.debug(`case ${caseId}: event ${eventId} ready for its channel`);
        return { delivered: false, reason: 'no channel webhook configured' };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.CaseEvents}'`);
    }
  }
}
