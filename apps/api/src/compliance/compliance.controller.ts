import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { boardCsv, ComplianceTargets, FigureKind, GetBoard, TARGET_ID, UnitFigures } from '@fr/board';
import { ValidationError, vnDate, vnDay } from '@fr/domain';
import { Clock } from '@fr/sla';
import { ApiErrors } from '../common/error.dto';
import {
  AdoptionDto,
  BoardQueryDto,
  BoardReportDto,
  CreateTargetDto,
  FigureDto,
  FigureImportDto,
  HeadcountDto,
  TargetDto,
  UpdateTargetDto,
} from './compliance.dto';
import { Roles } from '../common/roles.decorator';
import { boardInstants } from './board-query';
import { CODE_PARAM_SCHEMA } from '../common/text.decorators';

const unitCode = ApiParam({ name: 'code', example: 'P_BACH_KHOA', schema: CODE_PARAM_SCHEMA, description: 'a unit code' });

/** The directive's targets and the board Home Affairs and the supervisors watch. */
@ApiTags('compliance')
@ApiBearerAuth()
@ApiExtraModels(BoardReportDto)
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/compliance')
export class ComplianceController {
  constructor(
    private readonly targets: ComplianceTargets,
    private readonly board: GetBoard,
    private readonly figures: UnitFigures,
    private readonly clock: Clock,
  ) {}

  @Get('targets')
  @ApiOperation({ operationId: 'listComplianceTargets', summary: 'Every target, active or not (any officer)' })
  @ApiOkResponse({ type: [TargetDto] })
  listTargets(): Promise<TargetDto[]> {
    return this.targets.list();
  }

  @Post('targets')
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({ operationId: 'createComplianceTarget', summary: 'Define a target with its deadline (or cadence) and the units it applies to' })
  @ApiCreatedResponse({ type: TargetDto })
  @ApiErrors(403, { 409: 'a target with this id exists' }, { 422: 'unitCodes names an unknown unit' })
  createTarget(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: CreateTargetDto): Promise<TargetDto> {
    return this.targets.create(`officer:${officer.id}`, dto);
  }

  @Patch('targets/:id')
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({
    operationId: 'updateComplianceTarget',
    summary: "Change a target's name, dates, threshold, cadence, units or activity (not its id or kind)",
    description:
      "The target's kind decides which fields it takes, as when it was created (POST /v1/compliance/targets): a dated target (designation, " +
      'staff_onboarding, ward_adoption) a dueAt and no startsAt or everyDays, a notice_cadence a startsAt and everyDays and no dueAt, a ' +
      'thresholdPercent only staff_onboarding and ward_adoption, unitKinds of a ward_adoption only ward; and the target, changed, must still ' +
      'concern some unit (unitKinds or unitCodes). A field the kind does not take is a 400 naming it.',
  })
  @ApiParam({ name: 'id', example: 'staff-onboarding', schema: { type: 'string', pattern: TARGET_ID.source }, description: "a target's id" })
  @ApiOkResponse({ type: TargetDto })
  @ApiErrors(403, { 404: 'no such target' }, { 422: 'unitCodes names an unknown unit' })
  updateTarget(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id') id: string, @Body() dto: UpdateTargetDto): Promise<TargetDto> {
    return this.targets.update(`officer:${officer.id}`, id, dto);
  }

  @Get('board')
  @Roles('AUDITOR', 'SUPERVISOR')
  @ApiOperation({
    operationId: 'getComplianceBoard',
    summary: 'Per unit and active target: on_track, at_risk or late, with value, target and dates; JSON or CSV (format=csv)',
  })
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(BoardReportDto) } },
      'text/csv': { schema: { type: 'string', description: 'one line per unit and target' } },
    },
  })
  @ApiErrors(403)
  async getBoard(@Query() q: BoardQueryDto, @Res({ passthrough: true }) res: Response): Promise<BoardReportDto | string> {
    const { at, from } = boardInstants(q, this.clock.now());
    const report = await this.board.execute(at, from);
    if (q.format !== 'csv') return report;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    // The Hanoi day the board shows: the UTC date named a board of 1 March 00:00-07:00 after 28 February.
    res.setHeader('Content-Disposition', `attachment; filename="compliance-board_${vnDate(vnDay(at))}.csv"`);
    return boardCsv(report);
  }

  @Post('figures')
  @HttpCode(200)
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({
    operationId: 'importUnitFigures',
    summary: "The office's import of many units' head counts: all lines or none",
    description:
      'A refused file is told every problem it has in one answer: the malformed lines and the lines naming a unit that is unknown, ' +
      'ended, or not a ward for adoption figures, each in `errors[]` under its line and column (`line 3.as_of`, `line 3.unit_code`; ' +
      '`line 3` for the line as a whole, `csv` for the file), in the order of the file, the first 50 (the message then starts with how ' +
      'many there were). Any malformed line makes the answer a 400, the refused units of the other lines listed with it; a file whose ' +
      'lines are all well-formed and whose units alone are refused is a 422.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      description:
        'RFC 4180 (quoted values, CRLF or LF); values separated by ; when the header has ; and no comma, as spreadsheets save CSV under Vietnamese settings',
      example: 'unit_code,kind,total,with_account,as_of\r\nP_BACH_KHOA,staff,42,40,2026-07-20\r\n',
    },
  })
  @ApiOkResponse({ type: FigureImportDto })
  @ApiErrors(
    403,
    {
      400:
        'a line is malformed (counts in digits only; as_of a real date in 2000-2099), or two lines state the same unit, kind and as_of; ' +
        'errors[] names each problem under its line and column, with the unknown or refused units of the other lines',
    },
    { 422: 'every line is well-formed, but some name an unknown or ended unit, or adoption figures for a unit that is not a ward: errors[] names each line' },
  )
  importFigures(@CurrentOfficer() officer: AuthenticatedOfficer, @Req() req: Request): Promise<FigureImportDto> {
    if (typeof req.body !== 'string')
      throw new ValidationError('send the figures as text/csv with the header unit_code,kind,total,with_account,as_of', ['body']);
    return this.figures.importCsv(officer.id, req.body);
  }
}

/** Head counts reported by a unit (its leader or handler) or by the office, with their history. */
@ApiTags('compliance')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/units')
export class UnitFiguresController {
  constructor(private readonly figures: UnitFigures) {}

  @Put(':code/headcount')
  @Roles('ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER')
  @ApiOperation({ operationId: 'reportUnitHeadcount', summary: "The unit's staff and how many have an account, as of a day (kept with every earlier report)" })
  @unitCode
  @ApiOkResponse({ type: FigureDto })
  @ApiErrors({ 403: "the role may not, or an officer reports only their own unit's figures" }, { 404: 'no such unit' }, { 422: 'the unit is no longer active' })
  headcount(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: HeadcountDto): Promise<FigureDto> {
    return this.figures.report(officer, { unitCode: code, kind: 'staff', total: dto.staff, withAccount: dto.withAccount, asOf: dto.asOf });
  }

  @Put(':code/adoption')
  @Roles('ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER')
  @ApiOperation({ operationId: 'reportWardAdoption', summary: "A ward's adult residents and how many have an account, as of a day" })
  @unitCode
  @ApiOkResponse({ type: FigureDto })
  @ApiErrors(
    { 403: "the role may not, or an officer reports only their own unit's figures" },
    { 404: 'no such unit' },
    { 422: 'the unit is not a ward, or no longer active' },
  )
  adoption(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: AdoptionDto): Promise<FigureDto> {
    return this.figures.report(officer, { unitCode: code, kind: 'adoption', total: dto.adults, withAccount: dto.withAccount, asOf: dto.asOf });
  }

  @Get(':code/headcount')
  @ApiOperation({ operationId: 'listUnitHeadcounts', summary: "The unit's head count reports, newest first" })
  @unitCode
  @ApiOkResponse({ type: [FigureDto] })
  @ApiErrors({ 404: 'no such unit' })
  headcountHistory(@Param('code') code: string): Promise<FigureDto[]> {
    return this.history(code, 'staff');
  }

  @Get(':code/adoption')
  @ApiOperation({ operationId: 'listWardAdoption', summary: "The ward's adoption reports, newest first" })
  @unitCode
  @ApiOkResponse({ type: [FigureDto] })
  @ApiErrors({ 404: 'no such unit' })
  adoptionHistory(@Param('code') code: string): Promise<FigureDto[]> {
    return this.history(code, 'adoption');
  }

  private history(code: string, kind: FigureKind) {
    return this.figures.history(code, kind);
  }
}
