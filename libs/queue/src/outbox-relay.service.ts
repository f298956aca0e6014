import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { onOutboxCommitted, selectRows } from '@fr/persistence';
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
/**
 * The BullMQ lane's passes start at least this far apart: the rows committed meanwhile (SLA timers,
 * case events, notifications; none a person waits for within 50 ms) go in one pass and one add per
 * queue, and an intake commit, which writes only routing rows, does not cost that lane an empty pass.
 * Measured 2026-12-05 (paced 200/s, N=200 runs alternated with HEAD, intake commit -> routing commit
 * from commit timestamps): one lane p50 16.4-17.7 ms, p99 64-83 ms; two lanes with 50 ms here p50
 * 10.6-11.1 ms, p99 49-61 ms; two lanes with no interval p50 15.3 ms, p99 55 ms.
 */
const QUEUE_LANE_INTERVAL_MS = 50;
const REDIS_TIMEOUT_MS = 10000;

/**
 * Moves outbox rows, written in the same transaction as the change they announce, to BullMQ.
 * A row is deleted only after its job is in Redis; a crash in between leaves the row, and the next
 * pass adds the job again under the same jobId, which BullMQ ignores while the first one exists.
 * Several workers may run relays: SKIP LOCKED hands each row to one of them.
 *
 * Rows whose job has a local handler (routing) go by a lane of their own, done in the relay's
 * transaction with no Redis; the others by a BullMQ lane. In one lane a routing pass also carried the
 * SLA timers the previous pass had written and waited for their add to Redis before it committed:
 * the Redis round trip, and a wake-up of Redis on two busy cores, in every case's routing.
 *
 * It wakes when this process commits outbox rows (onOutboxCommitted) or another process says so on
 * Redis (OutboxAnnouncer), and polls every second in case a signal was lost: see outbox-signal.ts
 * for why PostgreSQL's NOTIFY is no longer used.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loopDone: Promise<unknown> = Promise.resolve();
  private subscriber: RedisClient | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly lanes: Lane[] = [];
  private readonly local = new Map<string, LocalJobHandler>();

  constructor(
    private readonly ds: DataSource,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    // Handlers are registered in onModuleInit, so they are all known here.
    if (this.local.size > 0) {
      this.lanes.push(new Lane(() => this.publishLocalBatch(), 0), new Lane(() => this.publishQueueBatch(), QUEUE_LANE_INTERVAL_MS));
    } else {
      this.lanes.push(new Lane(() => this.publishQueueBatch(), 0));
    }
    this.unsubscribe = onOutboxCommitted(this.ds, () => this.wakeUp());
    void this.listen();
    this.loopDone = Promise.all(this.lanes.map((lane) => this.loop(lane)));
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    for (const lane of this.lanes) lane.wakeUp();
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
   * One pass of each lane (rows with a local handler, then the rest); returns how many rows moved.
   * If one lane fails, the other still runs, and the first failure is thrown after.
   */
  async publishBatch(): Promise<number> {
    let moved = 0;
    let failure: unknown = null;
    for (const publish of this.local.size > 0 ? [() => this.publishLocalBatch(), () => this.publishQueueBatch()] : [() => this.publishQueueBatch()]) {
      try {
        moved += await publish();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) throw failure;
    return moved;
  }

  /**
   * One pass over the next rows that have a local handler: no Redis unless a handler fails. If it does,
   * the whole pass is undone (its rows are back in the outbox) and a second pass takes the same rows
   * again by id, sending them to BullMQ, where their processor retries them. Undoing the pass instead
   * of a savepoint around each handler saves SAVEPOINT and RELEASE on every pass, for a failure that is
   * rare. Measured 2026-12-04 (paced 200/s, pg_stat_statements): 88 passes a second of 11.7 statements
   * each, now 9.7; at this machine's cost of a round trip (about 90 us of the client's CPU and 34 us of
   * the backend's) about 0.02 cores, within the bench's run-to-run spread.
   */
  private async publishLocalBatch(): Promise<number> {
    const names = [...this.local.keys()];
    try {
      return await this.pass((m) => this.take(m, { jobNames: names }));
    } catch (e) {
      if (!(e instanceof LocalJobFailed)) throw e;
      this.logger.warn(`outbox relay: '${e.jobName}' row(s) failed in the relay and go to the queue instead: ${e.message}`);
      return this.pass((m) => this.take(m, { ids: e.rowIds }), new Set([e.jobName]));
    }
  }

  /** One pass over the next rows without a local handler (all rows, when there is none): to BullMQ. */
  private publishQueueBatch(): Promise<number> {
    return this.pass((m) => this.take(m, this.local.size > 0 ? { exceptJobNames: [...this.local.keys()] } : undefined));
  }

  private pass(take: (m: EntityManager) => Promise<OutboxRow[]>, notLocally: ReadonlySet<string> = new Set()): Promise<number> {
    return this.ds.transaction(async (m) => {
      const sorted = await take(m);
      if (sorted.length === 0) return 0;
      const readAt = Date.now();
      const rows = await this.runLocally(m, sorted, notLocally);
      // A delay counts from the write: the time the row waited here, and since, comes off, so a timer is not late by it.
      const delayOf = (r: OutboxRow) => (r.delay_ms > 0 ? Math.max(0, Math.round(r.delay_ms - r.age_ms - (Date.now() - readAt))) : 0);
      for (const [queue, batch] of groupBy(rows, (r) => r.queue)) {
        const add = this.queues.get(queue).addBulk(
          batch.map((r) => ({
            name: r.job_name,
            data: r.payload,
            opts: { ...jobOptionsFor(r.job_name, this.config), jobId: r.job_id, delay: delayOf(r) || undefined },
          })),
        );
        await withTimeout(add, REDIS_TIMEOUT_MS, 'Redis did not accept the jobs in time').catch((e: Error) => {
          throw new RedisRefused(e.message);
        });
      }
      return sorted.length;
    });
  }

  /**
   * Takes and deletes a batch of rows (only those of some job names, all but those, or some ids, when
   * given; by job name through outbox_job_name_id_idx), in the
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
  private async take(m: EntityManager, only?: { jobNames: string[] } | { exceptJobNames: string[] } | { ids: string[] }): Promise<OutboxRow[]> {
    const where = !only
      ? ''
      : 'jobNames' in only
        ? 'WHERE o.job_name = ANY($2::text[])'
        : 'exceptJobNames' in only
          ? 'WHERE o.job_name <> ALL ($2::text[])'
          : 'WHERE o.id = ANY($2::bigint[])';
    const taken = await selectRows<OutboxRow>(
      m,
      `DELETE FROM outbox WHERE id = ANY (ARRAY(SELECT o.id FROM outbox o ${where} ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED))
       RETURNING id::text AS id, queue, job_name, job_id, payload, delay_ms, (extract(epoch FROM clock_timestamp() - created_at) * 1000)::float8 AS age_ms`,
      only
        ? [this.config.relayBatchSize, 'jobNames' in only ? only.jobNames : 'exceptJobNames' in only ? only.exceptJobNames : only.ids]
        : [this.config.relayBatchSize],
    );
    // RETURNING follows no order.
    return taken.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /**
   * Runs the rows that have a local handler (unless their job is in `notLocally`) and returns the rows
   * left for BullMQ. A handler that throws fails the pass (LocalJobFailed): its transaction is undone.
   */
  private async runLocally(m: EntityManager, rows: OutboxRow[], notLocally: ReadonlySet<string> = new Set()): Promise<OutboxRow[]> {
    if (this.local.size === 0) return rows;
    const byName = groupBy(
      rows.filter((r) => this.local.has(r.job_name) && !notLocally.has(r.job_name)),
      (r) => r.job_name,
    );
    if (byName.size === 0) return rows;
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
    return rows.filter((r) => !byName.has(r.job_name));
  }

  private async loop(lane: Lane): Promise<void> {
    let failures = 0;
    while (this.running) {
      let moved = 0;
      const started = Date.now();
      try {
        moved = await lane.publish();
        failures = 0;
      } catch (e) {
        failures++;
        this.logger.warn(`outbox relay pass failed (${failures} in a row): ${(e as Error).message}`);
      }
      if (moved >= this.config.relayBatchSize) continue;
      const wait = failures ? Math.min(POLL_MS * 2 ** failures, 30000) : POLL_MS;
      await lane.sleepUntilWoken(wait);
      // A lane with an interval gathers what is committed meanwhile into its next pass.
      const rest = lane.intervalMs - (Date.now() - started);
      if (rest > 0 && this.running && !failures) await new Promise((resolve) => setTimeout(resolve, rest));
    }
  }

  private wakeUp(): void {
    for (const lane of this.lanes) lane.wakeUp();
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

/**
 * A relay loop over some of the outbox's rows. The rows with a local handler (routing) and the rows for
 * BullMQ go by separate lanes, so a routing pass never waits for Redis.
 */
class Lane {
  private wake: (() => void) | null = null;
  private pendingWake = false;

  constructor(
    readonly publish: () => Promise<number>,
    /** The least time from the start of one pass to the start of the next, unless a pass fills a batch. */
    readonly intervalMs: number,
  ) {}

  sleepUntilWoken(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  wakeUp(): void {
    if (this.wake) this.wake();
    else this.pendingWake = true;
  }
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
