import { lookup } from 'node:dns/promises';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { DataSource, EntityManager } from 'typeorm';
import { UnrecoverableError } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { UnprocessableError } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { ADVISORY_LOCK, execute, fanOutLockSql, selectRow, selectRows, Sql, transactionBegunWith, writeOutboxMany } from '@fr/persistence';
import { deliveryRetryDelay, jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Clock, SlaService } from '@fr/sla';
import { firstInternalAddress, isAllowListed } from './address-policy';
import { postWebhook, ReceiverGone } from './webhook-transport';
import {
  CASE_EVENT_COLUMNS,
  CASE_EVENT_JOINS,
  CaseEventRow,
  caseStatusPayload,
  currentPayload,
  DeliveryPayload,
  escalationPayloads,
  ForeignPayload,
  EscalationPayload,
} from './delivery-payloads';
import { signingSecrets, webhookMessageId, webhookSignature } from './webhook-signature';

export const WEBHOOK_EVENTS = ['escalation', 'case.status', 'notice', 'compliance', 'privacy.request'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Refuses URLs that are not http(s) or that resolve to internal addresses, unless allow-listed. */
export async function assertDeliverableUrl(raw: string, allowHosts: string[]): Promise<URL> {
  // The URL parser drops tabs and line breaks and trims spaces without a word: "…/h\r\nX: y" was stored as
  // "…/hX:%20y", an address the sender never gave. Refused, saying where.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const blank = /[\s\u0000-\u001f\u007f-\u009f]/u.exec(raw);
  if (blank) {
    const at = `U+${blank[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at position ${[...raw.slice(0, blank.index)].length + 1}`;
    throw new UnprocessableError(`url must not contain spaces, tabs, line breaks or control characters (${at}): percent-encode them or remove them`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnprocessableError(`url '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnprocessableError('url must use http or https');
  if (url.username || url.password) throw new UnprocessableError('url must not carry credentials; use the secret for signing');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isAllowListed(url, allowHosts)) return url;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UnprocessableError(`url host '${host}' does not resolve`);
  }
  const internal = firstInternalAddress(addresses);
  if (internal) {
    throw new UnprocessableError(
      `url host '${host}' resolves to the internal address ${internal}; allow it with FR_WEBHOOK_ALLOW_HOSTS (host or host:port) if that is intended`,
    );
  }
  return url;
}

/** A delivery to make: by which means, to whom, of which event; e-mail may wait for office hours. */
interface Wanted {
  kind: 'webhook' | 'email' | 'channel';
  target: string;
  key: string;
  notBefore: Date | null;
  /** Frozen now, sent unchanged by every attempt. */
  payload: DeliveryPayload;
}

/**
 * What an event another library owns says when delivered (notices, compliance alerts): that library
 * registers a builder for its event keys' kind (the part before the first dot), so this class stays
 * the one sender and signer of every delivery. It is called in the transaction that records the event
 * (`db`), and what it returns is frozen on the deliveries. Payloads carry no citizen's data.
 */
export type DeliveryPayloadBuilder = (id: string, db: Sql) => Promise<ForeignPayload>;

/** An event of another library to deliver: to the webhooks subscribed to `event`, to channels, to officers by e-mail. */
export interface Announcement {
  event: ForeignPayload['event'];
  /** `<kind>.<id>`, the kind having a registered payload builder. */
  key: string;
  channels?: readonly string[];
  emailOfficers?: readonly string[];
}

/**
 * A failed attempt of a delivery that will be tried again, with its number as the row counts them: the
 * queue's backoff takes the wait from it (DeliveriesProcessor), so a job added again after a wipe goes
 * on with the schedule where the row left it, not from its first step.
 */
export class DeliveryAttemptFailed extends Error {
  constructor(
    message: string,
    readonly attempt: number,
  ) {
    super(message);
    this.name = 'DeliveryAttemptFailed';
  }
}

interface DeliveryRow {
  id: string;
  kind: 'webhook' | 'email' | 'channel';
  target: string;
  event_key: string;
  status: string;
  attempts: number;
  message_id: string;
  payload: DeliveryPayload | null;
}

interface EndpointRow {
  url: string | null;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

interface ClaimedEventRow extends CaseEventRow {
  channel: string | null;
  webhook_url: string | null;
  hooks: string[];
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
  private readonly builders = new Map<string, DeliveryPayloadBuilder>();

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onModuleDestroy() {
    this.mailer?.close();
  }

  /** Called in the transaction that records escalations and their inbox notifications. */
  async escalationsRecorded(m: EntityManager, escalationIds: readonly string[]): Promise<void> {
    const targets: Omit<Wanted, 'payload'>[] = [];
    if (this.config.smtpUrl) {
      const now = this.clock.now();
      const notBefore = this.config.holdEmailOutsideOfficeHours && !this.sla.calendar.isWorkingTime(now) ? this.sla.calendar.nextOpening(now) : null;
      const recipients = await selectRows<{ escalation_id: string; officer_id: string }>(
        m,
        `SELECT n.escalation_id::text AS escalation_id, n.officer_id FROM notifications n JOIN officers o ON o.id = n.officer_id
          WHERE n.escalation_id = ANY($1::bigint[]) AND o.email IS NOT NULL AND o.email <> '' ORDER BY n.escalation_id, n.officer_id`,
        [escalationIds],
      );
      for (const r of recipients) targets.push({ kind: 'email', target: r.officer_id, key: `escalation.${r.escalation_id}`, notBefore });
    }
    const hooks = await this.subscribers(m, 'escalation');
    for (const id of escalationIds) for (const hook of hooks) targets.push({ kind: 'webhook', target: hook, key: `escalation.${id}`, notBefore: null });
    if (targets.length === 0) return;
    // Read in this transaction: what the escalation says is what it was when it fired.
    const payloads = await escalationPayloads(m, escalationIds);
    const wanted = targets.flatMap((t) => {
      const payload: EscalationPayload | undefined = payloads.get(t.key.slice('escalation.'.length));
      return payload ? [{ ...t, payload }] : [];
    });
    await this.enqueue(m, wanted);
  }

  /**
   * The fan-out of many case events in one transaction (a routing batch announces one per case):
   * claiming the events, reading their channels and the subscribers is one statement, the deliveries
   * and their jobs two more when there are any. Returns the new deliveries per event, in order; an
   * event fanned out before gets 0.
   *
   * The events' cases are locked against an erasure of personal data (shared) before the claim reads
   * them, by a statement sent with BEGIN (no round trip added): the claim reads what an erasure left, or
   * the erasure waits for this commit and cleans these deliveries too (case-erasure-locks.ts).
   */
  async caseEvents(events: readonly { caseId: string; eventId: string }[]): Promise<number[]> {
    if (events.length === 0) return [];
    return transactionBegunWith(this.ds, fanOutLockSql(events.map((e) => e.eventId)), async (m) => {
      // Every part of one statement sees the same snapshot: the SELECT still reads the frozen states
      // that `done` removes (they are copied into the deliveries below and needed no more).
      const claimed = await selectRows<ClaimedEventRow>(
        m,
        `WITH ev AS (SELECT DISTINCT ON (event_id) event_id, case_id FROM unnest($1::bigint[], $2::uuid[]) AS ev(event_id, case_id)),
              fresh AS (INSERT INTO case_event_fanouts (event_id) SELECT event_id FROM ev ON CONFLICT DO NOTHING RETURNING event_id),
              done AS (DELETE FROM case_event_states WHERE event_id IN (SELECT event_id FROM fresh))
         SELECT ${CASE_EVENT_COLUMNS}, ch.code AS channel, ch.webhook_url,
                ARRAY(SELECT id::text FROM webhooks WHERE active AND $3 = ANY(events) ORDER BY id) AS hooks
           FROM fresh JOIN audit_events a ON a.id = fresh.event_id ${CASE_EVENT_JOINS}
           LEFT JOIN channels ch ON ch.code = c.channel_code`,
        [events.map((e) => e.eventId), events.map((e) => e.caseId), 'case.status' satisfies WebhookEvent],
      );
      const wanted: Wanted[] = [];
      for (const c of claimed) {
        const key = `case-event.${c.event_id}`;
        if (c.webhook_url) wanted.push({ kind: 'channel', target: c.channel!, key, notBefore: null, payload: caseStatusPayload(c, 'channel') });
        if (c.hooks.length === 0) continue;
        const payload = caseStatusPayload(c, 'subscriber');
        for (const hook of c.hooks) wanted.push({ kind: 'webhook', target: hook, key, notBefore: null, payload });
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

  registerPayload(kind: string, build: DeliveryPayloadBuilder): void {
    this.builders.set(kind, build);
  }

  /** Called in the transaction that records the event; returns how many deliveries it made. */
  async announce(m: EntityManager, a: Announcement): Promise<number> {
    const kind = a.key.slice(0, a.key.indexOf('.'));
    const build = this.builders.get(kind);
    if (!build) throw new Error(`no delivery payload builder for '${kind}' events`);
    const targets: Omit<Wanted, 'payload'>[] = [];
    for (const hook of await this.subscribers(m, a.event)) targets.push({ kind: 'webhook', target: hook, key: a.key, notBefore: null });
    for (const channel of a.channels ?? []) targets.push({ kind: 'channel', target: channel, key: a.key, notBefore: null });
    if (this.config.smtpUrl && a.emailOfficers?.length) {
      const now = this.clock.now();
      const notBefore = this.config.holdEmailOutsideOfficeHours && !this.sla.calendar.isWorkingTime(now) ? this.sla.calendar.nextOpening(now) : null;
      const withEmail = await selectRows<{ id: string }>(
        m,
        `SELECT id FROM officers WHERE id = ANY($1::uuid[]) AND active AND email IS NOT NULL AND email <> '' ORDER BY id`,
        [a.emailOfficers],
      );
      for (const o of withEmail) targets.push({ kind: 'email', target: o.id, key: a.key, notBefore });
    }
    if (targets.length === 0) return 0;
    const payload = await build(a.key.slice(kind.length + 1), m);
    return (
      await this.enqueue(
        m,
        targets.map((t) => ({ ...t, payload })),
      )
    ).length;
  }

  /**
   * The webhooks owed this transaction's event: those registered or enabled before it commits. The
   * receivers' lock, shared here and exclusive while a webhook is registered or enabled, orders the
   * two; the function reads after the lock is granted (migration 1766900000001 says why a plain
   * SELECT in this statement's snapshot could miss a webhook).
   */
  private async subscribers(m: EntityManager, event: WebhookEvent): Promise<string[]> {
    const row = await selectRow<{ hooks: string[] }>(m, `SELECT webhook_subscribers($1, $2) AS hooks`, [ADVISORY_LOCK.caseEventReceivers, event]);
    return row?.hooks ?? [];
  }

  /** A row and a job per wanted delivery not made before; returns the event key of each new one. */
  private async enqueue(m: EntityManager, wanted: readonly Wanted[]): Promise<string[]> {
    if (wanted.length === 0) return [];
    const rows = await selectRows<{ id: string; event_key: string; not_before: Date | null }>(
      m,
      `INSERT INTO deliveries (kind, target, event_key, not_before, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
       ON CONFLICT ON CONSTRAINT deliveries_uq DO NOTHING RETURNING id, event_key, not_before`,
      [
        wanted.map((w) => w.kind),
        wanted.map((w) => w.target),
        wanted.map((w) => w.key),
        wanted.map((w) => w.notBefore),
        wanted.map((w) => JSON.stringify(w.payload)),
      ],
    );
    const now = this.clock.now().getTime();
    await writeOutboxMany(
      m,
      rows.map((r) => {
        const payload = { deliveryId: String(r.id) };
        const delayMs = r.not_before ? Math.max(0, Math.round(new Date(r.not_before).getTime() - now)) : 0;
        return { queue: QUEUE_OF[JobName.Deliver], name: JobName.Deliver, jobId: jobIdFor(JobName.Deliver, payload), payload, delayMs };
      }),
    );
    return rows.map((r) => r.event_key);
  }

  /**
   * Sends one delivery; throws to let the queue retry. The attempt is the last when the queue says so
   * (`final`) or when the row has counted `maxAttempts`: a job added again after a wiped Redis starts
   * BullMQ's count afresh, and every wipe gave a receiver that was down a new set of attempts, the first
   * at once. A failed attempt that will be retried keeps when the next is due in `not_before`, which
   * the reconciler waits for when it adds the job again.
   */
  async send(deliveryId: string, final: boolean, maxAttempts?: number): Promise<'delivered' | 'skipped' | 'gone'> {
    const d = await selectRow<DeliveryRow>(
      this.ds,
      `SELECT id::text AS id, kind, target, event_key, status, attempts, message_id::text AS message_id, payload FROM deliveries WHERE id = $1`,
      [deliveryId],
    );
    if (!d || d.status === 'delivered') {
      this.metrics.deliveries.inc({ kind: d?.kind ?? 'unknown', outcome: 'skipped' });
      return 'skipped';
    }
    try {
      const payload = d.payload ?? (await currentPayload(this.ds, d.event_key, d.kind === 'channel' ? 'channel' : 'subscriber'));
      if (!payload) throw new Error(`the event ${d.event_key} no longer exists`);
      if (d.kind === 'email') await this.sendEmail(d, payload);
      else await this.callWebhook(d, payload);
      await execute(this.ds, `UPDATE deliveries SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, [
        deliveryId,
      ]);
      this.metrics.deliveries.inc({ kind: d.kind, outcome: 'delivered' });
      return 'delivered';
    } catch (e) {
      if (e instanceof ReceiverGone) return this.gone(d);
      const message = (e as Error).message.slice(0, 500);
      const attempt = d.attempts + 1;
      const last = final || (maxAttempts !== undefined && attempt >= maxAttempts);
      const retryInMs = last ? null : deliveryRetryDelay(attempt, this.config.deliveryRetryDelaysMs, () => 0);
      await execute(
        this.ds,
        `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, status = $3,
                not_before = CASE WHEN $4::bigint IS NULL THEN not_before ELSE now() + make_interval(secs => $4::bigint / 1000.0) END
          WHERE id = $1`,
        [deliveryId, message, last ? 'failed' : 'pending', retryInMs],
      );
      this.metrics.deliveries.inc({ kind: d.kind, outcome: last ? 'failed' : 'retrying' });
      if (last) {
        this.logger.warn(`delivery ${deliveryId} (${d.kind}) failed for good: ${message}`);
        // No retry left by the row's count, whatever the queue's own count says.
        throw new UnrecoverableError(message);
      }
      throw new DeliveryAttemptFailed((e as Error).message, attempt);
    }
  }

  /**
   * The receiver answered 410 Gone: no more attempts of this delivery, and a subscription is disabled
   * (Standard Webhooks: the endpoint asks to be removed), so later events are not sent to it either;
   * an admin turns it back on. A channel's webhook is the channel's configuration and stays; only this
   * delivery fails.
   */
  private async gone(d: DeliveryRow): Promise<'gone'> {
    const disabled = d.kind === 'webhook';
    const message = `the receiver answered 410 Gone${disabled ? '; the subscription was disabled' : ''}`;
    await this.ds.transaction(async (m) => {
      await execute(m, `UPDATE deliveries SET attempts = attempts + 1, last_error = $2, status = 'failed' WHERE id = $1`, [d.id, message]);
      if (disabled) await execute(m, `UPDATE webhooks SET active = false WHERE id = $1`, [d.target]);
    });
    this.metrics.deliveries.inc({ kind: d.kind, outcome: 'failed' });
    this.logger.warn(`delivery ${d.id} (${d.kind}): ${message}`);
    return 'gone';
  }

  private async callWebhook(d: DeliveryRow, payload: DeliveryPayload): Promise<void> {
    const hook =
      d.kind === 'channel'
        ? await selectRow<EndpointRow>(
            this.ds,
            `SELECT webhook_url AS url, webhook_secret AS secret, webhook_previous_secret AS previous_secret,
                    webhook_previous_secret_expires_at AS previous_secret_expires_at FROM channels WHERE code = $1`,
            [d.target],
          )
        : await selectRow<EndpointRow>(this.ds, `SELECT url, secret, previous_secret, previous_secret_expires_at FROM webhooks WHERE id = $1 AND active`, [
            d.target,
          ]);
    if (!hook?.url) throw new Error('the webhook no longer exists or is disabled');
    if (!hook.secret) throw new Error('the webhook has no secret to sign with');
    // Checked again at send time: a name that resolved outside may now resolve inside.
    await assertDeliverableUrl(hook.url, this.config.webhookAllowHosts);
    const body = JSON.stringify(payload);
    const id = webhookMessageId(d.message_id);
    // The receiver compares webhook-timestamp with its own clock to refuse replays: it is the real
    // time of this attempt, not the engine's (injectable) domain clock.
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = signingSecrets(hook.secret, hook.previous_secret, hook.previous_secret_expires_at, this.clock.now());
    await postWebhook(
      new URL(hook.url),
      {
        'Content-Type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(secrets, id, timestamp, body),
      },
      body,
      { timeoutMs: this.config.webhookTimeoutMs, allowHosts: this.config.webhookAllowHosts },
    );
  }

  private async sendEmail(d: DeliveryRow, payload: DeliveryPayload): Promise<void> {
    const o = await selectRow<{ email: string | null }>(this.ds, `SELECT email FROM officers WHERE id = $1 AND active`, [d.target]);
    if (!o?.email) throw new Error('the officer has no e-mail address or is disabled');
    if (payload.event === 'case.status' || payload.event === 'notice') throw new Error(`e-mail is not sent for ${payload.event} events`);
    if (!this.mailer) this.mailer = createTransport(this.config.smtpUrl!);
    await this.mailer.sendMail({
      from: this.config.mailFrom,
      to: o.email,
      subject: payload.title,
      text: payload.event === 'escalation' ? `${payload.body}\n\nMã hồ sơ: ${payload.trackingCode}\n` : `${payload.body}\n`,
      headers: { 'X-Event-Key': d.event_key },
    });
  }
}
