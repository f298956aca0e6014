import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, channelKey } from '@fr/config';
import { selectRows } from '@fr/persistence';

const variable = (channel: string) => `FR_KEY_${channel.toUpperCase()}`;

/**
 * What the environment's channel keys leave unusable, said when the API starts. Production started
 * with no FR_KEY_<CHANNEL> at all, or with a misspelt one (FR_KEY_IHANIO), reported itself healthy
 * and refused every submission as "invalid X-Api-Key". There it refuses to start when no active channel
 * has a key, or when a key names no channel while an active channel has none; elsewhere (development
 * keys stand in) it warns.
 */
export async function checkChannelKeys(ds: DataSource, config: AppConfig, logger = new Logger('ChannelKeys')): Promise<void> {
  const channels = await selectRows<{ code: string; active: boolean }>(ds, `SELECT code, active FROM channels ORDER BY code`);
  const known = new Set(channels.map((c) => c.code));
  const named = [...new Set([...Object.keys(config.channelKeys), ...Object.keys(config.previousChannelKeys)])];
  const unknown = named.filter((c) => !known.has(c));
  const active = channels.filter((c) => c.active).map((c) => c.code);
  const keyless = active.filter((c) => channelKey(config, c) === null);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (unknown.length) {
    const said = `${unknown.map(variable).join(', ')} ${unknown.length === 1 ? 'names' : 'name'} no channel (the channels are ${[...known].join(', ')}): a misspelt name leaves its channel without a key`;
    // Refused only when a channel is left keyless, which the misspelling may be meant for. A key for a
    // channel this deployment's channels.yaml leaves out (docker-compose.yml sets all three) harms nothing.
    (keyless.length ? problems : warnings).push(said);
  }
  if (config.production && active.length && keyless.length === active.length) {
    problems.push(`no channel can submit feedback: set ${keyless.map(variable).join(', ')} (or at least one of them)`);
  }
  if (config.production && problems.length) throw new Error(problems.join('; '));
  for (const p of [...problems, ...warnings]) logger.warn(p);
  if (keyless.length) logger.warn(`channels without a key refuse every request until one is set: ${keyless.map(variable).join(', ')}`);
}
