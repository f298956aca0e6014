import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRows } from '@fr/persistence';
import { Clock, SlaService } from '@fr/sla';
import { ActOnCase } from './act-on-case.usecase';
import { SYSTEM_ACTOR } from './actor';

/** Resolved cases that the citizen did not rate close themselves after the configured days. */
@Injectable()
export class AutoCloseResolved {
  constructor(
    private readonly ds: DataSource,
    private readonly act: ActOnCase,
    private readonly sla: SlaService,
    private readonly clock: Clock,
  ) {}

  async runOnce(now = this.clock.now()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.sla.policy.autoCloseDays * 86400000);
    let closed = 0;
    for (;;) {
      const n = await this.ds.transaction(async (m) => {
        const rows = await selectRows<{ id: string }>(
          m,
          `SELECT id FROM cases WHERE status = 'resolved' AND resolved_at <= $1 ORDER BY resolved_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
          [cutoff],
        );
        for (const r of rows) {
          await this.act.run(m, SYSTEM_ACTOR('auto-close'), r.id, 'close', { reason: `no rating within ${this.sla.policy.autoCloseDays} days` });
        }
        return rows.length;
      });
      closed += n;
      if (n < 200) return closed;
    }
  }
}
