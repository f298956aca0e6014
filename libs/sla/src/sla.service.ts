import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ClockPause, computeDueAt, WorkingCalendar } from '@fr/domain';
import { CalendarStore } from './calendar-store';
import { loadCalendar, loadSlaPolicy, minutesOn, overrideFor, Severity, SlaPolicy, Stage } from './sla-policy';

/** What a case's durations may depend on (sla.yaml overrides). */
export interface SlaContext {
  category?: string | null;
  unit?: string | null;
}

/** The facts a stage's deadline is computed from; stored on the case so a recompute is exact. */
export interface StageClock {
  stage: Stage;
  startedAt: Date;
  minutes: number;
  extensionMinutes: number;
  /** The unit whose calendar counts the time (its own, if it has one). */
  unit?: string | null;
}

export interface Deadlines {
  dueAt: Date | null;
  warnAt: Date | null;
}

const CALENDAR_REFRESH_MS = 10000;

@Injectable()
export class SlaService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SlaService.name);
  /** Replaced when an administrator changes a year; every process checks for changes every 10 s. */
  calendar: WorkingCalendar;
  private unitCalendars = new Map<string, WorkingCalendar>();
  readonly policy: SlaPolicy;
  private calendarVersion = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() private readonly store?: CalendarStore,
  ) {
    this.calendar = loadCalendar(config.configDir);
    this.policy = loadSlaPolicy(config.configDir, this.calendar.dayMinutes);
  }

  async onModuleInit(): Promise<void> {
    if (!this.store) return;
    await this.reloadCalendar();
    this.timer = setInterval(() => {
      this.reloadCalendar().catch((e) => this.logger.warn(`calendar refresh failed: ${(e as Error).message}`));
    }, CALENDAR_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Takes the calendars stored in PostgreSQL when they changed since the last look. */
  async reloadCalendar(): Promise<void> {
    if (!this.store) return;
    const version = await this.store.version();
    if (version === this.calendarVersion) return;
    const { district, units } = await this.store.calendars();
    this.calendar = district;
    this.unitCalendars = units;
    this.calendarVersion = version;
  }

  /** The calendar a unit works by: its own if an administrator gave it one, else the district's. */
  calendarFor(unit?: string | null): WorkingCalendar {
    return (unit && this.unitCalendars.get(unit)) || this.calendar;
  }

  /** The shortest working day of the calendars in use: a bound for reading runs whose "N days past" may have come. */
  shortestDayMinutes(): number {
    return Math.min(this.calendar.dayMinutes, ...[...this.unitCalendars.values()].map((c) => c.dayMinutes));
  }

  // A duration in days is counted in the days of the calendar the case's unit works by: a unit of 7.5-hour
  // days got 5 x 8 hours for "5 working days", and its deadline fell on the sixth of its days.
  receiveClock(receivedAt: Date, ctx: SlaContext = {}): StageClock {
    const duration = overrideFor(this.policy, ctx).find((o) => o.receive !== undefined)?.receive ?? this.policy.receive;
    const minutes = minutesOn(duration, this.calendarFor(ctx.unit).dayMinutes);
    return { stage: 'receive', startedAt: receivedAt, minutes, extensionMinutes: 0, unit: ctx.unit ?? null };
  }

  resolveClock(startedAt: Date, severity: Severity, ctx: SlaContext = {}): StageClock {
    const duration = overrideFor(this.policy, ctx).find((o) => o.resolve[severity] !== undefined)?.resolve[severity] ?? this.policy.resolve[severity];
    const minutes = minutesOn(duration, this.calendarFor(ctx.unit).dayMinutes);
    return { stage: 'resolve', startedAt, minutes, extensionMinutes: 0, unit: ctx.unit ?? null };
  }

  /** Deadline and warning time of a stage; null while an open pause holds the clock. */
  deadlines(clock: StageClock, pauses: ClockPause[]): Deadlines {
    const total = clock.minutes + clock.extensionMinutes;
    return {
      dueAt: computeDueAt(this.calendarFor(clock.unit), clock.startedAt, total, pauses),
      // Not rounded to whole minutes: a two-minute stage's warning (1.5 min) rounded up to its deadline.
      warnAt: computeDueAt(this.calendarFor(clock.unit), clock.startedAt, total * this.policy.warnAt, pauses),
    };
  }
}
