import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@fr/config';
import { MIGRATIONS } from './migrations';
import { OutboxCommitSubscriber } from './outbox-signal';

export interface SessionSettings {
  /** PostgreSQL's lock_timeout for the pool's sessions, in ms; unset: none (wait for as long as a lock is held). */
  lockTimeoutMs?: number;
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
      ...(session.lockTimeoutMs !== undefined ? { options: `-c lock_timeout=${Math.round(session.lockTimeoutMs)}` } : {}),
    },
  };
}
