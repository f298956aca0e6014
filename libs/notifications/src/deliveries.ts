import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { UnprocessableError } from '@fr/domain';
import { execute, selectRow, selectRows, writeOutboxMany } from '@fr/persistence';
import { jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Clock, SlaService } from '@fr/sla';
import { isInternalAddress } from './address-policy';

export const WEBHOOK_EVENTS = ['escalation', 'case.status'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Refuses URLs that are not http(s) or that resolve to internal addresses, unless allow-listed. */
export async function assertDeliverableUrl(raw: string, allowHosts: string[]): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnprocessableError(`url '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnprocessableError('url must use http or https');
  if (url.username || url.password) throw new UnprocessableError('url must not carry credentials; use the secret for signing');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowHosts.includes(host)) return url;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UnprocessableError(`url host '${host}' does not resolve`);
  }
  const internal = addresses.find((a) => isInternalAddress(a.address));
  if (internal) {
    throw new UnprocessableError(
      `url host '${host}' resolves to the internal address ${internal.address}; allow it with FR_WEBHOOK_ALLOW_HOSTS if that is intended`,
    );
  }
  return url;
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A delivery to make: by which means, to whom, of which event; e-mail may wait for office hours. */
interface Wanted {
  kind: 'webhook' | 'email' | 'channel';
  target: string;
  key: string;
  notBefore: Date | null;
}

interface WebhookTargetRow {
  url: string | null;
  secret: string | null;
}

interface EscalationPayloadRow {
  id: string;
  case_id: string;
  stage: string;
  level: string;
  due_at: Date;
  fired_at: Date;
  tracking_code: string;
  unit_code: string | null;
  unit_name: string | null;
}

interface CaseEventPayloadRow {
  id: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  occurred_at: Date;
  case_id: string;
  tracking_code: string;
  external_id: string | null;
  status: string;
  unit_code: string | null;
  unit_name: string | null;
  due_at: Date | null;
  answer: string | null;
}

interface DeliveryRow {
  id: string;
  kind: 'webhook' | 'email' | 'channel';
  target: string;
  event_key: string;
  status: string;
}

/**
 * Fan-out of notifications to webhooks and e-mail, and the sending of one delivery. Every delivery
 * is a row (unique per channel, recipient and event) plus a job with the row's id: jobs are
 * idempotent, retried with backoff, and failures stay visible in the table.
 */
@Injectable()
export class Deliveries implements OnModuleDestroy {
  private readonly logger = new Logger(Deliveries.name);
  private mailer: Transporter | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleDestroy() {
    this.mailer?.close();
  }

  /** Called in the transaction that records escalations and their inbox notifications. */
  async escalationsRecorded(m: EntityManager, escalationIds: readonly string[]): Promise<void> {
    const wanted: Wanted[] = [];
    if (this.config.smtpUrl) {
      const now = this.clock.now();
      const notBefore =
        this.config.holdEmailOutsideOfficeHours && !this.sla.calendar.isWorkingTime(now) ? this.sla.calendar.nextOpening(now) : null;
      const recipients = await selectRows<{ escalation_id: string; officer_id: string }>(
        m,
        `SELECT n.escalation_id::text AS escalation_id, n.officer_id FROM notifications n JOIN officers o ON o.id = n.officer_id
          WHERE n.escalation_id = ANY($1::bigint[]) AND o.email IS NOT NULL AND o.email <> '' ORDER BY n.escalation_id, n.officer_id`,
        [escalationIds],
      );
      for (const r of recipients) wanted.push({ kind: 'email', target: r.officer_id, key: `escalation.${r.escalation_id}`, notBefore });
    }
    const hooks = await this.subscribers(m, 'escalation');
    for (const id of escalationIds) for (const hook of hooks) wanted.push({ kind: 'webhook', target: hook, key: `escalation.${id}`, notBefore: null });
    await this.enqueue(m, wanted);
  }

  /**
   * The fan-out of many case events in one transaction (a routing batch announces one per case):
   * claiming the events, reading their channels and the subscribers is one statement, the deliveries
   * and their jobs two more when there are any. Returns the new deliveries per event, in order; an
   * event fanned out before gets 0.
   */
  async caseEvents(events: readonly { caseId: string; eventId: string }[]): Promise<number[]> {
    if (events.length === 0) return [];
    return this.ds.transaction(async (m) => {
      const claimed = await selectRows<{ event_id: string; channel: string | null; webhook_url: string | null; hooks: string[] }>(
        m,
        `WITH ev AS (SELECT DISTINCT ON (event_id) event_id, case_id FROM unnest($1::bigint[], $2::uuid[]) AS ev(event_id, case_id)),
              fresh AS (INSERT INTO case_event_fanouts (event_id) SELECT event_id FROM ev ON CONFLICT DO NOTHING RETURNING event_id)
         SELECT fresh.event_id::text AS event_id, ch.code AS channel, ch.webhook_url,
                ARRAY(SELECT id::text FROM webhooks WHERE active AND $3 = ANY(events) ORDER BY id) AS hooks
           FROM fresh JOIN ev ON ev.event_id = fresh.event_id
           LEFT JOIN cases c ON c.id = ev.case_id LEFT JOIN channels ch ON ch.code = c.channel_code`,
        [events.map((e) => e.eventId), events.map((e) => e.caseId), 'case.status' satisfies WebhookEvent],
      );
      const wanted: Wanted[] = [];
      for (const c of claimed) {
        const key = `case-event.${c.event_id}`;
        if (c.webhook_url) wanted.push({ kind: 'channel', target: c.channel!, key, notBefore: null });
        for (const hook of c.hooks) wanted.push({ kind: 'webhook', target: hook, key, notBefore: null });
      }
      const made = await this.enqueue(m, wanted);
      const perEvent = new Map<string, number>();
      for (const key of made) perEvent.set(key, (perEvent.get(key) ?? 0) + 1);
      const counted = new Set<string>();
      return events.map((e) => {
        // The same event twice in a batch: its deliveries are counted once.
        if (counted.has(e.eventId)) return 0;
        counted.add(e.eventId);
        return perEvent.get(`case-event.${e.eventId}`) ?? 0;
      });
    });
  }

  private async subscribers(m: EntityManager, event: WebhookEvent): Promise<string[]> {
    const hooks = await selectRows<{ id: string }>(m, `SELECT id::text AS id FROM webhooks WHERE active AND $1 = ANY(events) ORDER BY id`, [event]);
    return hooks.map((h) => h.id);
  }

  /** A row and a job per wanted delivery not made before; returns the event key of each new one. */
  private async enqueue(m: EntityManager, wanted: readonly Wanted[]): Promise<string[]> {
    if (wanted.length === 0) return [];
    const rows = await selectRows<{ id: string; event_key: string; not_before: Date | null }>(
      m,
      `INSERT INTO deliveries (kind, target, event_key, not_before)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
       ON CONFLICT ON CONSTRAINT deliveries_uq DO NOTHING RETURNING id::text AS id, event_key, not_before`,
      [wanted.map((w) => w.kind), wanted.map((w) => w.target), wanted.map((w) => w.key), wanted.map((w) => w.notBefore)],
    );
    const now = this.clock.now().getTime();
    await writeOutboxMany(
      m,
      rows.map((r) => {
        const payload = { deliveryId: r.id };
        const delayMs = r.not_before ? Math.max(0, Math.round(r.not_before.getTime() - now)) : 0;
        return { queue: QUEUE_OF[JobName.Deliver], name: JobName.Deliver, jobId: jobIdFor(JobName.Deliver, payload), payload, delayMs };
      }),
    );
    return rows.map((r) => r.event_key);
  }

  /** Sends one delivery; throws to let the queue retry. `final` marks the last attempt. */
  async send(deliveryId: string, final: boolean): Promise<'delivered' | 'skipped'> {
    const d = await selectRow<DeliveryRow>(this.ds, `SELECT id::text AS id, kind, target, event_key, status FROM deliveries WHERE id = $1`, [deliveryId]);
    if (!d || d.status === 'delivered') return 'skipped';
    try {
      if (d.kind === 'email') await this.sendEmail(d);
      else await this.callWebhook(d);
      await execute(
        this.ds,
        `UPDATE deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`,
        [deliveryId],
      );
      return 'delivered';
    } catch (e) {
      const message = (e as Error).message.slice(0, 500);
      await execute(this.ds, `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, status = $3 WHERE id = $1`, [
        deliveryId,
        message,
        final ? 'failed' : 'pending',
      ]);
      if (final) this.logger.warn(`delivery ${deliveryId} (${d.kind}) failed for good: ${message}`);
      throw e;
    }
  }

  private async callWebhook(d: DeliveryRow): Promise<void> {
    const hook =
      d.kind === 'channel'
        ? await selectRow<WebhookTargetRow>(this.ds, `SELECT webhook_url AS url, webhook_secret AS secret FROM channels WHERE code = $1`, [d.target])
        : await selectRow<WebhookTargetRow>(this.ds, `SELECT url, secret FROM webhooks WHERE id = $1 AND active`, [d.target]);
    if (!hook?.url) throw new Error('the webhook no longer exists or is disabled');
    // Checked again at send time: a name that resolved outside may now resolve inside.
    await assertDeliverableUrl(hook.url, this.config.webhookAllowHosts);
    const body = JSON.stringify(await this.payload(d.event_key));
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Signature': signature(hook.secret ?? '', body),
        'X-Event-Key': d.event_key,
        'X-Delivery-Id': d.id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    if (res.status < 200 || res.status >= 300) throw new Error(`the receiver answered ${res.status}`);
  }

  private async sendEmail(d: DeliveryRow): Promise<void> {
    const o = await selectRow<{ email: string | null }>(this.ds, `SELECT email FROM officers WHERE id = $1 AND active`, [d.target]);
    if (!o?.email) throw new Error('the officer has no e-mail address or is disabled');
    const p = await this.payload(d.event_key);
    if (!this.mailer) this.mailer = createTransport(this.config.smtpUrl!);
    await this.mailer.sendMail({
      from: this.config.mailFrom,
      to: o.email,
      subject: p.title as string,
      text: `${p.body}\n\nMã hồ sơ: ${p.trackingCode}\n`,
      headers: { 'X-Event-Key': d.event_key },
    });
  }

  /** What a delivery says: ids, tracking code, unit, state and deadlines; never the citizen's data. */
  private async payload(key: string): Promise<Record<string, unknown>> {
    const [kind, id] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
    if (kind === 'escalation') {
      const e = await selectRow<EscalationPayloadRow>(
        this.ds,
        `SELECT e.id::text AS id, e.case_id, e.stage, e.level, e.due_at, e.fired_at, c.tracking_code, c.unit_code, u.name AS unit_name
           FROM escalations e JOIN cases c ON c.id = e.case_id LEFT JOIN units u ON u.code = c.unit_code WHERE e.id = $1`,
        [id],
      );
      if (!e) throw new Error(`escalation ${id} no longer exists`);
      const n = await selectRow<{ title: string; body: string }>(this.ds, `SELECT title, body FROM notifications WHERE escalation_id = $1 ORDER BY id LIMIT 1`, [id]);
      return {
        event: 'escalation',
        escalationId: e.id,
        caseId: e.case_id,
        trackingCode: e.tracking_code,
        unit: e.unit_code ? { code: e.unit_code, name: e.unit_name } : null,
        stage: e.stage,
        level: e.level,
        dueAt: e.due_at.toISOString(),
        firedAt: e.fired_at.toISOString(),
        title: n?.title ?? `Escalation level ${e.level}`,
        body: n?.body ?? '',
      };
    }
    const e = await selectRow<CaseEventPayloadRow>(
      this.ds,
      `SELECT a.id::text AS id, a.action, a.from_state, a.to_state, a.occurred_at, c.id AS case_id, c.tracking_code, c.external_id, c.status,
              c.unit_code, u.name AS unit_name, c.due_at, c.answer
         FROM audit_events a JOIN cases c ON c.id = a.case_id LEFT JOIN units u ON u.code = c.unit_code WHERE a.id = $1`,
      [id],
    );
    if (!e) throw new Error(`audit event ${id} of a case no longer exists`);
    return {
      event: 'case.status',
      eventId: e.id,
      caseId: e.case_id,
      trackingCode: e.tracking_code,
      externalId: e.external_id,
      action: e.action,
      from: e.from_state,
      to: e.to_state,
      status: e.status,
      unit: e.unit_code ? { code: e.unit_code, name: e.unit_name } : null,
      dueAt: e.due_at ? e.due_at.toISOString() : null,
      answer: e.status === 'resolved' || e.status === 'closed' ? e.answer : null,
      at: e.occurred_at.toISOString(),
    };
  }
}
