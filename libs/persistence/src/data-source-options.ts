import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@fr/config';
import { MIGRATIONS } from './migrations';
import { OutboxCommitSubscriber } from './outbox-signal';

export function dataSourceOptions(config: Pick<AppConfig, 'databaseUrl' | 'dbPoolSize'>): DataSourceOptions {
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
    extra: { max: config.dbPoolSize, connectionTimeoutMillis: 5000, application_name: 'feedback-router' },
  };
}
