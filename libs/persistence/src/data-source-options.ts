import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@fr/config';
import { MIGRATIONS } from './migrations';
import { OutboxCommitSubscriber } from './outbox-signal';

export interface SessionSettings {
  /** PostgreSQL's lock_timeout for the pool's sessions, in ms; unset: none (wait for as long as a lock is held). */
  lockTimeoutMs?: number;
  /**
   * PostgreSQL's idle_in_transaction_session_timeout for the pool's sessions, in ms; unset or 0: none. A
   * process frozen inside a transaction (SIGSTOP, an event loop that never comes back) kept its row locks
   * for as long as it lived, its connection still open: every other instance's action on the same case
   * waited for it. The server ends such a session, and its locks go with it.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * False: PostgreSQL's JIT compilation off in the pool's sessions (JIT_OFF). The server compiles a
   * statement whose estimated cost passes jit_above_cost, and on tables not analyzed yet (a fresh
   * database, autovacuum behind or off) the estimates are many times the work: the checkpoint's page
   * check over 400 seals was estimated at 183,451 and spent 74 ms of its 78 compiling, once a second,
   * and the daily facts' pass 132 ms against 88 without (the bench's paced run at 26,000 cases,
   * 2026-12-07). The engine's statements are short; unset: the server's own setting.
   */
  jit?: boolean;
}

/** The sessions' option that turns JIT off; the reports' pool leaves it out (ReadDatabase). */
export const JIT_OFF = '-c jit=off';

/** The sessions' settings as libpq's `options` (`-c name=value`), or nothing when none is set. */
function sessionOptions(session: SessionSettings): { options?: string } {
  const set: string[] = [];
  if (session.lockTimeoutMs !== undefined) set.push(`-c lock_timeout=${Math.round(session.lockTimeoutMs)}`);
  if (session.idleInTransactionTimeoutMs) set.push(`-c idle_in_transaction_session_timeout=${Math.round(session.idleInTransactionTimeoutMs)}`);
  if (session.jit === false) set.push(JIT_OFF);
  return set.length ? { options: set.join(' ') } : {};
}

export function dataSourceOptions(config: Pick<AppConfig, 'databaseUrl' | 'dbPoolSize'>, session: SessionSettings = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    // No entities: the migrations are the schema's one description, and SQL reads it through typed
    // rows (sql.ts). TypeORM is kept for its pool, transactions, migrations and subscribers.
    entities: [],
    migrations: MIGRATIONS,
    subscribers: [OutboxCommitSubscriber],
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Idle connections are kept (node-postgres closes them after 10 s by default): a burst after a quiet
    // spell (the morning's deadlines, intake after a lull) otherwise waited for new backends to be forked
    // and their caches warmed while it queued. In the SLA bench 11-13 connections were opened as its
    // breaches began, after 150 s idle. A connection that breaks while idle is dropped by the pool.
    extra: {
      max: config.dbPoolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 0,
      application_name: 'feedback-router',
      ...sessionOptions(session),
    },
  };
}
