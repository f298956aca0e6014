import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { DrawSample, ExportCases, GetUnitMetrics, RecordReview, ListUnitCases, parsePeriod, unitMetricsCsv, VerifyAuditTrail } from '@fr/audit';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { BusyError, CallerGoneError, DomainError } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { CallerSignal } from '../common/caller-signal.decorator';
import { ApiErrors } from '../common/error.dto';
import { endSlowReader } from '../common/slow-reader';
import { ExportQueryDto, PeriodQueryDto, ReviewDto, SampleDto, UnitCasesQueryDto, VerifyQueryDto } from './audit.dto';
import { ReviewRecordDto, SampleDrawDto, TrailVerificationDto, UnitCasesReportDto, UnitMetricsReportDto } from './audit-view.dto';
import { Roles } from '../common/roles.decorator';
import { CODE_PARAM_SCHEMA } from '../common/text.decorators';

const CSV = { 'text/csv': { schema: { type: 'string' as const, description: 'UTF-8 with a byte-order mark, RFC 4180' } } };

/** Home Affairs' audits: read everything, change nothing (reviews are the auditors' own records). */
@ApiTags('audits')
@ApiBearerAuth()
@ApiErrors(403)
@ApiExtraModels(UnitMetricsReportDto)
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('AUDITOR', 'SUPERVISOR')
@Controller('v1/audits')
export class AuditsController {
  constructor(
    private readonly verifyTrail: VerifyAuditTrail,
    private readonly unitMetrics: GetUnitMetrics,
    private readonly unitCases: ListUnitCases,
    private readonly exportCases: ExportCases,
    private readonly drawSample: DrawSample,
    private readonly recordReview: RecordReview,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('samples')
  @HttpCode(200)
  @ApiOperation({ operationId: 'drawAuditSample', summary: 'A stratified random sample of closed cases per unit, reproducible from its seed' })
  @ApiOkResponse({ type: SampleDrawDto })
  @ApiErrors({ 404: 'no such unit' })
  samples(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: SampleDto): Promise<SampleDrawDto> {
    return this.drawSample.execute({
      actor: `officer:${officer.id}`,
      period: parsePeriod(dto.from, dto.to),
      unitCode: dto.unitCode,
      size: dto.size,
      seed: dto.seed,
    });
  }

  @Post('reviews')
  @ApiOperation({
    operationId: 'recordAuditReview',
    summary: "A reviewer's scores for a closed case a sample drew, on the rubric (each criterion 0 no, 1 partly, 2 yes)",
  })
  @ApiCreatedResponse({ type: ReviewRecordDto })
  @ApiErrors(
    { 403: "the caller's unit held the case (a reviewer does not review their own unit's answers)" },
    { 404: 'no such case' },
    { 409: 'the caller has already reviewed the case (a review is final)' },
    { 422: "the case is not closed, was closed as a duplicate with its original's answer, or is in no sample drawn for review" },
  )
  reviews(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: ReviewDto): Promise<ReviewRecordDto> {
    return this.recordReview.execute({ reviewerId: officer.id, caseId: dto.caseId, scores: dto.scores, comment: dto.comment ?? '' });
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'verifyAuditTrail',
    summary:
      "Walks the audit trail's sealed hash chain (all of it, a range, or since=checkpoint what was sealed after the last checkpoint) and names the first broken event; reports events not yet sealed",
  })
  @ApiOkResponse({ type: TrailVerificationDto })
  @ApiErrors({
    503: 'as many verifications as this server runs at once are running (FR_AUDIT_VERIFY_CONCURRENCY), or PostgreSQL or Redis is unavailable: Retry-After says when to try again',
  })
  async verify(@Query() q: VerifyQueryDto, @CallerSignal() signal: AbortSignal): Promise<TrailVerificationDto> {
    try {
      const result = await this.verifyTrail.execute({ fromSeq: q.fromSeq, toSeq: q.toSeq, fromId: q.fromId, toId: q.toId, since: q.since }, signal);
      this.metrics.auditVerifications.inc({ outcome: result.ok ? 'ok' : 'broken' });
      return result;
    } catch (e) {
      // A request refused for what it asked (400, 404) is not a verification that ran.
      const outcome = e instanceof BusyError ? 'refused' : e instanceof CallerGoneError ? 'abandoned' : e instanceof DomainError ? null : 'failed';
      if (outcome) this.metrics.auditVerifications.inc({ outcome });
      throw e;
    }
  }

  @Get('units')
  @ApiOperation({ operationId: 'getUnitMetrics', summary: "Every unit's quality metrics for a period (DOMAIN.md), JSON or CSV (format=csv)" })
  @ApiOkResponse({ content: { 'application/json': { schema: { $ref: getSchemaPath(UnitMetricsReportDto) } }, ...CSV } })
  async units(@Query() q: PeriodQueryDto, @Res({ passthrough: true }) res: Response): Promise<UnitMetricsReportDto | string> {
    const period = parsePeriod(q.from, q.to);
    const report = await this.unitMetrics.execute(period);
    if (q.format !== 'csv') return report;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="unit-metrics_${q.from}_${q.to}.csv"`.replace(/[^\x20-\x7e]/g, '_'));
    return unitMetricsCsv(report);
  }

  @Get('units/:code/cases')
  @ApiOperation({ operationId: 'listUnitMetricCases', summary: "Drill-down: the cases behind one unit's metrics for the period" })
  @ApiParam({ name: 'code', example: 'P_BACH_KHOA', schema: CODE_PARAM_SCHEMA, description: 'a unit code' })
  @ApiOkResponse({ type: UnitCasesReportDto })
  @ApiErrors({ 404: 'no such unit' })
  async unitCaseList(@Param('code') code: string, @Query() q: UnitCasesQueryDto): Promise<UnitCasesReportDto> {
    // Dates leave as ISO 8601 strings in JSON.
    return (await this.unitCases.execute(code, parsePeriod(q.from, q.to))) as unknown as UnitCasesReportDto;
  }

  @Get('cases')
  @ApiOperation({ operationId: 'exportAuditCases', summary: 'Case-level CSV export (UTF-8 with BOM), streamed; no personal data' })
  @ApiOkResponse({ content: CSV })
  @ApiErrors(
    { 404: 'no such unit' },
    {
      503: 'as many exports as this server streams at once are running (FR_EXPORT_CONCURRENCY), or PostgreSQL or Redis is unavailable: Retry-After says when to try again',
    },
  )
  async cases(@Query() q: ExportQueryDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const filter = { period: parsePeriod(q.from, q.to), unitCode: q.unit };
    const release = this.exportCases.reserve();
    // The place is free once the reader has every byte, not after the export's clean-up (its spill files
    // closed): a client asking again at once was refused meanwhile (11 of 371 back-to-back exports, an attack run).
    res.once('finish', release);
    try {
      await this.exportCases.prepare(filter);
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="cases_${q.unit ?? 'all'}_${q.from}_${q.to}.csv"`.replace(/[^\x20-\x7e]/g, '_'));
      // HEAD is answered with GET's headers: the export itself would be read in full and thrown away.
      if (req.method === 'HEAD') return void res.end();
      endSlowReader(res, this.config.exportMinReadKbps * 1024);
      try {
        await this.exportCases.execute(filter, res);
      } catch (e) {
        // The status line is gone: cut the download off so the reader sees it is incomplete.
        res.destroy(e as Error);
      }
    } finally {
      release();
    }
  }
}
