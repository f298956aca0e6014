import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { FACTS_BATCH, UnitFactsUpdater } from '@fr/audit';
import { RaiseComplianceAlerts } from '@fr/board';
import { AutoCloseResolved, CalendarYearsLoaded, ExpireActionKeys, MergedGroupsReconciler } from '@fr/cases';
import { ApplyReorganisation } from '@fr/directory';
import { DeliveriesReconciler } from '@fr/notifications';
import { QueueRegistry } from '@fr/queue';
import { RoutingReconciler } from '@fr/routing';
import { CalendarCoverage, SlaReconciler } from '@fr/sla';
import { PrivacySweepSchedule } from './processors/privacy.processor';

/** Bounded, so that a bulk load's backlog does not hold up the sweeps or the shutdown. */
const FACTS_PER_PASS = 20_000;
/** The least time between two sweeps brought forward by a wiped Redis (watchRedis). */
const WATCH_SPACING_MS = 10_000;
/** How often a running sweep that reads Redis is looked in on: whether Redis still answers (whileRedisAnswers). */
const REDIS_LOOK_MS = 1000;

/**
 * Periodic sweeps that rebuild what Redis may have lost and do time-based transitions. They run from
 * a timer in each worker rather than a BullMQ scheduler, because a wiped Redis would lose the
 * scheduler too; each sweep is safe to run concurrently (advisory lock, SKIP LOCKED).
 */
@Injectable()
export class Maintenance implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(Maintenance.name);
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private sweeping = false;
  private watchTimer: NodeJS.Timeout | null = null;
  private factsTimer: NodeJS.Timeout | null = null;
  private factsCurrent: Promise<unknown> = Promise.resolve();
  private downTimer: NodeJS.Timeout | null = null;
  private downCurrent: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /**
   * Aborted by the stop: a sweep over a backlog ends after the batch in hand instead of running to its end
   * inside the stop (the SLA, routing, deliveries and compliance sweeps). PostgreSQL keeps what it left,
   * for the next sweep.
   */
  private readonly stopping = new AbortController();
  /**
   * Redis was seen wiped and no sweep has run since as one after a wipe. Kept until one does: seen while a
   * sweep ran, the watch skipped it, and that sweep's full pass set the marker again, so the watch saw
   * nothing more and the deliveries of the minute before the wipe waited FR_STUCK_AFTER_SECONDS.
   */
  private wipeSeen = false;
  /**
   * Sweeps asked to run as after a wipe, counted, and how many of them the deliveries and the routing
   * sweep have each since run after (as one after a wipe: every job missing from Redis put back, however
   * young). A wipe is owed each sweep until then: consumed by a tick whose sweep was skipped (Redis did not
   * answer), left to another worker's or failed, it was lost, and the deliveries or the routings its jobs
   * took with them waited FR_STUCK_AFTER_SECONDS once Redis was back.
   */
  private wipes = 0;
  private readonly wipesSwept = { deliveries: 0, routing: 0 };

  constructor(
    private readonly routing: RoutingReconciler,
    private readonly autoClose: AutoCloseResolved,
    private readonly mergedGroups: MergedGroupsReconciler,
    private readonly sla: SlaReconciler,
    private readonly deliveries: DeliveriesReconciler,
    private readonly complianceAlerts: RaiseComplianceAlerts,
    private readonly reorganisations: ApplyReorganisation,
    private readonly calendarCoverage: CalendarCoverage,
    private readonly calendarYears: CalendarYearsLoaded,
    private readonly privacySchedule: PrivacySweepSchedule,
    private readonly unitFacts: UnitFactsUpdater,
    private readonly actionKeys: ExpireActionKeys,
    private readonly queues: QueueRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const tick = (afterWipe = false) => {
      this.sweeping = true;
      afterWipe ||= this.wipeSeen;
      this.wipeSeen = false;
      this.current = this.runOnce({ afterWipe }).finally(() => {
        this.sweeping = false;
        // A wipe seen while this sweep ran: the next one at once, as one after a wipe.
        if (!this.stopped) this.timer = setTimeout(() => tick(), this.wipeSeen ? 0 : this.config.reconcileIntervalMs);
      });
    };
    this.timer = setTimeout(() => tick(), 0);
    // The daily facts also on their own short period: what changed in the last second, not what
    // changed in the last 30 (the sweeps' period), so their recomputation is a steady trickle of
    // work beside routing rather than a burst of thousands of cases twice a minute.
    const factsTick = () => {
      this.factsCurrent = this.unitFacts
        .drain(FACTS_BATCH, FACTS_PER_PASS, false, this.stopping.signal)
        .catch((e: Error) => this.logger.warn(`daily facts failed: ${e.message}`))
        .finally(() => {
          if (!this.stopped) this.factsTimer = setTimeout(factsTick, this.config.factsIntervalMs);
        });
    };
    this.factsTimer = setTimeout(factsTick, this.config.factsIntervalMs);
    this.watchRedis(tick);
    this.sweepWhileRedisDown();
  }

  /**
   * While Redis does not answer, the levels falling due are told only by the SLA sweep from PostgreSQL, and
   * in the tick that was every FR_RECONCILE_INTERVAL_MS: up to 30 s late. So it also runs on its own every
   * FR_SLA_REDIS_DOWN_SWEEP_MS meanwhile, beside the tick, which it neither waits for nor holds. It asks
   * with a PING that gives up (QueueRegistry.answers), not through the watch, whose GET waits for Redis.
   * One at a time in this worker (the next is timed from the end of the last), and across workers under
   * the sweep's lock; a level is told once whichever sweep tells it (FireEscalation).
   */
  private sweepWhileRedisDown(): void {
    const period = this.config.slaRedisDownSweepMs;
    if (period === 0) return;
    const look = () => {
      this.downCurrent = this.queues
        .answers()
        .then((up) => (up || this.stopped ? null : this.sla.runOnce({ redisDown: true, signal: this.stopping.signal })))
        .catch((e: Error) => this.logger.warn(`SLA timers reconcile while Redis does not answer failed: ${e.message}`))
        .finally(() => {
          if (!this.stopped) this.downTimer = setTimeout(look, period);
        });
    };
    this.downTimer = setTimeout(look, period);
  }

  /**
   * A wiped Redis is swept at once: the next sweep is brought forward (one at a time, as always). The
   * sweeps put back what Redis held, but ran only every FR_RECONCILE_INTERVAL_MS: after a wipe, an
   * attack run saw the timers of the next 25 s fire together at the next sweep, up to 24.6 s late.
   * Looking costs one GET every FR_REDIS_WATCH_MS. A full pass that fails leaves a failed marker, not
   * none (SlaReconciler), so the watches of several workers do not sweep again for it; and a sweep
   * brought forward waits WATCH_SPACING_MS for the next in this worker.
   */
  private watchRedis(tick: (afterWipe: boolean) => void): void {
    const period = this.config.redisWatchMs;
    if (period === 0) return;
    let broughtForwardAt = 0;
    const watch = () => {
      void this.redisLost()
        .then((lost) => {
          if (lost) this.wipeSeen = true;
          // Redis answered: a wipe still owed its deliveries sweep is swept now, not at the next period.
          const owed = this.wipes > Math.min(this.wipesSwept.deliveries, this.wipesSwept.routing);
          if (!(lost || owed) || this.sweeping || this.stopped || Date.now() - broughtForwardAt < WATCH_SPACING_MS) return;
          broughtForwardAt = Date.now();
          if (lost) this.logger.warn('Redis has lost the SLA marker or shows an older one (wiped, restarted empty or from an old snapshot): sweeping now');
          else this.logger.warn('Redis answers again and the sweeps after its wipe have not run yet: sweeping now');
          if (this.timer) clearTimeout(this.timer);
          tick(lost);
        })
        .finally(() => {
          if (!this.stopped) this.watchTimer = setTimeout(watch, period);
        });
    };
    this.watchTimer = setTimeout(watch, period);
  }

  /** The first of Nest's stop hooks: the sweeps wind down while the other modules' hooks run. */
  onModuleDestroy(): void {
    this.stopped = true;
    this.stopping.abort();
  }

  async onApplicationShutdown(): Promise<void> {
    this.onModuleDestroy();
    if (this.timer) clearTimeout(this.timer);
    if (this.factsTimer) clearTimeout(this.factsTimer);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    if (this.downTimer) clearTimeout(this.downTimer);
    // Not the watch's GET: while Redis is down it waits for Redis (the queue client queues commands
    // until it is back), and would hold the shutdown; it sweeps nothing once stopped.
    await Promise.all([this.current, this.factsCurrent, this.downCurrent]);
  }

  /** False when Redis answers with an error; while Redis is down the GET waits for it (see above). */
  private redisLost(): Promise<boolean> {
    return this.sla.markerLost().catch(() => false);
  }

  /**
   * Every sweep once. `afterWipe`: Redis was just seen wiped, so a pending delivery or fan-out whose job
   * is not there lost it, however young: the deliveries sweep takes them all at once, rather than only
   * those older than FR_STUCK_AFTER_SECONDS (its guard against a job still on its way), which left the
   * deliveries of the minute before a wipe unsent for 60-90 s in a crash run. The outbox still covers
   * the jobs not yet relayed, and a job in Redis is left alone (ensureJob). Until a deliveries sweep has
   * run so, the later sweeps' deliveries sweeps run so too.
   */
  async runOnce({ afterWipe = false }: { afterWipe?: boolean } = {}): Promise<void> {
    if (afterWipe) this.wipes++;
    // A sweep that reads Redis while it is down waits for it (the worker's clients do not give up), and
    // held every sweep after it: no level was told, no case auto-closed, for as long as Redis was away.
    // Those that only put jobs back into Redis wait for the next tick; the SLA sweep tells due levels
    // from PostgreSQL meanwhile (SlaReconciler). Redis may also go in the middle of the tick: a sweep
    // that reads it is then left waiting, and the rest of the tick goes on as without Redis.
    let redisUp = await this.queues.answers();
    const needsRedis = new Set(['routing reconcile', 'deliveries reconcile', 'privacy sweep schedule']);
    const readsRedis = new Set([...needsRedis, 'SLA timers reconcile']);
    if (!redisUp) this.logger.warn(`Redis does not answer: ${[...needsRedis].join(', ')} wait for it; the other sweeps run`);
    for (const [name, sweep] of [
      // First: a reorganisation due moves cases before the other sweeps look at them.
      ['reorganisations due', () => this.reorganisations.runDue()],
      ['routing reconcile', () => this.afterWipes('routing', (stuckAfter) => this.routing.runOnce(stuckAfter, this.stopping.signal))],
      ['auto-close', () => this.autoClose.runOnce()],
      ['merged groups', () => this.mergedGroups.runIfDue()],
      // Told whether the tick still counts on Redis: asked again, a Redis back for a moment (a failover, a
      // flapping link) had the pass read it unwatched, and when it went again the tick waited for it.
      ['SLA timers reconcile', () => this.sla.runOnce({ redisDown: !redisUp, signal: this.stopping.signal })],
      ['deliveries reconcile', () => this.afterWipes('deliveries', (stuckAfter) => this.deliveries.runOnce(stuckAfter, this.stopping.signal))],
      ['compliance alerts', () => this.complianceAlerts.runOnce(this.stopping.signal)],
      ['calendar coverage', () => this.calendarCoverage.noticeAdmins()],
      ['calendar years loaded', () => this.calendarYears.tellDue()],
      ['privacy sweep schedule', () => this.privacySchedule.ensure()],
      ['expired idempotency keys', () => this.actionKeys.runOnce()],
      // Last: the cases the sweeps above changed are recomputed on this same tick.
      ['daily facts', () => this.unitFacts.drain(FACTS_BATCH, FACTS_PER_PASS, false, this.stopping.signal)],
    ] as const) {
      // Stopping: the sweeps not begun wait for the next start (or another worker's tick); each one runs
      // every tick and redoes whatever is owed, so none is lost.
      if (this.stopped) break;
      if (!redisUp && needsRedis.has(name)) continue;
      try {
        if (redisUp && readsRedis.has(name)) redisUp = await this.whileRedisAnswers(name, sweep());
        else await sweep();
      } catch (e) {
        this.logger.warn(`${name} failed: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Waits for a sweep that reads Redis for as long as Redis answers; false when it stopped answering and
   * the sweep was left waiting for it (it goes on once Redis is back, under its own lock). Redis found up
   * at a tick's start can go in the middle of it: such a sweep then waited for Redis, and every later
   * sweep and tick with it, so no level was told from PostgreSQL for as long as Redis was away.
   */
  private async whileRedisAnswers(name: string, sweep: Promise<unknown>): Promise<boolean> {
    const done = sweep.then(() => 'done' as const);
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const look = new Promise<'look'>((resolve) => (timer = setTimeout(() => resolve('look'), REDIS_LOOK_MS)));
      if ((await Promise.race([done, look]).finally(() => clearTimeout(timer))) === 'done') return true;
      const answer = await Promise.race([done, this.queues.answers().then((up) => (up ? 'up' : 'down'))]);
      if (answer === 'done') return true;
      if (answer === 'down') {
        done.catch((e: Error) => this.logger.warn(`${name} failed: ${e.message}`));
        this.logger.warn(`Redis stopped answering: ${name} waits for it; the rest of the sweeps run as without Redis`);
        return false;
      }
    }
  }

  /** A sweep that puts missing jobs back, as one after a wipe (stuck-after 0) while any wipe is owed it (see `wipes`). */
  private async afterWipes(sweep: keyof Maintenance['wipesSwept'], run: (stuckAfterSeconds: number | undefined) => Promise<unknown>): Promise<void> {
    const upTo = this.wipes;
    const result = await run(upTo > this.wipesSwept[sweep] ? 0 : undefined);
    // Null: another worker's sweep held the lock, and it need not have been one after a wipe.
    if (result !== null) this.wipesSwept[sweep] = Math.max(this.wipesSwept[sweep], upTo);
  }
}
