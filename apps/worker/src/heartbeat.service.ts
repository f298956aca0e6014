import { writeFile } from 'node:fs/promises';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';

const BEAT_MS = 10_000;

/**
 * The worker has no HTTP port for a health check: it proves it is alive and reaches its database by
 * touching FR_HEARTBEAT_FILE, which the image's HEALTHCHECK (scripts/healthcheck.js) reads.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ds: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    const file = this.config.heartbeatFile;
    if (!file) return;
    const beat = () =>
      this.ds
        .query('SELECT 1')
        .then(() => writeFile(file, new Date().toISOString()))
        .catch(() => undefined);
    void beat();
    this.timer = setInterval(() => void beat(), BEAT_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
