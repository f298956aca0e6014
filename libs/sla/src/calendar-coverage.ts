import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CalendarGap, calendarGaps, describeCalendarGap, describeProvisionalYear, isProvisionalYear, ProvisionalYear, provisionalYears } from '@fr/domain';
import { activeOfficersWithRole, writeNotifications } from '@fr/persistence';
import { CalendarStore } from './calendar-store';
import { Clock } from './clock';

type Doc = Awaited<ReturnType<CalendarStore['documents']>>[number];

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
   * The years that matter now (this year; next year from 60 days before), the district calendar's, then
   * those of each unit with a calendar of its own: `gaps`, the years without a calendar, and `provisional`,
   * those whose calendar says it is provisional (without the mark a guessed Tết counted deadlines as firmly
   * as a published one). Two reads: /health asks on every call.
   */
  async yearsInUse(): Promise<{ gaps: CalendarGap[]; provisional: ProvisionalYear[] }> {
    const now = this.clock.now();
    const calendars: [string | undefined, Doc[]][] = [[undefined, await this.store.documents()], ...(await this.store.unitDocuments())];
    const years = (docs: Doc[]) => docs.map((d) => d.year);
    return {
      gaps: calendars.flatMap(([unit, docs]) => calendarGaps(years(docs), now).map((g) => (unit === undefined ? g : { ...g, unit }))),
      provisional: calendars.flatMap(([unit, docs]) =>
        provisionalYears(years(docs.filter(isProvisionalYear)), now).map((p) => (unit === undefined ? p : { ...p, unit })),
      ),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      const { gaps, provisional } = await this.yearsInUse();
      for (const gap of gaps) this.logger.warn(describeCalendarGap(gap));
      for (const p of provisional) this.logger.warn(describeProvisionalYear(p));
    } catch (e) {
      // A database that is not up yet is reported by /health; the sweep tells the ADMINs later.
      this.logger.warn(`could not check the calendar's years: ${(e as Error).message}`);
    }
  }

  /** Tells every active ADMIN of each missing year, and of each provisional year, once; returns the notices written. */
  async noticeAdmins(): Promise<number> {
    const { gaps, provisional } = await this.yearsInUse();
    if (gaps.length === 0 && provisional.length === 0) return 0;
    const admins = await activeOfficersWithRole(this.ds, ['ADMIN']);
    const notices = [
      ...provisional.map((p) => ({
        audit: 'calendar-provisional' as const,
        kind: CALENDAR_PROVISIONAL_KIND,
        title: p.unit === undefined ? `Lịch làm việc năm ${p.year} là lịch dự kiến` : `Lịch làm việc năm ${p.year} của đơn vị ${p.unit} là lịch dự kiến`,
        body: describeProvisionalYear(p),
      })),
      ...gaps.map((gap) => ({
        audit: 'calendar' as const,
        kind: CALENDAR_MISSING_KIND,
        title: gap.unit === undefined ? `Chưa có lịch làm việc năm ${gap.year}` : `Chưa có lịch làm việc năm ${gap.year} của đơn vị ${gap.unit}`,
        body: describeCalendarGap(gap),
      })),
    ];
    let written = 0;
    for (const { audit, kind, title, body } of notices) {
      written += (
        await writeNotifications(
          this.ds,
          { kind: audit },
          admins.map((officerId) => ({ officerId, kind, title, body })),
        )
      ).length;
    }
    return written;
  }
}
