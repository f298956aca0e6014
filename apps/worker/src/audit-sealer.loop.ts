import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { SEAL_BATCH, SealAuditEvents, WriteAuditCheckpoint } from '@fr/audit';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ADVISORY_LOCK, tryAdvisoryLock } from '@fr/persistence';

/** How often a worker that is not the sealer asks whether the sealer is gone. */
const LEASE_RETRY_MS = 1000;
const CHECKPOINT_EVERY_MS = 1000;

/**
 * Every worker runs this loop; one of them at a time is the sealer. Leadership is a session advisory
 * lock held on the sealer's own connection, and the sealer seals on that same connection: when its
 * process dies (even by SIGKILL) the connection closes, PostgreSQL releases the lock, an open batch
 * rolls back, and another worker takes over at its next try, within LEASE_RETRY_MS. A sealer that
 * loses its connection cannot go on sealing with a lease it no longer holds.
 */
@Injectable()
export class AuditSealerLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditSealerLoop.name);
  private readonly identity = `${hostname()}:${process.pid}`;
  private lease: QueryRunner | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastCheckpointAt = 0;
  /** Sealed since the last checkpoint: the checkpoint must catch up even if nothing more arrives. */
  private uncheckpointed = false;

  constructor(
    private readonly ds: DataSource,
    private readonly sealer: SealAuditEvents,
    private readonly checkpoint: WriteAuditCheckpoint,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
    await this.dropLease();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.tick().then((next) => this.schedule(next));
    }, ms);
  }

  /** One step; returns when to take the next. */
  private async tick(): Promise<number> {
    try {
      if (!this.lease && !(await this.takeLease())) return LEASE_RETRY_MS;
      const sealed = await this.sealer.sealBatch(this.identity, SEAL_BATCH, this.lease!);
      if (sealed > 0) this.uncheckpointed = true;
      await this.checkpointIfDue();
      return sealed === SEAL_BATCH ? 0 : this.config.auditSealIntervalMs;
    } catch (e) {
      if (this.stopped) return 0;
      this.logger.warn(`audit sealing failed, giving up the sealer's lease: ${(e as Error).message}`);
      await this.dropLease();
      return LEASE_RETRY_MS;
    }
  }

  /** The checkpoint follows the sealed head at most once a second; its own failure never costs the lease. */
  private async checkpointIfDue(): Promise<void> {
    if (!this.uncheckpointed || Date.now() - this.lastCheckpointAt < CHECKPOINT_EVERY_MS) return;
    this.lastCheckpointAt = Date.now();
    try {
      const outcome = await this.checkpoint.runOnce();
      if (outcome.kind !== 'busy') this.uncheckpointed = false;
    } catch (e) {
      this.logger.warn(`audit checkpoint failed: ${(e as Error).message}`);
    }
  }

  private async takeLease(): Promise<boolean> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      if (!(await tryAdvisoryLock(runner, ADVISORY_LOCK.auditSealer))) {
        await runner.release();
        return false;
      }
    } catch (e) {
      await destroy(runner);
      throw e;
    }
    this.lease = runner;
    this.logger.log(`this worker (${this.identity}) now seals the audit trail`);
    return true;
  }

  private async dropLease(): Promise<void> {
    const runner = this.lease;
    this.lease = null;
    // Closed rather than returned to the pool: a pooled connection would keep the session lock.
    if (runner) await destroy(runner).catch(() => undefined);
  }
}

async function destroy(runner: QueryRunner): Promise<void> {
  const pg = runner as QueryRunner & { releasePostgresConnection?: (err?: Error) => Promise<void> };
  if (pg.releasePostgresConnection) await pg.releasePostgresConnection(new Error('closed, not pooled'));
  else await runner.release();
}
