import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ADVISORY_LOCK, selectRow, selectRows, Sql, tryAdvisoryXactLock } from '@fr/persistence';
import { EnsureOutcome, ensureJob, jobIdFor, jobIdPrefix, jobOptionsFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { Clock } from '@fr/sla';

/** Events waiting for their fan-out a sweep reads per statement, and at most this many statements per sweep. */
const FANOUT_BATCH = 20_000;
const FANOUT_BATCHES = 10;

export interface DeliveriesReconcileResult {
  fanouts: number;
  deliveries: number;
}

/**
 * After Redis loses its data, two kinds of work exist only in PostgreSQL: citizen-visible events whose
 * fan-out job vanished (no case_event_fanouts row), and deliveries still pending whose job vanished.
 * This sweep re-adds both under their deterministic ids; jobs that will still run are left alone, and
 * a job that lost its name or data, sits in no list or failed for good is replaced (see ensureJob).
 */
@Injectable()
export class DeliveriesReconciler {
  private readonly logger = new Logger(DeliveriesReconciler.name);

  constructor(
    private readonly ds: DataSource,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * One pass; null when another worker holds the sweep. `signal`: the worker is stopping. Up to 200,000
   * fan-outs and 5,000 deliveries, each a few Redis round trips, ran to their end inside the stop; aborted,
   * the pass ends after the event or delivery in hand. Those left still wait in PostgreSQL (a frozen state
   * with no fan-out row, a pending delivery) with no job, for the next pass
   * (test/stop-under-sweep-backlog.e2e-spec.ts).
   */
  async runOnce(stuckAfterSeconds = this.config.stuckAfterSeconds, signal?: AbortSignal): Promise<DeliveriesReconcileResult | null> {
    return this.ds.transaction(async (m) => {
      if (!(await tryAdvisoryXactLock(m, ADVISORY_LOCK.deliveriesReconcile))) return null;
      // An event awaits its fan-out while its frozen state exists: the writer froze it in the event's
      // transaction and the fan-out removes it as it writes the fan-out row. An event with neither had
      // no receiver when it committed and was never meant to be fanned out (case-event-states.ts). So
      // the waiting events are read from the states, by key, not found among the trail's: the sweep used
      // to read the sealed trail from a watermark (a seal position, as an id watermark skips a late
      // committer), 20,000 positions a statement, and stopped at the first event younger than
      // stuckAfterSeconds. At 200 cases a second that was 20,000 events every 30 s, none waiting where no
      // webhook is registered, 230 ms in one burst that made most of the paced intake's slowest percent
      // (the bench, 2026-12-07). The states hold only the events still waiting, committed in any order.
      const events = this.queues.get(QueueName.CaseEvents);
      let fanouts = 0;
      let after = '0';
      for (let batch = 0; batch < FANOUT_BATCHES && !signal?.aborted; batch++) {
        // Older than stuckAfterSeconds: a fan-out job may still be on its way for a younger event.
        const waiting = await selectRows<{ id: string; case_id: string }>(
          m,
          `SELECT st.event_id::text AS id, a.case_id
             FROM case_event_states st
             JOIN audit_events a ON a.id = st.event_id
            WHERE st.event_id > $1 AND a.case_id IS NOT NULL AND a.occurred_at <= now() - make_interval(secs => $2)
              AND NOT EXISTS (SELECT 1 FROM case_event_fanouts f WHERE f.event_id = st.event_id)
            ORDER BY st.event_id LIMIT $3`,
          [after, stuckAfterSeconds, FANOUT_BATCH],
        );
        if (waiting.length === 0) break;
        after = waiting[waiting.length - 1].id;
        // The outbox is read only for the events still waiting, which are few.
        const queued = new Set(
          (
            await selectRows<{ job_id: string }>(m, `SELECT job_id FROM outbox WHERE job_id = ANY($1::text[])`, [
              waiting.map((r) => jobIdPrefix(JobName.CaseEvent) + r.id),
            ])
          ).map((r) => r.job_id),
        );
        for (const e of waiting.filter((r) => !queued.has(jobIdPrefix(JobName.CaseEvent) + r.id))) {
          if (signal?.aborted) break;
          const payload = { caseId: e.case_id, eventId: e.id };
          const jobId = jobIdFor(JobName.CaseEvent, payload);
          // A completed fan-out job would have written the row: one without it lost its work too.
          const outcome = await ensureJob(events, JobName.CaseEvent, payload, { ...jobOptionsFor(JobName.CaseEvent, this.config), jobId }, async () => {
            const f = await selectRow<{ one: number }>(m, `SELECT 1 AS one FROM case_event_fanouts WHERE event_id = $1`, [e.id]);
            return !f;
          });
          if (outcome === 'added' || outcome === 'replaced') fanouts++;
        }
        if (waiting.length < FANOUT_BATCH) break;
      }

      const pending = await selectRows<{ id: string; not_before: Date | null }>(
        m,
        `SELECT d.id::text AS id, d.not_before FROM deliveries d
          WHERE d.status = 'pending' AND d.created_at <= now() - make_interval(secs => $1)
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = $2 || d.id::text)
          ORDER BY d.id LIMIT 5000`,
        [stuckAfterSeconds, jobIdPrefix(JobName.Deliver)],
      );
      let deliveries = 0;
      for (const d of pending) {
        if (signal?.aborted) break;
        const outcome = await this.ensureDeliveryJob(m, d.id, d.not_before);
        if (outcome === 'added' || outcome === 'replaced') deliveries++;
      }
      if (fanouts || deliveries) this.logger.warn(`re-enqueued ${fanouts} case event fan-out(s) and ${deliveries} delivery job(s) missing from Redis`);
      return { fanouts, deliveries };
    });
  }

  /**
   * Puts the deliver job of a pending delivery in the queue: added when absent, replaced when it
   * failed for good or completed (a delivery sent again, POST /v1/webhooks/{id}/deliveries/{id}/redeliver,
   * has both), left alone while it waits or runs.
   */
  async ensureDeliveryJob(db: Sql, deliveryId: string, notBefore: Date | null): Promise<EnsureOutcome | 'not pending'> {
    const still = async () => !!(await selectRow<{ one: number }>(db, `SELECT 1 AS one FROM deliveries WHERE id = $1 AND status = 'pending'`, [deliveryId]));
    if (!(await still())) return 'not pending';
    const payload = { deliveryId };
    const delay = notBefore ? Math.max(0, notBefore.getTime() - this.clock.now().getTime()) : 0;
    return ensureJob(
      this.queues.get(QueueName.Notifications),
      JobName.Deliver,
      payload,
      { ...jobOptionsFor(JobName.Deliver, this.config), jobId: jobIdFor(JobName.Deliver, payload), delay: delay || undefined },
      still,
    );
  }
}
