import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RetentionPolicy } from '@fr/config';
import { selectRows } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { ContactReads } from './contact-reads';
import { eraseContactDetails } from './erase-contact-details';
import { RETENTION_POLICY } from './retention-policy';

const DAY_MS = 86_400_000;
export const RETENTION_ACTOR = 'system:retention';

export interface RetentionSweepResult {
  erased: number;
  readsPurged: number;
}

/**
 * The daily personal-data sweep: erases the contact details of cases closed longer ago than the
 * policy's period, a batch per transaction, and purges the read records older than theirs. Idempotent: an erased case is marked and
 * never selected again; an interrupted run leaves whole batches done and the rest for the next.
 * It waits for a case another transaction holds (SKIP LOCKED let a case locked for a moment by an
 * SLA timer wait a whole day), and a second sweep waiting on the same rows finds them erased.
 */
@Injectable()
export class EraseExpiredContactDetails {
  private readonly logger = new Logger(EraseExpiredContactDetails.name);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(RETENTION_POLICY) private readonly policy: RetentionPolicy,
    private readonly reads: ContactReads,
  ) {}

  async runOnce(): Promise<RetentionSweepResult> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.policy.contactAfterCloseDays * DAY_MS);
    let erased = 0;
    for (;;) {
      const n = await this.ds.transaction(async (m) => {
        // Not locked here: eraseContactDetails locks them with their groups, each group's original before its
        // other cases, as a case action on a group does (case-erasure-locks.ts). Locked here first, a due
        // duplicate was held before its original, which a case action or another erasure of the group held
        // while waiting for that duplicate. A closed case stays closed; one erased meanwhile is skipped.
        const due = await selectRows<{ id: string }>(
          m,
          `SELECT id::text AS id FROM cases
            WHERE closed_at IS NOT NULL AND contact_erased_at IS NULL AND closed_at <= $1
            ORDER BY closed_at, cases.id LIMIT $2`,
          [cutoff, this.policy.batchSize],
        );
        const done = await eraseContactDetails(
          m,
          due.map((r) => r.id),
          this.policy,
          RETENTION_ACTOR,
          { kind: 'retention', afterCloseDays: this.policy.contactAfterCloseDays },
          now,
        );
        return { selected: due.length, done: done.length };
      });
      erased += n.done;
      if (n.selected < this.policy.batchSize) break;
    }
    const readsPurged = await this.reads.purge(new Date(now.getTime() - this.policy.readRecordsKeepDays * DAY_MS));
    if (erased || readsPurged) this.logger.log(`retention: ${erased} case(s) erased, ${readsPurged} read record(s) purged`);
    return { erased, readsPurged };
  }
}
