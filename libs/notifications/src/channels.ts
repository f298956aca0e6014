import { execute, selectRow, Sql } from '@fr/persistence';

/**
 * The channels' rows: notifications own them (a channel is where citizens hear of their cases: its
 * status webhook, its secrets, whether it receives notices). The seed creates them through here;
 * the webhook settings are WebhooksService's.
 */
export async function insertChannels(db: Sql, channels: readonly { code: string; name: string }[]): Promise<void> {
  for (const c of channels) await execute(db, `INSERT INTO channels (code, name) VALUES ($1, $2)`, [c.code, c.name]);
}

/** Whether a channel's status webhook also receives notices; undefined when there is no such channel. */
export async function setChannelNoticesSubscription(db: Sql, channel: string, subscribed: boolean): Promise<{ webhook: boolean } | undefined> {
  return selectRow<{ webhook: boolean }>(db, `UPDATE channels SET notices_subscribed = $2 WHERE code = $1 RETURNING webhook_url IS NOT NULL AS webhook`, [
    channel,
    subscribed,
  ]);
}
