import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { NotFoundError, UnprocessableError } from '@fr/domain';
import { execute, selectRow, selectRows, writeAuditEvent } from '@fr/persistence';
import { assertDeliverableUrl, WEBHOOK_EVENTS, WebhookEvent } from './deliveries';

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: string;
  deliveries: { delivered: number; pending: number; failed: number; lastError: string | null };
}

export interface WebhookDeliveryView {
  id: string;
  eventKey: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  created_at: Date;
  delivered: number;
  pending: number;
  failed: number;
  last_error: string | null;
}

interface WebhookDeliveryRow {
  id: string;
  event_key: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** Webhook subscriptions (ADMIN) and the channels' own status webhooks. Secrets are never returned. */
@Injectable()
export class Webhooks {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(actorId: string, input: { url: string; events: string[]; secret: string }): Promise<WebhookView> {
    const bad = input.events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (bad.length) throw new UnprocessableError(`unknown event(s) ${bad.join(', ')}; known: ${WEBHOOK_EVENTS.join(', ')}`);
    const url = await assertDeliverableUrl(input.url, this.config.webhookAllowHosts);
    const id = await this.ds.transaction(async (m) => {
      const row = await selectRow<{ id: string }>(m, `INSERT INTO webhooks (url, events, secret, created_by) VALUES ($1, $2, $3, $4) RETURNING id`, [
        url.toString(),
        [...new Set(input.events)] as WebhookEvent[],
        input.secret,
        actorId,
      ]);
      if (!row) throw new Error('INSERT INTO webhooks returned no row');
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: 'webhook_registered', data: { webhookId: row.id, url: url.origin, events: input.events } });
      return row.id;
    });
    return (await this.list()).find((w) => w.id === id)!;
  }

  async list(): Promise<WebhookView[]> {
    const rows = await selectRows<WebhookRow>(
      this.ds,
      `SELECT w.id, w.url, w.events, w.active, w.created_at,
              count(d.id) FILTER (WHERE d.status = 'delivered')::int AS delivered,
              count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
              count(d.id) FILTER (WHERE d.status = 'failed')::int AS failed,
              (SELECT last_error FROM deliveries x WHERE x.kind = 'webhook' AND x.target = w.id::text AND x.last_error IS NOT NULL
                ORDER BY x.id DESC LIMIT 1) AS last_error
         FROM webhooks w LEFT JOIN deliveries d ON d.kind = 'webhook' AND d.target = w.id::text
        GROUP BY w.id ORDER BY w.created_at`,
    );
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      events: r.events,
      active: r.active,
      createdAt: r.created_at.toISOString(),
      deliveries: { delivered: r.delivered, pending: r.pending, failed: r.failed, lastError: r.last_error },
    }));
  }

  async deliveries(webhookId: string, status?: string): Promise<WebhookDeliveryView[]> {
    const hook = await selectRow<{ id: string }>(this.ds, `SELECT id FROM webhooks WHERE id::text = $1`, [webhookId]);
    if (!hook) throw new NotFoundError('webhook', webhookId);
    const rows = await selectRows<WebhookDeliveryRow>(
      this.ds,
      `SELECT id::text AS id, event_key, status, attempts, last_error, created_at, delivered_at FROM deliveries
        WHERE kind = 'webhook' AND target = $1 AND ($2::text IS NULL OR status = $2) ORDER BY id DESC LIMIT 200`,
      [webhookId, status ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      eventKey: r.event_key,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      createdAt: r.created_at.toISOString(),
      deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null,
    }));
  }

  async setActive(actorId: string, webhookId: string, active: boolean): Promise<void> {
    await this.ds.transaction(async (m) => {
      const affected = await execute(m, `UPDATE webhooks SET active = $2 WHERE id::text = $1`, [webhookId, active]);
      if (!affected) throw new NotFoundError('webhook', webhookId);
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: active ? 'webhook_enabled' : 'webhook_disabled', data: { webhookId } });
    });
  }

  /** A channel's status webhook: where citizens' channels hear of changes to their cases. */
  async setChannelWebhook(actorId: string, channel: string, input: { url: string | null; secret?: string }): Promise<void> {
    const url = input.url ? (await assertDeliverableUrl(input.url, this.config.webhookAllowHosts)).toString() : null;
    if (url && !input.secret) throw new UnprocessableError('secret is required with a url: deliveries are signed with it');
    await this.ds.transaction(async (m) => {
      const affected = await execute(m, `UPDATE channels SET webhook_url = $2, webhook_secret = $3 WHERE code = $1`, [
        channel,
        url,
        url ? input.secret : null,
      ]);
      if (!affected) throw new NotFoundError('channel', channel);
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: 'channel_webhook_set', data: { channel, url: url ? new URL(url).origin : null } });
    });
  }
}
