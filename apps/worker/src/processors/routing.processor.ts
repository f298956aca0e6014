import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@fr/config';
import { BatchWhileBusy, JobName, JobPayloads, QueueName } from '@fr/queue';
import { RouteCase, RouteCaseResult } from '@fr/routing';
import { ApplyReorganisation } from '@fr/directory';
import { isUuid } from '@fr/domain';
import { ConfiguredWorkerHost } from './configured-worker-host';

/**
 * Routes cases. While a backlog exists (a burst of intake, a worker starting after an outage), the
 * jobs that arrive during a routing transaction are routed together in the next one: a fixed
 * handful of statements per batch instead of per case. A batch that fails is retried case by case,
 * so one bad case fails only its own job. An idle worker routes each case at once, alone.
 */
@Processor(QueueName.Routing)
export class RoutingProcessor extends ConfiguredWorkerHost {
  private readonly batcher: BatchWhileBusy<string, RouteCaseResult>;

  constructor(
    private readonly routeCase: RouteCase,
    private readonly reorganise: ApplyReorganisation,
  ) {
    super();
    this.batcher = new BatchWhileBusy((ids) => this.routeCase.executeMany(ids), { maxBatch: 100, maxInFlight: 2, retryAlone: true });
  }

  protected override concurrency(config: AppConfig): number {
    return config.routingConcurrency;
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as JobName) {
      case JobName.RouteCase: {
        const { caseId } = job.data as JobPayloads[JobName.RouteCase];
        if (!isUuid(caseId)) throw new UnrecoverableError('route-case needs a caseId');
        const r = await this.batcher.submit(caseId);
        return { changed: r.changed, kind: r.decision?.kind ?? null };
      }
      case JobName.ApplyReorganisation: {
        // Routing takes the new units from the moment this commits, hence this queue.
        const { reorganisationId } = job.data as JobPayloads[JobName.ApplyReorganisation];
        if (!isUuid(reorganisationId)) throw new UnrecoverableError('apply-reorganisation needs a reorganisationId');
        return { applied: await this.reorganise.execute(reorganisationId) };
      }
      default:
        throw new UnrecoverableError(`no handler for job '${job.name}' on queue '${QueueName.Routing}'`);
    }
  }
}
