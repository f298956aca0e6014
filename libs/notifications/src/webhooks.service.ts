import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ConflictError, NotFoundError, UnprocessableError } from '@fr/domain';
import { ADVISORY_LOCK, advisoryXactLock, execute, selectRow, selectRows, writeAuditEvent, writeOutbox } from '@fr/persistence';
import { jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Clock } from '@fr/sla';
import { assertDeliverableUrl, WEBHOOK_EVENTS, WebhookEvent } from './deliveries';
import { generateWebhookSecret, webhookMessageId, webhookSecretProblem } from './webhook-signature';

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: string;
  /** While a rotation's overlap lasts, deliveries are signed with the previous secret too, until then. */
  previousSecretExpiresAt: string | null;
  deliveries: { delivered: number; pending: number; failed: number; lastError: string | null };
}

/** The secret, shown once: when the engine generated it. */
export interface RegisteredWebhook extends WebhookView {
  secret?: string;
}

export interface ChannelWebhookView {
  channel: string;
  url: string | null;
  /** Shown once, when this call generated it; null otherwise (secrets are never shown again). */
  secret: string | null;
}

export interface SecretRotation {
  secret: string;
  previousSecretExpiresAt: string;
}

export type WebhookTarget = { kind: 'webhook'; id: string } | { kind: 'channel'; code: string };

/** One week: longer than any receiver's deployment cycle, short enough that a leaked key dies. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  created_at: Date;
  previous_secret_expires_at: Date | null;
  delivered: number;
  pending: number;
  failed: number;
  last_error: string | null;
}

interface DeliveryListRow {
  id: string;
  event_key: string;
  message_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/**
 * Webhook subscriptions (ADMIN) and the channels' own status webhooks. Secrets are shown once, when
 * generated. A webhook registered or enabled, or a channel's webhook set, receives the case events
 * that commit after it: writers skip the fan-out of a case event nobody can receive, and these changes
 * take the receivers' lock exclusively, waiting for writers in flight (case-event-states.ts).
 */
@Injectable()
export class Webhooks {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(actorId: string, input: { url: string; events: string[]; secret?: string }): Promise<RegisteredWebhook> {
    const bad = input.events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (bad.length) throw new UnprocessableError(`unknown event(s) ${bad.join(', ')}; known: ${WEBHOOK_EVENTS.join(', ')}`);
    const secret = this.chosenOrNewSecret(input.secret);
    const url = await assertDeliverableUrl(input.url, this.config.webhookAllowHosts);
    const id = await this.ds.transaction(async (m) => {
      await advisoryXactLock(m, ADVISORY_LOCK.caseEventReceivers);
      // A second subscription of the same URL to the same event (a retried request, a double click)
      // would deliver each such event twice; under the receivers' lock, two such requests cannot both pass.
      const twin = await selectRow<{ id: string; shared: string[] }>(
        m,
        `SELECT id::text AS id, ARRAY(SELECT unnest(events) INTERSECT SELECT unnest($2::text[]) ORDER BY 1) AS shared
           FROM webhooks WHERE active AND url = $1 AND events && $2::text[] ORDER BY created_at LIMIT 1`,
        [url.toString(), input.events],
      );
      if (twin) {
        throw new ConflictError(
          `webhook ${twin.id} already sends ${twin.shared.join(', ')} to this URL: each would be delivered twice; pause that subscription (PUT /v1/webhooks/${twin.id}/state) or subscribe other events`,
        );
      }
      const row = await selectRow<{ id: string }>(m, `INSERT INTO webhooks (url, events, secret, created_by) VALUES ($1, $2, $3, $4) RETURNING id`, [
        url.toString(),
        [...new Set(input.events)] as WebhookEvent[],
        secret,
        actorId,
      ]);
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${actorId}`,
        action: 'webhook_registered',
        data: { webhookId: row!.id, url: url.origin, events: input.events },
      });
      return row!.id;
    });
    const view = (await this.list()).find((w) => w.id === id)!;
    return input.secret === undefined ? { ...view, secret } : view;
  }

  async list(): Promise<WebhookView[]> {
    const rows = await selectRows<WebhookRow>(
      this.ds,
      `SELECT w.id, w.url, w.events, w.active, w.created_at,
              CASE WHEN w.previous_secret_expires_at > $1 THEN w.previous_secret_expires_at END AS previous_secret_expires_at,
              count(d.id) FILTER (WHERE d.status = 'delivered')::int AS delivered,
              count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
              count(d.id) FILTER (WHERE d.status = 'failed')::int AS failed,
              (SELECT last_error FROM deliveries x WHERE x.kind = 'webhook' AND x.target = w.id::text AND x.last_error IS NOT NULL
                ORDER BY x.id DESC LIMIT 1) AS last_error
         FROM webhooks w LEFT JOIN deliveries d ON d.kind = 'webhook' AND d.target = w.id::text
        GROUP BY w.id ORDER BY w.created_at`,
      [this.clock.now()],
    );
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      events: r.events,
      active: r.active,
      createdAt: new Date(r.created_at).toISOString(),
      previousSecretExpiresAt: r.previous_secret_expires_at ? new Date(r.previous_secret_expires_at).toISOString() : null,
      deliveries: { delivered: r.delivered, pending: r.pending, failed: r.failed, lastError: r.last_error },
    }));
  }

  async deliveries(webhookId: string, status?: string) {
    const hook = await selectRow<{ id: string }>(this.ds, `SELECT id FROM webhooks WHERE id::text = $1`, [webhookId]);
    if (!hook) throw new NotFoundError('webhook', webhookId);
    const rows = await selectRows<DeliveryListRow>(
      this.ds,
      `${DELIVERY_SELECT}
        WHERE kind = 'webhook' AND target = $1 AND ($2::text IS NULL OR status = $2) ORDER BY deliveries.id DESC LIMIT 200`,
      [webhookId, status ?? null],
    );
    return rows.map(deliveryView);
  }

  /**
   * Sends a finished delivery again (one that failed for good, e.g. while the receiver was down past
   * the retry schedule, or one the receiver lost): back to pending with a fresh set of attempts, under
   * the same webhook-id, so a receiver that did process it deduplicates it. The worker puts its job
   * back in the queue (JobName.Redeliver, through the outbox: nothing is lost if Redis is down).
   */
  async redeliver(actorId: string, webhookId: string, deliveryId: string) {
    const requestedAt = this.clock.now().getTime();
    await this.ds.transaction(async (m) => {
      const hook = await selectRow<{ active: boolean }>(m, `SELECT active FROM webhooks WHERE id::text = $1`, [webhookId]);
      if (!hook) throw new NotFoundError('webhook', webhookId);
      const d = /^\d{1,18}$/.test(deliveryId)
        ? await selectRow<{ status: string }>(m, `SELECT status FROM deliveries WHERE id = $1::bigint AND kind = 'webhook' AND target = $2 FOR UPDATE`, [
            deliveryId,
            webhookId,
          ])
        : undefined;
      if (!d) throw new NotFoundError('delivery', deliveryId);
      if (!hook.active) throw new ConflictError('the webhook is paused: resume it (PUT /v1/webhooks/{id}/state) before sending a delivery again');
      if (d.status === 'pending') throw new ConflictError('the delivery is still being attempted: it can be sent again once it is delivered or has failed');
      await execute(
        m,
        `UPDATE deliveries SET status = 'pending', attempts = 0, last_error = NULL, delivered_at = NULL, not_before = NULL WHERE id = $1::bigint`,
        [deliveryId],
      );
      const payload = { deliveryId, requestedAt };
      await writeOutbox(m, { queue: QUEUE_OF[JobName.Redeliver], name: JobName.Redeliver, jobId: jobIdFor(JobName.Redeliver, payload), payload });
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: 'webhook_redelivery', data: { webhookId, deliveryId, was: d.status } });
    });
    const row = await selectRow<DeliveryListRow>(this.ds, `${DELIVERY_SELECT} WHERE id = $1::bigint`, [deliveryId]);
    return deliveryView(row!);
  }

  async setActive(actorId: string, webhookId: string, active: boolean): Promise<void> {
    await this.ds.transaction(async (m) => {
      if (active) await advisoryXactLock(m, ADVISORY_LOCK.caseEventReceivers);
      const affected = await execute(m, `UPDATE webhooks SET active = $2 WHERE id::text = $1`, [webhookId, active]);
      if (!affected) throw new NotFoundError('webhook', webhookId);
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: active ? 'webhook_enabled' : 'webhook_disabled', data: { webhookId } });
    });
  }

  /**
   * A channel's status webhook: where citizens' channels hear of changes to their cases. A URL
   * without a secret keeps the channel's secret, or gets a generated one (returned once); a chosen
   * secret replaces the current one at once (use rotateSecret for an overlap); a null URL removes
   * the webhook and its secrets.
   */
  async setChannelWebhook(actorId: string, channel: string, input: { url: string | null; secret?: string }): Promise<ChannelWebhookView> {
    const url = input.url ? (await assertDeliverableUrl(input.url, this.config.webhookAllowHosts)).toString() : null;
    if (!url && input.secret !== undefined) throw new UnprocessableError('secret is given without a url: a null url removes the webhook and its secrets');
    const chosen = input.secret === undefined ? null : this.chosenOrNewSecret(input.secret);
    return this.ds.transaction(async (m) => {
      if (url) await advisoryXactLock(m, ADVISORY_LOCK.caseEventReceivers);
      const current = await selectRow<{ webhook_secret: string | null }>(m, `SELECT webhook_secret FROM channels WHERE code = $1 FOR UPDATE`, [channel]);
      if (!current) throw new NotFoundError('channel', channel);
      const generated = url && !chosen && !current.webhook_secret ? generateWebhookSecret() : null;
      const secret = url ? (chosen ?? generated ?? current.webhook_secret) : null;
      const replaced = !url || chosen !== null;
      await execute(
        m,
        `UPDATE channels SET webhook_url = $2, webhook_secret = $3,
                webhook_previous_secret = CASE WHEN $4 THEN NULL ELSE webhook_previous_secret END,
                webhook_previous_secret_expires_at = CASE WHEN $4 THEN NULL ELSE webhook_previous_secret_expires_at END
          WHERE code = $1`,
        [channel, url, secret, replaced],
      );
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${actorId}`,
        action: 'channel_webhook_set',
        data: { channel, url: url ? new URL(url).origin : null, secret: chosen ? 'chosen' : generated ? 'generated' : url ? 'kept' : 'removed' },
      });
      return { channel, url, secret: generated };
    });
  }

  /**
   * A new generated secret; the current one keeps signing beside it until the overlap ends, so
   * receivers can switch at their own pace. Rotating again during an overlap ends the earlier one.
   */
  async rotateSecret(actorId: string, target: WebhookTarget, overlapSeconds = DEFAULT_ROTATION_OVERLAP_SECONDS): Promise<SecretRotation> {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
      throw new UnprocessableError(`overlapSeconds must be a whole number from 0 to ${MAX_ROTATION_OVERLAP_SECONDS} (7 days)`);
    }
    const secret = generateWebhookSecret();
    const expiresAt = new Date(this.clock.now().getTime() + overlapSeconds * 1000);
    await this.ds.transaction(async (m) => {
      // Only a webhook that has a secret can rotate it: a channel without a URL has nothing to sign.
      const affected =
        target.kind === 'webhook'
          ? await execute(m, `UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $2, secret = $3 WHERE id::text = $1`, [
              target.id,
              expiresAt,
              secret,
            ])
          : await execute(
              m,
              `UPDATE channels SET webhook_previous_secret = webhook_secret, webhook_previous_secret_expires_at = $2, webhook_secret = $3
                WHERE code = $1 AND webhook_url IS NOT NULL`,
              [target.code, expiresAt, secret],
            );
      if (!affected) {
        if (target.kind === 'webhook') throw new NotFoundError('webhook', target.id);
        const exists = await selectRow<{ code: string }>(m, `SELECT code FROM channels WHERE code = $1`, [target.code]);
        if (!exists) throw new NotFoundError('channel', target.code);
        throw new UnprocessableError(`channel '${target.code}' has no webhook; set one with PUT /v1/channels/${target.code}/webhook first`);
      }
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${actorId}`,
        action: 'webhook_secret_rotated',
        data: { ...(target.kind === 'webhook' ? { webhookId: target.id } : { channel: target.code }), previousSecretExpiresAt: expiresAt.toISOString() },
      });
    });
    return { secret, previousSecretExpiresAt: expiresAt.toISOString() };
  }

  private chosenOrNewSecret(chosen: string | undefined): string {
    if (chosen === undefined) return generateWebhookSecret();
    const problem = webhookSecretProblem(chosen);
    if (problem) throw new UnprocessableError(problem);
    return chosen;
  }
}

/** A delivery as deliveryView reads it. */
const DELIVERY_SELECT = `SELECT id::text AS id, event_key, message_id::text AS message_id, status, attempts, last_error, created_at, delivered_at FROM deliveries`;

function deliveryView(r: DeliveryListRow) {
  return {
    id: r.id,
    eventKey: r.event_key,
    // The webhook-id header of every attempt: what a receiver logs and deduplicates on.
    messageId: webhookMessageId(r.message_id),
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  };
}
