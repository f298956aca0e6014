import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { EscalationQueries } from '@fr/notifications';
import { ApiErrors } from '../common/error.dto';
import { EscalationPageDto, ListEscalationsQueryDto } from './notification.dto';
import { Roles } from '../common/roles.decorator';

@ApiTags('escalations')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('LEADER', 'SUPERVISOR', 'AUDITOR')
@Controller('v1/escalations')
export class EscalationsController {
  constructor(private readonly escalations: EscalationQueries) {}

  @Get()
  @ApiOperation({ operationId: 'listEscalations', summary: 'Escalations, newest first (LEADER: own unit; SUPERVISOR, AUDITOR: all units)' })
  @ApiOkResponse({ type: EscalationPageDto })
  @ApiErrors(403, { 422: '`unit` names no unit (GET /v1/units lists them)' })
  list(@CurrentOfficer() officer: AuthenticatedOfficer, @Query() q: ListEscalationsQueryDto): Promise<EscalationPageDto> {
    return this.escalations.list(officer, { level: q.level, open: q.open, unit: q.unit, cursor: q.cursor, limit: q.limit ?? 20 });
  }
}
