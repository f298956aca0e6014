import Redis, { Cluster, RedisOptions } from 'ioredis';
import { parseRedisUrl } from '@fr/config';

/** A client of REDIS_URL: one server or a Sentinel-watched primary (Redis), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Connection options from REDIS_URL (one server, or a Sentinel-watched primary; for a Cluster, the
 * options of each node). Workers block on Redis, so they must never give up a request; producers
 * fail fast.
 */
export function redisOptions(redisUrl: string, role: 'worker' | 'producer'): RedisOptions {
  const t = parseRedisUrl(redisUrl);
  const common: RedisOptions = {
    username: t.username,
    password: t.password,
    tls: t.tls ? {} : undefined,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5000,
  };
  if (t.kind === 'cluster') return common;
  if (t.kind === 'single') return { ...common, db: t.db, host: t.host, port: t.port };
  return {
    ...common,
    db: t.db,
    sentinels: t.sentinels,
    name: t.name,
    sentinelPassword: t.sentinelPassword,
    // The Sentinels answer in clear text unless the URL asked for TLS for all.
    enableTLSForSentinelMode: t.tls,
  };
}

function clusterClient(nodes: { host: string; port: number }[], options: RedisOptions): Cluster {
  return new Cluster(nodes, { redisOptions: options, lazyConnect: options.lazyConnect, enableOfflineQueue: options.enableOfflineQueue });
}

/** A new client of REDIS_URL; `extra` (lazyConnect, retryStrategy, ...) applies to every node. */
export function createRedisClient(redisUrl: string, role: 'worker' | 'producer', extra: RedisOptions = {}): RedisClient {
  const t = parseRedisUrl(redisUrl);
  const options = { ...redisOptions(redisUrl, role), ...extra };
  return t.kind === 'cluster' ? clusterClient(t.nodes, options) : new Redis(options);
}

/**
 * BullMQ's connection: options for one server or Sentinel (BullMQ opens its own clients from them);
 * on a Cluster, a Cluster client, which BullMQ duplicates for its blocking connections.
 */
export function queueConnection(redisUrl: string): RedisOptions | Cluster {
  const t = parseRedisUrl(redisUrl);
  if (t.kind !== 'cluster') return redisOptions(redisUrl, 'worker');
  const cluster = clusterClient(t.nodes, redisOptions(redisUrl, 'worker'));
  queueClusters.add(cluster);
  return cluster;
}

/** BullMQ leaves a connection it was given open: QueueModule closes these at shutdown. */
const queueClusters = new Set<Cluster>();

export function closeQueueClusters(): void {
  for (const c of queueClusters) c.disconnect();
  queueClusters.clear();
}
