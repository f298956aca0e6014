import { RedisOptions } from 'ioredis';
import { parseRedisUrl } from '@fr/config';

/**
 * Connection options from REDIS_URL (one server, or a Sentinel-watched primary). Workers block on
 * Redis, so they must never give up a request; producers fail fast.
 */
export function redisOptions(redisUrl: string, role: 'worker' | 'producer'): RedisOptions {
  const t = parseRedisUrl(redisUrl);
  const common: RedisOptions = {
    username: t.username,
    password: t.password,
    db: t.db,
    tls: t.tls ? {} : undefined,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5000,
  };
  if (t.kind === 'single') return { ...common, host: t.host, port: t.port };
  return {
    ...common,
    sentinels: t.sentinels,
    name: t.name,
    sentinelPassword: t.sentinelPassword,
    // The Sentinels answer in clear text unless the URL asked for TLS for all.
    enableTLSForSentinelMode: t.tls,
  };
}
