import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { boardCsv, ComplianceTargets, FigureKind, GetBoard, UnitFigures } from '@fr/board';
import { ValidationError } from '@fr/domain';
import { Clock } from '@fr/sla';
import { AdoptionDto, BoardEntryDto, BoardQueryDto, CreateTargetDto, HeadcountDto, UpdateTargetDto } from './compliance.dto';

/** The directive's targets and the board Home Affairs and the supervisors watch. */
@ApiTags('compliance')
@ApiBearerAuth()
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
  @ApiOperation({ summary: 'Every target, active or not (any officer)' })
  listTargets() {
    return this.targets.list();
  }

  @Post('targets')
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({ summary: 'Define a target with its deadline (or cadence) and the units it applies to' })
  @ApiResponse({ status: 409, description: 'a target with this id exists' })
  createTarget(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: CreateTargetDto) {
    return this.targets.create(`officer:${officer.id}`, dto);
  }

  @Patch('targets/:id')
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({ summary: "Change a target's name, dates, threshold, cadence, units or activity (not its id or kind)" })
  updateTarget(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id') id: string, @Body() dto: UpdateTargetDto) {
    return this.targets.update(`officer:${officer.id}`, id, dto);
  }

  @Get('board')
  @Roles('AUDITOR', 'SUPERVISOR')
  @ApiOperation({ summary: 'Per unit and active target: on_track, at_risk or late, with value, target and dates; JSON or CSV' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: [BoardEntryDto], description: 'units[].targets[] carry these fields; cadences add notices, lastNoticeAt and gaps' })
  async getBoard(@Query() q: BoardQueryDto, @Res({ passthrough: true }) res: Response) {
    const at = q.at ? new Date(q.at) : this.clock.now();
    const report = await this.board.execute(at, q.from ? new Date(q.from) : null);
    if (q.format !== 'csv') return report;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="compliance-board_${report.at.slice(0, 10)}.csv"`);
    return boardCsv(report);
  }

  @Post('figures')
  @HttpCode(200)
  @Roles('ADMIN', 'SUPERVISOR')
  @ApiOperation({ summary: "The office's import of many units' head counts: all lines or none" })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: 'unit_code,kind,total,with_account,as_of\r\nP_BACH_KHOA,staff,42,40,2026-07-20\r\n' } })
  @ApiResponse({ status: 400, description: 'a line is malformed (each problem names its line)' })
  @ApiResponse({ status: 422, description: 'a line names an unknown unit, or adoption figures for a unit that is not a ward' })
  importFigures(@CurrentOfficer() officer: AuthenticatedOfficer, @Req() req: Request) {
    if (typeof req.body !== 'string') throw new ValidationError('send the figures as text/csv with the header unit_code,kind,total,with_account,as_of', ['body']);
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
  @ApiOperation({ summary: "The unit's staff and how many have an account, as of a day (kept with every earlier report)" })
  @ApiResponse({ status: 403, description: "an officer reports only their own unit's figures" })
  headcount(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: HeadcountDto) {
    return this.figures.report(officer, { unitCode: code, kind: 'staff', total: dto.staff, withAccount: dto.withAccount, asOf: dto.asOf });
  }

  @Put(':code/adoption')
  @Roles('ADMIN', 'SUPERVISOR', 'LEADER', 'HANDLER')
  @ApiOperation({ summary: "A ward's adult residents and how many have an account, as of a day" })
  @ApiResponse({ status: 422, description: 'the unit is not a ward' })
  adoption(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: AdoptionDto) {
    return this.figures.report(officer, { unitCode: code, kind: 'adoption', total: dto.adults, withAccount: dto.withAccount, asOf: dto.asOf });
  }

  @Get(':code/headcount')
  @ApiOperation({ summary: "The unit's head count reports, newest first" })
  headcountHistory(@Param('code') code: string) {
    return this.history(code, 'staff');
  }

  @Get(':code/adoption')
  @ApiOperation({ summary: "The ward's adoption reports, newest first" })
  adoptionHistory(@Param('code') code: string) {
    return this.history(code, 'adoption');
  }

  private history(code: string, kind: FigureKind) {
    return this.figures.history(code, kind);
  }
}
