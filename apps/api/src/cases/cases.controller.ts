import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBearerAuth, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { ActOnCase, CaseQueries, officerActor } from '@fr/cases';
import { NotFoundError, ValidationError } from '@fr/domain';
import { ApiErrors } from '../common/error.dto';
import { CaseActionDto, ListCasesQueryDto, ListCasesStatusQuery } from './case.dto';
import { CaseDetailDto, CasePageDto, MovedOutOfScopeDto } from './case-view.dto';
import { isOfficerAction, OFFICER_ACTION_SPECS, OFFICER_ACTIONS } from './case-actions';
import { Roles } from '../common/roles.decorator';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENT_REPLAYED_HEADER,
  parseIdempotencyKey,
} from './idempotency-key';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('case') });
const caseId = ApiParam({ name: 'id', format: 'uuid', description: 'a case id; anything else is not found' });

@ApiTags('cases')
@ApiBearerAuth()
@ApiErrors(403)
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('HANDLER', 'LEADER', 'SUPERVISOR', 'AUDITOR')
@Controller('v1/cases')
export class CasesController {
  constructor(
    private readonly queries: CaseQueries,
    private readonly act: ActOnCase,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listCases', summary: "The caller's queue, nearest deadline first (scoped by unit and role)" })
  @ListCasesStatusQuery()
  @ApiOkResponse({ type: CasePageDto })
  @ApiErrors({ 422: '`unit` names no unit (GET /v1/units lists them)' })
  list(@CurrentOfficer() officer: AuthenticatedOfficer, @Query() q: ListCasesQueryDto): Promise<CasePageDto> {
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
  @ApiOperation({ operationId: 'getCase', summary: "One case with its timeline; the citizen's contact is masked unless the caller handles the case's unit" })
  @caseId
  @ApiOkResponse({ type: CaseDetailDto })
  @ApiErrors({ 404: "no such case in the caller's scope" })
  get(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id', uuid) id: string): Promise<CaseDetailDto> {
    return this.detail(officerActor(officer), id);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @Roles('HANDLER', 'LEADER', 'SUPERVISOR')
  @ApiOperation({
    operationId: 'actOnCase',
    summary: 'Act on a case',
    // The document makes each action an operation of its own (splitCaseActions); this is said of each.
    description:
      "Answers the case as the caller now sees it, or `{ id, movedOutOfScope: true }` when a transfer or return took it out of the caller's unit.\n\n" +
      `With an \`${IDEMPOTENCY_KEY_HEADER}\` header, a request sent again (its answer lost) is not acted on twice: when the same officer sent ` +
      "the same action on the same case with the same body (as JSON: its members in any order, a null as left out; a merge's `duplicateIds` in any order) and that key in the last 24 hours, and it was done, the answer is 200 " +
      `with \`${IDEMPOTENT_REPLAYED_HEADER}: true\` and the case as it is now (not as the first answer showed it; later changes ` +
      "included), and nothing is done again. The key is the officer's own; an action that failed records no key, so its retry acts. " +
      'A request with the key sent while the first is still under way is answered 409 at once, with Retry-After: send it again unchanged, and once the first is done ' +
      'it is answered as above (as a new request if the first failed). After 24 hours the key is forgotten.',
  })
  @caseId
  @ApiParam({ name: 'action', enum: OFFICER_ACTIONS })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      'a key the client makes for this one request (a UUID, say) and sends again with each retry of it (draft-ietf-httpapi-idempotency-key-header): ' +
      `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, as a quoted string (\`"8e03978e-40d5"\`) or bare; anything else is refused with 400`,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN, example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"' },
  })
  @ApiExtraModels(MovedOutOfScopeDto)
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(CaseDetailDto) }, { $ref: getSchemaPath(MovedOutOfScopeDto) }] },
    headers: {
      [IDEMPOTENT_REPLAYED_HEADER]: {
        description: `\`true\` when the request's ${IDEMPOTENCY_KEY_HEADER} found it done already: nothing was done again, the body is the case as it is now`,
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiErrors(
    { 404: "no such case in the caller's scope, or no such action" },
    {
      409: {
        description:
          "the case's state does not allow the action (`state` says which it is in), expectedVersion is stale, or the caller's unit handed the case on moments ago (a colleague's transfer or return came first); " +
          `or a request with this ${IDEMPOTENCY_KEY_HEADER} is still under way: Retry-After says when to send it again, unchanged`,
        retryAfter: true,
      },
    },
    {
      422: `a field names something unknown, e.g. a unit to transfer to; or the ${IDEMPOTENCY_KEY_HEADER} was used in the last 24 hours for another request (another action, case or body)`,
    },
  )
  async perform(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('id', uuid) id: string,
    @Param('action') action: string,
    @Body() body: CaseActionDto,
    @Req() sent: Request,
    @Res({ passthrough: true }) answer: Response,
  ): Promise<CaseDetailDto | MovedOutOfScopeDto> {
    if (!isOfficerAction(action)) {
      throw new NotFoundError('action', action);
    }
    const key = parseIdempotencyKey(sent.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    const spec = OFFICER_ACTION_SPECS[action];
    const takes: readonly string[] = ['expectedVersion', ...spec.fields];
    // Sent as null too, so read from the body as sent (the DTO has every action's fields, null made undefined):
    // the document gives each action a body of its own, without the other actions' fields, and a field a body
    // does not have is refused whatever its value, as everywhere else (forbidNonWhitelisted).
    const raw: unknown = sent.body;
    const others = (raw !== null && typeof raw === 'object' ? Object.keys(raw) : []).filter((k) => !takes.includes(k));
    if (others.length > 0) {
      throw new ValidationError(
        `${others.map((k) => `'${k}'`).join(', ')} ${others.length > 1 ? 'are' : 'is'} not a field of the action '${action}': it takes ${takes.join(', ')}`,
        others,
      );
    }
    if (action !== 'note' && body.expectedVersion == null) {
      throw new ValidationError('expectedVersion is required: send the version of the case you last read', ['expectedVersion']);
    }
    // Before the case is read, as the document's `required` says: a stale version no longer answers 409 first.
    const missing = spec.required.filter((k) => body[k] == null);
    if (missing.length > 0) throw ValidationError.ofProblems(missing.map((k) => ({ field: k, problem: `${k} is required for this action` })));
    const actor = officerActor(officer);
    if (key === undefined) await this.act.execute(actor, id, action, body);
    else if ((await this.act.executeOnce(actor, id, action, body, { officerId: officer.id, key, body: raw })).replayed)
      answer.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return this.detail(actor, id).catch((e) => {
      // After a transfer or return the case may have left the caller's scope: say where it went.
      if (e instanceof NotFoundError) return { id, movedOutOfScope: true as const };
      throw e;
    });
  }

  private async detail(actor: ReturnType<typeof officerActor>, id: string): Promise<CaseDetailDto> {
    // The query types a masked text as string | null; a case's description is NOT NULL, so it stays a string.
    return (await this.queries.get(actor, id)) as CaseDetailDto;
  }
}
