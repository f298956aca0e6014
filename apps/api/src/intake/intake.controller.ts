import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { RequestLimits } from '@fr/auth';
import { CitizenActions } from '@fr/cases';
import { Catalogue, GetFeedbackStatus, NearbyCases, SubmitFeedback } from '@fr/intake';
import { InfoReplyDto, RatingDto } from '../cases/case.dto';
import { ChannelKeyGuard, ChannelRequest } from './channel-key.guard';
import { ApiErrors } from '../common/error.dto';
import { CHANNEL_KEY_SCHEME } from '../openapi';
import {
  AreaDto,
  CategoryDto,
  FeedbackAcceptedDto,
  FeedbackStatusDto,
  InfoReplyResultDto,
  NearbyCaseDto,
  NearbyQueryDto,
  RatingResultDto,
  SubmitFeedbackDto,
  submitFeedbackCommand,
} from './feedback.dto';
import { TYPED_TRACKING_CODE_PATTERN } from '@fr/domain';

const trackingCodeParam = ApiParam({
  name: 'trackingCode',
  example: '7KM3Q-9X2AB',
  schema: { type: 'string', pattern: TYPED_TRACKING_CODE_PATTERN },
  description: 'as given at intake; lower case, spaces and look-alike letters are accepted (anything else is not found)',
});

@ApiTags('intake')
@ApiSecurity(CHANNEL_KEY_SCHEME)
@UseGuards(ChannelKeyGuard)
@Controller('v1')
export class IntakeController {
  constructor(
    private readonly submitFeedback: SubmitFeedback,
    private readonly feedbackStatus: GetFeedbackStatus,
    private readonly catalogue: Catalogue,
    private readonly citizen: CitizenActions,
    private readonly limits: RequestLimits,
    private readonly nearbyCases: NearbyCases,
  ) {}

  @Get('categories')
  @ApiOperation({
    operationId: 'listCategories',
    summary: 'Categories a channel may offer',
    description:
      'Only categories this engine accepts (`accepted: true`); one handled on another legal track is left out. A change reaches this list within 5 s.',
  })
  @ApiOkResponse({ type: [CategoryDto] })
  async categories(): Promise<CategoryDto[]> {
    // Only what a channel may offer (API.md): a client that ignores fields it does not know showed
    // "Khiếu nại, tố cáo" to citizens from `accepted: false`, and every such submission was a 422.
    const rows = await this.catalogue.categories();
    return rows.filter((c) => c.accepted).map(({ code, name, description, accepted }) => ({ code, name, description, accepted }));
  }

  @Get('areas')
  @ApiOperation({
    operationId: 'listAreas',
    summary: 'Wards a location can name as wardCode',
    description: 'A `location.wardCode` not in this list is refused with 422; a location without one is placed by its address or point.',
  })
  @ApiOkResponse({ type: [AreaDto] })
  areas(): Promise<AreaDto[]> {
    return this.catalogue.areas();
  }

  @Post('feedback')
  @ApiOperation({
    operationId: 'submitFeedback',
    summary: 'Submit feedback; the same externalId from the same channel returns the same case',
    description:
      'The case, its routing job and its `receive` audit event are stored in one statement before the 202: accepted feedback is not lost. Routing to the unit follows within moments; GET /v1/feedback/{trackingCode} shows it.',
  })
  @ApiResponse({ status: 202, type: FeedbackAcceptedDto, description: 'accepted and stored; routing follows' })
  @ApiResponse({ status: 200, type: FeedbackAcceptedDto, description: 'already received (same channel and externalId): the same case, nothing new stored' })
  @ApiErrors({
    422: 'an unknown category or wardCode (`errors` names the field; GET /v1/categories and GET /v1/areas list the codes), or a category handled on another legal track',
  })
  async submit(@Req() req: ChannelRequest, @Body() dto: SubmitFeedbackDto, @Res({ passthrough: true }) res: Response): Promise<FeedbackAcceptedDto> {
    const result = await this.submitFeedback.execute(submitFeedbackCommand(dto, { channel: req.channel }));
    res.status(result.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { id: result.id, trackingCode: result.trackingCode, status: result.status };
  }

  // Declared before feedback/:trackingCode, which would otherwise take 'nearby' for a tracking code.
  @Get('feedback/nearby')
  @ApiOperation({
    operationId: 'listNearbyFeedback',
    summary: 'Open reports of a category near a point, nearest first (no personal data), to show before a citizen submits',
    description: 'Within FR_DUPLICATE_RADIUS_M metres, received in the last FR_DUPLICATE_WINDOW_DAYS days; at most 20. Counted as lookups.',
  })
  @ApiOkResponse({ type: [NearbyCaseDto] })
  @ApiErrors(
    { 422: 'an unknown category (GET /v1/categories lists the codes)' },
    { 429: "too many lookups with this channel's key: Retry-After says when to try again" },
  )
  async nearby(@Req() req: ChannelRequest, @Query() q: NearbyQueryDto): Promise<NearbyCaseDto[]> {
    await this.limits.countLookup(req.channel);
    return this.nearbyCases.execute({ lat: q.lat, lng: q.lng, category: q.category });
  }

  @Get('feedback/:trackingCode')
  @ApiOperation({
    operationId: 'getFeedbackStatus',
    summary: 'Status of a case as a citizen may see it (no personal data)',
    description: "Only cases this channel brought in: another channel's key answers 404. Counted as lookups.",
  })
  @trackingCodeParam
  @ApiOkResponse({ type: FeedbackStatusDto })
  @ApiErrors(
    { 404: 'no case with this tracking code from this channel' },
    { 429: "too many lookups with this channel's key: Retry-After says when to try again" },
  )
  async status(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string): Promise<FeedbackStatusDto> {
    await this.limits.countLookup(req.channel);
    return this.feedbackStatus.execute(req.channel, trackingCode);
  }

  @Post('feedback/:trackingCode/info')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'replyToInfoRequest',
    summary: "The citizen's answer to a request for information; the case resumes",
    description: 'Only while the case is `awaiting_info`: the SLA clock paused for the request runs again from this answer.',
  })
  @trackingCodeParam
  @ApiOkResponse({ type: InfoReplyResultDto })
  @ApiErrors({ 404: 'no case with this tracking code from this channel' }, { 409: 'the case is not waiting for information' })
  async info(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string, @Body() dto: InfoReplyDto): Promise<InfoReplyResultDto> {
    const r = await this.citizen.supplyInfo(req.channel, trackingCode, dto.message, dto.attachments ?? []);
    return { trackingCode: (await this.feedbackStatus.execute(req.channel, trackingCode)).trackingCode, status: r.status };
  }

  @Post('feedback/:trackingCode/rating')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rateFeedback',
    summary: "The citizen's rating (1-5) of the answer, accepted once after resolution",
    description:
      'A good rating (above lowRating in config/sla.yaml) closes the case; a low one, within autoCloseDays of the answer (7 by default), reopens it for the unit. Each answer is rated once.',
  })
  @trackingCodeParam
  @ApiOkResponse({ type: RatingResultDto })
  @ApiErrors({ 404: 'no case with this tracking code from this channel' }, { 409: 'the case is not resolved, or is already rated' })
  async rating(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string, @Body() dto: RatingDto): Promise<RatingResultDto> {
    const r = await this.citizen.rate(req.channel, trackingCode, dto.score, dto.comment);
    return { trackingCode: r.trackingCode, status: r.status, rating: r.rating };
  }
}
