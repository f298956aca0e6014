import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CalendarStore } from '@fr/sla';
import { RecomputeDeadlines } from './recompute-deadlines.usecase';

/**
 * A year file added to config/calendars is stored at the next start (CalendarStore). Open deadlines that
 * reach into that year were counted without it, its holidays as working days: the administrators are
 * told how many the year now moves, as after a PUT (RecomputeDeadlines.noticeAfterChange). Only the
 * process that stored the year tells.
 */
@Injectable()
export class CalendarYearsLoaded implements OnApplicationBootstrap {
  constructor(
    private readonly store: CalendarStore,
    private readonly recompute: RecomputeDeadlines,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let years: number[];
    try {
      years = await this.store.takeLoadedYears();
    } catch {
      // A database not up yet: the start itself reports it (health, the migrations).
      return;
    }
    for (const year of years) await this.recompute.noticeAfterChange(year, null);
  }
}
