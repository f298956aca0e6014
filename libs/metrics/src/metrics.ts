import { Injectable, Logger, Module } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Reads a state (a grouped query, queue counts) and sets its gauges; runs on every scrape. */
export type ScrapeCollector = () => Promise<void>;

/** Seconds, for request and job durations: most answer in milliseconds; a slow report takes seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds from the moment a level was due to its notice being written: the target is under a second. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300, 3600];

/**
 * The gauges of states, each with the collector that reads it. An application that does not register
 * that collector (a worker reads no outbox or calendar state) leaves its gauges out of its scrape: a
 * gauge never set reads 0, and a worker said `fr_calendar_days_covered_ahead 0` beside the API's 390.
 */
const READ_BY: Readonly<Record<string, string>> = {
  fr_queue_jobs: 'queues',
  fr_sla_timers_pending: 'queues',
  fr_outbox_backlog: 'outbox',
  fr_outbox_oldest_age_seconds: 'outbox',
  fr_audit_unsealed_events: 'audit-sealing',
  fr_audit_sealing_delay_seconds: 'audit-sealing',
  fr_cases_open: 'cases',
  fr_cases_at_risk: 'cases',
  fr_cases_overdue: 'cases',
  fr_calendar_days_covered_ahead: 'calendar',
};

/**
 * The engine's Prometheus metrics, one registry per application (the API and a worker may share a
 * process in tests, so never prom-client's global one). Events are counted where they happen;
 * states (queue depths, backlogs, open cases) are read when Prometheus scrapes, by the collectors
 * that the application registers with onScrape. Every name is listed in METRIC_NAMES, which the
 * alert rules are checked against.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly logger = new Logger(Metrics.name);
  private readonly collectors = new Map<string, ScrapeCollector>();

  readonly httpRequestDuration = new Histogram({
    name: 'fr_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'fr_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed), read on scrape',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'fr_job_duration_seconds',
    help: 'Time a worker spent on a job, by queue, job name and outcome (completed, failed)',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly outboxBacklog = new Gauge({ name: 'fr_outbox_backlog', help: 'Outbox rows not yet moved to the queues', registers: [this.registry] });
  readonly outboxOldestAge = new Gauge({
    name: 'fr_outbox_oldest_age_seconds',
    help: 'Age of the oldest outbox row (0 when the outbox is empty)',
    registers: [this.registry],
  });
  readonly auditUnsealed = new Gauge({ name: 'fr_audit_unsealed_events', help: 'Committed audit events not yet sealed', registers: [this.registry] });
  readonly auditSealingDelay = new Gauge({
    name: 'fr_audit_sealing_delay_seconds',
    help: 'How long the oldest unsealed audit event has waited for the sealer (0 when all are sealed)',
    registers: [this.registry],
  });
  readonly breachNoticeLag = new Histogram({
    name: 'fr_sla_breach_notice_lag_seconds',
    help: 'From the moment an escalation level fell due (by the engine clock) to its notice being recorded',
    labelNames: ['level'] as const,
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  readonly escalations = new Counter({
    name: 'fr_escalations_total',
    help: 'Escalation levels recorded, by level',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });
  readonly slaTimersPending = new Gauge({
    name: 'fr_sla_timers_pending',
    help: 'SLA timers waiting in the queue (delayed or due), read on scrape',
    registers: [this.registry],
  });
  readonly casesOpen = new Gauge({
    name: 'fr_cases_open',
    help: 'Cases not closed, by unit and state (unit "" before routing)',
    labelNames: ['unit', 'state'] as const,
    registers: [this.registry],
  });
  readonly casesAtRisk = new Gauge({
    name: 'fr_cases_at_risk',
    help: 'Open cases past their warning time and not yet due, by unit',
    labelNames: ['unit'] as const,
    registers: [this.registry],
  });
  readonly casesOverdue = new Gauge({
    name: 'fr_cases_overdue',
    help: 'Open cases past their deadline, by unit',
    labelNames: ['unit'] as const,
    registers: [this.registry],
  });
  readonly routedInRelay = new Counter({
    name: 'fr_cases_routed_in_relay_total',
    help: 'Cases routed by the outbox relay in its own transaction (the others go through the routing queue)',
    registers: [this.registry],
  });
  readonly auditVerifications = new Counter({
    name: 'fr_audit_verifications_total',
    help: 'Audit trail verifications by outcome: ok, broken (a break was found), refused (too many at once), abandoned (the caller left), failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'fr_deliveries_total',
    help: 'Delivery attempts by kind (channel, webhook, email) and outcome (delivered, retrying, failed, skipped)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly calendarDaysAhead = new Gauge({
    name: 'fr_calendar_days_covered_ahead',
    help: "Days from today (by the engine clock) to the end of the last year covered without a gap, by the working calendar that reaches least far: the district's, or a unit's own",
    registers: [this.registry],
  });
  readonly queueWorkerErrors = new Counter({
    name: 'fr_queue_worker_errors_total',
    help: "Errors a queue's worker met outside any job's processing (a lock lost when Redis lost its keys, a dropped connection)",
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly scrapeErrors = new Counter({
    name: 'fr_metrics_collector_errors_total',
    help: 'Scrape-time collectors that failed (their gauges keep the last value read)',
    labelNames: ['collector'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * How long a collector may read before the scrape goes on without it. BullMQ's commands wait for a
   * Redis that is down instead of failing, so with Redis unreachable `/metrics` never answered, and
   * Prometheus saw a dead target instead of the outage the other gauges describe. Under Prometheus'
   * default scrape timeout (10 s).
   */
  collectorTimeoutMs = 3000;
  private readonly running = new Map<string, Promise<void>>();

  /** Registers a collector under a name; registering a name again replaces it. */
  onScrape(name: string, collect: ScrapeCollector): void {
    this.collectors.set(name, collect);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition text, after every collector has read its state; one that fails or outlasts
   * collectorTimeoutMs is counted and skipped (its gauges keep the last value read). The gauges of
   * collectors this application does not register are left out (READ_BY).
   */
  async scrape(): Promise<string> {
    await Promise.all(
      [...this.collectors].map(async ([name, collect]) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.collectorTimeoutMs} ms`)), this.collectorTimeoutMs);
        });
        // One reading per collector at a time: during a Redis outage each scrape started another
        // BullMQ call that waited, and ioredis' offline queue grew until Redis came back.
        let run = this.running.get(name);
        if (!run) {
          run = collect().finally(() => this.running.delete(name));
          this.running.set(name, run);
        }
        try {
          await Promise.race([run, late]);
        } catch (e) {
          this.scrapeErrors.inc({ collector: name });
          this.logger.warn(`metrics collector ${name} failed: ${(e as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const shown = this.registry.getMetricsAsArray().filter(({ name }) => !(name in READ_BY) || this.collectors.has(READ_BY[name]));
    // As Registry.metrics() joins them in the Prometheus text format.
    return `${(await Promise.all(shown.map(({ name }) => this.registry.getSingleMetricAsString(name)))).join('\n\n')}\n`;
  }
}

/** The application's Metrics: one instance per application, whichever of its modules imports this. */
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
