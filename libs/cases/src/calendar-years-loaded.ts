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
 * nobody when the debt was held in its memory; now the next start of any process tells, once, or a
 * worker's maintenance sweep when the start could not.
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
      await this.tellDue();
    } catch (e) {
      // A database not up yet: the start itself reports it (health, the migrations); the years stay due
      // for the workers' next maintenance sweep (tellDue) or the next start.
      this.logger.warn(`could not tell the administrators of the deadlines a year loaded from config/calendars moves: ${(e as Error).message}`);
    }
  }

  /** Tells the years still due (none, nearly always: one small read); returns how many were told. */
  tellDue(): Promise<number> {
    return this.ds.transaction(async (m) => {
      const years = await this.store.yearsToTell(m);
      for (const year of years) await this.recompute.tellAdmins(year, null, m);
      await this.store.told(m, years);
      return years.length;
    });
  }
}
