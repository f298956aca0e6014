import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@fr/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { OutboxCommitSubscriber } from './outbox-signal';

export function dataSourceOptions(config: Pick<AppConfig, 'databaseUrl' | 'dbPoolSize'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    subscribers: [OutboxCommitSubscriber],
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    extra: { max: config.dbPoolSize, connectionTimeoutMillis: 5000, application_name: 'feedback-router' },
  };
}
