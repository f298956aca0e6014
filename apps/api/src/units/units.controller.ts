import { Body, Controller, Get, Param, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { dayOrInstantAt, dayOrInstantProblem, ValidationError, VIETNAM_DAY_SHAPE } from '@fr/domain';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { DesignateUnitOfficers, GetUnitCoverage, ListUnits } from '@fr/directory';
import { ApiErrors } from '../common/error.dto';
import { CoverageGapDto, DesignationDto, DesignationResultDto, UnitDto } from './unit.dto';
import { Roles } from '../common/roles.decorator';
import { CODE_PARAM_SCHEMA, dayOrInstantSchema } from '../common/text.decorators';

@ApiTags('units')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/units')
export class UnitsController {
  constructor(
    private readonly listUnits: ListUnits,
    private readonly coverage: GetUnitCoverage,
    private readonly designate: DesignateUnitOfficers,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listUnits', summary: 'Units with their designated handler and leader, dates and successors (any officer)' })
  @ApiQuery({
    name: 'at',
    required: false,
    schema: { ...dayOrInstantSchema(), example: '2024-06-01' },
    description: 'the organisation as it stood then: a date (Vietnam time, the start of that day) or a date-time with its offset (default: now)',
  })
  @ApiQuery({
    name: 'include',
    required: false,
    schema: { type: 'string', enum: ['inactive'] },
    description: 'inactive: also the units that ended (or had not begun)',
  })
  @ApiOkResponse({ type: [UnitDto] })
  @ApiErrors(400)
  async list(@Query('at') at?: string, @Query('include') include?: string): Promise<UnitDto[]> {
    const problem = at === undefined ? null : dayOrInstantProblem('at', at, { shape: VIETNAM_DAY_SHAPE });
    if (problem) throw new ValidationError(problem, ['at']);
    const when = at === undefined ? null : dayOrInstantAt(at, 'start');
    if (include !== undefined && include !== '' && include !== 'inactive') throw new ValidationError("include must be 'inactive'", ['include']);
    return (await this.listUnits.execute({ at: when, includeInactive: include === 'inactive' })).map(UnitDto.of);
  }

  @Get('coverage')
  @Roles('ADMIN', 'SUPERVISOR', 'AUDITOR')
  @ApiOperation({
    operationId: 'getUnitCoverage',
    summary: 'Active units lacking a designated handler or leader, or with officers away (each absence and its cover)',
  })
  @ApiOkResponse({ type: [CoverageGapDto] })
  @ApiErrors(403)
  async gaps(): Promise<CoverageGapDto[]> {
    return (await this.coverage.execute()).map(CoverageGapDto.of);
  }

  @Put(':code/designation')
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'designateUnitOfficers', summary: "Designate a unit's handler and leader; the unit's open cases move to them" })
  @ApiParam({ name: 'code', example: 'P_BACH_KHOA', schema: CODE_PARAM_SCHEMA, description: 'a unit code' })
  @ApiOkResponse({ type: DesignationResultDto })
  @ApiErrors(403, { 404: 'no such unit' }, { 422: 'a designee is not an active officer of the unit with the right role' })
  async designation(@CurrentOfficer() actor: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: DesignationDto): Promise<DesignationResultDto> {
    const r = await this.designate.execute({ actorId: actor.id, unitCode: code, handlerId: dto.handlerId, leaderId: dto.leaderId });
    return { unit: UnitDto.of(r.unit), movedCases: r.movedCases };
  }
}
