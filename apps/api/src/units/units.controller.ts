import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { DesignateUnitOfficers, GetUnitCoverage, ListUnits } from '@fr/directory';
import { ApiErrors } from '../common/error.dto';
import { CoverageGapDto, DesignationDto, DesignationResultDto, UnitDto } from './unit.dto';

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
  @ApiOperation({ operationId: 'listUnits', summary: 'Units with their designated handler and leader (any officer)' })
  @ApiOkResponse({ type: [UnitDto] })
  async list(): Promise<UnitDto[]> {
    return (await this.listUnits.execute()).map(UnitDto.of);
  }

  @Get('coverage')
  @Roles('ADMIN', 'SUPERVISOR', 'AUDITOR')
  @ApiOperation({ operationId: 'getUnitCoverage', summary: 'Active units lacking a designated handler or leader, or with officers away (each absence and its cover)' })
  @ApiOkResponse({ type: [CoverageGapDto] })
  @ApiErrors(403)
  async gaps(): Promise<CoverageGapDto[]> {
    return (await this.coverage.execute()).map(CoverageGapDto.of);
  }

  @Put(':code/designation')
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'designateUnitOfficers', summary: "Designate a unit's handler and leader; the unit's open cases move to them" })
  @ApiParam({ name: 'code', example: 'P_BACH_KHOA', description: 'a unit code' })
  @ApiOkResponse({ type: DesignationResultDto })
  @ApiErrors(403, { 404: 'no such unit' }, { 422: 'a designee is not an active officer of the unit with the right role' })
  async designation(
    @CurrentOfficer() actor: AuthenticatedOfficer,
    @Param('code') code: string,
    @Body() dto: DesignationDto,
  ): Promise<DesignationResultDto> {
    const r = await this.designate.execute({ actorId: actor.id, unitCode: code, handlerId: dto.handlerId, leaderId: dto.leaderId });
    return { unit: UnitDto.of(r.unit), movedCases: r.movedCases };
  }
}
