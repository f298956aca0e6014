import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { CreateOfficer, ListOfficers, OfficerAbsences, RecordAbsence, UpdateOfficer } from '@fr/directory';
import { dayOrInstantAt, ValidationError } from '@fr/domain';
import { ApiErrors } from '../common/error.dto';
import { AbsenceDto, CreateOfficerDto, ListOfficersQueryDto, OfficerDto, RecordAbsenceDto, UpdateOfficerDto } from './officer.dto';
import { Roles } from '../common/roles.decorator';
import { SERIAL_ID_PARAM_SCHEMA } from '../common/text.decorators';

const officerIdPipe = () => new ParseUUIDPipe({ exceptionFactory: () => new ValidationError('id must be an officer id (a UUID)', ['id']) });
const officerIdParam = ApiParam({ name: 'id', format: 'uuid', description: "the officer's id" });

@ApiTags('officers')
@ApiBearerAuth()
@ApiErrors(403)
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/officers')
export class OfficersController {
  constructor(
    private readonly createOfficer: CreateOfficer,
    private readonly updateOfficer: UpdateOfficer,
    private readonly listOfficers: ListOfficers,
    private readonly recordAbsence: RecordAbsence,
    private readonly absences: OfficerAbsences,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'createOfficer', summary: 'Create an officer account with a role in one unit' })
  @ApiCreatedResponse({ type: OfficerDto })
  @ApiErrors(
    { 409: 'the username is taken (case-insensitive)' },
    { 422: 'unknown unit, a SUPERVISOR or ADMIN outside the office, or an OPERATOR outside the office and hotline units' },
  )
  async create(@CurrentOfficer() actor: AuthenticatedOfficer, @Body() dto: CreateOfficerDto): Promise<OfficerDto> {
    const officer = await this.createOfficer.execute({
      actorId: actor.id,
      username: dto.username,
      password: dto.password,
      fullName: dto.fullName,
      role: dto.role,
      unitCode: dto.unitCode,
      email: dto.email,
    });
    return OfficerDto.of(officer);
  }

  @Get()
  // AUDITOR reads everything (API.md): Home Affairs checks whom each unit designated.
  @Roles('ADMIN', 'SUPERVISOR', 'AUDITOR')
  @ApiOperation({ operationId: 'listOfficers', summary: 'Officers, optionally of one unit or role' })
  @ApiOkResponse({ type: [OfficerDto] })
  async list(@Query() query: ListOfficersQueryDto): Promise<OfficerDto[]> {
    const officers = await this.listOfficers.execute({ unitCode: query.unit, role: query.role, active: query.active });
    return officers.map(OfficerDto.of);
  }

  @Patch(':id')
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'updateOfficer', summary: "Change an officer's name, role, unit, password, active flag or e-mail address" })
  @ApiParam({ name: 'id', format: 'uuid', description: "the officer's id" })
  @ApiOkResponse({ type: OfficerDto })
  @ApiErrors(
    { 404: 'no such officer' },
    { 409: "the officer is a unit's designee and would change role or unit" },
    { 422: 'unknown unit, a SUPERVISOR or ADMIN outside the office, an OPERATOR outside the office and hotline units, or an administrator disabling themself' },
  )
  async update(@CurrentOfficer() actor: AuthenticatedOfficer, @Param('id', officerIdPipe()) id: string, @Body() dto: UpdateOfficerDto): Promise<OfficerDto> {
    const officer = await this.updateOfficer.execute({
      actorId: actor.id,
      officerId: id,
      fullName: dto.fullName,
      role: dto.role,
      unitCode: dto.unitCode,
      password: dto.password,
      active: dto.active,
      email: dto.email,
    });
    return OfficerDto.of(officer);
  }

  @Post(':id/absences')
  @Roles('ADMIN', 'LEADER', 'HANDLER', 'SUPERVISOR', 'AUDITOR', 'OPERATOR')
  @ApiOperation({
    operationId: 'recordAbsence',
    summary: "Record an officer's absence and who covers (the officer, a leader of their unit, or an ADMIN)",
    description:
      "While it lasts, an absent handler's new cases go to the cover (an absent leader stays the cases' leader; the cover is told in their place), " +
      "escalations addressed to the officer reach the cover, and the cover's `assignee=me` queue holds an absent handler's cases. It ends by itself at `to`.",
  })
  @officerIdParam
  @ApiCreatedResponse({ type: AbsenceDto })
  @ApiErrors(
    { 400: 'from or to is neither a date nor a date-time, or to is not later than from' },
    { 404: 'no such officer' },
    { 409: 'the officer already has an absence in this period' },
    { 422: 'the cover is not an active officer of the same unit with the same role, or is away then; or the absence would already be over' },
  )
  async addAbsence(
    @CurrentOfficer() actor: AuthenticatedOfficer,
    @Param('id', officerIdPipe()) id: string,
    @Body() dto: RecordAbsenceDto,
  ): Promise<AbsenceDto> {
    // Dates are whole days in Hanoi: from 2026-12-01 to 2026-12-05 is away from the 1st's midnight until the 6th's.
    const absence = await this.recordAbsence.execute({
      actor,
      officerId: id,
      from: dayOrInstantAt(dto.from, 'start'),
      to: dayOrInstantAt(dto.to, 'end'),
      coverId: dto.coverId,
    });
    return AbsenceDto.of(absence);
  }

  @Get(':id/absences')
  @Roles('ADMIN', 'LEADER', 'HANDLER', 'SUPERVISOR', 'AUDITOR', 'OPERATOR')
  @ApiOperation({
    operationId: 'listAbsences',
    summary: "An officer's absences, latest first (the officer, a leader of their unit, ADMIN, SUPERVISOR, AUDITOR)",
  })
  @officerIdParam
  @ApiOkResponse({ type: [AbsenceDto] })
  @ApiErrors({ 404: 'no such officer' })
  async listAbsences(@CurrentOfficer() actor: AuthenticatedOfficer, @Param('id', officerIdPipe()) id: string): Promise<AbsenceDto[]> {
    return (await this.absences.list(actor, id)).map(AbsenceDto.of);
  }

  @Delete(':id/absences/:absenceId')
  @HttpCode(204)
  @Roles('ADMIN', 'LEADER', 'HANDLER', 'SUPERVISOR', 'AUDITOR', 'OPERATOR')
  @ApiOperation({ operationId: 'cancelAbsence', summary: 'Cancel an absence: it ends now, or never starts (the officer, a leader of their unit, or an ADMIN)' })
  @officerIdParam
  @ApiParam({ name: 'absenceId', example: '12', schema: SERIAL_ID_PARAM_SCHEMA })
  @ApiResponse({ status: 204, description: 'cancelled, now or by an earlier call (a DELETE sent again changes nothing)' })
  @ApiErrors({ 404: 'no such officer, or no such absence of this officer' })
  async cancelAbsence(
    @CurrentOfficer() actor: AuthenticatedOfficer,
    @Param('id', officerIdPipe()) id: string,
    @Param('absenceId') absenceId: string,
  ): Promise<void> {
    await this.absences.cancel(actor, id, absenceId);
  }
}
