import { Inject, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, AppConfigModule } from '@fr/config';
import { dataSourceOptions, JIT_OFF } from './data-source-options';

/** How a replica's sessions show in pg_stat_activity. */
export const READ_APPLICATION_NAME = 'feedback-router-read';
/** How the sessions of the reports' own pool on the primary show in pg_stat_activity. */
export const REPORTS_APPLICATION_NAME = 'feedback-router-reports';

/**
 * Where reports and exports read: a replica when DATABASE_READ_URL is set (they read in READ ONLY
 * transactions, which a hot standby serves), the primary otherwise. What they show may lag the
 * primary by the replica's replication delay; they cover past periods, and the trail's verification
 * and every write stay on the primary.
 *
 * On the primary they read through a pool of their own (FR_DB_POOL_SIZE connections, opened on first
 * use), never the one intake and case actions use: a unit report runs about eight statements side by
 * side, and ten auditors refreshing it at once held every pooled connection, so citizens' POSTs waited
 * 5 s for one and got 503 "database is unavailable", and /health said PostgreSQL was down (an attack
 * run with autocannon, 2026-12-06).
 */
@Injectable()
export class ReadDatabase implements OnModuleDestroy {
  private pool: DataSource | null = null;
  /** The pool's opening, shared by the statements a report starts side by side on first use. */
  private opening: Promise<DataSource> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** The process's own pool, whose session settings (the API's lock_timeout, the idle-in-transaction timeout; not JIT's) the reports' sessions take too. */
    private readonly primary: DataSource,
  ) {}

  /** The data source to read reports from; its pool opens on first use. */
  source(): Promise<DataSource> {
    if (!this.opening) {
      const replica = this.config.databaseReadUrl;
      const options = dataSourceOptions({ databaseUrl: replica ?? this.config.databaseUrl, dbPoolSize: this.config.dbPoolSize });
      const pool = new DataSource({
        ...options,
        migrations: [],
        subscribers: [],
        extra: {
          ...(options.extra as Record<string, unknown>),
          ...sessionOptionsOf((this.primary.options as { extra?: Record<string, unknown> }).extra),
          application_name: replica ? READ_APPLICATION_NAME : REPORTS_APPLICATION_NAME,
        },
      });
      this.pool = pool;
      this.opening = pool.initialize().catch((e: unknown) => {
        // Not opened (the database away at first use): the next report tries again.
        this.opening = null;
        throw e;
      });
    }
    return this.opening;
  }

  async onModuleDestroy(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (this.pool?.isInitialized) await this.pool.destroy();
  }
}

@Module({ imports: [AppConfigModule], providers: [ReadDatabase], exports: [ReadDatabase] })
export class ReadDatabaseModule {}

/**
 * The primary pool's session settings, but JIT: a report aggregates up to a million cases, where the
 * server's own choice to compile may pay, unlike the engine's short statements (SessionSettings.jit).
 */
function sessionOptionsOf(extra: Record<string, unknown> | undefined): { options?: string } {
  const options = typeof extra?.options === 'string' ? extra.options.split(JIT_OFF).join(' ').replace(/\s+/g, ' ').trim() : '';
  return options ? { options } : {};
}
