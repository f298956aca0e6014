import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ADVISORY_LOCK, selectRow, selectRows } from '@fr/persistence';
import { ensureJob, jobIdFor, jobIdPrefix, jobOptionsFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { Clock } from '@fr/sla';

/**
 * Redis here keeps nothing across a restart, and a flushed Redis loses queued routing jobs. PostgreSQL
 * knows which cases are still `received`: this sweep adds their routing jobs again. A job that cannot
 * route the case any more (its hash lost name or data, in no list, failed or completed while the case
 * is still `received`) counts as missing: retrying it would only fail again. Only one worker sweeps
 * at a time (advisory lock); a job that will still run is left alone.
 */
@Injectable()
export class RoutingReconciler {
  private readonly logger = new Logger(RoutingReconciler.name);

  constructor(
    private readonly ds: DataSource,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * One pass; returns how many routing jobs it added again (null if another worker held the lock).
   * `signal`: the worker is stopping. Up to 5,000 cases, each a few Redis round trips, ran to their end
   * inside the stop; aborted, the pass ends after the case in hand, and the cases left, still `received`
   * with no job, are the next pass's (test/stop-under-sweep-backlog.e2e-spec.ts).
   */
  async runOnce(stuckAfterSeconds = this.config.stuckAfterSeconds, signal?: AbortSignal): Promise<number | null> {
    return this.ds.transaction(async (m) => {
      const lock = await selectRow<{ locked: boolean }>(m, `SELECT pg_try_advisory_xact_lock($1) AS locked`, [ADVISORY_LOCK.routingReconcile]);
      if (!lock?.locked) return null;
      const rows = await selectRows<{ id: string }>(
        m,
        `SELECT c.id FROM cases c
          WHERE c.status = 'received' AND c.received_at <= $3::timestamptz - make_interval(secs => $1)
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = $2 || c.id::text)
          ORDER BY c.received_at LIMIT 5000`,
        // received_at is the Clock's time (intake), so it is compared with the Clock's.
        [stuckAfterSeconds, jobIdPrefix(JobName.RouteCase), this.clock.now()],
      );
      const queue = this.queues.get(QueueName.Routing);
      let fixed = 0;
      for (const { id } of rows) {
        if (signal?.aborted) break;
        const jobId = jobIdFor(JobName.RouteCase, { caseId: id });
        const outcome = await ensureJob(queue, JobName.RouteCase, { caseId: id }, { ...jobOptionsFor(JobName.RouteCase, this.config), jobId }, async () => {
          const c = await selectRow<{ one: number }>(m, `SELECT 1 AS one FROM cases WHERE id = $1 AND status = 'received'`, [id]);
          return c !== undefined;
        });
        if (outcome === 'added' || outcome === 'replaced') fixed++;
      }
      if (fixed) this.logger.warn(`re-enqueued routing of ${fixed} case(s) missing from the queue`);
      return fixed;
    });
  }
}
