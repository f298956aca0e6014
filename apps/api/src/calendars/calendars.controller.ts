import { Body, Controller, Get, Param, ParseIntPipe, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { ValidationError } from '@fr/domain';
import { CalendarStore, SlaService } from '@fr/sla';
import { SafeInputPipe } from '../common/safe-input.pipe';

const parseYear = new ParseIntPipe({ exceptionFactory: () => new ValidationError('year must be a number such as 2026', ['year']) });
const year = {
  transform: async (value: string, meta: Parameters<ParseIntPipe['transform']>[1]) => {
    const y = await parseYear.transform(value, meta);
    if (y < 2000 || y > 2100) throw new ValidationError('year must be between 2000 and 2100', ['year']);
    return y;
  },
};

/** `?unit=CODE` addresses a unit's own calendar; without it, the district's. */
function unitOf(unit: unknown): string | null {
  if (unit === undefined || unit === '') return null;
  if (typeof unit !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(unit)) throw new ValidationError('unit must be a unit code', ['unit']);
  return unit;
}

/** Working calendars per year (office hours, days off, make-up days): read by all officers, replaced by ADMIN. */
@ApiTags('calendars')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/calendars')
export class CalendarsController {
  constructor(
    private readonly store: CalendarStore,
    private readonly sla: SlaService,
  ) {}

  @Get()
  list() {
    return this.store.list();
  }

  @Get(':year')
  @ApiQuery({ name: 'unit', required: false })
  get(@Param('year', year) y: number, @Query('unit') unit?: string) {
    return this.store.get(y, unitOf(unit));
  }

  @Put(':year')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Replace one year (same format as config/calendars/<year>.yaml, as JSON); applies without a restart' })
  @ApiQuery({ name: 'unit', required: false, description: "a unit's own calendar (e.g. Saturday hours); without it, the district's" })
  async put(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('year', year) y: number,
    @Body() body: Record<string, unknown>,
    @Query('unit') unit?: string,
  ) {
    const doc = await this.store.put(y, body, `officer:${officer.id}`, unitOf(unit));
    await this.sla.reloadCalendar();
    return doc;
  }

  @Post(':year/ics')
  @Roles('ADMIN')
  @ApiConsumes('text/calendar')
  @ApiBody({ schema: { type: 'string' } })
  @ApiOperation({ summary: 'Import the days off of an iCalendar (.ics) file into one year' })
  @ApiQuery({ name: 'unit', required: false })
  async importIcs(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('year', year) y: number, @Req() req: Request, @Query('unit') unit?: string) {
    const text = typeof req.body === 'string' ? req.body : '';
    if (!text.includes('BEGIN:VCALENDAR')) throw new ValidationError('send an iCalendar file (Content-Type: text/calendar)', ['body']);
    // The body bypasses the global input pipe (it is read raw): the same rules, here.
    const problem = new SafeInputPipe().problemIn(text, 'the calendar file');
    if (problem) throw new ValidationError(problem, ['body']);
    const result = await this.store.importIcs(y, text, `officer:${officer.id}`, unitOf(unit));
    await this.sla.reloadCalendar();
    return result;
  }
}
