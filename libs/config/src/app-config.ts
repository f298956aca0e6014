import { availableParallelism } from 'node:os';

/**
 * The one place that reads the environment. Everything else receives an AppConfig, so tests can
 * build engines with their own database and queue prefix without touching process.env.
 */
export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  configDir: string;
  adminPassword: string;
  jwtSecret: string;
  jwtTtlSeconds: number;
  logLevel: string;
  /** API key per channel code, from FR_KEY_<CHANNEL>; absent keys fall back to dev keys outside production. */
  channelKeys: Record<string, string>;
  workerConcurrency: number;
  /** Worker processes `npm start` (scripts/start.js all) runs beside the API. */
  workers: number;
  /** SLA timers a worker holds at once; those due together are fired in one transaction. */
  slaTimerConcurrency: number;
  /** Routing jobs a worker holds at once; those waiting together are routed in one transaction. */
  routingConcurrency: number;
  dbPoolSize: number;
  /** How long a case may sit in `received` before the reconciler re-enqueues its routing. */
  stuckAfterSeconds: number;
  reconcileIntervalMs: number;
  /** How often the SLA reconciler re-checks every open case's timers in Redis even when Redis kept its marker. */
  slaFullReconcileIntervalMs: number;
  relayBatchSize: number;
  /** Hosts (names or IPs) a webhook may target even though they resolve to private or loopback addresses. */
  webhookAllowHosts: string[];
  /** smtp:// or smtps:// URL of the mail relay; e-mail is off when empty. */
  smtpUrl: string | null;
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
  /** How often the sealer looks for committed events when it found none (it goes on at once while there is a backlog). */
  auditSealIntervalMs: number;
  /**
   * Login attempts per window, counted in Redis (shared by every API instance): every attempt per
   * account and address; failed attempts per account (from any address) and per address (over any
   * account, against password spraying).
   */
  loginLimits: { windowSeconds: number; perAccountAndIp: number; perAccount: number; perIp: number };
  /** Tracking-code lookups (GET /v1/feedback/{code}) per channel key and window. */
  lookupLimits: { windowSeconds: number; perChannel: number };
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
  else if (env.FR_ADMIN_PASSWORD === DEV_ADMIN_PASSWORD) problems.push(`FR_ADMIN_PASSWORD must not be the development default '${DEV_ADMIN_PASSWORD}' in production`);
  if (!env.FR_JWT_SECRET || env.FR_JWT_SECRET.length < 32) problems.push('FR_JWT_SECRET of at least 32 characters is required in production');
  else if (env.FR_JWT_SECRET.startsWith(DEV_JWT_SECRET)) problems.push('FR_JWT_SECRET must not be the development default in production');
  if (!env.FR_PHONE_KEY_SECRET || env.FR_PHONE_KEY_SECRET.length < 32) problems.push('FR_PHONE_KEY_SECRET of at least 32 characters is required in production');
  if (!env.FR_PRIVACY_KEY || env.FR_PRIVACY_KEY.length < 32) problems.push('FR_PRIVACY_KEY of at least 32 characters is required in production');
  else if (env.FR_PRIVACY_KEY.startsWith(DEV_PRIVACY_KEY)) problems.push('FR_PRIVACY_KEY must not be the development default in production');
  for (const [name, value] of Object.entries(env)) {
    if (!/^FR_KEY_[A-Z0-9_]+$/.test(name) || !value) continue;
    if (value.toLowerCase().startsWith(DEV_KEY_PREFIX)) problems.push(`${name} must not be a development key ('${DEV_KEY_PREFIX}...') in production`);
    else if (value.length < 16) problems.push(`${name} must be at least 16 characters in production`);
  }
  return problems;
}

const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/feedback_router',
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: 'fr',
  FR_CONFIG_DIR: 'config',
  FR_CHECKPOINT_DIR: 'var/checkpoints',
};

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

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const nodeEnv = env.NODE_ENV || 'development';
  const production = nodeEnv === 'production';

  const queuePrefix = env.QUEUE_PREFIX || DEFAULTS.QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(queuePrefix)) {
    problems.push(`QUEUE_PREFIX must be 1-40 letters, digits, '_' or '-', got '${queuePrefix}'`);
  }

  const adminPassword = env.FR_ADMIN_PASSWORD || (production ? '' : DEV_ADMIN_PASSWORD);
  const jwtSecret = env.FR_JWT_SECRET || (production ? '' : DEV_JWT_SECRET);
  const phoneKeySecret = env.FR_PHONE_KEY_SECRET || (production ? '' : DEV_PHONE_KEY_SECRET);
  const channelKeys: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^FR_KEY_([A-Z0-9_]+)$/.exec(name);
    if (m && value) channelKeys[m[1].toLowerCase()] = value;
  }
  if (production) problems.push(...productionProblems(env));
  const config: AppConfig = {
    nodeEnv,
    production,
    port: int(env, 'PORT', Number(DEFAULTS.PORT), 0, 65535, problems),
    databaseUrl: url(env, 'DATABASE_URL', DEFAULTS.DATABASE_URL, ['postgres:', 'postgresql:'], problems),
    redisUrl: url(env, 'REDIS_URL', DEFAULTS.REDIS_URL, ['redis:', 'rediss:'], problems),
    queuePrefix,
    configDir: env.FR_CONFIG_DIR || DEFAULTS.FR_CONFIG_DIR,
    adminPassword,
    jwtSecret,
    jwtTtlSeconds: int(env, 'FR_JWT_TTL_SECONDS', 900, 60, 86400, problems),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    channelKeys,
    workerConcurrency: int(env, 'FR_WORKER_CONCURRENCY', 8, 1, 256, problems),
    workers: int(env, 'FR_WORKERS', 1, 1, 64, problems),
    slaTimerConcurrency: int(env, 'FR_SLA_TIMER_CONCURRENCY', 64, 1, 1000, problems),
    routingConcurrency: int(env, 'FR_ROUTING_CONCURRENCY', 64, 1, 1000, problems),
    dbPoolSize: int(env, 'FR_DB_POOL_SIZE', 10, 2, 200, problems),
    stuckAfterSeconds: int(env, 'FR_STUCK_AFTER_SECONDS', 60, 1, 86400, problems),
    reconcileIntervalMs: int(env, 'FR_RECONCILE_INTERVAL_MS', 30000, 100, 3600000, problems),
    slaFullReconcileIntervalMs: int(env, 'FR_SLA_FULL_RECONCILE_INTERVAL_MS', 3600000, 1000, 86400000, problems),
    relayBatchSize: int(env, 'FR_RELAY_BATCH_SIZE', 500, 1, 10000, problems),
    checkpointDir: env.FR_CHECKPOINT_DIR || DEFAULTS.FR_CHECKPOINT_DIR,
    auditSealBoundSeconds: int(env, 'FR_AUDIT_SEAL_BOUND_SECONDS', 30, 1, 86400, problems),
    auditSealIntervalMs: int(env, 'FR_AUDIT_SEAL_INTERVAL_MS', 100, 10, 60000, problems),
    auditVerifyThreads: int(env, 'FR_AUDIT_VERIFY_THREADS', Math.min(8, availableParallelism()), 1, 64, problems),
    auditVerifyParallelMin: int(env, 'FR_AUDIT_VERIFY_PARALLEL_MIN', 50000, 2, 1_000_000_000, problems),
    webhookAllowHosts: (env.FR_WEBHOOK_ALLOW_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    smtpUrl: env.FR_SMTP_URL ? url(env, 'FR_SMTP_URL', '', ['smtp:', 'smtps:'], problems) : null,
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
  if (production && config.metricsToken !== null && config.metricsToken.length < 16) problems.push('FR_METRICS_TOKEN must be at least 16 characters in production');
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(config.logLevel)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The API key of a channel: FR_KEY_<CHANNEL>, or a well-known development key outside production. */
export function channelKey(config: AppConfig, channelCode: string): string | null {
  return config.channelKeys[channelCode] ?? (config.production ? null : `${DEV_KEY_PREFIX}${channelCode}-key`);
}
