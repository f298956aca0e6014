import { Controller, ForbiddenException, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { csvRow, readOptionalPeriod, UTF8_BOM } from '@fr/domain';
import { ContactReads } from '@fr/privacy';
import { ApiErrors } from '../common/error.dto';
import { ContactReadsDto, ContactReadsQueryDto } from './privacy-reads.dto';
import { Roles } from '../common/roles.decorator';

const CSV = { 'text/csv': { schema: { type: 'string' as const, description: 'UTF-8 with a byte-order mark, RFC 4180' } } };

/** Who read citizens' contact details (Law 91/2025/QH15; Decree 356/2025/NĐ-CP: breach investigations). */
@ApiTags('privacy')
@ApiBearerAuth()
@ApiErrors(403)
@ApiExtraModels(ContactReadsDto)
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('ADMIN', 'AUDITOR')
@Controller('v1/privacy')
export class PrivacyReadsController {
  constructor(private readonly reads: ContactReads) {}

  @Get('reads')
  @ApiOperation({
    operationId: 'listContactReads',
    summary: "Reads of a case's or a citizen's contact details: who, when, which case, and every officer who read them (by phone or e-mail: ADMIN only)",
    description: 'Give caseId, phone or email (one at least: whose reads to list; 400 without); from and to narrow the period (to not before from).',
  })
  @ApiOkResponse({ content: { 'application/json': { schema: { $ref: getSchemaPath(ContactReadsDto) } }, ...CSV } })
  @ApiErrors(400, { 404: 'no case with that caseId' })
  async list(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Query() q: ContactReadsQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ContactReadsDto | string> {
    if ((q.phone !== undefined || q.email !== undefined) && officer.role !== 'ADMIN') {
      throw new ForbiddenException("only an ADMIN may look a citizen's reads up by phone or e-mail");
    }
    // A reversed period listed no reads and said nothing (an investigation file that looked complete): refused.
    const { from, to } = readOptionalPeriod(q.from, q.to);
    const result = await this.reads.export(`officer:${officer.id}`, { caseId: q.caseId, phone: q.phone, email: q.email, from, to });
    if (q.format !== 'csv') return result;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="contact-reads.csv"');
    return (
      UTF8_BOM +
      csvRow(['readAt', 'caseId', 'trackingCode', 'officerId', 'username', 'fullName', 'role', 'unitCode']) +
      result.items
        .map((r) => csvRow([r.readAt, r.caseId, r.trackingCode, r.officer.id, r.officer.username, r.officer.fullName, r.officer.role, r.officer.unitCode]))
        .join('')
    );
  }
}
