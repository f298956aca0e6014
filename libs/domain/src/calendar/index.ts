export { CALENDAR_TIME_ZONE, DEFAULT_OFFICE_HOURS, VIETNAM_UTC_OFFSET_MS, WorkingCalendar, localDateKey, mergeCalendars } from './working-calendar';
export type {
  CalendarData,
  DayOff,
  DurationUnit,
  ExtraWorkingDay,
  OfficeHours,
  OfficePeriod,
  Weekday,
  WorkingCalendarOptions,
  WorkingDuration,
} from './working-calendar';
export { calendarFromDocuments, isProvisionalYear, parseCalendarDocument } from './calendar-document';
export type { CalendarDocument } from './calendar-document';
export { computeDueAt, elapsedWorkingMinutes } from './deadline';
export type { ClockPause } from './deadline';
export { parseIcsDaysOff } from './ics';
export { CALENDAR_WARNING_LEAD_DAYS, calendarGaps, describeCalendarGap, describeProvisionalYear, provisionalYears } from './coverage';
export type { CalendarGap, ProvisionalYear } from './coverage';
