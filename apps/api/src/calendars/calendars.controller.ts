import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Put, Query, Req, UnsupportedMediaTypeException, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Request } from 'express';
import { DataSource } from 'typeorm';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { RecomputeDeadlines } from '@fr/cases';
import { ValidationError } from '@fr/domain';
import { requireKnownUnit } from '@fr/persistence';
import { CalendarStore, SlaService } from '@fr/sla';
import { ApiErrors } from '../common/error.dto';
import { SafeInputPipe } from '../common/safe-input.pipe';
import { CalendarDocumentDto, CalendarInputDto, CalendarSummaryDto, DeadlineRecomputeReportDto, IcsImportResultDto, OfficePeriodDto } from './calendar.dto';
import { Roles } from '../common/roles.decorator';

const parseYear = new ParseIntPipe({ exceptionFactory: () => new ValidationError('year must be a number such as 2026', ['year']) });
const year = {
  transform: async (value: string, meta: Parameters<ParseIntPipe['transform']>[1]) => {
    const y = await parseYear.transform(value, meta);
    if (y < 2000 || y > 2100) throw new ValidationError('year must be between 2000 and 2100', ['year']);
    return y;
  },
};

const yearParam = ApiParam({ name: 'year', schema: { type: 'integer', minimum: 2000, maximum: 2100 }, example: 2026 });
const unitQuery = (description: string) =>
  // Empty (`unit=`) is the same as left out: the district's calendar.
  ApiQuery({ name: 'unit', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{0,40}$' }, description: `${description} (empty: the same)` });

/** `?unit=CODE` addresses a unit's own calendar; without it, the district's. */
function unitOf(unit: unknown): string | null {
  if (unit === undefined || unit === '') return null;
  if (typeof unit !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(unit)) throw new ValidationError('unit must be a unit code', ['unit']);
  return unit;
}

/**
 * The .ics file sent as the body. A failure names which slip it was (another Content-Type, an empty
 * body, a body that is not iCalendar): "send text/calendar" alone did not help a caller who had.
 */
function icsBody(req: Request): string {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  // 415, as every other body of a media type the operation does not take.
  if (type !== '' && type.toLowerCase() !== 'text/calendar') {
    throw new UnsupportedMediaTypeException(`send the iCalendar file with Content-Type: text/calendar, not ${type.slice(0, 80)}`);
  }
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') {
    throw new ValidationError(
      `the body is ${text === '' ? 'empty' : 'only blank space'}: send the content of the .ics file, which begins with BEGIN:VCALENDAR`,
      ['body'],
    );
  }
  if (!text.includes('BEGIN:VCALENDAR')) {
    throw new ValidationError('the body is not an iCalendar file: it has no BEGIN:VCALENDAR line (an .ics file begins with one)', ['body']);
  }
  return text;
}

/** Working calendars per year (office hours, days off, make-up days): read by all officers, replaced by ADMIN. */
@ApiTags('calendars')
@ApiBearerAuth()
@ApiExtraModels(OfficePeriodDto)
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/calendars')
export class CalendarsController {
  constructor(
    private readonly store: CalendarStore,
    private readonly sla: SlaService,
    private readonly recompute: RecomputeDeadlines,
    private readonly ds: DataSource,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listCalendars', summary: "The years each calendar covers: the district's and units' own" })
  @ApiOkResponse({ type: [CalendarSummaryDto] })
  list(): Promise<CalendarSummaryDto[]> {
    return this.store.list();
  }

  @Get(':year')
  @ApiOperation({ operationId: 'getCalendar', summary: "One year of the district's calendar, or of a unit's own" })
  @yearParam
  @unitQuery("a unit's own calendar; without it, the district's")
  @ApiOkResponse({ type: CalendarDocumentDto })
  @ApiErrors({ 404: 'no calendar for this year (and unit)' })
  async get(@Param('year', year) y: number, @Query('unit') unit?: string): Promise<CalendarDocumentDto> {
    return (await this.store.get(y, unitOf(unit))) as unknown as CalendarDocumentDto;
  }

  @Put(':year')
  @Roles('ADMIN')
  @ApiOperation({
    operationId: 'replaceCalendar',
    summary: 'Replace one year (same format as config/calendars/<year>.yaml, as JSON); applies without a restart',
  })
  @yearParam
  @unitQuery("a unit's own calendar (e.g. Saturday hours); without it, the district's")
  @ApiBody({ type: CalendarInputDto })
  @ApiOkResponse({ type: CalendarDocumentDto })
  @ApiErrors(403, { 422: 'the year does not fit the other years of the calendar, or the unit does not exist or has ended' })
  async put(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('year', year) y: number,
    @Body() body: Record<string, unknown>,
    @Query('unit') unit?: string,
  ): Promise<CalendarDocumentDto> {
    const doc = await this.store.put(y, body, `officer:${officer.id}`, unitOf(unit));
    await this.sla.reloadCalendar();
    await this.recompute.noticeAfterChange(y, unitOf(unit));
    return doc as unknown as CalendarDocumentDto;
  }

  @Post(':year/recompute-deadlines')
  @Roles('ADMIN')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'recomputeDeadlines',
    summary: "Count open cases' running deadlines again on the calendar in force now, after a year was corrected (?dryRun=true: only say what would move)",
    description:
      'Deadlines are stored when they are set, so replacing a year moves none by itself. This counts each running deadline that ' +
      'reaches into the year again from its stored start, duration, extensions and pauses; each moved case records a ' +
      '`recompute_deadline` event (announced to its channel with the new date) and waits for its escalations at the new time. ' +
      'Paused clocks are counted when they resume, but whether a waiting case had passed its deadline when its pause began is ' +
      'counted again (`waiting`); resolved cases keep their deadline. One call moves at most 1,000 deadlines: ' +
      '`remaining` says how many more the calendar moves; call again until it is 0.',
  })
  @yearParam
  @unitQuery("the unit whose own calendar was corrected: its cases only; without it, every unit's")
  @ApiQuery({ name: 'dryRun', required: false, schema: { type: 'boolean' } })
  @ApiOkResponse({ type: DeadlineRecomputeReportDto })
  @ApiErrors(400, 403, { 404: 'no calendar for this year (and unit): store the year first' }, { 422: 'the unit does not exist' })
  async recomputeDeadlines(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('year', year) y: number,
    @Query('unit') unit?: string,
    @Query('dryRun') dryRun?: string,
  ): Promise<DeadlineRecomputeReportDto> {
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') throw new ValidationError('dryRun must be true or false', ['dryRun']);
    const scope = unitOf(unit);
    if (scope) await requireKnownUnit(this.ds, scope);
    // A year the calendar lacks would count its holidays as working days: nothing to recompute against.
    await this.store.get(y, scope);
    return this.recompute.execute({ year: y, unit: scope, dryRun: dryRun === 'true', actor: `officer:${officer.id}` });
  }

  @Post(':year/ics')
  @Roles('ADMIN')
  @ApiConsumes('text/calendar')
  @ApiBody({ schema: { type: 'string' } })
  @ApiOperation({ operationId: 'importCalendarIcs', summary: 'Import the days off of an iCalendar (.ics) file into one year' })
  @yearParam
  @unitQuery("a unit's own calendar; without it, the district's")
  @ApiCreatedResponse({ type: IcsImportResultDto })
  @ApiErrors(
    403,
    {
      400: 'year or unit is malformed, or the body is empty, not an iCalendar file (no BEGIN:VCALENDAR), not sent as text/calendar, or holds control characters',
    },
    { 422: 'the file has days outside the year, the result does not fit the other years, or the unit does not exist or has ended' },
  )
  async importIcs(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('year', year) y: number,
    @Req() req: Request,
    @Query('unit') unit?: string,
  ): Promise<IcsImportResultDto> {
    const text = icsBody(req);
    // The body bypasses the global input pipe (it is read raw): the same rules, here.
    const problem = new SafeInputPipe().problemIn(text, 'the calendar file');
    if (problem) throw new ValidationError(problem, ['body']);
    const result = await this.store.importIcs(y, text, `officer:${officer.id}`, unitOf(unit));
    await this.sla.reloadCalendar();
    await this.recompute.noticeAfterChange(y, unitOf(unit));
    return result as unknown as IcsImportResultDto;
  }
}
