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
 * trigger catches them all, and marking costs one primary-key upsert, where recomputing costs reading
 * the case's assignments, events and pauses in every write. A queued job would add a Redis round trip
 * per change and could be lost with Redis; the pending table is the queue, in the same commit as the
 * change. The worker drains it every FR_FACTS_INTERVAL_MS (and after its maintenance sweeps), and
 * the report drains what is left before it reads, so a report never reads a stale case.
 *
 * A drain never makes a writer wait for its work: it reads the marks with their version (the id of
 * the transaction that last wrote each, migration 1766910000000), recomputes, and deletes at the end
 * only the marks still at that version and not held by a writer (SKIP LOCKED). A mark rewritten
 * meanwhile stays, and its case is recomputed by the next drain. When the drain deleted its marks
 * first and recomputed while holding them, a routing batch with one claimed case waited for the whole
 * drain (test/unit-facts.e2e-spec.ts shows a writer no longer waits). In the intake bench's paced runs
 * (200/s) send -> assigned rose from about 50 ms to 0.4-1.6 s for seconds at a time; this was one cause
 * found, not yet shown by a quiet-machine run to be the only one.
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
   * Recomputes the pending cases (at most about `max`); returns how many. Safe to run concurrently:
   * one drain at a time, the worker's skipping when another runs, a report's (`wait`) waiting for it,
   * so that when a report's drain returns every case marked when it began has been recomputed from its
   * committed state. `signal`: the worker stopping; the drain ends after the batch in hand.
   */
  async drain(batch = FACTS_BATCH, max = Infinity, wait = false, signal?: AbortSignal): Promise<number> {
    let total = 0;
    // One pass in case id order: a mark left behind (rewritten meanwhile, or held by a writer) waits
    // for the next drain instead of being read again at once, so a busy case cannot hold a drain.
    let after: string | null = null;
    for (;;) {
      const read: string[] = await this.ds.transaction((m) => this.drainOnce(m, batch, wait, after));
      total += read.length;
      // Aborted (the worker stopping): the marks left stay pending for the next drain.
      if (read.length < batch || total >= max || signal?.aborted) return total;
      after = read[read.length - 1];
    }
  }

  /** Recomputes up to `batch` marked cases after `after` in id order; returns their ids. */
  private async drainOnce(m: EntityManager, batch: number, wait: boolean, after: string | null): Promise<string[]> {
    // One drain at a time (ADVISORY_LOCK.unitFacts says why): a report waits for it, the worker's tick
    // leaves the work to whoever holds it.
    if (wait) await advisoryXactLock(m, ADVISORY_LOCK.unitFacts);
    else if (!(await tryAdvisoryXactLock(m, ADVISORY_LOCK.unitFacts))) return [];
    // Two statements, not `$2 IS NULL OR case_id > $2`, which is no index bound: a rebuild's pass
    // would read every mark before its cursor again for each batch.
    const marks =
      after === null
        ? await selectRows<{ case_id: string; ver: string }>(m, `SELECT case_id, ver::text AS ver FROM unit_facts_pending ORDER BY case_id LIMIT $1`, [batch])
        : await selectRows<{ case_id: string; ver: string }>(
            m,
            `SELECT case_id, ver::text AS ver FROM unit_facts_pending WHERE case_id > $2::uuid ORDER BY case_id LIMIT $1`,
            [batch, after],
          );
    if (!marks.length) return [];
    const ids = marks.map((r) => r.case_id);
    const base = this.base();
    // Read after the marks: every change a mark read here stands for is committed, so it is seen.
    const facts = (await selectRows<FactsRow>(m, CASES_FACTS_SQL, [ids])).flatMap((r) => caseDayFacts(toFacts(r), base));
    await execute(m, `DELETE FROM unit_case_facts WHERE case_id = ANY($1::uuid[])`, [ids]);
    if (facts.length) await insertFacts(m, facts);
    // The row lock re-reads a mark rewritten since it was read, and the version test then drops it.
    await execute(
      m,
      `DELETE FROM unit_facts_pending WHERE case_id IN (
         SELECT p.case_id FROM unit_facts_pending p JOIN unnest($1::uuid[], $2::xid8[]) AS r(case_id, ver) ON p.case_id = r.case_id AND p.ver = r.ver
            FOR UPDATE OF p SKIP LOCKED)`,
      [ids, marks.map((r) => r.ver)],
    );
    return ids;
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
                                  transfers_in, transfers_out, reorganised_in, reorganised_out, returns, extensions, reopened, merged_duplicate, rating, grouped,
                                  passed_on_late)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::bool[], $5::bool[], $6::bool[], $7::bool[], $8::bool[], $9::int[],
                          $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::bool[], $17::bool[], $18::smallint[], $19::bool[],
                          $20::bool[])`,
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
      col((x) => x.passedOnLate),
    ],
  );
}
