import { Injectable, OnModuleInit } from '@nestjs/common';
import { VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { CalendarStore } from './calendar-store';
import { Clock } from './clock';

const DAY_MS = 86_400_000;

/**
 * How far ahead the district's working calendar reaches, for an alert while there is still time to
 * load the next year (CalendarCoverage tells the log, /health and the ADMINs from 60 days before).
 */
@Injectable()
export class CalendarGauges implements OnModuleInit {
  constructor(
    private readonly store: CalendarStore,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('calendar', () => this.collect());
  }

  /** The shortest reach of any calendar in use: the district's, or a unit's own. */
  async collect(): Promise<void> {
    const now = this.clock.now();
    const years = (await this.store.documents()).map((d) => d.year);
    const reaches = [years, ...(await this.store.unitYears()).values()].map((y) => daysCoveredAhead(y, now));
    this.metrics.calendarDaysAhead.set(Math.min(...reaches));
  }
}

/**
 * Whole days from `now` to the end of the last year covered without a gap from this year on (Vietnam
 * wall clock); 0 when this year itself has no calendar.
 */
export function daysCoveredAhead(years: readonly number[], now: Date): number {
  const thisYear = new Date(now.getTime() + VIETNAM_UTC_OFFSET_MS).getUTCFullYear();
  let last = thisYear - 1;
  while (years.includes(last + 1)) last++;
  const end = Date.UTC(last + 1, 0, 1) - VIETNAM_UTC_OFFSET_MS;
  return Math.max(0, Math.floor((end - now.getTime()) / DAY_MS));
}
