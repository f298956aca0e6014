import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '@fr/metrics';
import { selectRow } from '@fr/persistence';

/** How far the sealer is behind: committed events waiting in audit_unsealed, and the oldest one's wait. */
@Injectable()
export class SealingGauges implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('audit-sealing', () => this.collect());
  }

  async collect(): Promise<void> {
    const row = await selectRow<{ n: string; wait: number }>(
      this.ds,
      `SELECT count(*)::text AS n, COALESCE(extract(epoch FROM clock_timestamp() - min(queued_at)), 0)::float8 AS wait FROM audit_unsealed`,
    );
    this.metrics.auditUnsealed.set(Number(row?.n ?? 0));
    this.metrics.auditSealingDelay.set(row?.wait ?? 0);
  }
}
