import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { Client, Pool, QueryResultRow } from 'pg';
import { SealAuditEvents } from '@fr/audit';
import { AppConfig, loadConfig } from '@fr/config';
import { buildOpenApiDocument, createApiApp, OWN_ERROR_FORMATS } from '@fr/api';
import { organisationSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { TimeSource } from '@fr/sla';
import { createWorkerApp } from '@fr/worker';
import { checkedRequest, ContractChecker, sharedContract } from './contract';
import { createFromTemplate } from './template-database';

const BASE_DB = process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The roles every test database is owned by and served as, one pair per cluster (grants are per
 * database); created on first use through the superuser connection, as `npm start` does.
 */
export const TEST_ROLES = { owner: 'fr_test_owner', app: 'fr_test_app' };

/** BASE_DB's server and database `dbName`, logged in as `role` (password = role name). */
export function testDatabaseUrl(dbName: string, role?: string): string {
  const url = new URL(BASE_DB);
  url.pathname = `/${dbName}`;
  if (role) {
    url.username = role;
    url.password = role;
  }
  return url.toString();
}

/** One document per Jest run: every engine serves the same one (sharedContract). */
let contract: ContractChecker | null = null;

/** The run's file of the API's OpenAPI document, beside its template list (scripts/jest-templates.js drops both). */
export function contractFile(): string | undefined {
  const list = process.env.FR_TEST_TEMPLATES;
  return list && existsSync(list) ? list.replace(/\.list$/, '.openapi.json') : undefined;
}

/** The checker of the API's own OpenAPI document, for clients other than engine.http(). */
export function apiContract(api: INestApplication): ContractChecker {
  contract ??= sharedContract(contractFile(), () => buildOpenApiDocument(api), { ownErrorFormats: OWN_ERROR_FORMATS });
  return contract;
}

export const DEV_KEYS = {
  ihanoi: 'dev-ihanoi-key',
  hotline: 'dev-hotline_1022-key',
};

/**
 * A whole engine for one test file: its own database and queue prefix, both removed by close().
 * The API and the worker are the production bootstraps; the worker can be stopped and restarted.
 */
export class TestEngine {
  api!: INestApplication;
  worker: INestApplicationContext | null = null;
  readonly config: AppConfig;
  /**
   * The test's own connections to its database, as the superuser (what an attacker with every
   * right does, fixtures the engine may not write): a pool, so checks may run side by side. The
   * engine itself runs as TEST_ROLES.app (config.databaseUrl), its migrations as TEST_ROLES.owner.
   */
  readonly db: Pool;
  /** The superuser's URL of this engine's database. */
  readonly superuserUrl: string;
  readonly redis: Redis;
  /** Responses that broke the API contract; close() fails when there are any. */
  readonly contractViolations: string[] = [];
  /** The time both apps judge by when the test gave one (a ManualClock); the wall clock otherwise. */
  readonly clock: TimeSource | undefined;
  private readonly dbName: string;
  /** On the Jest run's list (start()): its teardown drops the database if close() has not. */
  private listed = false;

  private constructor(overrides: Record<string, string>, clock?: TimeSource) {
    this.clock = clock;
    const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
    this.dbName = `fr_test_${id}`;
    this.superuserUrl = testDatabaseUrl(this.dbName);
    this.config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(this.dbName, TEST_ROLES.app),
      DATABASE_OWNER_URL: testDatabaseUrl(this.dbName, TEST_ROLES.owner),
      DATABASE_ADMIN_URL: BASE_DB,
      REDIS_URL,
      // Hash-tagged as on Redis Cluster, so the whole suite runs with the prefix production may need.
      QUEUE_PREFIX: `{frt_${id}}`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      FR_DB_POOL_SIZE: '5',
      FR_RECONCILE_INTERVAL_MS: '3600000',
      // Tests that wipe Redis run the sweeps themselves; one file tests the watch.
      FR_REDIS_WATCH_MS: '0',
      // Tests that stop Redis run the SLA sweep themselves, and would find its lock held by this one; one test turns it on.
      FR_SLA_REDIS_DOWN_SWEEP_MS: '0',
      // Deliveries retry within seconds here (production waits up to hours: the Standard Webhooks schedule).
      FR_DELIVERY_RETRY_DELAYS: '1,2,4,8,16,32,64',
      // Tests drain the daily facts when they need them (a report does too); a file tests the period.
      FR_FACTS_INTERVAL_MS: '3600000',
      // Any free port: test files run side by side, each with its workers.
      FR_WORKER_METRICS_PORT: '0',
      // Each engine checkpoints its own audit trail; removed by close().
      FR_CHECKPOINT_DIR: join(tmpdir(), `fr_test_${id}_checkpoints`),
      ...overrides,
    });
    this.db = new Pool({ connectionString: this.superuserUrl, max: 4 });
    // An idle connection cut by the server (a test that stops PostgreSQL) must not crash the run.
    this.db.on('error', () => undefined);
    this.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  }

  static async start(opts: { worker?: boolean; env?: Record<string, string>; clock?: TimeSource } = {}): Promise<TestEngine> {
    const engine = new TestEngine(opts.env ?? {}, opts.clock);
    // Listed before it exists: a run interrupted (Ctrl+C) or killed before this engine's close() leaves its
    // database to the next run's setup, which drops what an ended run listed (scripts/jest-templates.js);
    // unlisted, it waited for the setup's ten-minute age rule for unknown engines.
    const list = process.env.FR_TEST_TEMPLATES;
    if (list && existsSync(list)) {
      appendFileSync(list, `${engine.dbName}\n`);
      engine.listed = true;
    }
    try {
      const seeds = [organisationSeed(engine.config)];
      const copied = await createFromTemplate(BASE_DB, engine.config, seeds, engine.dbName, TEST_ROLES.owner, (name) => ({
        databaseUrl: testDatabaseUrl(name, TEST_ROLES.app),
        databaseOwnerUrl: testDatabaseUrl(name, TEST_ROLES.owner),
      }));
      if (!copied) await migrateDatabase(engine.config, seeds);
      await engine.db.query('SELECT 1');
      engine.api = await createApiApp(engine.config, { clock: engine.clock });
      if (opts.worker !== false) await engine.startWorker();
      return engine;
    } catch (e) {
      // A failed boot must not leave its database and connections behind.
      await engine.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * A client of the API whose every response is checked against the OpenAPI document
   * (libs/testing/src/contract.ts); `app` is another API instance a test built on this engine.
   */
  http(app: INestApplication = this.api) {
    return checkedRequest(app.getHttpServer() as Server, apiContract(app), this.contractViolations);
  }

  /** The API's base URL, for clients that speak HTTP themselves; it starts listening on a free port once. */
  async url(): Promise<string> {
    if (!(this.api.getHttpServer() as Server).listening) await this.api.listen(0, '127.0.0.1');
    return this.api.getUrl();
  }

  async startWorker(): Promise<INestApplicationContext> {
    if (!this.worker) this.worker = await createWorkerApp(this.config, { clock: this.clock });
    return this.worker;
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  /**
   * What an attacker with superuser rights does to the audit trail: its append-only triggers off, the
   * statements (several, separated by semicolons, when there are no params), the triggers on again;
   * one transaction.
   */
  async asAttacker(sql: string, params: unknown[] = []): Promise<void> {
    const tables = ['audit_events', 'audit_seals', 'audit_chain_head', 'audit_event_texts'];
    const c = await this.db.connect();
    try {
      await c.query('BEGIN');
      for (const t of tables) await c.query(`ALTER TABLE ${t} DISABLE TRIGGER ALL`);
      await c.query(sql, params);
      for (const t of tables) await c.query(`ALTER TABLE ${t} ENABLE TRIGGER ALL`);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  }

  async query<T extends QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(sql, params)).rows;
  }

  /**
   * Seals every committed audit event now (the worker's sealer does it within its interval; tests that
   * read or tamper with the chain need it sealed at a known moment). Safe beside the worker's sealer.
   */
  async sealAuditTrail(): Promise<number> {
    return this.api.get(SealAuditEvents).sealAll('test');
  }

  /** Every key of this engine's queues, e.g. to read job payloads or simulate a wiped Redis. */
  async queueKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.config.queuePrefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  async flushQueues(): Promise<void> {
    const keys = await this.queueKeys();
    for (let i = 0; i < keys.length; i += 500) await this.redis.del(...keys.slice(i, i + 500));
  }

  async close(): Promise<void> {
    await this.stopWorker().catch(() => undefined);
    await this.api?.close().catch(() => undefined);
    await this.db.end().catch(() => undefined);
    await this.flushQueues().catch(() => undefined);
    this.redis.disconnect();
    rmSync(this.config.checkpointDir, { recursive: true, force: true });
    await dropDatabase(this.dbName, this.listed);
    // A violation whose rejection a test caught or ignored still fails the file.
    if (this.contractViolations.length)
      throw new Error(`${this.contractViolations.length} response(s) broke the API contract:\n${this.contractViolations.join('\n')}`);
  }
}

/**
 * Drops an engine's database. PostgreSQL 15 forces an immediate checkpoint for every DROP DATABASE (CREATE
 * ... TEMPLATE, WAL_LOG, needs none) and waits for it: 1.8 s a drop on average over 32 engines of three files
 * at a time on the loaded 2-core machine, with the next file's engine waiting behind it. So in a Jest run,
 * where start() listed the database with the run's templates, the drop goes on without the test file; the
 * run's teardown drops whatever a worker ended before it had dropped (scripts/jest-templates.js; a run killed
 * without its teardown leaves them to the next run's setup). With the copies no longer migrated again
 * (template-database.ts), one main Jest run each way on the quiet machine: 336 s before, 323 s after.
 */
async function dropDatabase(dbName: string, listed: boolean): Promise<void> {
  const dropping = (async () => {
    const admin = new Client({ connectionString: BASE_DB });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  })();
  if (listed) dropping.catch(() => undefined);
  else await dropping;
}

/** A promise and whether it has settled, so a test can wait for "done, or blocked" without a sleep. */
export function settle<T>(p: PromiseLike<T>): { promise: Promise<T>; done: () => boolean } {
  let done = false;
  const promise = Promise.resolve(p).finally(() => {
    done = true;
  });
  // Awaited later; a rejection meanwhile is not unhandled.
  promise.catch(() => undefined);
  return { promise, done: () => done };
}

/** Polls a condition until it holds: how tests wait for asynchronous work, never a fixed sleep. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 15000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
