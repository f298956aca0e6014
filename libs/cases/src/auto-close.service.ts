import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ActionNotAllowedInStateError, ConflictError } from '@fr/domain';
import { selectRows } from '@fr/persistence';
import { Clock, SlaService } from '@fr/sla';
import { ActOnCase } from './act-on-case.usecase';
import { SYSTEM_ACTOR } from './actor';

const BATCH = 200;

/** Resolved cases that the citizen did not rate close themselves after the configured days. */
@Injectable()
export class AutoCloseResolved {
  constructor(
    private readonly ds: DataSource,
    private readonly act: ActOnCase,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** How many cases this pass closed: at most autoClosePerTick, the answers given longest ago first. */
  async runOnce(now = this.clock.now()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.sla.policy.autoCloseDays * 86400000);
    const reason = `no rating within ${this.sla.policy.autoCloseDays} days`;
    let closed = 0;
    let after: { resolvedAt: string; id: string } | null = null;
    for (;;) {
      // Read unlocked, and each case closed in a transaction of its own, as an officer closes one: the action
      // locks the case's original before it when a deletion waits for the case (lockCaseToAct), as every
      // writer of a merged group does (case-erasure-locks.ts). Locked here, the batch held such a duplicate
      // before its original, which an erasure of the group held while waiting for the duplicate; and one
      // transaction for the batch held the cases closed so far while it locked the next one's original.
      // Every worker's sweep walks the same cases: a case another transaction holds (another worker's sweep
      // closing it, an officer acting on it) is left to it, or to the next pass, rather than waited for; the
      // sweeps waited on each other case by case, and a second worker closed none sooner. A case changed
      // since it was read is left as it is (expectedVersion); so is one another worker's sweep closed
      // meanwhile. resolved_at as text: to the microsecond, where a Date stops at the millisecond.
      const due: { id: string; version: number; resolved_at: string }[] = await selectRows(
        this.ds,
        `SELECT id::text AS id, version, resolved_at::text AS resolved_at FROM cases
          WHERE status = 'resolved' AND resolved_at <= $1 AND ($2::timestamptz IS NULL OR (resolved_at, id) > ($2, $3::uuid))
          ORDER BY cases.resolved_at, cases.id LIMIT ${BATCH}`,
        [cutoff, after?.resolvedAt ?? null, after?.id ?? null],
      );
      for (const c of due) {
        // Bounded: a backlog (a bulk of answers a week ago, workers down for days) held up every sweep after
        // this one in the tick; the rest is closed at the next ticks.
        if (closed >= this.config.autoClosePerTick) return closed;
        if (await this.closeIfFree(c, reason)) closed++;
      }
      if (due.length < BATCH) return closed;
      const last = due[due.length - 1];
      after = { resolvedAt: last.resolved_at, id: last.id };
    }
  }

  private async closeIfFree(c: { id: string; version: number }, reason: string): Promise<boolean> {
    try {
      return (await this.act.executeIfFree(SYSTEM_ACTOR('auto-close'), c.id, 'close', { reason, expectedVersion: c.version })) !== null;
    } catch (e) {
      // Rated, reopened or closed since it was read (by the citizen, an officer, another worker's sweep):
      // left as it now is; one still due is closed at the next sweep.
      if (!(e instanceof ConflictError || e instanceof ActionNotAllowedInStateError)) throw e;
      return false;
    }
  }
}
