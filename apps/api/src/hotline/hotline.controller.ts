import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { CitizenActions } from '@fr/cases';
import { HotlineQueries, SubmitFeedback } from '@fr/intake';
import { InfoReplyDto, RatingDto } from '../cases/case.dto';
import { ApiErrors } from '../common/error.dto';
import { FeedbackAcceptedDto, InfoReplyResultDto, RatingResultDto, submitFeedbackCommand } from '../intake/feedback.dto';
import { CallerCaseDto, CallerCasesQueryDto, HotlineCaseDto, HotlineFeedbackDto } from './hotline.dto';
import { Roles } from '../common/roles.decorator';
import { HotlineDeskGuard } from './hotline-desk.guard';
import { TYPED_TRACKING_CODE_PATTERN } from '@fr/domain';

/** The channel hotline calls are entered under (config/channels.yaml). */
export const HOTLINE_CHANNEL = 'hotline_1022';

const trackingCodeParam = ApiParam({
  name: 'trackingCode',
  example: '7KM3Q-9X2AB',
  schema: { type: 'string', pattern: TYPED_TRACKING_CODE_PATTERN },
  description: 'as the caller reads it out (anything else is not found)',
});

/** The 1022 hotline desk: operators enter calls as feedback and answer callers about their cases. */
@ApiTags('hotline')
@ApiBearerAuth()
@ApiErrors({ 403: 'not an OPERATOR, or an operator whose unit is neither the office nor one of FR_HOTLINE_UNITS' })
@UseGuards(JwtAuthGuard, RolesGuard, HotlineDeskGuard)
@Roles('OPERATOR')
@Controller('v1/hotline')
export class HotlineController {
  constructor(
    private readonly submitFeedback: SubmitFeedback,
    private readonly queries: HotlineQueries,
    private readonly citizen: CitizenActions,
  ) {}

  @Post('feedback')
  @ApiOperation({
    operationId: 'enterHotlineCall',
    summary: "Enter a call as feedback on the caller's behalf (channel hotline_1022, the operator named on the case)",
  })
  @ApiResponse({ status: 202, type: FeedbackAcceptedDto, description: 'accepted and stored; routing follows' })
  @ApiResponse({ status: 200, type: FeedbackAcceptedDto, description: 'already entered by this operator (same externalId): the same case, nothing new stored' })
  @ApiErrors(
    { 422: 'an unknown category or wardCode, or a category handled on another legal track' },
    { 409: "the externalId names a call another operator entered (a retry is the same operator's): nothing stored" },
  )
  async enter(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    // The caller's phone is held to the desk's rule (HotlineCitizenDto).
    @Body() dto: HotlineFeedbackDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<FeedbackAcceptedDto> {
    const result = await this.submitFeedback.execute(submitFeedbackCommand(dto, { channel: HOTLINE_CHANNEL, operatorId: officer.id }));
    res.status(result.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { id: result.id, trackingCode: result.trackingCode, status: result.status };
  }

  @Get('cases')
  @ApiOperation({ operationId: 'findCallerCases', summary: "A caller's cases by their phone number (exact match): tracking codes and statuses only" })
  @ApiOkResponse({ type: [CallerCaseDto] })
  @ApiErrors({ 400: 'phone is missing or is not a phone number' })
  casesOfCaller(@Query() q: CallerCasesQueryDto): Promise<CallerCaseDto[]> {
    return this.queries.casesOfCaller(q.phone);
  }

  @Get('cases/:trackingCode')
  @ApiOperation({
    operationId: 'getHotlineCase',
    summary: "A case's status and answer to read to the caller; the contact is masked unless the caller entered the call",
  })
  @trackingCodeParam
  @ApiOkResponse({ type: HotlineCaseDto })
  @ApiErrors({ 404: 'no case with this tracking code' })
  caseFor(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('trackingCode') trackingCode: string): Promise<HotlineCaseDto> {
    return this.queries.caseFor(officer.id, trackingCode);
  }

  @Post('cases/:trackingCode/info')
  @HttpCode(200)
  @ApiOperation({ operationId: 'relayInfoReply', summary: "The caller's answer to a request for information, given by phone; the case resumes" })
  @trackingCodeParam
  @ApiOkResponse({ type: InfoReplyResultDto })
  @ApiErrors({ 404: 'no case with this tracking code' }, { 409: 'the case is not waiting for information' })
  async info(
    @CurrentOfficer() officer: AuthenticatedOfficer,
    @Param('trackingCode') trackingCode: string,
    @Body() dto: InfoReplyDto,
  ): Promise<InfoReplyResultDto> {
    const r = await this.citizen.relayInfo(officer.id, trackingCode, dto.message, dto.attachments ?? []);
    return { trackingCode: r.trackingCode, status: r.status };
  }

  @Post('cases/:trackingCode/rating')
  @HttpCode(200)
  @ApiOperation({ operationId: 'relayRating', summary: "The caller's rating (1-5) of the answer, given by phone" })
  @trackingCodeParam
  @ApiOkResponse({ type: RatingResultDto })
  @ApiErrors({ 404: 'no case with this tracking code' }, { 409: 'the case is not resolved, or is already rated' })
  async rating(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('trackingCode') trackingCode: string, @Body() dto: RatingDto): Promise<RatingResultDto> {
    const r = await this.citizen.relayRating(officer.id, trackingCode, dto.score, dto.comment);
    return { trackingCode: r.trackingCode, status: r.status, rating: r.rating };
  }
}
