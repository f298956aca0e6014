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
          useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config, session), retryAttempts: 2, retryDelay: 1000 }),
        }),
      ],
    };
  }
}
