import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { CITIZEN_VISIBLE_ACTIONS } from '@fr/domain';
import { ADVISORY_LOCK, execute, selectRow, selectRows, Sql, tryAdvisoryXactLock } from '@fr/persistence';
import { EnsureOutcome, ensureJob, jobIdFor, jobIdPrefix, jobOptionsFor, JobName, QueueName, QueueRegistry } from '@fr/queue';
import { Clock } from '@fr/sla';

const WATERMARK = 'case_event_fanout_seal_watermark';
/** Trail positions a sweep reads per statement, and at most this many windows per sweep. */
const FANOUT_WINDOW = 20_000n;
const FANOUT_WINDOWS = 10;

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

  async runOnce(stuckAfterSeconds = this.config.stuckAfterSeconds): Promise<DeliveriesReconcileResult | null> {
    return this.ds.transaction(async (m) => {
      if (!(await tryAdvisoryXactLock(m, ADVISORY_LOCK.deliveriesReconcile))) return null;
      const state = await selectRow<{ value: unknown }>(m, `SELECT value FROM system_state WHERE key = $1`, [WATERMARK]);
      const watermark = state ? String(state.value) : '0';
      // The watermark is a position in the sealed trail, not an event id: ids are drawn before commit,
      // so an event with a lower id can commit after a higher one, and an id watermark would skip it.
      // Seal positions are handed out only to committed events, in order, so nothing ever appears
      // below the watermark. Events not yet sealed are seen by a later sweep.
      // An event awaits its fan-out while its frozen state exists: the writer froze it in the event's
      // transaction and the fan-out removes it as it writes the fan-out row. An event with neither had
      // no receiver when it committed and was never meant to be fanned out (case-event-states.ts).
      const events = this.queues.get(QueueName.CaseEvents);
      let fanouts = 0;
      let next = watermark;
      // Windows of positions, not a LIMIT on matches: the events looked for may be few among the
      // trail's (a burst of SLA breaches seals hundreds of thousands of `escalate` events), and with
      // nothing to stop at, every sweep read all of them again from the watermark on: 2.4 s a sweep
      // at 200,000 sealed escalations in the SLA bench. Positions are dense up to the last sealed one.
      const [{ last }] = await selectRows<{ last: string }>(m, `SELECT COALESCE(max(seq), 0)::text AS last FROM audit_seals`);
      const end = BigInt(last);
      for (let window = 0; window < FANOUT_WINDOWS && BigInt(next) < end; window++) {
        const from = BigInt(next);
        const hi = (from + FANOUT_WINDOW < end ? from + FANOUT_WINDOW : end).toString();
        // Each position's event looked up by key (OFFSET 0 keeps the LATERAL from being pulled up into
        // a join the planner drove from audit_events: a scan of every event with a case, 41 s a sweep in
        // the SLA bench). The outbox is read only for the events still waiting, which are few.
        const sealed = await selectRows<{ seq: string; id: string; case_id: string; young: boolean; done: boolean }>(
          m,
          `SELECT w.seq::text AS seq, a.id::text AS id, a.case_id, a.occurred_at > now() - make_interval(secs => $4) AS young,
                  f.event_id IS NOT NULL OR st.event_id IS NULL AS done
             FROM audit_seals w
            CROSS JOIN LATERAL (SELECT e.id, e.case_id, e.action, e.occurred_at FROM audit_events e WHERE e.id = w.event_id OFFSET 0) a
             LEFT JOIN case_event_fanouts f ON f.event_id = a.id
             LEFT JOIN case_event_states st ON st.event_id = a.id
            WHERE w.seq > $1 AND w.seq <= $2 AND a.action = ANY($3) AND a.case_id IS NOT NULL
            ORDER BY w.seq`,
          [next, hi, CITIZEN_VISIBLE_ACTIONS, stuckAfterSeconds],
        );
        const waiting = sealed.filter((r) => !r.done && !r.young).map((r) => jobIdPrefix(JobName.CaseEvent) + r.id);
        const queued = new Set(
          waiting.length
            ? (await selectRows<{ job_id: string }>(m, `SELECT job_id FROM outbox WHERE job_id = ANY($1::text[])`, [waiting])).map((r) => r.job_id)
            : [],
        );
        // A fan-out job may still be on its way for an event younger than stuckAfterSeconds: stop there.
        const firstYoung = sealed.findIndex((r) => r.young);
        const scanned = firstYoung === -1 ? sealed : sealed.slice(0, firstYoung);
        for (const e of scanned.filter((r) => !r.done && !queued.has(jobIdPrefix(JobName.CaseEvent) + r.id))) {
          const payload = { caseId: e.case_id, eventId: e.id };
          const jobId = jobIdFor(JobName.CaseEvent, payload);
          // A completed fan-out job would have written the row: one without it lost its work too.
          const outcome = await ensureJob(events, JobName.CaseEvent, payload, { ...jobOptionsFor(JobName.CaseEvent, this.config), jobId }, async () => {
            const f = await selectRow<{ one: number }>(m, `SELECT 1 AS one FROM case_event_fanouts WHERE event_id = $1`, [e.id]);
            return !f;
          });
          if (outcome === 'added' || outcome === 'replaced') fanouts++;
        }
        const open = scanned.find((r) => !r.done);
        const stop = open ?? (firstYoung === -1 ? undefined : sealed[firstYoung]);
        if (stop) {
          next = (BigInt(stop.seq) - 1n).toString();
          break;
        }
        next = hi;
      }
      await execute(
        m,
        `INSERT INTO system_state (key, value) VALUES ($1, to_jsonb($2::text)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [WATERMARK, next],
      );

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
