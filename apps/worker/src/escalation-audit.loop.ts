import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuditEscalations } from '@fr/sla';

const INTERVAL_MS = 500;

/** Puts fired escalations on the audit chain in batches, twice a second (see AuditEscalations). */
@Injectable()
export class EscalationAuditLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EscalationAuditLoop.name);
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly audit: AuditEscalations) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      this.current = this.drain()
        .catch((e) => this.logger.warn(`escalation audit failed: ${(e as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, INTERVAL_MS);
        });
    };
    this.timer = setTimeout(tick, INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (await this.audit.runOnce()) > 0) {
      // keep going while there is a backlog
    }
  }
}
