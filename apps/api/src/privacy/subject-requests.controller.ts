import { Body, Controller, Get, HttpStatus, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard, RequestLimits, RolesGuard } from '@fr/auth';
import { SubjectRequests } from '@fr/privacy';
import { ApiErrors } from '../common/error.dto';
import { ChannelKeyGuard, ChannelRequest } from '../intake/channel-key.guard';
import { CHANNEL_KEY_SCHEME } from '../openapi';
import { SubjectRequestDto, SubjectRequestSummaryDto, SubjectRequestViewDto } from './subject-request.dto';
import { Roles } from '../common/roles.decorator';

/**
 * A citizen's requests about their personal data (Law 91/2025/QH15 art. 4; Decree 356/2025/NĐ-CP),
 * through the channel that brought their cases in: the channel's key authenticates it, and it asserts
 * its signed-in user's phone or e-mail. The answer goes back to the channel.
 */
@ApiTags('privacy')
@ApiSecurity(CHANNEL_KEY_SCHEME)
@ApiErrors(401)
@UseGuards(ChannelKeyGuard)
@Controller('v1/privacy/requests')
export class SubjectRequestsChannelController {
  constructor(
    private readonly requests: SubjectRequests,
    private readonly limits: RequestLimits,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'submitPrivacyRequest',
    summary: "A citizen's access, correction or deletion request, recorded with its legal deadline",
    description:
      'The channel has verified the requester; cases are found by phone or e-mail. Send an externalId so that a retry answers the same request instead of making another.',
  })
  @ApiCreatedResponse({ type: SubjectRequestViewDto, description: 'access and correction are answered at once; a deletion waits for open cases to close' })
  @ApiOkResponse({ type: SubjectRequestViewDto, description: "the channel's externalId sent again: its request as it stands, nothing new recorded" })
  @ApiErrors(
    400,
    {
      409:
        "the phone number or e-mail address is on the cases of more than one name, or of a name and none: give name, the requester's name as the channel verified it; " +
        'or the externalId was sent before with another request (kind, phone or email differ)',
    },
    { 429: "too many data-subject requests with this channel's key: Retry-After says when to try again" },
  )
  async submit(@Req() req: ChannelRequest, @Body() dto: SubjectRequestDto, @Res({ passthrough: true }) res: Response): Promise<SubjectRequestViewDto> {
    // A retry of a request made is answered from what is stored and reaches no new number: it does not use the
    // window up (a channel retrying after timeouts was refused its new requests).
    const retry = dto.externalId !== undefined && (await this.requests.made(req.channel, dto.externalId));
    if (!retry) await this.limits.countPrivacyRequest(req.channel);
    const { request, created } = await this.requests.submit({
      channel: req.channel,
      kind: dto.kind,
      phone: dto.phone,
      email: dto.email,
      name: dto.name,
      trackingCodes: dto.trackingCodes,
      corrections: dto.corrections,
      externalId: dto.externalId,
    });
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return request;
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getPrivacyRequest',
    summary: "A request's state and answer, for the channel that made it",
    description: "Another channel's key answers 404, as for an id that does not exist.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SubjectRequestViewDto })
  @ApiErrors({ 404: 'no such request from this channel' })
  get(@Req() req: ChannelRequest, @Param('id') id: string): Promise<SubjectRequestViewDto> {
    return this.requests.get(req.channel, id);
  }
}

/** Supervisors, and Home Affairs, follow every request and its deadline; nothing personal is shown. */
@ApiTags('privacy')
@ApiBearerAuth()
@ApiErrors(403)
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('SUPERVISOR', 'ADMIN', 'AUDITOR')
@Controller('v1/privacy/requests')
export class SubjectRequestsOfficerController {
  constructor(private readonly requests: SubjectRequests) {}

  @Get()
  @ApiOperation({ operationId: 'listPrivacyRequests', summary: "Citizens' data requests, newest first, with their deadlines (nothing personal)" })
  @ApiOkResponse({ type: [SubjectRequestSummaryDto] })
  list(): Promise<SubjectRequestSummaryDto[]> {
    return this.requests.list();
  }
}
