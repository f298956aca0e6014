import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { dataSourceOptions, SessionSettings } from './data-source-options';

@Module({})
export class DatabaseModule {
  static forRoot(session: SessionSettings = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [AppConfigModule],
          inject: [APP_CONFIG],
          // The database was reached and migrated before Nest starts; long boot retries only hide outages.
          // Every engine process's sessions end when idle inside a transaction for FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS
          // (the reports' pool takes the setting from this one: ReadDatabase); migrations run on a data source of their own.
          // JIT is off in them (SessionSettings.jit): their statements are short, and the server compiled some of
          // them every second when the tables had not been analyzed yet; the reports' pool keeps the server's.
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config, { idleInTransactionTimeoutMs: config.dbIdleInTransactionTimeoutMs, jit: false, ...session }),
            retryAttempts: 2,
            retryDelay: 1000,
          }),
        }),
      ],
    };
  }
}
