import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { ActOnCase, CaseQueries, officerActor } from '@fr/cases';
import { CaseAction, NotFoundError, ValidationError } from '@fr/domain';
import { CaseActionDto, ListCasesQueryDto } from './case.dto';

/** The actions officers call by path; citizens' and the system's own actions are not reachable here. */
const OFFICER_ACTIONS: CaseAction[] = [
  'acknowledge',
  'request-info',
  'transfer',
  'return',
  'assign',
  'resolve',
  'extend',
  'reopen',
  'close',
  'note',
  'redirect-other-track',
];

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('case') });

@ApiTags('cases')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('HANDLER', 'LEADER', 'SUPERVISOR', 'AUDITOR')
@Controller('v1/cases')
export class CasesController {
  constructor(
    private readonly queries: CaseQueries,
    private readonly act: ActOnCase,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's queue, nearest deadline first (scoped by unit and role)" })
  list(@CurrentOfficer() officer: AuthenticatedOfficer, @Query() q: ListCasesQueryDto) {
    return this.queries.list(officerActor(officer), {
      status: q.status,
      unit: q.unit,
      assigneeMe: q.assignee === 'me',
      overdue: q.overdue,
      dueBefore: q.dueBefore ? new Date(q.dueBefore) : undefined,
      cursor: q.cursor,
      limit: q.limit ?? 20,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One case with its timeline' })
  get(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string) {
    return this.queries.get(officerActor(officer), id);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @Roles('HANDLER', 'LEADER', 'SUPERVISOR')
  @ApiOperation({ summary: `Act on a case: ${OFFICER_ACTIONS.join(', ')}` })
  async perform(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('id', uuid) id: string,
    @Param('action') action: string,
    @Body() body: CaseActionDto,
  ) {
    if (!(OFFICER_ACTIONS as string[]).includes(action)) {
      throw new NotFoundError('action', action);
    }
    if (action !== 'note' && body.expectedVersion == null) {
      throw new ValidationError('expectedVersion is required: send the version of the case you last read', ['expectedVersion']);
    }
    const actor = officerActor(officer);
    await this.act.execute(actor, id, action as CaseAction, body);
    return this.queries.get(actor, id).catch((e) => {
      // After a transfer or return the case may have left the caller's scope: say where it went.
      if (e instanceof NotFoundError) return { id, movedOutOfScope: true };
      throw e;
    });
  }
}
