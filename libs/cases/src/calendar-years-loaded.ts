import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CalendarStore } from '@fr/sla';
import { RecomputeDeadlines } from './recompute-deadlines.usecase';

/**
 * A year file added to config/calendars is stored at the next start (CalendarStore). Open deadlines that
 * reach into that year were counted without it, its holidays as working days: the administrators are
 * told how many the year now moves, as after a PUT (RecomputeDeadlines.tellAdmins). The stored row
 * carries the notice until a start tells it, in the transaction that writes the notices: a process
 * killed (or its database gone a moment) between storing the year and telling left the notice to
 * nobody when the debt was held in its memory; now the next start of any process tells, once.
 */
@Injectable()
export class CalendarYearsLoaded implements OnApplicationBootstrap {
  private readonly logger = new Logger(CalendarYearsLoaded.name);

  constructor(
    private readonly ds: DataSource,
    private readonly store: CalendarStore,
    private readonly recompute: RecomputeDeadlines,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ds.transaction(async (m) => {
        const years = await this.store.yearsToTell(m);
        for (const year of years) await this.recompute.tellAdmins(year, null, m);
        await this.store.told(m, years);
      });
    } catch (e) {
      // A database not up yet: the start itself reports it (health, the migrations); the years stay due for the next start.
      this.logger.warn(`could not tell the administrators of the deadlines a year loaded from config/calendars moves: ${(e as Error).message}`);
    }
  }
}
