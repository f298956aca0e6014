import { Inject, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { dataSourceOptions } from './data-source-options';

/** How a replica's sessions show in pg_stat_activity. */
export const READ_APPLICATION_NAME = 'feedback-router-read';

/**
 * Where reports and exports read: a replica when DATABASE_READ_URL is set (they read in READ ONLY
 * transactions, which a hot standby serves), the primary otherwise. What they show may lag the
 * primary by the replica's replication delay; they cover past periods, and the trail's verification
 * and every write stay on the primary.
 */
@Injectable()
export class ReadDatabase implements OnModuleDestroy {
  private replica: DataSource | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly primary: DataSource,
  ) {}

  /** The data source to read reports from; the replica's pool opens on first use. */
  async source(): Promise<DataSource> {
    const url = this.config.databaseReadUrl;
    if (!url) return this.primary;
    if (!this.replica) {
      const options = dataSourceOptions({ databaseUrl: url, dbPoolSize: this.config.dbPoolSize });
      this.replica = new DataSource({
        ...options,
        migrations: [],
        subscribers: [],
        extra: { ...(options.extra as Record<string, unknown>), application_name: READ_APPLICATION_NAME },
      });
    }
    if (!this.replica.isInitialized) await this.replica.initialize();
    return this.replica;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.replica?.isInitialized) await this.replica.destroy();
  }
}

@Module({ imports: [AppConfigModule], providers: [ReadDatabase], exports: [ReadDatabase] })
export class ReadDatabaseModule {}
