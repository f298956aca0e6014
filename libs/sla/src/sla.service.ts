import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { ClockPause, computeDueAt, WorkingCalendar } from '@fr/domain';
import { loadCalendar, loadSlaPolicy, Severity, SlaPolicy, Stage } from './sla-policy';

/** The facts a stage's deadline is computed from; stored on the case so a recompute is exact. */
export interface StageClock {
  stage: Stage;
  startedAt: Date;
  minutes: number;
  extensionMinutes: number;
}

export interface Deadlines {
  dueAt: Date | null;
  warnAt: Date | null;
}

@Injectable()
export class SlaService {
  readonly calendar: WorkingCalendar;
  readonly policy: SlaPolicy;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.calendar = loadCalendar(config.configDir);
    this.policy = loadSlaPolicy(config.configDir, this.calendar.dayMinutes);
  }

  receiveClock(receivedAt: Date): StageClock {
    return { stage: 'receive', startedAt: receivedAt, minutes: this.policy.receiveMinutes, extensionMinutes: 0 };
  }

  resolveClock(startedAt: Date, severity: Severity): StageClock {
    return { stage: 'resolve', startedAt, minutes: this.policy.resolveMinutes[severity], extensionMinutes: 0 };
  }

  /** Deadline and warning time of a stage; null while an open pause holds the clock. */
  deadlines(clock: StageClock, pauses: ClockPause[]): Deadlines {
    const total = clock.minutes + clock.extensionMinutes;
    return {
      dueAt: computeDueAt(this.calendar, clock.startedAt, total, pauses),
      warnAt: computeDueAt(this.calendar, clock.startedAt, Math.round(total * this.policy.warnAt), pauses),
    };
  }
}
