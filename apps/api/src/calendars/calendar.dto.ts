import { ApiProperty, ApiPropertyOptional, getSchemaPath, OmitType } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { given, notGiven, SchemaRules } from '../common/schema-rules';
import { textPattern } from '../common/text.decorators';

/** A day's name as parseCalendarDocument takes one being stored: shows something, at most 200 characters. */
const DAY_NAME = { maxLength: 200, pattern: textPattern(['notBlank']) };

export class OfficePeriodDto {
  @ApiProperty({ pattern: '^\\d{2}:\\d{2}$', example: '08:00' }) start: string;
  @ApiProperty({ pattern: '^\\d{2}:\\d{2}$', example: '12:00' }) end: string;
}

/** Office periods of a day: 'HH:MM-HH:MM' strings or { start, end }. */
const PERIODS: SchemaObject = {
  type: 'array',
  items: { oneOf: [{ type: 'string', pattern: '^\\d{2}:\\d{2}-\\d{2}:\\d{2}$', example: '08:00-12:00' }, { $ref: getSchemaPath(OfficePeriodDto) }] },
};

/** One day (date), or a range (from and to), not both (parseCalendarDocument). */
@SchemaRules({ anyOf: [{ allOf: [given('date'), notGiven('from'), notGiven('to')] }, { allOf: [notGiven('date'), given('from'), given('to')] }] })
export class DayOffDto {
  @ApiPropertyOptional({ format: 'date', example: '2026-04-30', description: "a single day of the calendar's year; or from and to" }) date?: string;
  @ApiPropertyOptional({ format: 'date', example: '2026-02-14', description: "first day of an inclusive range, in the calendar's year" }) from?: string;
  @ApiPropertyOptional({ format: 'date', example: '2026-02-22', description: 'last day of an inclusive range (at most 31 days), not before from' }) to?: string;
  @ApiProperty({ example: 'Tết Nguyên đán', ...DAY_NAME }) name: string;
}

export class ExtraWorkingDayDto {
  @ApiProperty({
    format: 'date',
    example: '2026-01-10',
    description: "a make-up working day of the calendar's year (usually a Saturday: a day with office hours already takes hours of its own)",
  })
  date: string;
  @ApiProperty({ example: 'Làm bù cho ngày 2/1', ...DAY_NAME }) name: string;
  @ApiPropertyOptional({ type: 'array', items: PERIODS.items, description: "that day's office periods, not overlapping (default: a Monday's)" })
  hours?: unknown[];
}

/** One year of a working calendar: the format of config/calendars/<year>.yaml, as JSON. */
export class CalendarDocumentDto {
  @ApiProperty({ type: 'integer', example: 2026 }) year: number;
  @ApiProperty({ enum: ['Asia/Ho_Chi_Minh'] }) timezone: string;
  @ApiPropertyOptional({
    type: 'boolean',
    description:
      "true while the year's days are partly guessed (the government's notice not out yet): counted all the same, and told in GET /health and to every ADMIN; leave it out when replacing the year with the published days",
  })
  provisional?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: PERIODS,
    description: 'office periods per weekday, keyed mon..sun (or 0..6, 0 = Sunday); default Monday-Friday 08:00-12:00 and 13:00-17:00',
    example: { mon: ['08:00-12:00', '13:00-17:00'], sat: ['08:00-11:30'] },
  })
  officeHours?: Record<string, unknown[]>;

  @ApiPropertyOptional({ type: [DayOffDto], description: 'each day listed once, among the days off and the make-up days' }) daysOff?: DayOffDto[];
  @ApiPropertyOptional({ type: [ExtraWorkingDayDto], description: 'each day listed once, among the days off and the make-up days' })
  extraWorkingDays?: ExtraWorkingDayDto[];
}

export class CalendarInputDto extends OmitType(CalendarDocumentDto, ['year'] as const) {
  @ApiPropertyOptional({ type: 'integer', minimum: 2000, maximum: 2100, description: "the path's year, or left out" }) year?: number;
}

export class CalendarSummaryDto {
  @ApiProperty({ type: String, nullable: true, description: "the unit of a unit's own calendar; null for the district's" }) unit: string | null;
  @ApiProperty({ type: 'integer' }) year: number;
  @ApiProperty({ type: 'integer', description: 'entries in daysOff' }) daysOff: number;
}

export class IcsImportResultDto {
  @ApiProperty({ type: 'integer', description: 'days off the file added (days already listed keep their entry)' }) added: number;
  @ApiProperty({ type: CalendarDocumentDto }) document: CalendarDocumentDto;
}

export class DeadlineMoveDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty({ type: String, nullable: true }) unit: string | null;
  @ApiProperty({ enum: ['receive', 'resolve'] }) stage: string;
  @ApiProperty({ format: 'date-time' }) fromDueAt: string;
  @ApiProperty({ format: 'date-time' }) toDueAt: string;
}

export class PausedLateMoveDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() trackingCode: string;
  @ApiProperty({ type: String, nullable: true }) unit: string | null;
  @ApiProperty({ enum: ['receive', 'resolve'] }) stage: string;
  @ApiProperty({ format: 'date-time', description: 'when the case began to wait on the citizen' }) pausedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the deadline it had passed then, before; null: in time' })
  fromPastDue: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the same on the calendar in force now' }) toPastDue: string | null;
}

export class DeadlineRecomputeReportDto {
  @ApiProperty({ type: 'integer', example: 2027 }) year: number;
  @ApiProperty({ type: String, nullable: true, description: "the unit whose own calendar was corrected; null for the district's" }) unit: string | null;
  @ApiProperty({ description: 'true: nothing was changed, the answer says what applying would move' }) dryRun: boolean;
  @ApiProperty({
    type: 'integer',
    description: 'open cases with a running deadline whose counting reaches into the year, and waiting cases whose pause began in the year or after',
  })
  checked: number;
  @ApiProperty({ type: 'integer', description: 'deadlines the calendar in force now moves (dry run) or moved' }) moved: number;
  @ApiProperty({ type: 'integer', description: 'cases an action changed meanwhile (resolved, paused, moved again): left as they are' }) skipped: number;
  @ApiProperty({
    type: 'integer',
    description: 'deadlines the calendar still moves after this call (one call moves at most 1,000; all of them after a dry run): call again until 0',
  })
  remaining: number;
  @ApiProperty({ type: [DeadlineMoveDto], description: 'the moves of running deadlines, at most 1,000' }) cases: DeadlineMoveDto[];
  @ApiProperty({
    type: [PausedLateMoveDto],
    description:
      'cases waiting on the citizen whose deadline the calendar now puts on the other side of the moment the pause began (late while they wait, or no longer), or moves while still before it; at most 1,000; counted in checked, moved, skipped and remaining',
  })
  waiting: PausedLateMoveDto[];
  @ApiProperty({ description: 'more moves than the list holds' }) truncated: boolean;
}
