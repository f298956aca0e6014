import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ADVISORY_LOCK, advisoryXactLock, execute, selectRows, tryAdvisoryXactLock } from '@fr/persistence';
import { SlaService } from '@fr/sla';
import { CASES_FACTS_SQL, FactsRow, toFacts } from './case-facts.reader';
import { caseDayFacts, UnitDayFact } from './unit-facts';
import { MetricsContext } from './unit-metrics';

/** Cases recomputed per transaction: small enough that a writer marking one of them waits briefly. */
export const FACTS_BATCH = 200;
/** Larger batches for a rebuild, where nobody waits on the rows. */
const REBUILD_BATCH = 2000;

/**
 * Keeps the daily facts current. A case's contributions are recomputed whole (delete + insert of its
 * rows, by the report's own caseLines), so the job is idempotent and order-free: recomputing twice or
 * late gives the same rows. What to recompute comes from `unit_facts_pending`, filled by triggers in
 * the transaction that changed the case.
 *
 * Why pending rows and not the recomputation inside the writing transaction, nor a BullMQ job through
 * the outbox: the cases change in a dozen use cases, the reorganisation worker and bulk loads; a
 * trigger catches them all, and marking costs one primary-key insert (ON CONFLICT DO NOTHING), where
 * recomputing costs reading the case's assignments, events and pauses in every write. A queued job
 * would add a Redis round trip per change and could be lost with Redis; the pending table is the
 * queue, in the same commit as the change. The worker drains it on its maintenance tick, and the
 * report drains what is left before it reads, so a report never reads a stale case.
 */
@Injectable()
export class UnitFactsUpdater {
  private readonly logger = new Logger(UnitFactsUpdater.name);

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
  ) {}

  private base(): Pick<MetricsContext, 'calendar' | 'receiveDue'> {
    return { calendar: this.sla.calendar, receiveDue: (start) => this.sla.deadlines(this.sla.receiveClock(start), []).dueAt! };
  }

  /**
   * Recomputes the pending cases (at most `max`); returns how many. Safe to run concurrently: the
   * worker skips cases another drain holds; a report (`wait`) waits for them instead, so that when it
   * returns every case pending when it began has been recomputed and committed by someone. Both claim
   * in case id order, so waiting drains cannot deadlock.
   */
  async drain(batch = FACTS_BATCH, max = Infinity, wait = false): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.ds.transaction((m) => this.drainOnce(m, batch, wait));
      total += n;
      if (n < batch || total >= max) return total;
    }
  }

  private async drainOnce(m: EntityManager, batch: number, wait: boolean): Promise<number> {
    // One drain at a time (ADVISORY_LOCK.unitFacts says why): a report waits for it, the worker's tick
    // leaves the work to whoever holds it.
    if (wait) await advisoryXactLock(m, ADVISORY_LOCK.unitFacts);
    else if (!(await tryAdvisoryXactLock(m, ADVISORY_LOCK.unitFacts))) return 0;
    // Deleting the claimed rows holds them locked: a writer marking one of these cases again waits for
    // this commit, then marks it anew, so its change is recomputed by the next drain.
    const ids = (
      await selectRows<{ case_id: string }>(
        m,
        `DELETE FROM unit_facts_pending
          WHERE case_id IN (SELECT case_id FROM unit_facts_pending ORDER BY case_id LIMIT $1 FOR UPDATE${wait ? '' : ' SKIP LOCKED'})
          RETURNING case_id`,
        [batch],
      )
    ).map((r) => r.case_id);
    if (!ids.length) return 0;
    const base = this.base();
    const facts = (await selectRows<FactsRow>(m, CASES_FACTS_SQL, [ids])).flatMap((r) => caseDayFacts(toFacts(r), base));
    await execute(m, `DELETE FROM unit_case_facts WHERE case_id = ANY($1::uuid[])`, [ids]);
    if (facts.length) await insertFacts(m, facts);
    return ids.length;
  }

  /**
   * From the raw data: every case marked pending, the facts and their per unit and day totals emptied,
   * then drained. DELETE, not TRUNCATE, which the engine's role may not do: the facts' trigger takes
   * their sums away (leaving zeros), then the totals' rows go.
   */
  async rebuild(): Promise<number> {
    await this.ds.transaction(async (m) => {
      await execute(m, `DELETE FROM unit_case_facts`);
      await execute(m, `DELETE FROM unit_day_minutes`);
      await execute(m, `DELETE FROM unit_day_totals`);
      await execute(m, `INSERT INTO unit_facts_pending (case_id) SELECT id FROM cases ON CONFLICT DO NOTHING`);
    });
    const n = await this.drain(REBUILD_BATCH);
    this.logger.log(`daily facts rebuilt from ${n} cases`);
    return n;
  }
}

async function insertFacts(m: EntityManager, facts: UnitDayFact[]): Promise<void> {
  const col = <T>(f: (x: UnitDayFact) => T) => facts.map(f);
  await execute(
    m,
    `INSERT INTO unit_case_facts (case_id, unit_code, day, received, acknowledged, acknowledged_on_time, resolved, resolved_late, resolve_minutes,
                                  transfers_in, transfers_out, reorganised_in, reorganised_out, returns, extensions, reopened, merged_duplicate, rating, grouped)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::bool[], $5::bool[], $6::bool[], $7::bool[], $8::bool[], $9::int[],
                          $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::bool[], $17::bool[], $18::smallint[], $19::bool[])`,
    [
      col((x) => x.caseId),
      col((x) => x.unitCode),
      col((x) => x.day),
      col((x) => x.received),
      col((x) => x.acknowledged),
      col((x) => x.acknowledgedOnTime),
      col((x) => x.resolved),
      col((x) => x.resolvedLate),
      col((x) => x.resolveMinutes),
      col((x) => x.transfersIn),
      col((x) => x.transfersOut),
      col((x) => x.reorganisedIn),
      col((x) => x.reorganisedOut),
      col((x) => x.returns),
      col((x) => x.extensions),
      col((x) => x.reopened),
      col((x) => x.mergedDuplicate),
      col((x) => x.rating),
      col((x) => x.grouped),
    ],
  );
}
