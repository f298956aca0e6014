import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { PlanReorganisation, readPlan } from '@fr/directory';
import { ValidationError } from '@fr/domain';
import { ApiErrors } from '../common/error.dto';
import { ReorganisationDto, ReorganisationPlanDto, ReorganisationReportDto } from './reorganisation.dto';
import { Roles } from '../common/roles.decorator';

function reorganisationIdPipe(): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new ValidationError('id must be a reorganisation id (a UUID)', ['id']) });
}

/** Reorganisations of the units: a plan is dry-run, scheduled and (until applied) cancelled by ADMIN, applied at its date; supervisors and auditors read them (reports' lineage). */
@ApiTags('reorganisations')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('ADMIN')
@Controller('v1/reorganisations')
export class ReorganisationsController {
  constructor(private readonly plans: PlanReorganisation) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'postReorganisation',
    summary: 'Dry-run a plan (?dryRun=true: where every open case, rule and designation would go), or schedule it for its effective date',
    description:
      'The body is refused (400, each problem under its field) for what its schema says and for what one part of the plan says against ' +
      'another: a unit that ends more than once (merged, split or dissolved twice), a new unit listed twice, a unit renamed twice or a ' +
      'rule re-pointed twice, a street in two parts of a split, a unit that succeeds itself, a split part that is the unit being split, ' +
      'a pattern that is no regular expression or could backtrack for long. Units it names that do not exist are unresolved (422, or ' +
      'listed by a dry run).',
  })
  @ApiQuery({ name: 'dryRun', required: false, schema: { type: 'boolean' } })
  @ApiBody({ type: ReorganisationPlanDto })
  @ApiOkResponse({ type: ReorganisationReportDto, description: 'the dry run' })
  @ApiCreatedResponse({ type: ReorganisationDto, description: 'scheduled' })
  @ApiErrors(
    400,
    403,
    {
      409: 'the same plan is already scheduled, or another scheduled plan clashes with it: ends or makes a unit this one needs, or of the same date renames a unit or re-points a rule this one does (the message names it; a dry run lists it in unresolved)',
    },
    { 422: 'the plan leaves something unresolved (the list is in the message)' },
  )
  async post(
    @CurrentOfficer() actor: AuthenticatedOfficer,
    @Body() body: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
    @Query('dryRun') dryRun?: string,
  ): Promise<ReorganisationReportDto | ReorganisationDto> {
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') throw new ValidationError('dryRun must be true or false', ['dryRun']);
    const plan = readPlan(body);
    if (dryRun === 'true') {
      res.status(200);
      return ReorganisationReportDto.of(await this.plans.dryRun(plan));
    }
    return ReorganisationDto.of(await this.plans.schedule(plan, actor.id));
  }

  @Get()
  @Roles('ADMIN', 'SUPERVISOR', 'AUDITOR')
  @ApiOperation({ operationId: 'listReorganisations', summary: 'Every reorganisation, scheduled or applied, by effective date' })
  @ApiOkResponse({ type: [ReorganisationDto] })
  @ApiErrors(403)
  async list(): Promise<ReorganisationDto[]> {
    return (await this.plans.list()).map(ReorganisationDto.of);
  }

  @Get(':id')
  @Roles('ADMIN', 'SUPERVISOR', 'AUDITOR')
  @ApiOperation({ operationId: 'getReorganisation', summary: 'One reorganisation with its plan and what it did' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ReorganisationDto })
  @ApiErrors(400, 403, { 404: 'no such reorganisation' })
  async get(@Param('id', reorganisationIdPipe()) id: string): Promise<ReorganisationDto> {
    return ReorganisationDto.of(await this.plans.get(id));
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelReorganisation',
    summary: 'Cancel a plan not applied yet: it stays listed as cancelled, is never applied and no longer blocks later plans for its units',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ReorganisationDto, description: 'the plan, cancelled (a plan already cancelled is answered as it is)' })
  @ApiErrors(400, 403, { 404: 'no such reorganisation' }, { 409: 'the plan is already applied' })
  async cancel(@CurrentOfficer() actor: AuthenticatedOfficer, @Param('id', reorganisationIdPipe()) id: string): Promise<ReorganisationDto> {
    return ReorganisationDto.of(await this.plans.cancel(id, actor.id));
  }
}
