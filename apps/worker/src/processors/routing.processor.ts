import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { OnModuleInit } from '@nestjs/common';
import { AppConfig, sharedRequestId, withRequestId } from '@fr/config';
import { BatchWhileBusy, JobName, JobPayloads, OutboxRelay, QueueName } from '@fr/queue';
import { RouteCase, RouteCaseResult } from '@fr/routing';
import { ApplyReorganisation } from '@fr/directory';
import { isUuid } from '@fr/domain';
import { ConfiguredWorkerHost, WORKER_OPTIONS } from './configured-worker-host';

/**
 * Routes cases. While a backlog exists (a burst of intake, a worker starting after an outage), the
 * jobs that arrive during a routing transaction are routed together in the next one: a fixed
 * handful of statements per batch instead of per case. A batch that fails is retried case by case,
 * so one bad case fails only its own job. An idle worker routes each case at once, alone.
 */
@Processor(QueueName.Routing, WORKER_OPTIONS)
export class RoutingProcessor extends ConfiguredWorkerHost implements OnModuleInit {
  private readonly batcher: BatchWhileBusy<string, RouteCaseResult>;

  constructor(
    private readonly routeCase: RouteCase,
    private readonly reorganise: ApplyReorganisation,
    private readonly relay: OutboxRelay,
  ) {
    super();
    this.batcher = new BatchWhileBusy((ids) => this.routeCase.executeMany(ids), { maxBatch: 100, maxInFlight: 2, retryAlone: true });
  }

  /**
   * The relay routes the cases whose routing job it takes, in its own transaction: the job's row is
   * deleted and the case routed in one commit, so nothing is lost or done twice, and the job never
   * goes through Redis. This queue still takes the routing jobs the relay could not do (they fail
   * there and go to BullMQ, retried with backoff) and those the reconciler re-enqueues.
   * Measured with the bench's intake scenario (README, "Routing in the outbox relay"; N=20,000, 2 cores):
   * 342 events/s before, 524-527 after; paced 200/s send -> assigned p99 140 ms before, 39-56 ms after;
   * Redis 0.15 cores before, 0.05 after. BullMQ's add, fetch and completion of a job per case, each a
   * round trip and a wake-up of another process, were a large share of a case's cost.
   */
  onModuleInit(): void {
    if (!this.appConfig.routeInRelay) return;
    this.relay.handleLocally(JobName.RouteCase, async (m, payloads) => {
      const ids = payloads.map((p) => p.caseId).filter(isUuid);
      // On behalf of the request that received the cases, when they share one (as BatchWhileBusy).
      await withRequestId(sharedRequestId(payloads.map((p) => p.requestId)), () => this.routeCase.executeManyIn(m, ids));
      this.metrics.routedInRelay.inc(ids.length);
    });
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
