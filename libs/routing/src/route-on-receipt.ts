import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { Metrics, MetricsModule } from '@fr/metrics';
import { BatchWhileBusy } from '@fr/queue';
import { SlaModule } from '@fr/sla';
import { RouteCase, RouteCaseResult } from './route-case.usecase';

interface Received {
  caseId: string;
  outboxId: string;
}

/**
 * Cases waiting here beyond which new cases go to the workers at once (their routing job unheld): a
 * process that cannot keep up routes no more than it can, and the workers share the rest.
 */
const MAX_WAITING = 500;

/**
 * Routes the cases this process receives, right after their intake commits, instead of sending each
 * through the outbox relay, BullMQ and a worker first. Each of those hops wakes another process; on
 * two busy cores they made the larger part of a case's time from receipt to its unit (the bench's
 * paced intake, 200 events/s: scheduled send -> assigned p50 20 ms, of which the HTTP POST was 6).
 *
 * Nothing rests on it: intake still writes the case's routing job to the outbox, in the same statement
 * as the case, only held back from the relays for `FR_ROUTE_ON_RECEIPT_HOLD_MS`. Routing here deletes
 * that row in its own transaction; if this process dies first, or routing fails, the row is still
 * there when the hold ends and a worker routes the case as before. A row a relay took meanwhile (a
 * hold that ended during a long wait here) costs one job that finds the case routed and does nothing:
 * RouteCase locks the case and routes only a `received` one. Jobs that arrive together are routed
 * together (BatchWhileBusy), as the workers do.
 */
@Injectable()
export class RouteOnReceipt implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RouteOnReceipt.name);
  private readonly batcher: BatchWhileBusy<Received, RouteCaseResult>;
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly routeCase: RouteCase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.batcher = new BatchWhileBusy(
      (items) =>
        this.routeCase.executeMany(
          items.map((i) => i.caseId),
          items.map((i) => i.outboxId),
        ),
      { maxBatch: 100, maxInFlight: 2, retryAlone: true },
    );
  }

  /** How long a new case's routing job is to be held back for this process to route it; 0: it will not. */
  holdMs(): number {
    if (this.closing || this.batcher.waiting >= MAX_WAITING) return 0;
    return this.config.routeOnReceiptHoldMs;
  }

  /** A case whose intake committed with its routing job held (holdMs() > 0): routed soon, never awaited by the caller. */
  received(caseId: string, outboxId: string): void {
    const done: Promise<void> = this.batcher
      .submit({ caseId, outboxId })
      .then(
        () => void this.metrics?.routedOnReceipt.inc({ outcome: 'routed' }),
        (e: Error) => {
          this.metrics?.routedOnReceipt.inc({ outcome: 'failed' });
          this.logger.warn(`routing of case ${caseId} on receipt failed; a worker routes it when its job's hold ends: ${e.message}`);
        },
      )
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Before the database closes: routing under way finishes (new cases meanwhile are sent to the workers). */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.running]);
  }
}

@Module({ imports: [AppConfigModule, SlaModule, MetricsModule], providers: [RouteCase, RouteOnReceipt], exports: [RouteOnReceipt] })
export class RouteOnReceiptModule {}
