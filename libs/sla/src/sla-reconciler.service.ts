import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import Redis from 'ioredis';
import { ADVISORY_LOCK, AdvisoryLock, advisoryUnlock, selectRows, tryAdvisoryLock } from '@fr/persistence';
import { DataSource } from 'typeorm';
import { isSoundJob, jobIdFor, jobIdPrefix, jobOptionsFor, JobName, QueueName, QueueRegistry, removeJobById } from '@fr/queue';
import { Clock } from './clock';
import { EscalationLevel, ladderTimes } from './escalation-ladder';
import { FireEscalation, FireEscalationResult, SlaTimer } from './fire-escalation.usecase';
import { MAX_TIMER_DELAY_MS, nextRung, slaTimerPayload } from './schedule-sla-timers';
import { Stage } from './sla-policy';
import { SlaService } from './sla.service';

const PAGE = 500;
/** Delayed job ids read from Redis per call. */
const DELAYED_SLICE = 5000;
/**
 * The due sweep leaves a level this long to its own timer: one that fell due a moment ago is most
 * likely being fired right now, and only a timer missing for longer is lost.
 */
const TIMER_GRACE_MS = 10_000;
/**
 * A due level whose timer job is still in the queue (waiting or running: its hash exists, unfinished)
 * is left to that job for this long past its time. Behind a backlog of breaches the sweep fired such
 * levels itself and every job then ran as a duplicate, twice the work when there was least to spare:
 * in the SLA bench with intake, 35,020 of 100,000 level-1 timers were fired by the sweep and ran again.
 * Past this, an unfinished job is taken as stuck (a hash left in no list by a wipe) and the sweep fires.
 */
const QUEUED_GRACE_MS = 5 * 60_000;
/** Due levels fired per transaction. */
const FIRE_BATCH = 200;
/** Full passes in a row when Redis loses timers while one runs (a wipe still going on), before giving up till the next run. */
const MAX_FULL_ROUNDS = 3;
/**
 * How far a marker may read older than the newest this process saw before Redis is taken to have gone
 * back to an older state: markers carry the writing worker's clock, and workers' clocks differ. Wide,
 * since a false alarm costs a full pass each time: a shorter way back is seen by the watch's counter
 * (markerLost), which no clock enters.
 */
const MARKER_SKEW_MS = 60_000;
/** The key, under the SLA queue's prefix, of the marker a full pass leaves in Redis. */
const MARKER_KEY = 'reconciled-at';
/** The time in a marker (`<time>`, `pending:<time>` or `failed:<time>`). */
const markerTime = (raw: string) => Number(raw.slice(raw.lastIndexOf(':') + 1));
/** The levels already recorded for the case's current stage run. */
const FIRED_LEVELS = `COALESCE((SELECT array_agg(e.level::text) FROM escalations e
                                 WHERE e.case_id = c.id AND e.stage = c.stage AND e.stage_started_at = c.stage_started_at), '{}') AS fired`;

export interface SlaReconcileResult {
  /** A full pass (every open case, every timer in Redis) or only the sweep of levels already due. */
  full: boolean;
  /** Levels that were due and fired now (a timer was lost, late or never made). */
  fired: number;
  /** Future timers that were missing from Redis and were added again. */
  scheduled: number;
  /** Delayed timers of runs or deadlines that no longer exist, removed. */
  pruned: number;
  /** Due levels the sweep left to their timers, still waiting in the queue behind others. */
  queued?: number;
  /** The due sweep did not run: the timers are behind and it ran less than QUEUED_GRACE_MS ago. */
  deferred?: boolean;
  /**
   * Cut short by `signal` (the worker stopping): what is left is still unrecorded in PostgreSQL, and the
   * next pass, in this worker's next start or another worker, finds it. A full pass so cut leaves its
   * marker pending, so the next run makes a full pass again.
   */
  stopped?: boolean;
}

interface OpenStage {
  id: string;
  unit_code: string | null;
  stage: Stage;
  stage_started_at: Date;
  due_at: Date;
  warn_at: Date | null;
  fired: string[];
}

/**
 * PostgreSQL is the source of truth for SLA timers; Redis may lose them all. Two kinds of pass, one
 * worker at a time (advisory lock; the due sweep while Redis does not answer has one of its own):
 *
 * - the due sweep, every run: fires the levels due for more than TIMER_GRACE_MS that were not recorded
 *   (a lost or failed timer, or one stuck in the queue past QUEUED_GRACE_MS; one still queued behind
 *   others is left to run), through the same idempotent use case as the timers. It reads only the open stage
 *   runs that have a level past due and unrecorded, so it costs little however many cases are open;
 * - the full pass, when Redis has lost the marker this pass leaves there (Redis was wiped or
 *   restarted empty, or this is the first run) and otherwise every FR_SLA_FULL_RECONCILE_INTERVAL_MS:
 *   for every open case, fires what is due, re-adds the run's next timer if Redis lacks it and
 *   removes delayed timers that no open stage run needs any more (an older run's or deadline's, and
 *   any level past the next: the ladder is chained, one timer per run). Over every open case and
 *   every delayed job, it is too heavy to run every few seconds beside a burst of breaches.
 *
 * A lost link of the chain (a timer gone from Redis) is thus repaired by the due sweep once its
 * level is due, or sooner by a full pass.
 */
@Injectable()
export class SlaReconciler {
  private readonly logger = new Logger(SlaReconciler.name);
  private lastDueSweepAt = 0;
  /** The newest marker time this process has read or written (markerWentBack). */
  private newestMarkerAt = 0;
  /** What the watch's counter answered this process last (markerLost). */
  private lastWatchCount = 0;
  /** The watch's counter went back: the next pass is a full one, though the marker is in place. */
  private rolledBack = false;

  constructor(
    private readonly ds: DataSource,
    private readonly queues: QueueRegistry,
    private readonly sla: SlaService,
    private readonly fire: FireEscalation,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * One pass, full when due or asked for; null when another worker holds the sweep. `redisDown`: the
   * caller has found Redis gone, and the pass reads nothing there whether or not it answers now.
   * `signal`: the worker is stopping. A pass over a backlog (tens of thousands of levels after a wipe or
   * an outage, 200 a transaction) ran to its end inside the stop: 20,000 due levels held a worker's
   * SIGTERM for 11-20 s, and a larger backlog ran into FR_SHUTDOWN_TIMEOUT_SECONDS and exit 1. Aborted,
   * the pass ends after the page or batch in hand (test/stop-under-sla-backlog.e2e-spec.ts).
   */
  async runOnce(options: { full?: boolean; redisDown?: boolean; signal?: AbortSignal } = {}): Promise<SlaReconcileResult | null> {
    const signal = options.signal;
    // Redis away: the timers wait there, out of reach, so the levels falling due are told from here
    // (PostgreSQL alone) rather than after it is back; their timers find them recorded and do nothing.
    // Under a lock of its own: a pass that found Redis up and lost it in the middle waits for it holding
    // slaReconcile, and every sweep after it, in each worker, told nothing for as long as Redis was away.
    // A firing is once whoever fires (FireEscalation), so the two sweeps may overlap.
    if (options.redisDown || !(await this.queues.answers()))
      return this.locked(ADVISORY_LOCK.slaReconcileRedisDown, () => this.dueSweep({ redisDown: true, signal }));
    return this.locked(ADVISORY_LOCK.slaReconcile, async () =>
      options.full || (await this.fullPassDue()) ? this.fullPass(signal) : this.dueSweep({ signal }),
    );
  }

  /** `pass` under a session lock; null when another sweep holds it. */
  private async locked(lock: AdvisoryLock, pass: () => Promise<SlaReconcileResult>): Promise<SlaReconcileResult | null> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      if (!(await tryAdvisoryLock(runner, lock))) return null;
      try {
        return await pass();
      } finally {
        await advisoryUnlock(runner, lock);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The marker a full pass leaves in Redis: its absence means Redis has lost what the passes put there.
   * A pass writes it as `pending:<time>` when it starts and as `<time>` only when it has finished: a
   * worker killed in the middle of a pass (after a wipe, while it re-adds the timers) left a finished
   * marker behind, and no full pass ran for FR_SLA_FULL_RECONCILE_INTERVAL_MS (an attack run measured
   * escalations 11 s late until firings had chained their timers back). A pending marker is due at once.
   */
  private async marker(): Promise<{ get(): Promise<string | null>; begin(): Promise<string>; finish(): Promise<void>; fail(): Promise<void> }> {
    const queue = this.queues.get(QueueName.Sla);
    const redis = await queue.client;
    const key = queue.toKey(MARKER_KEY);
    return {
      get: () => redis.get(key),
      begin: async () => {
        const token = `pending:${Date.now()}`;
        await redis.set(key, token);
        this.newestMarkerAt = Math.max(this.newestMarkerAt, markerTime(token));
        return token;
      },
      finish: async () => {
        const at = Date.now();
        await redis.set(key, String(at));
        this.newestMarkerAt = Math.max(this.newestMarkerAt, at);
      },
      // Not deleted: a missing marker means a wiped Redis, which every worker's watch sweeps for at once
      // (Maintenance); a pass that keeps failing would have them all sweeping back to back. Not a number,
      // so the next periodic run makes a full pass again.
      fail: async () => void (await redis.set(key, `failed:${Date.now()}`)),
    };
  }

  /**
   * Whether Redis has lost what the passes put there (wiped, restarted empty, or gone back to an older
   * state): a GET of the marker and an INCR of the watch's counter in one round trip, for the workers
   * to look often and sweep at once rather than at the next period (Maintenance). A pass that is
   * running has its pending marker there.
   */
  async markerLost(): Promise<boolean> {
    const queue = this.queues.get(QueueName.Sla);
    const redis = (await queue.client) as unknown as Redis;
    // A counter every look adds one to, in the same round trip: one lower than this process last saw
    // means Redis went back (an old snapshot, a replica behind) even when the snapshot held the current
    // marker (taken after the last full pass), which the marker alone could not tell.
    const replies = (await redis.pipeline().get(queue.toKey(MARKER_KEY)).incr(queue.toKey('watch-count')).exec()) ?? [];
    const [[markerError, raw], [countError, count]] = replies as [[Error | null, string | null], [Error | null, number]];
    if (markerError) throw markerError;
    if (countError) throw countError;
    const wentBack = Number(count) <= this.lastWatchCount;
    this.lastWatchCount = Number(count);
    if (wentBack) this.rolledBack = true;
    return raw === null || this.markerWentBack(raw) || wentBack;
  }

  private async fullPassDue(): Promise<boolean> {
    const raw = await (await this.marker()).get();
    const at = raw === null ? NaN : Number(raw);
    return !Number.isFinite(at) || Date.now() - at >= this.config.slaFullReconcileIntervalMs || this.markerWentBack(raw!) || this.rolledBack;
  }

  /**
   * Whether Redis shows a marker older than one this process saw: it went back to an older state
   * (restarted from an old snapshot, or failed over to a replica that was behind) and lost the timers
   * added since, though a marker is there. A restart from a snapshot taken before the last wipe's full
   * pass left timers missing for 19-23 s until the due sweep fired them, deliveries for a minute.
   */
  private markerWentBack(raw: string): boolean {
    const at = markerTime(raw);
    if (!Number.isFinite(at)) return false;
    if (at < this.newestMarkerAt - MARKER_SKEW_MS) return true;
    this.newestMarkerAt = Math.max(this.newestMarkerAt, at);
    return false;
  }

  /**
   * A wipe is not one instant: keys go one by one (a FLUSHDB elsewhere, a script deleting a prefix),
   * so a pass may read timers that are deleted a moment later, after the marker was already gone
   * and set again. Each round therefore checks at its end that its marker and every future timer it
   * counted on are still there, and runs again when not.
   */
  private async fullPass(signal?: AbortSignal): Promise<SlaReconcileResult> {
    const marker = await this.marker();
    const total: SlaReconcileResult = { full: true, fired: 0, scheduled: 0, pruned: 0 };
    this.rolledBack = false;
    for (let round = 1; ; round++) {
      let intact: boolean;
      try {
        // Set first: if Redis is wiped while this pass runs, the marker goes with it.
        const token = await marker.begin();
        const { result, expected } = await this.sweepAll(signal);
        total.fired += result.fired;
        total.scheduled += result.scheduled;
        total.pruned += result.pruned;
        // Unfinished: the marker stays pending, which makes the next run a full pass (marker()).
        if (result.stopped) return { ...total, stopped: true };
        const lost = await this.lostTimers(expected);
        intact = lost === 0 && (await marker.get()) === token;
        if (intact) await marker.finish();
        else this.logger.warn(`SLA reconcile: Redis lost ${lost} timer(s) or the marker while the full pass ran; running it again`);
      } catch (e) {
        await marker.fail().catch(() => undefined);
        throw e;
      }
      if (intact) return total;
      if (round >= MAX_FULL_ROUNDS) {
        // Still unsettled: a failed marker, so the next run makes a full pass again.
        await marker.fail().catch(() => undefined);
        return total;
      }
    }
  }

  /** How many of the future timers a full pass left in Redis have no job hash any more. */
  private async lostTimers(expected: Map<string, number>): Promise<number> {
    const queue = this.queues.get(QueueName.Sla);
    const redis = (await queue.client) as unknown as Redis;
    // A timer due meanwhile may have fired and been cleaned up: only those still ahead must be there.
    const horizon = Date.now() + TIMER_GRACE_MS;
    const ids = [...expected].filter(([, fireAt]) => fireAt > horizon).map(([id]) => id);
    let lost = 0;
    for (let i = 0; i < ids.length; i += DELAYED_SLICE) {
      const pipeline = redis.pipeline();
      for (const id of ids.slice(i, i + DELAYED_SLICE)) pipeline.exists(queue.toKey(id));
      const replies = (await pipeline.exec()) ?? [];
      lost += replies.filter(([err, n]) => err || n === 0).length;
    }
    return lost;
  }

  /** Fires the levels of open stage runs past their time by more than TIMER_GRACE_MS and not recorded. */
  private async dueSweep({ redisDown = false, signal }: { redisDown?: boolean; signal?: AbortSignal } = {}): Promise<SlaReconcileResult> {
    const result: SlaReconcileResult = { full: false, fired: 0, scheduled: 0, pruned: 0 };
    // Behind a backlog of timers the sweep finds every level the queue is about to fire, pages through
    // them all (468 ms a page of 500 in the SLA bench with intake, 20 s of PostgreSQL's time in its
    // 190 s window) and leaves them to their jobs. So while the queue is behind it runs once per
    // QUEUED_GRACE_MS: no sooner could it fire one of those levels.
    if (!redisDown && Date.now() - this.lastDueSweepAt < QUEUED_GRACE_MS && (await this.timersBehind())) return { ...result, deferred: true };
    this.lastDueSweepAt = Date.now();
    const now = this.clock.now();
    for await (const rows of this.openRuns(now, signal)) {
      const found: { timer: SlaTimer; fireAt: Date }[] = [];
      for (const c of rows) {
        const run = runOf(c);
        for (const { rung, fireAt } of ladderTimes(this.sla.calendarFor(c.unit_code), this.sla.policy.escalation, run)) {
          if (fireAt.getTime() <= now.getTime() - TIMER_GRACE_MS && !c.fired.includes(rung.level)) {
            found.push({ timer: { ...run, level: rung.level as EscalationLevel }, fireAt });
          }
        }
      }
      // With Redis down no queued timer can fire meanwhile: the sweep tells every level past its grace.
      const queued = redisDown
        ? new Set<SlaTimer>()
        : await this.queuedTimers(found.filter((f) => f.fireAt.getTime() > now.getTime() - QUEUED_GRACE_MS).map((f) => f.timer));
      const due = found.filter((f) => !queued.has(f.timer)).map((f) => f.timer);
      result.queued = (result.queued ?? 0) + queued.size;
      for (let i = 0; i < due.length && !signal?.aborted; i += FIRE_BATCH) result.fired += await this.fireDue(due.slice(i, i + FIRE_BATCH));
    }
    if (signal?.aborted) result.stopped = true;
    if (result.fired) {
      this.logger.warn(
        `SLA reconcile: fired ${result.fired} overdue level(s), re-added 0 missing timer(s)${redisDown ? ' (Redis does not answer)' : ''}${result.stopped ? '; stopped, the rest is left to the next pass' : ''}`,
      );
    }
    if (result.queued) this.logger.log(`SLA reconcile: ${result.queued} overdue level(s) left to their timers, still queued`);
    return result;
  }

  /**
   * The open stage runs, a page at a time in id order: all of them, or (with `dueBy`) only those with a
   * level past its time by then and not recorded. A level `afterDueMinutes` working minutes after the
   * deadline cannot fire before that many wall-clock minutes have passed, so SQL narrows the runs with
   * that bound and the calendar decides exactly. Reads no further page once `signal` is aborted.
   */
  private async *openRuns(dueBy?: Date, signal?: AbortSignal): AsyncGenerator<OpenStage[]> {
    const params: unknown[] = [];
    let due = '';
    if (dueBy) {
      params.push(dueBy);
      const conditions = this.sla.policy.escalation.map((rung) => {
        params.push(rung.level);
        const notFired = `NOT EXISTS (SELECT 1 FROM escalations e WHERE e.case_id = c.id AND e.stage = c.stage
                            AND e.stage_started_at = c.stage_started_at AND e.level = $${params.length})`;
        if (rung.afterDueMinutes === null) return `(c.warn_at <= $1::timestamptz AND ${notFired})`;
        // Whole minutes, rounded down: a looser bound only lets the calendar see a few more runs. Days at
        // the shortest day of any calendar in use, so a unit of shorter days is not left out.
        const bound = rung.afterDue ? rung.afterDue.minutes + rung.afterDue.days * this.sla.shortestDayMinutes() : rung.afterDueMinutes;
        params.push(Math.floor(bound));
        return `(c.due_at <= $1::timestamptz - make_interval(mins => $${params.length}::int) AND ${notFired})`;
      });
      if (conditions.length === 0) return;
      due = `AND (${conditions.join(' OR ')})`;
    }
    let after = '00000000-0000-0000-0000-000000000000';
    while (!signal?.aborted) {
      const rows = await selectRows<OpenStage>(
        this.ds,
        `SELECT c.id, c.unit_code, c.stage, c.stage_started_at, c.due_at, c.warn_at, ${FIRED_LEVELS}
           FROM cases c
          WHERE c.id > $${params.length + 1} AND c.due_at IS NOT NULL AND c.stage IS NOT NULL AND c.status NOT IN ('resolved', 'closed')
            ${due}
          ORDER BY c.id LIMIT ${PAGE}`,
        [...params, after],
      );
      yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  /** Whether the oldest timer waiting for a worker has been due for longer than TIMER_GRACE_MS. */
  private async timersBehind(): Promise<boolean> {
    const oldest = await this.queues.get(QueueName.Sla).getJobs(['wait', 'paused'], 0, 0, true);
    const dueAt = Math.min(...oldest.map((j) => j.timestamp + (j.delay ?? 0)));
    return Date.now() - dueAt > TIMER_GRACE_MS;
  }

  /** The timers among these whose job is in Redis and has not finished: waiting, delayed or running. */
  private async queuedTimers(timers: readonly SlaTimer[]): Promise<Set<SlaTimer>> {
    if (timers.length === 0) return new Set();
    const queue = this.queues.get(QueueName.Sla);
    const redis = (await queue.client) as unknown as Redis;
    const pipeline = redis.pipeline();
    for (const t of timers) {
      const key = queue.toKey(jobIdFor(JobName.SlaTimer, slaTimerPayload({ ...t, warnAt: null }, t.level)));
      pipeline.hmget(key, 'name', 'finishedOn');
    }
    const replies = (await pipeline.exec()) ?? [];
    return new Set(
      timers.filter((_, i) => {
        const [name, finishedOn] = (replies[i]?.[1] as (string | null)[] | undefined) ?? [];
        // A hash that lost its name (recreated mid-flight by a wipe) can only fail: not in the queue.
        return name === JobName.SlaTimer && !finishedOn;
      }),
    );
  }

  /** One round of the full pass; `expected` holds the future timers it found or added, with their times. */
  private async sweepAll(signal?: AbortSignal): Promise<{ result: SlaReconcileResult; expected: Map<string, number> }> {
    const queue = this.queues.get(QueueName.Sla);
    // Read before the cases: a timer in this set was added after the commit that made it current, so
    // the case rows read below already show that commit, and a current timer is never pruned.
    const delayed = new Set<string>();
    // In slices: one read of every delayed job would hold Redis (single-threaded) for every other client.
    // Jobs promoted meanwhile shift the slices, so an id may be missed: it then counts as missing, and
    // the lookup before re-adding finds it in place.
    for (let start = 0; ; start += DELAYED_SLICE) {
      const ids = await queue.getRanges(['delayed'], start, start + DELAYED_SLICE - 1);
      ids.forEach((id) => delayed.add(id));
      if (ids.length < DELAYED_SLICE) break;
    }
    const wanted = new Set<string>();
    const expected = new Map<string, number>();
    const result: SlaReconcileResult = { full: true, fired: 0, scheduled: 0, pruned: 0 };
    // Every future timer goes back before any overdue level fires: firing a district's overdue levels
    // (a transaction, notices and webhooks each) took long enough after a wipe that timers of pages not
    // yet read fell due unseen, 30-46 s late in a crash run when each page fired before re-adding.
    const now = this.clock.now();
    for await (const rows of this.openRuns(undefined, signal)) await this.restoreTimers(rows, now, queue, delayed, wanted, expected, result);
    // Stopped before every open run was read, `wanted` lacks the timers of the pages not read: pruning
    // by it would remove current timers.
    if (signal?.aborted) return { result: { ...result, stopped: true }, expected };
    for (const jobId of delayed) {
      if (!jobId.startsWith(jobIdPrefix(JobName.SlaTimer)) || wanted.has(jobId)) continue;
      // A job that started meanwhile is locked and stays; it finds its case changed and does nothing.
      if ((await queue.remove(jobId).catch(() => 0)) === 1) result.pruned++;
    }
    // The levels due by the start of the pass; one that fell due since has its timer back in Redis.
    for await (const rows of this.openRuns(now, signal)) {
      const due: SlaTimer[] = [];
      for (const c of rows) {
        const run = runOf(c);
        for (const { rung, fireAt } of ladderTimes(this.sla.calendarFor(c.unit_code), this.sla.policy.escalation, run)) {
          if (fireAt <= now && !c.fired.includes(rung.level)) due.push({ ...run, level: rung.level as EscalationLevel });
        }
      }
      for (let i = 0; i < due.length && !signal?.aborted; i += FIRE_BATCH) result.fired += await this.fireDue(due.slice(i, i + FIRE_BATCH));
    }
    if (signal?.aborted) result.stopped = true;
    if (result.fired || result.scheduled) {
      this.logger.warn(`SLA reconcile: fired ${result.fired} overdue level(s), re-added ${result.scheduled} missing timer(s)`);
    }
    return { result, expected };
  }

  /**
   * Each run's next future timer, looked up and re-added in bulk when missing: after a wiped Redis every
   * timer of every open case is missing, and one round trip per timer made that pass take minutes at a
   * district's scale. The levels already due fire after every page's timers are back (sweepAll).
   */
  private async restoreTimers(
    rows: OpenStage[],
    now: Date,
    queue: ReturnType<QueueRegistry['get']>,
    delayed: Set<string>,
    wanted: Set<string>,
    expected: Map<string, number>,
    result: SlaReconcileResult,
  ): Promise<void> {
    const missing: { jobId: string; payload: ReturnType<typeof slaTimerPayload>; fireAt: Date }[] = [];
    const present: typeof missing = [];
    for (const c of rows) {
      const run = runOf(c);
      const done = new Set(c.fired);
      // Every level already due fires in the pass; of the levels ahead only the next has a timer (the
      // ladder is chained: its firing writes the one after it, see scheduleSlaTimers). The firing writes
      // that same timer too; one of the two adds is a no-op under its job id.
      for (const { rung, fireAt } of ladderTimes(this.sla.calendarFor(c.unit_code), this.sla.policy.escalation, run)) {
        if (done.has(rung.level) || fireAt > now) continue;
        // A due timer still waiting in Redis stays: it will find its level recorded.
        wanted.add(jobIdFor(JobName.SlaTimer, slaTimerPayload(run, rung.level)));
        done.add(rung.level);
      }
      const next = nextRung(this.sla, { ...run, unit: c.unit_code }, done);
      if (!next) continue;
      const payload = slaTimerPayload(run, next.rung.level);
      const jobId = jobIdFor(JobName.SlaTimer, payload);
      wanted.add(jobId);
      expected.set(jobId, next.fireAt.getTime());
      (delayed.has(jobId) ? present : missing).push({ jobId, payload, fireAt: next.fireAt });
    }
    // A delayed timer whose hash lost its name (deleted and recreated mid-flight) would only fail when
    // due: one pipelined read per page finds those, and they count as missing.
    if (present.length) {
      const redis = (await queue.client) as unknown as Redis;
      const pipeline = redis.pipeline();
      for (const t of present) pipeline.hget(queue.toKey(t.jobId), 'name');
      const names = (await pipeline.exec()) ?? [];
      present.forEach((t, i) => {
        if (names[i]?.[1] !== JobName.SlaTimer) missing.push(t);
      });
    }

    const jobs = await Promise.all(missing.map((t) => queue.getJob(t.jobId)));
    const states = await Promise.all(jobs.map((job) => (job ? job.getState() : Promise.resolve(undefined))));
    const toAdd = [];
    for (let i = 0; i < missing.length; i++) {
      // Waiting or running is fine. A finished or broken job (lost name or data, in no list) under this
      // id would make BullMQ ignore the re-add: it goes first.
      if (jobs[i] && isSoundJob(jobs[i]!, states[i]!, JobName.SlaTimer, missing[i].payload)) continue;
      if (jobs[i]) {
        const removed = await removeJobById(queue, missing[i].jobId).then(
          (n) => n === 1,
          (e: Error) => (this.logger.warn(`SLA reconcile could not replace timer ${missing[i].jobId}: ${e.message}`), false),
        );
        if (!removed) continue;
      }
      const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, missing[i].fireAt.getTime() - Date.now()));
      toAdd.push({
        name: JobName.SlaTimer,
        data: missing[i].payload,
        opts: { ...jobOptionsFor(JobName.SlaTimer, this.config), jobId: missing[i].jobId, delay },
      });
    }
    if (toAdd.length) await queue.addBulk(toAdd);
    result.scheduled += toAdd.length;
  }

  /** How many of the timers fired; a failed batch is retried timer by timer, so one bad case does not stop the sweep. */
  private async fireDue(timers: SlaTimer[]): Promise<number> {
    const fired = (rs: FireEscalationResult[]) => rs.filter((r) => r.outcome === 'fired').length;
    try {
      return fired(await this.fire.executeMany(timers));
    } catch {
      let n = 0;
      for (const t of timers) {
        n += await this.fire.executeMany([t]).then(fired, (e: Error) => {
          this.logger.warn(`SLA reconcile of case ${t.caseId} (level ${t.level}) failed: ${e.message}`);
          return 0;
        });
      }
      return n;
    }
  }
}

/** The stage run an open case's row describes. */
function runOf(c: OpenStage) {
  return {
    caseId: c.id,
    stage: c.stage,
    stageStartedAt: new Date(c.stage_started_at),
    dueAt: new Date(c.due_at),
    warnAt: c.warn_at ? new Date(c.warn_at) : null,
  };
}
