import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { selectRow } from '@fr/persistence';
import { Clock } from './clock';

const DAY_MS = 86_400_000;

/**
 * How far ahead the district's working calendar reaches. Deadlines past its last year cannot be
 * computed from the year's real schedule (the civil-service holidays are published yearly), so an
 * alert fires while there is still time to load the next year.
 */
@Injectable()
export class CalendarGauges implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape('calendar', () => this.collect());
  }

  async collect(): Promise<void> {
    const row = await selectRow<{ last: number | null }>(this.ds, `SELECT max(year) AS last FROM calendars WHERE scope = ''`);
    this.metrics.calendarDaysAhead.set(row?.last ? daysCoveredAhead(row.last, this.clock.now()) : 0);
  }
}

/** Whole days from `now` to the end of `lastYear` on the Vietnam wall clock (0 once past it). */
export function daysCoveredAhead(lastYear: number, now: Date): number {
  const end = Date.UTC(lastYear + 1, 0, 1) - VIETNAM_UTC_OFFSET_MS;
  return Math.max(0, Math.floor((end - now.getTime()) / DAY_MS));
}
