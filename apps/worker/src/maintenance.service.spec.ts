import { Logger } from '@nestjs/common';
import type { AppConfig } from '@fr/config';
import type { UnitFactsUpdater } from '@fr/audit';
import type { RaiseComplianceAlerts } from '@fr/board';
import type { AutoCloseResolved, CalendarYearsLoaded, ExpireActionKeys, MergedGroupsReconciler } from '@fr/cases';
import type { ApplyReorganisation } from '@fr/directory';
import type { DeliveriesReconciler, DeliveriesReconcileResult } from '@fr/notifications';
import type { QueueRegistry } from '@fr/queue';
import type { RoutingReconciler } from '@fr/routing';
import type { CalendarCoverage, SlaReconciler } from '@fr/sla';
import { Maintenance } from './maintenance.service';
import type { PrivacySweepSchedule } from './processors/privacy.processor';

const HOUR = 3_600_000;
const nothing = async () => null;

/**
 * A Maintenance whose collaborators stand in for PostgreSQL and Redis (the unit tier has neither): Redis
 * answers or not as `redisUp` says, the watch reads `markerLost`, and the deliveries sweep records the
 * stuck-after it was given (0: as one after a wipe) and ends as `deliveriesEnd` says.
 */
class Harness {
  redisUp = true;
  markerLost = false;
  /** The stuck-after of each deliveries sweep that ran: 0 after a wipe, undefined for the configured one. */
  readonly deliveries: (number | undefined)[] = [];
  /** The same of each routing sweep. */
  readonly routing: (number | undefined)[] = [];
  routingEnd: () => Promise<number | null> = async () => 0;
  deliveriesEnd: () => Promise<DeliveriesReconcileResult | null> = async () => ({ fanouts: 0, deliveries: 0 });
  privacy: () => Promise<void> = async () => undefined;
  autoClose: () => Promise<unknown> = nothing;
  /** The SLA sweep: given what the tick asked of it (`redisDown`: the due sweep from PostgreSQL alone). */
  sla: (options?: { redisDown?: boolean }) => Promise<unknown> = nothing;
  /** The stop signal each SLA sweep and facts drain was given. */
  readonly signals: (AbortSignal | undefined)[] = [];
  readonly factsDrains: number[] = [];
  readonly sut: Maintenance;

  constructor(config: Partial<AppConfig> = {}) {
    const as = <T>(fake: object) => fake as unknown as T;
    this.sut = new Maintenance(
      as<RoutingReconciler>({
        runOnce: (stuckAfterSeconds?: number) => {
          this.routing.push(stuckAfterSeconds);
          return this.routingEnd();
        },
      }),
      as<AutoCloseResolved>({ runOnce: () => this.autoClose() }),
      as<MergedGroupsReconciler>({ runIfDue: nothing }),
      as<SlaReconciler>({
        runOnce: (options?: { redisDown?: boolean; signal?: AbortSignal }) => {
          this.signals.push(options?.signal);
          return this.sla(options && { redisDown: options.redisDown });
        },
        markerLost: async () => this.markerLost,
      }),
      as<DeliveriesReconciler>({
        runOnce: (stuckAfterSeconds?: number) => {
          this.deliveries.push(stuckAfterSeconds);
          return this.deliveriesEnd();
        },
      }),
      as<RaiseComplianceAlerts>({ runOnce: nothing }),
      as<ApplyReorganisation>({ runDue: nothing }),
      as<CalendarCoverage>({ noticeAdmins: nothing }),
      as<CalendarYearsLoaded>({ tellDue: nothing }),
      as<PrivacySweepSchedule>({ ensure: () => this.privacy() }),
      as<UnitFactsUpdater>({
        drain: async (_batch: number, _max: number, _wait: boolean, signal?: AbortSignal) => {
          this.signals.push(signal);
          this.factsDrains.push(Date.now());
        },
      }),
      as<ExpireActionKeys>({ runOnce: async () => 0 }),
      as<QueueRegistry>({ answers: async () => this.redisUp }),
      { reconcileIntervalMs: HOUR, factsIntervalMs: HOUR, redisWatchMs: 0, slaRedisDownSweepMs: 0, ...config } as AppConfig,
    );
  }
}

describe(Maintenance.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('a wipe, for the routing sweep too', () => {
    it('re-enqueues unrouted cases of any age once: their jobs went with the wipe', async () => {
      const h = new Harness();
      await h.sut.runOnce({ afterWipe: true });
      await h.sut.runOnce();
      expect(h.routing).toEqual([0, undefined]);
    });

    it("is kept for it when Redis did not answer, or another worker's sweep held the lock", async () => {
      const h = new Harness();
      h.redisUp = false;
      await h.sut.runOnce({ afterWipe: true });
      h.redisUp = true;
      h.routingEnd = async () => null;
      await h.sut.runOnce();
      h.routingEnd = async () => 0;
      await h.sut.runOnce();
      await h.sut.runOnce();
      expect(h.routing).toEqual([0, 0, undefined]);
      // The deliveries sweep, which ran the first time, owes nothing more.
      expect(h.deliveries).toEqual([0, undefined, undefined]);
    });
  });

  describe('a wipe, until a deliveries sweep has run after it', () => {
    it('is kept when the deliveries sweep was skipped because Redis did not answer', async () => {
      const h = new Harness();
      h.redisUp = false;
      await h.sut.runOnce({ afterWipe: true });
      expect(h.deliveries).toEqual([]);
      h.redisUp = true;
      await h.sut.runOnce();
      expect(h.deliveries).toEqual([0]);
      // Swept once as after the wipe: the next sweeps keep to FR_STUCK_AFTER_SECONDS.
      await h.sut.runOnce();
      expect(h.deliveries).toEqual([0, undefined]);
    });

    it("is kept when another worker's sweep held the lock, or the sweep failed", async () => {
      const h = new Harness();
      h.deliveriesEnd = async () => null;
      await h.sut.runOnce({ afterWipe: true });
      h.deliveriesEnd = () => Promise.reject(new Error('connection terminated'));
      await h.sut.runOnce();
      h.deliveriesEnd = async () => ({ fanouts: 0, deliveries: 2 });
      await h.sut.runOnce();
      await h.sut.runOnce();
      expect(h.deliveries).toEqual([0, 0, 0, undefined]);
    });

    it('is swept as soon as Redis answers again, not at the next period', async () => {
      jest.useFakeTimers();
      const h = new Harness({ redisWatchMs: 100 });
      h.sut.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      expect(h.deliveries).toEqual([undefined]);
      // The watch sees the marker gone and brings a sweep forward, but Redis goes before it asks.
      h.markerLost = true;
      h.redisUp = false;
      await jest.advanceTimersByTimeAsync(100);
      expect(h.deliveries).toEqual([undefined]);
      // Back, and the SLA sweep of some worker has put the marker back: only the kept wipe is left to sweep.
      h.redisUp = true;
      h.markerLost = false;
      await jest.advanceTimersByTimeAsync(15_000);
      expect(h.deliveries).toEqual([undefined, 0]);
      await jest.advanceTimersByTimeAsync(15_000);
      expect(h.deliveries).toEqual([undefined, 0]);
      await h.sut.onApplicationShutdown();
    });
  });

  describe('the SLA due sweep while Redis does not answer', () => {
    it('runs on its own period beside the tick, one at a time, until Redis answers; the shutdown waits for it', async () => {
      jest.useFakeTimers();
      const h = new Harness({ slaRedisDownSweepMs: 100 });
      const asked: ({ redisDown?: boolean } | undefined)[] = [];
      let finish!: () => void;
      h.sla = (options) => {
        asked.push(options);
        return new Promise<null>((resolve) => (finish = () => resolve(null)));
      };
      h.sut.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      // The tick at start, with Redis up, is held by its SLA sweep.
      expect(asked).toEqual([{ redisDown: false }]);
      const tickFinish = finish;
      h.redisUp = false;
      await jest.advanceTimersByTimeAsync(100);
      expect(asked).toEqual([{ redisDown: false }, { redisDown: true }]);
      // Held: no second one beside it.
      await jest.advanceTimersByTimeAsync(1000);
      expect(asked).toHaveLength(2);
      finish();
      await jest.advanceTimersByTimeAsync(100);
      expect(asked).toHaveLength(3);
      finish();
      h.redisUp = true;
      await jest.advanceTimersByTimeAsync(1000);
      expect(asked).toHaveLength(3);
      h.redisUp = false;
      await jest.advanceTimersByTimeAsync(100);
      expect(asked).toHaveLength(4);
      tickFinish();
      let stopped = false;
      const shutdown = h.sut.onApplicationShutdown().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(1000);
      expect(stopped).toBe(false);
      finish();
      await shutdown;
      expect(asked).toHaveLength(4);
    });
  });

  describe('the stop', () => {
    it("cuts the SLA sweep short and begins none of the tick's later sweeps: a backlog is left in PostgreSQL, not swept inside the stop", async () => {
      jest.useFakeTimers();
      const h = new Harness();
      // Over a backlog the real sweep fires batch after batch until its signal is aborted.
      h.sla = () => new Promise<null>((resolve) => h.signals.at(-1)!.addEventListener('abort', () => resolve(null)));
      h.sut.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(0);
      expect(h.signals).toHaveLength(1);
      expect(h.signals[0]!.aborted).toBe(false);
      h.sut.onModuleDestroy();
      await h.sut.onApplicationShutdown();
      expect(h.signals[0]!.aborted).toBe(true);
      expect({ deliveries: h.deliveries, factsDrains: h.factsDrains }).toEqual({ deliveries: [], factsDrains: [] });
    });
  });

  describe('a sweep that reads Redis', () => {
    it('is left waiting once Redis stops answering in the middle of it, and the rest of the tick runs as without Redis', async () => {
      jest.useFakeTimers();
      const h = new Harness();
      // Found up at the tick's start, Redis goes as the privacy schedule is written: the write waits for it.
      h.privacy = () => {
        h.redisUp = false;
        return new Promise<void>(() => undefined);
      };
      let ended = false;
      const tick = h.sut.runOnce().then(() => (ended = true));
      await jest.advanceTimersByTimeAsync(999);
      expect(ended).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await tick;
      expect(h.factsDrains).toHaveLength(1);
    });

    it('is not run once the tick has found Redis gone: the SLA sweep tells from PostgreSQL alone, though Redis answers a moment later', async () => {
      jest.useFakeTimers();
      const h = new Harness();
      h.redisUp = false;
      // Redis back for a moment (a failover, a flapping link) as the tick reaches the SLA sweep, and gone again:
      // a pass that then read it waited for it unwatched, and the rest of the tick and every later one with it.
      h.autoClose = async () => void (h.redisUp = true);
      const asked: ({ redisDown?: boolean } | undefined)[] = [];
      h.sla = (options) => {
        asked.push(options);
        if (options?.redisDown) return Promise.resolve(null);
        h.redisUp = false;
        return new Promise(() => undefined);
      };
      let ended = false;
      const tick = h.sut.runOnce().then(() => (ended = true));
      await jest.advanceTimersByTimeAsync(10_000);
      expect(ended).toBe(true);
      await tick;
      expect(asked).toEqual([{ redisDown: true }]);
      expect(h.factsDrains).toHaveLength(1);
    });

    it('is waited for while Redis answers, however long it takes', async () => {
      jest.useFakeTimers();
      const h = new Harness();
      let written!: () => void;
      h.privacy = () => new Promise<void>((resolve) => (written = resolve));
      let ended = false;
      const tick = h.sut.runOnce().then(() => (ended = true));
      await jest.advanceTimersByTimeAsync(60_000);
      expect(ended).toBe(false);
      expect(h.factsDrains).toHaveLength(0);
      written();
      await tick;
      expect(h.factsDrains).toHaveLength(1);
    });
  });
});
