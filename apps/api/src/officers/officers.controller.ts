import { BadRequestException, Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { CreateOfficer, ListOfficers, UpdateOfficer } from '@fr/directory';
import { ApiErrors } from '../common/error.dto';
import { CreateOfficerDto, ListOfficersQueryDto, OfficerDto, UpdateOfficerDto } from './officer.dto';

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
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'createOfficer', summary: 'Create an officer account with a role in one unit' })
  @ApiCreatedResponse({ type: OfficerDto })
  @ApiErrors({ 409: 'the username is taken (case-insensitive)' }, { 422: 'unknown unit' })
  async create(@CurrentOfficer() actor: AuthenticatedOfficer, @Body() dto: CreateOfficerDto): Promise<OfficerDto> {
    const officer = await this.createOfficer.execute({
      actorId: actor.id,
      username: dto.username,
      password: dto.password,
      fullName: dto.fullName,
      role: dto.role,
      unitCode: dto.unitCode,
    });
    return OfficerDto.of(officer);
  }

  @Get()
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({ operationId: 'listOfficers', summary: 'Officers, optionally of one unit or role' })
  @ApiOkResponse({ type: [OfficerDto] })
  async list(@Query() query: ListOfficersQueryDto): Promise<OfficerDto[]> {
    const officers = await this.listOfficers.execute({ unitCode: query.unit, role: query.role, active: query.active });
    return officers.map(OfficerDto.of);
  }

  @Patch(':id')
  @Roles('ADMIN')
  @ApiOperation({ operationId: 'updateOfficer', summary: "Change an officer's name, role, unit, password or active flag" })
  @ApiParam({ name: 'id', format: 'uuid', description: "the officer's id" })
  @ApiOkResponse({ type: OfficerDto })
  @ApiErrors({ 404: 'no such officer' }, { 409: "the officer is a unit's designee and would stop qualifying" }, { 422: 'unknown unit' })
  async update(
    @CurrentOfficer() actor: AuthenticatedOfficer,
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be an officer id (a UUID)') })) id: string,
    @Body() dto: UpdateOfficerDto,
  ): Promise<OfficerDto> {
    const officer = await this.updateOfficer.execute({
      actorId: actor.id,
      officerId: id,
      fullName: dto.fullName,
      role: dto.role,
      unitCode: dto.unitCode,
      password: dto.password,
      active: dto.active,
    });
    return OfficerDto.of(officer);
  }
}
