import { DAY_MS, VIETNAM_UTC_OFFSET_MS } from './working-calendar';

/**
 * How long before a year starts the engine starts saying it has no calendar for it: two months
 * leave time for the government's notice (usually out in the autumn) to be typed in.
 */
export const CALENDAR_WARNING_LEAD_DAYS = 60;

/** A year the engine will count time in (now or soon) without knowing its holidays. */
export interface CalendarGap {
  year: number;
  /** 1 January of that year, local date. */
  startsOn: string;
  /** Whole days from today (local) to 1 January; 0 or less once the year has begun. */
  daysUntil: number;
  /** A unit with a calendar of its own that lacks the year; absent for the district's calendar. */
  unit?: string;
}

/**
 * The years without a calendar that matter at `now`: this year, and next year from `leadDays`
 * before it starts. Without a file, a year's holidays would silently count as working time.
 */
export function calendarGaps(years: readonly number[], now: Date, leadDays = CALENDAR_WARNING_LEAD_DAYS): CalendarGap[] {
  const local = new Date(now.getTime() + VIETNAM_UTC_OFFSET_MS);
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const thisYear = local.getUTCFullYear();
  const gaps: CalendarGap[] = [];
  for (const year of [thisYear, thisYear + 1]) {
    if (years.includes(year)) continue;
    const daysUntil = Math.round((Date.UTC(year, 0, 1) - today) / DAY_MS);
    if (daysUntil <= leadDays) gaps.push({ year, startsOn: `${year}-01-01`, daysUntil });
  }
  return gaps;
}

/** One sentence for logs, health details and the ADMIN notice. */
export function describeCalendarGap(gap: CalendarGap): string {
  if (gap.unit !== undefined) {
    const when = gap.daysUntil > 0 ? `(starts in ${gap.daysUntil} day(s)): its holidays would count` : `, which has begun: its holidays count`;
    return `unit ${gap.unit} has a working calendar of its own but none for ${gap.year} ${when} as working time for the unit's cases; PUT /v1/calendars/${gap.year}?unit=${gap.unit}`;
  }
  return gap.daysUntil > 0
    ? `no working calendar for ${gap.year} (starts in ${gap.daysUntil} day(s)): its holidays would count as working time; add config/calendars/${gap.year}.yaml or PUT /v1/calendars/${gap.year}`
    : `no working calendar for ${gap.year}, which has begun: its holidays count as working time; add config/calendars/${gap.year}.yaml or PUT /v1/calendars/${gap.year}`;
}

/** A year the engine counts (now or soon) on a calendar whose holidays are partly guessed. */
export interface ProvisionalYear {
  year: number;
  /** Whole days from today (local) to 1 January; 0 or less once the year has begun. */
  daysUntil: number;
  /** A unit's own calendar; absent for the district's. */
  unit?: string;
}

/**
 * The provisional years that matter at `now`, in the window of {@link calendarGaps}: this year, and next
 * year from `leadDays` before it starts. A guessed Tết counts deadlines as firmly as a published one.
 */
export function provisionalYears(provisional: readonly number[], now: Date, leadDays = CALENDAR_WARNING_LEAD_DAYS): ProvisionalYear[] {
  const local = new Date(now.getTime() + VIETNAM_UTC_OFFSET_MS);
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const thisYear = local.getUTCFullYear();
  return [thisYear, thisYear + 1]
    .filter((year) => provisional.includes(year))
    .map((year) => ({ year, daysUntil: Math.round((Date.UTC(year, 0, 1) - today) / DAY_MS) }))
    .filter((p) => p.daysUntil <= leadDays);
}

/** One sentence for logs, health details and the ADMIN notice. */
export function describeProvisionalYear(p: ProvisionalYear): string {
  const whose = p.unit !== undefined ? `unit ${p.unit}'s own working calendar` : 'the working calendar';
  const when = p.daysUntil > 0 ? ` (starts in ${p.daysUntil} day(s))` : '';
  const put = `PUT /v1/calendars/${p.year}${p.unit !== undefined ? `?unit=${p.unit}` : ''}`;
  return (
    `${whose} for ${p.year}${when} is provisional: the government's notice of days off and make-up days was not out when it was written, ` +
    `so some of its days are guesses; when the notice is out, ${put} with the published days (without provisional), then recompute the deadlines it moves`
  );
}
