import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { VerifyAuditTrail } from '@fr/audit';
import { VerifyQueryDto } from './audit.dto';

/** Home Affairs' audits: read everything, change nothing (reviews are the auditors' own records). */
@ApiTags('audits')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('AUDITOR', 'SUPERVISOR')
@Controller('v1/audits')
export class AuditsController {
  constructor(private readonly verifyTrail: VerifyAuditTrail) {}

  @Get('verify')
  @ApiOperation({ summary: "Walks the audit trail's hash chain (or fromId..toId) and names the first broken event" })
  verify(@Query() q: VerifyQueryDto) {
    return this.verifyTrail.execute({ fromId: q.fromId, toId: q.toId });
  }
}
