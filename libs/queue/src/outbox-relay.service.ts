import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { onOutboxCommitted, selectRows, takeOutboxMark, transactionBegunWith } from '@fr/persistence';
import { outboxChannel } from './outbox-announcer';
import { QueueRegistry } from './queue.module';
import { jobOptionsFor } from './queues';
import { createRedisClient, RedisClient } from './redis-connection';

interface OutboxRow {
  id: string;
  queue: string;
  job_name: string;
  job_id: string;
  payload: Record<string, unknown>;
  delay_ms: number;
  /** How long ago the row was written, by PostgreSQL's clock. */
  age_ms: number;
}

/**
 * Does the job of some outbox rows inside the relay's own transaction, instead of sending them to
 * BullMQ: the rows' deletion and the job's writes commit together. Gets the rows' payloads, in the
 * order they were written.
 */
export type LocalJobHandler = (m: EntityManager, payloads: Record<string, unknown>[]) => Promise<void>;

const POLL_MS = 1000;
const REDIS_TIMEOUT_MS = 10000;

/**
 * Moves outbox rows, written in the same transaction as the change they announce, to BullMQ.
 * A row is deleted only after its job is in Redis; a crash in between leaves the row, and the next
 * pass adds the job again under the same jobId, which BullMQ ignores while the first one exists.
 * Several workers may run relays: SKIP LOCKED hands each row to one of them.
 *
 * It wakes when this process commits outbox rows (onOutboxCommitted) or another process says so on
 * Redis (OutboxAnnouncer), and polls every second in case a signal was lost: see outbox-signal.ts
 * for why PostgreSQL's NOTIFY is no longer used.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private subscriber: RedisClient | null = null;
  private unsubscribe: (() => void) | null = null;
  /** The wake-ups of the lanes asleep now, first asleep first. */
  private readonly asleep: (() => void)[] = [];
  private pendingWake = false;
  /** Unconstrained passes begun so far; a follow-up is needed only if none began after the commit. */
  private takes = 0;
  private followUpTimer: NodeJS.Timeout | null = null;
  private takesAtLastOwnCommit = 0;
  private readonly local = new Map<string, LocalJobHandler>();

  constructor(
    private readonly ds: DataSource,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.unsubscribe = onOutboxCommitted(this.ds, () => this.wakeUp());
    void this.listen();
    this.loopDone = Promise.all(Array.from({ length: this.config.relayLanes }, () => this.loop())).then(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    for (const wake of this.asleep.splice(0)) wake();
    if (this.followUpTimer) clearTimeout(this.followUpTimer);
    this.followUpTimer = null;
    await this.loopDone;
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  /**
   * Rows of job `jobName` are handled by `handler` in the relay's transaction (see LocalJobHandler);
   * if it throws, they go to BullMQ as any other row, where their processor retries them.
   */
  handleLocally(jobName: string, handler: LocalJobHandler): void {
    this.local.set(jobName, handler);
  }

  /**
   * Publishes one batch; returns how many rows it moved. When Redis refuses the batch's jobs, the
   * rows with a local handler are still done, in a pass of their own (`publishLocalOnly`): intake is
   * routed through a Redis outage, and only the jobs that need Redis wait for it.
   */
  async publishBatch(): Promise<number> {
    try {
      return await this.publishMixedBatch();
    } catch (e) {
      if (!(e instanceof RedisRefused) || this.local.size === 0) throw e;
      await this.publishLocalOnly();
      throw e;
    }
  }

  /**
   * One pass over the next rows. If a local handler fails, the whole pass is undone (its rows are back
   * in the outbox) and a second pass takes the same rows again by id, sending that job's rows to
   * BullMQ, where their processor retries them. Undoing the pass instead of a savepoint around each
   * handler saves SAVEPOINT and RELEASE on every pass, for a failure that is rare. Measured 2026-12-04
   * (paced 200/s, pg_stat_statements): 88 passes a second of 11.7 statements each, now 9.7; at this
   * machine's cost of a round trip (about 90 us of the client's CPU and 34 us of the backend's) about
   * 0.02 cores, within the bench's run-to-run spread.
   */
  private async publishMixedBatch(): Promise<number> {
    try {
      return await this.pass();
    } catch (e) {
      if (!(e instanceof LocalJobFailed)) throw e;
      this.logger.warn(`outbox relay: '${e.jobName}' row(s) failed in the relay and go to the queue instead: ${e.message}`);
      return this.pass({ ids: e.rowIds }, new Set([e.jobName]));
    }
  }

  /**
   * The rows' jobs go to Redis while the local handlers run, not after them: a pass lasts as long as the
   * longer of the two instead of their sum. The jobs are usually the timers and fan-outs that the
   * previous pass's routing wrote, so before, every routing pass also waited for the previous one's
   * jobs. If a handler fails, the pass is undone and its rows come back; their jobs may already be in
   * Redis, and the retry pass adds them again under the same jobIds, which BullMQ ignores while it
   * keeps the first (a crash between the add and the commit does the same). Should the retry come only
   * after BullMQ has dropped a completed first job (the process died in between), the job runs twice
   * and finds its work done: fan-outs and deliveries are recorded in PostgreSQL by key, and a timer
   * fires a level once.
   */
  private pass(only?: { ids: string[] }, notLocally: ReadonlySet<string> = new Set()): Promise<number> {
    return this.inTakingTransaction(only, async (m, sorted) => {
      if (sorted.length === 0) return 0;
      const readAt = Date.now();
      // Settled at once, so that a handler's failure does not leave the add's rejection unhandled.
      const addOutcome = this.addToQueues(
        sorted.filter((r) => !this.runsLocally(r, notLocally)),
        readAt,
      ).then(
        () => null,
        (e: Error) => e,
      );
      // A handler's failure ends the pass at once, as when the add came after it: the pass is undone
      // and its rows are sent to BullMQ. Waiting for the add first would hold the pass's locks (its
      // cases, its units) for as long as Redis takes to answer, up to REDIS_TIMEOUT_MS in an outage.
      await this.runLocally(m, sorted, notLocally);
      const refused = await addOutcome;
      if (refused) throw refused;
      return sorted.length;
    });
  }

  /** Adds the rows' jobs to their queues; RedisRefused when Redis does not take them in time. */
  private async addToQueues(rows: OutboxRow[], readAt: number): Promise<void> {
    // A delay counts from the write: the time the row waited here, and since, comes off, so a timer is not late by it.
    const delayOf = (r: OutboxRow) => (r.delay_ms > 0 ? Math.max(0, Math.round(r.delay_ms - r.age_ms - (Date.now() - readAt))) : 0);
    for (const [name, batch] of groupBy(rows, (r) => r.queue)) {
      const queue = this.queues.get(name);
      const jobs = batch.map((r) => ({
        name: r.job_name,
        data: r.payload,
        opts: { ...jobOptionsFor(r.job_name, this.config), jobId: r.job_id, delay: delayOf(r) || undefined },
      }));
      // One job (a paced pass carries one routed case's timer) is added alone: addBulk builds an ioredis
      // pipeline, whose constructor copies every BullMQ script onto it. Measured with V8's sampling heap
      // profiler (paced 200/s, 20 s, 2026-12-05): the worker allocated 730 MB, 117 MB of it under
      // createBulk; with one job added alone, 661 MB and 25 MB.
      const add: Promise<unknown> = jobs.length === 1 ? queue.add(jobs[0].name, jobs[0].data, jobs[0].opts) : queue.addBulk(jobs);
      await withTimeout(add, REDIS_TIMEOUT_MS, 'Redis did not accept the jobs in time').catch((e: Error) => {
        throw new RedisRefused(e.message);
      });
    }
  }

  /** Takes only rows with a local handler and does them; if one fails, all stay (rolled back) for a later pass. */
  private async publishLocalOnly(): Promise<number> {
    return this.inTakingTransaction({ jobNames: [...this.local.keys()] }, async (m, sorted) => {
      await this.runLocally(m, sorted);
      return sorted.length;
    });
  }

  /**
   * Runs `work` in a transaction that starts by taking a batch of rows (take). A pass over the next rows
   * sends BEGIN and the take as one simple query: one round trip instead of two. The relay is the
   * path of every case (its routing is done here), and in a paced run it is busy nearly all the time:
   * a pass waits for each of its round trips, and the cases that arrive meanwhile wait for the pass.
   * Measured with the relay's passes timed (paced 200/s, 2 cores, 2026-12-05): busy 98-99% of the
   * run, passes of 6.5-9.8 ms (medians) carrying 3-4 rows. The retry pass (by ids) and the
   * local-only pass take their rows with parameters, after a START TRANSACTION of their own.
   * (transactionBegunWith says what the raw BEGIN skips.)
   */
  private async inTakingTransaction<T>(
    only: { ids: string[] } | { jobNames: string[] } | undefined,
    work: (m: EntityManager, rows: OutboxRow[]) => Promise<T>,
  ): Promise<T> {
    if (only) return this.ds.transaction(async (m) => work(m, await this.take(m, only)));
    this.takes++;
    const { result, wroteRows } = await transactionBegunWith<OutboxRow, { result: T; wroteRows: boolean }>(
      this.ds,
      takeSql('', String(this.config.relayBatchSize)),
      async (m, taken) => {
        const result = await work(m, sortById(taken));
        // Taken back before the commit, which then signals nothing (see followUp).
        return { result, wroteRows: takeOutboxMark(m) };
      },
    );
    if (wroteRows) this.followUp();
    return result;
  }

  /**
   * Takes and deletes a batch of rows (only those of some job names, or some ids, when given), in the
   * order they were written. One statement: the delete commits only once the pass's work is done (a
   * failed add to Redis rolls it back), and SKIP LOCKED keeps another relay off these rows meanwhile.
   * One round trip a pass fewer than a locking read and a delete, and no lock record per row in the
   * WAL. `o.id`, not `id`, in ORDER BY: an output column named id would sort as text (10 before 9) by
   * a sequential scan of the whole table (17.7 ms a pass in the SLA bench, against a walk of the key).
   * The taken ids are deleted by `= ANY (ARRAY(...))`, a lookup of each in the key: `IN (SELECT ...)`
   * let the planner, which takes the batch at its LIMIT (500), hash-join a sequential scan of the
   * whole table, dead rows included, on every pass (153 blocks on the kept database of a 2,000-case
   * bench run, 24 by the key; 167 blocks a pass in its paced run, 56 after; pg_stat_statements,
   * 2026-12-04). Not prepared: a generic plan made while the outbox is nearly empty scans and sorts
   * it, and keeps doing so as the table and its dead rows grow (195 blocks a pass when tried).
   */
  private async take(m: EntityManager, only?: { jobNames: string[] } | { ids: string[] }): Promise<OutboxRow[]> {
    const where = !only ? '' : 'jobNames' in only ? 'WHERE o.job_name = ANY($2::text[])' : 'WHERE o.id = ANY($2::bigint[])';
    const taken = await selectRows<OutboxRow>(
      m,
      takeSql(where, '$1'),
      only ? [this.config.relayBatchSize, 'jobNames' in only ? only.jobNames : only.ids] : [this.config.relayBatchSize],
    );
    return sortById(taken);
  }

  private runsLocally(r: OutboxRow, notLocally: ReadonlySet<string>): boolean {
    return this.local.has(r.job_name) && !notLocally.has(r.job_name);
  }

  /**
   * Runs the rows that have a local handler (unless their job is in `notLocally`). A handler that
   * throws fails the pass (LocalJobFailed): its transaction is undone.
   */
  private async runLocally(m: EntityManager, rows: OutboxRow[], notLocally: ReadonlySet<string> = new Set()): Promise<void> {
    if (this.local.size === 0) return;
    const byName = groupBy(
      rows.filter((r) => this.runsLocally(r, notLocally)),
      (r) => r.job_name,
    );
    for (const [name, batch] of byName) {
      try {
        await this.local.get(name)!(
          m,
          batch.map((r) => r.payload),
        );
      } catch (e) {
        throw new LocalJobFailed(
          name,
          rows.map((r) => r.id),
          e as Error,
        );
      }
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let moved = 0;
      try {
        moved = await this.publishBatch();
        failures = 0;
      } catch (e) {
        failures++;
        this.logger.warn(`outbox relay pass failed (${failures} in a row): ${(e as Error).message}`);
      }
      if (moved >= this.config.relayBatchSize) continue;
      // A lane that was in a pass when shutdown woke the sleeping ones must not sleep now.
      if (!this.running) break;
      const wait = failures ? Math.min(POLL_MS * 2 ** failures, 30000) : POLL_MS;
      await this.sleepUntilWoken(wait);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = this.asleep.indexOf(done);
        if (i >= 0) this.asleep.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.asleep.push(done);
    });
  }

  /**
   * The rows a pass's own work wrote (its routed cases' SLA timers and fan-outs) are not announced at
   * its commit: the next pass, begun for the next case to arrive, takes them with its own rows, and
   * only if no pass begins within `relayFollowUpMs` (50 ms) is one started for them. Announced at once,
   * they cost a pass and a commit of their own after most routings. Measured with the bench's paced
   * run (200/s for 30 s, 2 cores, 2026-12-05, every statement of the worker timed): with two lanes,
   * 11,043 passes for 6,000 cases and the worker's COMMITs (each a WAL flush that intake's commits
   * queue behind) in flight 27% of the run; with the follow-up, 5,798 passes and 6,126 COMMITs.
   */
  private followUp(): void {
    this.takesAtLastOwnCommit = this.takes;
    if (this.followUpTimer || !this.running) return;
    this.followUpTimer = setTimeout(() => {
      this.followUpTimer = null;
      // A pass begun after the last such commit takes its rows, being a statement after it, in id order.
      if (this.takes === this.takesAtLastOwnCommit) this.wakeUp();
    }, this.config.relayFollowUpMs);
  }

  /** One sleeping lane takes the new rows; when every lane is busy, the first to finish looks again at once. */
  private wakeUp(): void {
    const wake = this.asleep.shift();
    if (wake) wake();
    else this.pendingWake = true;
  }

  private async listen(): Promise<void> {
    const sub = createRedisClient(this.config.redisUrl, 'worker', { lazyConnect: true });
    const channel = outboxChannel(this.config.queuePrefix);
    sub.on('error', () => undefined);
    sub.on('message', () => this.wakeUp());
    // On every (re)connection, also one made after Redis was down at start; polling covers the gaps.
    sub.on('ready', () => void sub.subscribe(channel).catch(() => undefined));
    this.subscriber = sub;
    await sub.connect().catch((e: Error) => this.logger.warn(`outbox relay cannot reach Redis yet, polling until it can: ${e.message}`));
    if (!this.running) sub.disconnect();
  }
}

/** The take (see OutboxRelay.take): `where` narrows the rows, `limit` is a parameter or a literal. */
function takeSql(where: string, limit: string): string {
  return `DELETE FROM outbox WHERE id = ANY (ARRAY(SELECT o.id FROM outbox o ${where} ORDER BY o.id LIMIT ${limit} FOR UPDATE SKIP LOCKED))
       RETURNING id::text AS id, queue, job_name, job_id, payload, delay_ms, (extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 AS age_ms`;
}

/** RETURNING follows no order: the rows in the order they were written. */
function sortById(rows: OutboxRow[]): OutboxRow[] {
  return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** The rows by key, each group in the rows' order. */
function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const group = groups.get(key(r));
    if (group) group.push(r);
    else groups.set(key(r), [r]);
  }
  return groups;
}

/** A local handler threw: the pass is undone, and its rows (`rowIds`, all of the pass) are back in the outbox. */
class LocalJobFailed extends Error {
  override readonly name = 'LocalJobFailed';

  constructor(
    readonly jobName: string,
    readonly rowIds: string[],
    cause: Error,
  ) {
    super(`${rowIds.length} row(s) undone: ${cause.message}`);
  }
}

/** Redis did not take a batch's jobs (down, refusing, too slow): the rows stay in the outbox. */
class RedisRefused extends Error {
  override readonly name = 'RedisRefused';
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
