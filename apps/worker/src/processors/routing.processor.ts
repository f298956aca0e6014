import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { JobName, JobPayloads, QueueName } from '@fr/queue';
import { RouteCase } from '@fr/routing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Processor(QueueName.Routing)
export class RoutingProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly routeCase: RouteCase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap() {
    this.worker.concurrency = this.config.workerConcurrency;
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
