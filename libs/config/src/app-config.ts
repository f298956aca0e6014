import { createHash } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseRedisUrl } from './redis-url';

/**
 * The one place that reads the environment. Everything else receives an AppConfig, so tests can
 * build engines with their own database and queue prefix without touching process.env.
 */
export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  /** The engine's own role: reads and writes rows, owns nothing (it cannot alter or unprotect the trail). */
  databaseUrl: string;
  /** The role that owns the schema and runs the migrations and the seed (DATABASE_OWNER_URL; DATABASE_URL when unset). */
  databaseOwnerUrl: string;
  /** A superuser (or CREATEROLE + CREATEDB) connection that creates both roles and the database when missing; null: they exist. */
  databaseAdminUrl: string | null;
  /** A replica for reports and exports (DATABASE_READ_URL); null: they read the primary. */
  databaseReadUrl: string | null;
  /**
   * Whether the API and worker run the migrations and the seed before serving (FR_MIGRATE_ON_START,
   * default true). A deployment that keeps the owner's credentials out of them runs `migrate` once
   * instead and sets it to false (docker-compose.yml).
   */
  migrateOnStart: boolean;
  /**
   * Express `trust proxy` (FR_TRUST_PROXY): which proxies' X-Forwarded-For to believe, so that the
   * per-address login limits count clients, not the load balancer. Hops (`1`), `true`, or addresses
   * and ranges (`loopback, uniquelocal`); null: believe none (the API faces clients directly).
   */
  trustProxy: boolean | number | string | null;
  /** A worker touches this file while its database answers; the image's HEALTHCHECK reads its age. */
  heartbeatFile: string | null;
  /** redis://, rediss:// or redis+sentinel://host:port,host:port/master (libs/config/src/redis-url.ts). */
  redisUrl: string;
  queuePrefix: string;
  configDir: string;
  adminPassword: string;
  jwtSecret: string;
  jwtTtlSeconds: number;
  /**
   * The `aud` officers' tokens are issued for and must carry (FR_JWT_AUDIENCE). By default the
   * deployment's public address, else its database's host, port and name: a copy restored elsewhere
   * with the same secret does not take the original's tokens unless told to.
   */
  jwtAudience: string;
  logLevel: string;
  /** API key per channel code, from FR_KEY_<CHANNEL>; absent keys fall back to dev keys outside production. */
  channelKeys: Record<string, string>;
  /**
   * A channel's previous key while its clients move to the new one (FR_KEY_<CHANNEL>_PREVIOUS): both
   * are accepted, so a key is rotated without every client switching at the moment of a restart.
   */
  previousChannelKeys: Record<string, string>;
  workerConcurrency: number;
  /** Worker processes `npm start` (scripts/start.js all) runs beside the API. */
  workers: number;
  /** SLA timers a worker holds at once; those due together are fired in one transaction. */
  slaTimerConcurrency: number;
  /** Routing jobs a worker holds at once; those waiting together are routed in one transaction. */
  routingConcurrency: number;
  dbPoolSize: number;
  /**
   * How long an engine process's session may sit idle inside a transaction before PostgreSQL ends it
   * (idle_in_transaction_session_timeout), in ms; 0: never. Bounds how long a frozen process's row locks
   * hold up the other instances (see DatabaseModule).
   */
  dbIdleInTransactionTimeoutMs: number;
  /**
   * The outbox relay routes the cases whose routing job it takes, in its own transaction, instead of
   * sending the job to BullMQ (FR_ROUTE_IN_RELAY=false: through the routing queue, as every job).
   */
  routeInRelay: boolean;
  /** How long a case may sit in `received` before the reconciler re-enqueues its routing. */
  stuckAfterSeconds: number;
  reconcileIntervalMs: number;
  /** How often a worker looks whether Redis lost its data, to sweep at once (FR_REDIS_WATCH_MS; 0: only at the sweeps' period). */
  redisWatchMs: number;
  /** How often a worker runs the SLA due sweep from PostgreSQL alone while Redis does not answer (FR_SLA_REDIS_DOWN_SWEEP_MS; 0: only at the sweeps' period). */
  slaRedisDownSweepMs: number;
  /** How often a worker recomputes the daily facts of the cases changed since (besides after its maintenance sweeps). */
  factsIntervalMs: number;
  /** How often the SLA reconciler re-checks every open case's timers in Redis even when Redis kept its marker. */
  slaFullReconcileIntervalMs: number;
  /**
   * Cases one worker's auto-close sweep closes at most in a maintenance tick (FR_AUTO_CLOSE_PER_TICK); the
   * rest at the next. Unbounded, a backlog held up the sweeps after it in the tick (the SLA timers among them).
   */
  autoClosePerTick: number;
  relayBatchSize: number;
  /**
   * Passes each worker's relay runs at once (FR_RELAY_LANES). SKIP LOCKED gives each pass rows of its
   * own, as it does the relays of several workers.
   */
  relayLanes: number;
  /**
   * How long the rows a relay pass wrote itself (a routing's timers and fan-outs) wait for the next
   * pass before one is started for them alone (FR_RELAY_FOLLOW_UP_MS).
   */
  relayFollowUpMs: number;
  /** Hosts (names or IPs) a webhook may target even though they resolve to private or loopback addresses. */
  webhookAllowHosts: string[];
  /** How long a webhook receiver has to answer an attempt. */
  webhookTimeoutMs: number;
  /**
   * How long a process may take to stop after SIGTERM or SIGINT before it exits anyway
   * (FR_SHUTDOWN_TIMEOUT_SECONDS, exitWhenShutdownStalls).
   */
  shutdownTimeoutMs: number;
  /** The waits before each retry of a delivery (webhook or e-mail), in order; one attempt more than waits. */
  deliveryRetryDelaysMs: number[];
  /** smtp:// or smtps:// URL of the mail relay; e-mail is off when empty. */
  smtpUrl: string | null;
  /** The API's address as its callers reach it (scheme, host, optional path), without a trailing slash; null: taken from each request. */
  publicUrl: string | null;
  mailFrom: string;
  /** Officers' e-mails wait for the next office opening; the in-app inbox does not. */
  holdEmailOutsideOfficeHours: boolean;
  /** Where the audit trail's checkpoints are written: outside the database, so a rewritten tail shows. */
  checkpointDir: string;
  /** The sealing bound: an audit event left unsealed longer than this makes verification fail. */
  auditSealBoundSeconds: number;
  /** Threads a full verification splits the chain across (segments walked in parallel, joined at their boundaries). */
  auditVerifyThreads: number;
  /** Below this many positions a verification walks in one thread: starting the others costs more than it saves. */
  auditVerifyParallelMin: number;
  /**
   * Verifications one API process runs at once; one more is refused (503 with Retry-After). A full
   * walk of a long trail keeps auditVerifyThreads threads and their connections busy for seconds.
   */
  auditVerifyConcurrency: number;
  /** Backends a large case export is split across (its parts COPYing side by side, all but the first spilled to disk meanwhile). */
  exportParts: number;
  /** Where the case export spills its later parts while the first streams: files removed as soon as they are open, gone when the export ends. */
  exportSpillDir: string;
  /**
   * Case exports one API process streams at once; one more is refused (503 with Retry-After). Each
   * holds a connection of the pool it reads (the primary's, shared with intake, when there is no
   * replica) and up to exportParts - 1 more for as long as its reader takes.
   */
  exportConcurrency: number;
  /** Unit reports (GET /v1/audits/units) one API process computes at once; one more is refused (503, Retry-After). */
  reportConcurrency: number;
  /** KB a second an export's reader must take over each 30 s the export waits for it, or the export is ended (0: no bound). */
  exportMinReadKbps: number;
  /**
   * Requests one API process works on at once (FR_REQUEST_CONCURRENCY); one more is refused at once (503
   * with Retry-After) rather than queued for the pool until its wait runs out.
   */
  requestConcurrency: number;
  /**
   * Of those, requests with an officer's token (FR_OFFICER_REQUEST_CONCURRENCY): officers' reads cannot
   * take every place from the channels' intake. More than the long reads' own bounds together. Half the
   * places by default: at 16, one officer's 50 acknowledgements sent at once (a bulk tool, the e2e suite's
   * concurrent sealing test) had one refused on an idle server, since bursts of ordinary work must pass.
   */
  officerRequestConcurrency: number;
  /**
   * Of those, requests with one channel key, or without credentials from one client address
   * (FR_CHANNEL_REQUEST_CONCURRENCY): a client resending refused requests at once held every place, and
   * the other channels' requests were refused with its own. Theirs then wait behind its places for the
   * pool (README, Overload: median 0.9-3 s on a loaded 2-core machine with a share of 64, 0.6-1 s with
   * 16). Three quarters of the places by default all the same, a quarter kept for the others: one integrator's
   * burst, or a load test of 64-96 connections with one key (autocannon's, k6's usual sizes), is served as
   * one caller's was before, not refused; a quarter would refuse the bench's closed loop (64 in flight,
   * about 45 of them iHaNoi's).
   */
  channelRequestConcurrency: number;
  /** How often the sealer looks for committed events when it found none (it goes on at once while there is a backlog). */
  auditSealIntervalMs: number;
  /**
   * Failed logins per window, counted in Redis (shared by every API instance): per account and address,
   * per account (from any address) and per address (over any account, against password spraying). A
   * right password counts against none of them.
   */
  loginLimits: { windowSeconds: number; perAccountAndIp: number; perAccount: number; perIp: number };
  /**
   * Tracking-code lookups (GET /v1/feedback/{code}) per channel key and window; data-subject requests
   * (POST /v1/privacy/requests, which answer with the contact held for a phone or e-mail) per channel
   * key in the same window.
   */
  lookupLimits: { windowSeconds: number; perChannel: number; privacyPerChannel: number; privacyPerChannelDay: number };
  /** Whether a start loads the plans of config/reorganisations/ not loaded yet (FR_LOAD_REORGANISATIONS, default true). */
  loadReorganisations: boolean;
  /** The HMAC secret of the callers' phone lookup keys (FR_PHONE_KEY_SECRET); changing it orphans the stored keys. */
  phoneKeySecret: string;
  /** Units besides the office whose officers may be hotline operators (FR_HOTLINE_UNITS, comma-separated codes). */
  hotlineUnits: string[];
  /**
   * Duplicate reports: an open case of the same category within this many metres of a new one (or
   * at the same normalised address and ward), received within this many days, is a candidate original.
   */
  duplicates: { radiusM: number; windowDays: number };
  /**
   * The key of the keyed hash (HMAC-SHA256) under which records of reads and subject requests find a
   * citizen by phone or e-mail without storing either in clear.
   */
  privacyKey: string;
  /** The bearer token GET /metrics asks for (FR_METRICS_TOKEN); null: the API serves no metrics. */
  metricsToken: string | null;
  /**
   * Where a worker serves its metrics (FR_WORKER_METRICS_HOST, FR_WORKER_METRICS_PORT): loopback by
   * default, so they are not public; port null: no metrics server (FR_WORKER_METRICS_PORT=off), 0: any free port.
   */
  workerMetrics: { host: string; port: number | null };
  /** Whether the queue board (/admin/queues) may retry jobs (FR_QUEUE_BOARD_RETRIES=true); read-only otherwise. */
  queueBoardRetries: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEV_ADMIN_PASSWORD = 'admin';
const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me';
const DEV_PHONE_KEY_SECRET = 'dev-only-phone-key-secret';
const DEV_PRIVACY_KEY = 'dev-only-privacy-key-change-me';
/** Outside production a channel without FR_KEY_<CHANNEL> answers to `dev-<channel>-key`. */
const DEV_KEY_PREFIX = 'dev-';

/**
 * Everything in the environment that would run production on a development default or a guessable
 * secret; each problem is listed, so one failed start shows them all.
 */
function productionProblems(env: Env): string[] {
  const problems: string[] = [];
  if (!env.FR_ADMIN_PASSWORD) problems.push('FR_ADMIN_PASSWORD is required in production');
  else if (env.FR_ADMIN_PASSWORD === DEV_ADMIN_PASSWORD)
    problems.push(`FR_ADMIN_PASSWORD must not be the development default '${DEV_ADMIN_PASSWORD}' in production`);
  if (!env.FR_JWT_SECRET || env.FR_JWT_SECRET.length < 32) problems.push('FR_JWT_SECRET of at least 32 characters is required in production');
  else if (env.FR_JWT_SECRET.startsWith(DEV_JWT_SECRET)) problems.push('FR_JWT_SECRET must not be the development default in production');
  if (!env.FR_PHONE_KEY_SECRET || env.FR_PHONE_KEY_SECRET.length < 32) problems.push('FR_PHONE_KEY_SECRET of at least 32 characters is required in production');
  else if (env.FR_PHONE_KEY_SECRET.startsWith(DEV_PHONE_KEY_SECRET))
    problems.push(
      'FR_PHONE_KEY_SECRET must not be the development default in production (a new key orphans the phone lookup keys stored under the old one: the hotline no longer finds earlier cases by phone number)',
    );
  if (!env.FR_PRIVACY_KEY || env.FR_PRIVACY_KEY.length < 32) problems.push('FR_PRIVACY_KEY of at least 32 characters is required in production');
  else if (env.FR_PRIVACY_KEY.startsWith(DEV_PRIVACY_KEY)) problems.push('FR_PRIVACY_KEY must not be the development default in production');
  for (const [name, value] of Object.entries(env)) {
    if (!/^FR_KEY_[A-Z0-9_]+$/.test(name) || name.endsWith('_FILE') || !value) continue;
    if (value.toLowerCase().startsWith(DEV_KEY_PREFIX)) problems.push(`${name} must not be a development key ('${DEV_KEY_PREFIX}...') in production`);
    else if (value.length < 16) problems.push(`${name} must be at least 16 characters in production`);
  }
  return problems;
}

/**
 * Outside production with no DATABASE_URL, `npm start` on a fresh machine creates these two roles
 * through the local superuser; with DATABASE_URL alone, one role does everything (as before).
 */
const DEV_DATABASE = {
  app: 'postgres://fr_app:fr_app@127.0.0.1:5432/feedback_router',
  owner: 'postgres://fr_owner:fr_owner@127.0.0.1:5432/feedback_router',
  admin: 'postgres://postgres@127.0.0.1:5432/postgres',
};

/** The variables that carry credentials: each may come from a file instead, NAME_FILE. */
const SECRET_VARIABLE =
  /^(DATABASE_URL|DATABASE_OWNER_URL|DATABASE_ADMIN_URL|DATABASE_READ_URL|REDIS_URL|FR_ADMIN_PASSWORD|FR_JWT_SECRET|FR_SMTP_URL|FR_PRIVACY_KEY|FR_PHONE_KEY_SECRET|FR_METRICS_TOKEN|FR_KEY_[A-Z0-9_]+)_FILE$/;

/**
 * `NAME_FILE` stands for `NAME` read from that file (Docker and Kubernetes secrets), trailing
 * newline dropped, for the variables that carry credentials (other *_FILE variables, the engine's
 * FR_HEARTBEAT_FILE or another program's, are not touched); `NAME` itself wins when both are set.
 */
export function withSecretFiles(env: Env, problems: string[], read: (path: string) => string = (p) => readFileSync(p, 'utf8')): Env {
  const out: Env = { ...env };
  for (const [name, path] of Object.entries(env)) {
    const m = SECRET_VARIABLE.exec(name);
    if (!m || !path || env[m[1]]) continue;
    try {
      out[m[1]] = read(path).replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`${name}: cannot read '${path}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return out;
}

const DEFAULTS = {
  PORT: '3000',
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: 'fr',
  FR_CONFIG_DIR: 'config',
  FR_CHECKPOINT_DIR: 'var/checkpoints',
};

/**
 * The retry schedule the Standard Webhooks specification gives as an example (and Svix follows): after
 * the first attempt, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; a receiver down for a day still gets
 * its events. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
const DELIVERY_RETRY_DELAYS = '5,300,1800,7200,18000,36000,36000';

/** A comma-separated list of whole seconds (1 to 7 days each, 1 to 20 of them). */
function secondsList(env: Env, name: string, fallback: string, problems: string[]): number[] {
  const raw = env[name] || fallback;
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (list.length < 1 || list.length > 20 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 7 * 86400)) {
    problems.push(`${name} must be 1 to 20 comma-separated whole seconds between 1 and ${7 * 86400}, got '${raw}'`);
    return fallback.split(',').map(Number);
  }
  return list;
}

function int(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
    return fallback;
  }
  return n;
}

function url(env: Env, name: string, fallback: string, protocols: string[], problems: string[]): string {
  const raw = env[name] || fallback;
  try {
    const u = new URL(raw);
    if (!protocols.includes(u.protocol)) {
      problems.push(`${name} must use ${protocols.join(' or ')}, got '${u.protocol}'`);
    }
  } catch {
    problems.push(`${name} is not a valid URL`);
  }
  return raw;
}

/** A host name (RFC 1123 labels) or IPv4 address, or a bracketed IPv6 address, with an optional port (1-65535). */
export function isHostWithPort(value: string): boolean {
  const m = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i.exec(value);
  return m !== null && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
}

/**
 * An http(s) base address with no query, fragment or credentials; kept without its trailing slash.
 * Not the Open311 path itself: discovery appends /open311/v2 to it.
 */
function publicUrl(raw: string, problems: string[]): string {
  const example = "give the API's address as callers reach it, e.g. https://phananh.example.gov.vn";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    problems.push(`FR_PUBLIC_URL is not a valid URL: ${example}`);
    return raw;
  }
  const base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push(`FR_PUBLIC_URL must use https: or http:, got '${u.protocol}'`);
  else if (!/^https?:\/\//i.test(raw.trim())) problems.push(`FR_PUBLIC_URL must be written as ${u.protocol}//host, not '${raw}'`);
  else if (u.search || u.hash || u.username || u.password) problems.push('FR_PUBLIC_URL must be a plain base address (no query, fragment or credentials)');
  else if (!isHostWithPort(u.host)) problems.push(`FR_PUBLIC_URL host '${u.host}' is not a host name or address with a port from 1 to 65535`);
  else if (/\/open311(\/v2)?$/i.test(base)) problems.push(`FR_PUBLIC_URL is the API's base address, without /open311/v2: ${example}`);
  return base;
}

/** Printable ASCII without spaces: it is compared exactly and shows in tokens and logs. */
const JWT_AUDIENCE = /^[\x21-\x7e]{1,200}$/;

/**
 * Where tokens are valid: FR_JWT_AUDIENCE, else the API's public address, else the database it serves
 * (`db:host:port/name`, no credentials). Not the database name alone: every docker-compose deployment
 * calls it feedback_router.
 */
function jwtAudience(env: Env, publicUrl: string | null, databaseUrl: string, problems: string[]): string {
  const given = env.FR_JWT_AUDIENCE;
  if (given !== undefined && given !== '') {
    if (!JWT_AUDIENCE.test(given)) problems.push(`FR_JWT_AUDIENCE must be 1 to 200 printable ASCII characters without spaces, got '${given}'`);
    return given;
  }
  if (publicUrl) return publicUrl;
  try {
    const u = new URL(databaseUrl);
    // A digest: a token's payload is readable by whoever holds it, and the database's host is no one's business.
    const place = `${u.hostname}:${u.port || '5432'}${decodeURIComponent(u.pathname)}`;
    return `db:${createHash('sha256').update(place).digest('base64url').slice(0, 16)}`;
  } catch {
    // DATABASE_URL's own check has said what is wrong with it.
    return 'db:invalid';
  }
}

function trustProxy(raw: string | undefined): boolean | number | string | null {
  if (!raw || raw === 'false') return null;
  if (raw === 'true') return true;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function redisUrl(env: Env, problems: string[]): string {
  const raw = env.REDIS_URL || DEFAULTS.REDIS_URL;
  try {
    const target = parseRedisUrl(raw);
    // BullMQ's scripts touch several keys of a queue at once: on a Cluster they must share a slot.
    if (target.kind === 'cluster' && !/^\{.+\}$/.test(env.QUEUE_PREFIX ?? '')) problems.push('QUEUE_PREFIX must be a hash tag such as {fr} on Redis Cluster');
  } catch (e) {
    problems.push(`REDIS_URL ${(e as Error).message}`);
  }
  return raw;
}

export function loadConfig(rawEnv: Env = process.env): AppConfig {
  const problems: string[] = [];
  const env = withSecretFiles(rawEnv, problems);
  const nodeEnv = env.NODE_ENV || 'development';
  const production = nodeEnv === 'production';

  const queuePrefix = env.QUEUE_PREFIX || DEFAULTS.QUEUE_PREFIX;
  // `{name}`: a hash tag, so that every key of the engine lands in one Redis Cluster slot (BullMQ needs it).
  if (!/^(\{[A-Za-z0-9_-]{1,40}\}|[A-Za-z0-9_-]{1,40})$/.test(queuePrefix)) {
    problems.push(`QUEUE_PREFIX must be 1-40 letters, digits, '_' or '-', optionally in braces ({fr}), got '${queuePrefix}'`);
  }

  const adminPassword = env.FR_ADMIN_PASSWORD || (production ? '' : DEV_ADMIN_PASSWORD);
  const jwtSecret = env.FR_JWT_SECRET || (production ? '' : DEV_JWT_SECRET);
  const phoneKeySecret = env.FR_PHONE_KEY_SECRET || (production ? '' : DEV_PHONE_KEY_SECRET);
  const channelKeys: Record<string, string> = {};
  const previousChannelKeys: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^FR_KEY_([A-Z0-9_]+?)(_PREVIOUS)?$/.exec(name);
    // FR_KEY_<CHANNEL>_FILE names the file the key was read from (withSecretFiles), not a channel.
    if (m && value && !name.endsWith('_FILE')) (m[2] ? previousChannelKeys : channelKeys)[m[1].toLowerCase()] = value;
  }
  // A key shared by two channels would book one channel's cases under whichever the guard matched last.
  const holders = new Map<string, string[]>();
  for (const [keys, suffix] of [
    [channelKeys, ''],
    [previousChannelKeys, '_PREVIOUS'],
  ] as const) {
    for (const [channel, key] of Object.entries(keys)) holders.set(key, [...(holders.get(key) ?? []), `FR_KEY_${channel.toUpperCase()}${suffix}`]);
  }
  for (const names of holders.values()) if (names.length > 1) problems.push(`${names.join(' and ')} hold the same key: each channel needs its own`);
  for (const channel of Object.keys(previousChannelKeys)) {
    if (!channelKeys[channel])
      problems.push(`FR_KEY_${channel.toUpperCase()}_PREVIOUS is set without FR_KEY_${channel.toUpperCase()}: a previous key needs the new one`);
  }
  if (production) problems.push(...productionProblems(env));
  const devRoles = !env.DATABASE_URL && !production;
  if (production && !env.DATABASE_URL) problems.push('DATABASE_URL is required in production');
  const pg = ['postgres:', 'postgresql:'];
  const databaseUrl = url(env, 'DATABASE_URL', DEV_DATABASE.app, pg, problems);
  const databaseOwnerUrl = env.DATABASE_OWNER_URL ? url(env, 'DATABASE_OWNER_URL', '', pg, problems) : devRoles ? DEV_DATABASE.owner : databaseUrl;
  const adminRaw = env.DATABASE_ADMIN_URL || (devRoles ? DEV_DATABASE.admin : '');
  const databaseAdminUrl = adminRaw ? url(env, 'DATABASE_ADMIN_URL', adminRaw, pg, problems) : null;
  const databaseReadUrl = env.DATABASE_READ_URL ? url(env, 'DATABASE_READ_URL', '', pg, problems) : null;
  const publicBase = env.FR_PUBLIC_URL ? publicUrl(env.FR_PUBLIC_URL, problems) : null;
  const config: AppConfig = {
    nodeEnv,
    production,
    port: int(env, 'PORT', Number(DEFAULTS.PORT), 0, 65535, problems),
    databaseUrl,
    databaseOwnerUrl,
    databaseAdminUrl,
    databaseReadUrl,
    migrateOnStart: env.FR_MIGRATE_ON_START !== 'false',
    heartbeatFile: env.FR_HEARTBEAT_FILE || null,
    trustProxy: trustProxy(env.FR_TRUST_PROXY),
    redisUrl: redisUrl(env, problems),
    queuePrefix,
    configDir: env.FR_CONFIG_DIR || DEFAULTS.FR_CONFIG_DIR,
    adminPassword,
    jwtSecret,
    jwtTtlSeconds: int(env, 'FR_JWT_TTL_SECONDS', 900, 60, 86400, problems),
    jwtAudience: jwtAudience(env, publicBase, databaseUrl, problems),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    channelKeys,
    previousChannelKeys,
    workerConcurrency: int(env, 'FR_WORKER_CONCURRENCY', 8, 1, 256, problems),
    workers: int(env, 'FR_WORKERS', 1, 1, 64, problems),
    slaTimerConcurrency: int(env, 'FR_SLA_TIMER_CONCURRENCY', 64, 1, 1000, problems),
    routingConcurrency: int(env, 'FR_ROUTING_CONCURRENCY', 64, 1, 1000, problems),
    dbPoolSize: int(env, 'FR_DB_POOL_SIZE', 10, 2, 200, problems),
    dbIdleInTransactionTimeoutMs: int(env, 'FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30000, 0, 86_400_000, problems),
    routeInRelay: env.FR_ROUTE_IN_RELAY !== 'false',
    stuckAfterSeconds: int(env, 'FR_STUCK_AFTER_SECONDS', 60, 1, 86400, problems),
    reconcileIntervalMs: int(env, 'FR_RECONCILE_INTERVAL_MS', 30000, 100, 3600000, problems),
    redisWatchMs: int(env, 'FR_REDIS_WATCH_MS', 1000, 0, 3600000, problems),
    slaRedisDownSweepMs: int(env, 'FR_SLA_REDIS_DOWN_SWEEP_MS', 5000, 0, 3600000, problems),
    factsIntervalMs: int(env, 'FR_FACTS_INTERVAL_MS', 1000, 100, 3600000, problems),
    slaFullReconcileIntervalMs: int(env, 'FR_SLA_FULL_RECONCILE_INTERVAL_MS', 3600000, 1000, 86400000, problems),
    autoClosePerTick: int(env, 'FR_AUTO_CLOSE_PER_TICK', 500, 1, 100000, problems),
    relayBatchSize: int(env, 'FR_RELAY_BATCH_SIZE', 500, 1, 10000, problems),
    relayLanes: int(env, 'FR_RELAY_LANES', 2, 1, 16, problems),
    relayFollowUpMs: int(env, 'FR_RELAY_FOLLOW_UP_MS', 50, 0, 60000, problems),
    checkpointDir: env.FR_CHECKPOINT_DIR || DEFAULTS.FR_CHECKPOINT_DIR,
    auditSealBoundSeconds: int(env, 'FR_AUDIT_SEAL_BOUND_SECONDS', 30, 1, 86400, problems),
    auditSealIntervalMs: int(env, 'FR_AUDIT_SEAL_INTERVAL_MS', 100, 10, 60000, problems),
    auditVerifyThreads: int(env, 'FR_AUDIT_VERIFY_THREADS', Math.min(8, availableParallelism()), 1, 64, problems),
    auditVerifyParallelMin: int(env, 'FR_AUDIT_VERIFY_PARALLEL_MIN', 50000, 2, 1_000_000_000, problems),
    auditVerifyConcurrency: int(env, 'FR_AUDIT_VERIFY_CONCURRENCY', 2, 1, 64, problems),
    exportParts: int(env, 'FR_EXPORT_PARTS', 2, 1, 16, problems),
    exportSpillDir: env.FR_EXPORT_SPILL_DIR || tmpdir(),
    exportConcurrency: int(env, 'FR_EXPORT_CONCURRENCY', 2, 1, 64, problems),
    reportConcurrency: int(env, 'FR_REPORT_CONCURRENCY', 2, 1, 64, problems),
    exportMinReadKbps: int(env, 'FR_EXPORT_MIN_READ_KBPS', 32, 0, 1_000_000, problems),
    requestConcurrency: int(env, 'FR_REQUEST_CONCURRENCY', 128, 1, 100_000, problems),
    officerRequestConcurrency: int(env, 'FR_OFFICER_REQUEST_CONCURRENCY', 64, 1, 100_000, problems),
    channelRequestConcurrency: int(
      env,
      'FR_CHANNEL_REQUEST_CONCURRENCY',
      Math.max(1, Math.floor((int(env, 'FR_REQUEST_CONCURRENCY', 128, 1, 100_000, []) * 3) / 4)),
      1,
      100_000,
      problems,
    ),
    webhookAllowHosts: (env.FR_WEBHOOK_ALLOW_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    webhookTimeoutMs: int(env, 'FR_WEBHOOK_TIMEOUT_SECONDS', 15, 1, 120, problems) * 1000,
    // By default past a webhook attempt's own timeout: a stop that cut an attempt the receiver had already
    // taken would send it again after the restart.
    shutdownTimeoutMs:
      int(env, 'FR_SHUTDOWN_TIMEOUT_SECONDS', Math.max(30, int(env, 'FR_WEBHOOK_TIMEOUT_SECONDS', 15, 1, 120, []) + 15), 1, 3600, problems) * 1000,
    deliveryRetryDelaysMs: secondsList(env, 'FR_DELIVERY_RETRY_DELAYS', DELIVERY_RETRY_DELAYS, problems).map((s) => s * 1000),
    smtpUrl: env.FR_SMTP_URL ? url(env, 'FR_SMTP_URL', '', ['smtp:', 'smtps:'], problems) : null,
    publicUrl: publicBase,
    mailFrom: env.FR_MAIL_FROM || 'feedback-router <no-reply@localhost>',
    holdEmailOutsideOfficeHours: env.FR_HOLD_EMAIL_OUTSIDE_OFFICE_HOURS !== 'false',
    loadReorganisations: env.FR_LOAD_REORGANISATIONS !== 'false',
    loginLimits: {
      windowSeconds: int(env, 'FR_LOGIN_LIMIT_WINDOW_SECONDS', 60, 1, 86400, problems),
      perAccountAndIp: int(env, 'FR_LOGIN_LIMIT_PER_ACCOUNT_IP', 10, 1, 100000, problems),
      perAccount: int(env, 'FR_LOGIN_LIMIT_PER_ACCOUNT', 20, 1, 100000, problems),
      perIp: int(env, 'FR_LOGIN_LIMIT_PER_IP', 30, 1, 100000, problems),
    },
    lookupLimits: {
      windowSeconds: int(env, 'FR_LOOKUP_LIMIT_WINDOW_SECONDS', 60, 1, 86400, problems),
      perChannel: int(env, 'FR_LOOKUP_LIMIT_PER_CHANNEL', 600, 1, 1000000, problems),
      privacyPerChannel: int(env, 'FR_PRIVACY_LIMIT_PER_CHANNEL', 30, 1, 1000000, problems),
      privacyPerChannelDay: int(env, 'FR_PRIVACY_LIMIT_PER_CHANNEL_DAY', 500, 1, 10000000, problems),
    },
    phoneKeySecret,
    hotlineUnits: (env.FR_HOTLINE_UNITS ?? '')
      .split(',')
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean),
    duplicates: {
      // Past a few kilometres the bounding box stops being selective; reports that far apart are not one problem.
      radiusM: int(env, 'FR_DUPLICATE_RADIUS_M', 150, 1, 5000, problems),
      windowDays: int(env, 'FR_DUPLICATE_WINDOW_DAYS', 30, 1, 365, problems),
    },
    privacyKey: env.FR_PRIVACY_KEY || (production ? '' : DEV_PRIVACY_KEY),
    metricsToken: env.FR_METRICS_TOKEN || null,
    workerMetrics: {
      host: env.FR_WORKER_METRICS_HOST || '127.0.0.1',
      port: env.FR_WORKER_METRICS_PORT === 'off' ? null : int(env, 'FR_WORKER_METRICS_PORT', 9464, 0, 65535, problems),
    },
    queueBoardRetries: env.FR_QUEUE_BOARD_RETRIES === 'true',
  };
  if (production && config.metricsToken !== null && config.metricsToken.length < 16)
    problems.push('FR_METRICS_TOKEN must be at least 16 characters in production');
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(config.logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  // A transaction waits between its statements for the process's event loop, and the relay's for Redis (up to
  // 10 s): a timeout of milliseconds would end healthy transactions under load.
  if (config.dbIdleInTransactionTimeoutMs > 0 && config.dbIdleInTransactionTimeoutMs < 1000)
    problems.push(
      `FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be 0 (never) or at least 1000, got ${config.dbIdleInTransactionTimeoutMs}: the engine's transactions wait that long between statements when busy`,
    );
  // Each lane holds a connection for its whole pass, and a pass may need another (routing's tables).
  if (config.relayLanes >= config.dbPoolSize)
    problems.push(
      `FR_RELAY_LANES (${config.relayLanes}) must be less than FR_DB_POOL_SIZE (${config.dbPoolSize}): each lane holds a connection through its pass`,
    );
  if (config.officerRequestConcurrency > config.requestConcurrency)
    problems.push(
      `FR_OFFICER_REQUEST_CONCURRENCY (${config.officerRequestConcurrency}) must not exceed FR_REQUEST_CONCURRENCY (${config.requestConcurrency}): officers' requests are among those`,
    );
  if (config.channelRequestConcurrency > config.requestConcurrency)
    problems.push(
      `FR_CHANNEL_REQUEST_CONCURRENCY (${config.channelRequestConcurrency}) must not exceed FR_REQUEST_CONCURRENCY (${config.requestConcurrency}): one caller's requests are among those`,
    );
  // Verifications, exports and reports are officers' requests that last seconds to minutes: all running, they
  // must leave a place for the others.
  const longReads = config.auditVerifyConcurrency + config.exportConcurrency + config.reportConcurrency;
  if (config.officerRequestConcurrency <= longReads)
    problems.push(
      `FR_OFFICER_REQUEST_CONCURRENCY (${config.officerRequestConcurrency}) must exceed FR_AUDIT_VERIFY_CONCURRENCY + FR_EXPORT_CONCURRENCY + FR_REPORT_CONCURRENCY (${longReads}): the long reads would hold every officer's place`,
    );
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The API key of a channel: FR_KEY_<CHANNEL>, or a well-known development key outside production. */
export function channelKey(config: AppConfig, channelCode: string): string | null {
  return config.channelKeys[channelCode] ?? (config.production ? null : `${DEV_KEY_PREFIX}${channelCode}-key`);
}

/** Every key a channel is accepted with: its key and, while it is rotated, the previous one. */
export function acceptedChannelKeys(config: AppConfig, channelCode: string): string[] {
  const key = channelKey(config, channelCode);
  const previous = config.previousChannelKeys[channelCode];
  return key === null ? [] : previous ? [key, previous] : [key];
}
