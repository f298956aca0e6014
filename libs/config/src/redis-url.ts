/**
 * REDIS_URL, parsed without ioredis so the configuration can check it: `redis://` and `rediss://`
 * (one server), `redis+sentinel://[user:password@]host:port[,host:port...]/master-name[/db]` for a
 * Sentinel-watched primary, as in the Redis URI scheme drafts and several clients (e.g. lettuce), or
 * `redis+cluster://[user:password@]host:port[,host:port...]` for a Redis Cluster (its seed nodes).
 * The password of a Sentinel URL is the data nodes' password; Sentinels that need one of their own
 * read it from the `sentinelPassword` query parameter.
 */
export type RedisTarget =
  | { kind: 'single'; host: string; port: number; username?: string; password?: string; db: number; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const CLUSTER = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/;
const SENTINEL = /^(rediss?)\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/;

function dbNumber(raw: string | undefined, url: string): number {
  if (raw === undefined || raw === '') return 0;
  const db = Number(raw);
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new Error(`database number must be 0-15 in '${redact(url)}'`);
  return db;
}

/** The URL with its password replaced, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

function hostPorts(list: string, defaultPort: number, url: string): { host: string; port: number }[] {
  return list.split(',').map((hp) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hp.trim());
    if (!m) throw new Error(`bad address '${hp}' in '${redact(url)}'`);
    const port = Number(m[2] ?? defaultPort);
    if (port < 1 || port > 65535) throw new Error(`bad port in '${redact(url)}'`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

export function parseRedisUrl(url: string): RedisTarget {
  const c = CLUSTER.exec(url);
  if (c) {
    const [, scheme, user, pass, hosts] = c;
    return {
      kind: 'cluster',
      nodes: hostPorts(hosts, 6379, url),
      username: user ? decodeURIComponent(user) : undefined,
      password: pass ? decodeURIComponent(pass) : undefined,
      tls: scheme === 'rediss',
    };
  }
  const s = SENTINEL.exec(url);
  if (s) {
    const [, scheme, user, pass, hosts, name, db, query] = s;
    const sentinels = hostPorts(hosts, 26379, url);
    const params = new URLSearchParams(query ?? '');
    return {
      kind: 'sentinel',
      sentinels,
      name: decodeURIComponent(name),
      username: user ? decodeURIComponent(user) : undefined,
      password: pass ? decodeURIComponent(pass) : undefined,
      sentinelPassword: params.get('sentinelPassword') ?? undefined,
      db: dbNumber(db, url),
      tls: scheme === 'rediss',
    };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('not a valid URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`must use redis:, rediss:, redis+sentinel: or redis+cluster:, got '${u.protocol}'`);
  return {
    kind: 'single',
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: dbNumber(u.pathname.replace(/^\//, ''), url),
    tls: u.protocol === 'rediss:',
  };
}
