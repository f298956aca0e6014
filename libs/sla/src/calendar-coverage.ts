import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CalendarGap, calendarGaps, describeCalendarGap, describeProvisionalYear, isProvisionalYear, ProvisionalYear, provisionalYears } from '@fr/domain';
import { activeOfficersWithRole, writeNotifications } from '@fr/persistence';
import { CalendarStore } from './calendar-store';
import { Clock } from './clock';

/** Inbox kind of the notice; with the title (which names the year) it is unique per officer. */
export const CALENDAR_MISSING_KIND = 'calendar.missing';
/** Inbox kind of the notice that a year in use is provisional; unique per officer and title, as the above. */
export const CALENDAR_PROVISIONAL_KIND = 'calendar.provisional';

/**
 * Says, before it matters, that a year has no working calendar: without one its holidays would count
 * as working time and every deadline in it would be early. Three places, so that somebody sees it:
 * a warning in each process's log at start, `GET /health` details, and a notice in every active
 * ADMIN's inbox (the worker's periodic sweep; once per officer and year).
 */
@Injectable()
export class CalendarCoverage implements OnApplicationBootstrap {
  private readonly logger = new Logger(CalendarCoverage.name);

  constructor(
    private readonly ds: DataSource,
    private readonly store: CalendarStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The missing years that matter now (this year; next year from 60 days before): the district
   * calendar's, then those of each unit with a calendar of its own.
   */
  async gaps(): Promise<CalendarGap[]> {
    const now = this.clock.now();
    const years = (await this.store.documents()).map((d) => d.year);
    const units = [...(await this.store.unitYears())].flatMap(([unit, own]) => calendarGaps(own, now).map((g) => ({ ...g, unit })));
    return [...calendarGaps(years, now), ...units];
  }

  /**
   * The years in use (this year; next year from 60 days before) whose calendar says it is provisional: the
   * district's, then units' own. Without this a guessed Tết counted deadlines as firmly as a published one.
   */
  async provisional(): Promise<ProvisionalYear[]> {
    const now = this.clock.now();
    const district = (await this.store.documents()).filter(isProvisionalYear).map((d) => d.year);
    const units = new Map<string, number[]>();
    for (const [unit, docs] of await this.store.unitDocuments())
      units.set(
        unit,
        docs.filter(isProvisionalYear).map((d) => d.year),
      );
    return [...provisionalYears(district, now), ...[...units].flatMap(([unit, years]) => provisionalYears(years, now).map((p) => ({ ...p, unit })))];
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const gap of await this.gaps()) this.logger.warn(describeCalendarGap(gap));
      for (const p of await this.provisional()) this.logger.warn(describeProvisionalYear(p));
    } catch (e) {
      // A database that is not up yet is reported by /health; the sweep tells the ADMINs later.
      this.logger.warn(`could not check the calendar's years: ${(e as Error).message}`);
    }
  }

  /** Tells every active ADMIN of each missing year, and of each provisional year, once; returns the notices written. */
  async noticeAdmins(): Promise<number> {
    const gaps = await this.gaps();
    const provisional = await this.provisional();
    if (gaps.length === 0 && provisional.length === 0) return 0;
    const admins = await activeOfficersWithRole(this.ds, ['ADMIN']);
    let written = 0;
    for (const p of provisional) {
      const title = p.unit === undefined ? `Lịch làm việc năm ${p.year} là lịch dự kiến` : `Lịch làm việc năm ${p.year} của đơn vị ${p.unit} là lịch dự kiến`;
      const body = describeProvisionalYear(p);
      written += (
        await writeNotifications(
          this.ds,
          { kind: 'calendar-provisional' },
          admins.map((officerId) => ({ officerId, kind: CALENDAR_PROVISIONAL_KIND, title, body })),
        )
      ).length;
    }
    for (const gap of gaps) {
      const title = gap.unit === undefined ? `Chưa có lịch làm việc năm ${gap.year}` : `Chưa có lịch làm việc năm ${gap.year} của đơn vị ${gap.unit}`;
      const body = describeCalendarGap(gap);
      written += (
        await writeNotifications(
          this.ds,
          { kind: 'calendar' },
          admins.map((officerId) => ({ officerId, kind: CALENDAR_MISSING_KIND, title, body })),
        )
      ).length;
    }
    return written;
  }
}
