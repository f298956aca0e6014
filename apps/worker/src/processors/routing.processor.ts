import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { JobName, JobPayloads, QueueName } from '@fr/queue';
import { RouteCase } from '@fr/routing';
import { ConfiguredWorkerHost } from './configured-worker-host';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Processor(QueueName.Routing)
export class RoutingProcessor extends ConfiguredWorkerHost {
  constructor(private readonly routeCase: RouteCase) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.RouteCase: {
        const { caseId } = job.data as JobPayloads[JobName.RouteCase];
        if (typeof caseId !== 'string' || !UUID.test(caseId)) throw new UnrecoverableError('route-case needs a caseId');
        const r = await this.routeCase.execute(caseId);
        return { changed: r.changed, kind: r.decision?.kind ?? null };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Routing}'`);
    }
  }
}
