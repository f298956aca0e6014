import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { RequestLimits } from '@fr/auth';
import { CitizenActions } from '@fr/cases';
import { Catalogue, GetFeedbackStatus, SubmitFeedback } from '@fr/intake';
import { InfoReplyDto, RatingDto } from '../cases/case.dto';
import { ChannelKeyGuard, ChannelRequest } from './channel-key.guard';
import { FeedbackAcceptedDto, SubmitFeedbackDto } from './feedback.dto';

@ApiTags('intake')
@ApiHeader({ name: 'X-Api-Key', required: true, description: "the channel's API key" })
@UseGuards(ChannelKeyGuard)
@Controller('v1')
export class IntakeController {
  constructor(
    private readonly submitFeedback: SubmitFeedback,
    private readonly feedbackStatus: GetFeedbackStatus,
    private readonly catalogue: Catalogue,
    private readonly citizen: CitizenActions,
    private readonly limits: RequestLimits,
  ) {}

  @Get('categories')
  @ApiOperation({ summary: 'Categories a channel may offer' })
  async categories() {
    const rows = await this.catalogue.categories();
    return rows.map(({ code, name, description, accepted }) => ({ code, name, description, accepted }));
  }

  @Get('areas')
  @ApiOperation({ summary: 'Wards a location can name as wardCode' })
  areas() {
    return this.catalogue.areas();
  }

  @Post('feedback')
  @ApiOperation({ summary: 'Submit feedback; the same externalId from the same channel returns the same case' })
  @ApiResponse({ status: 202, type: FeedbackAcceptedDto, description: 'accepted and stored; routing follows' })
  @ApiResponse({ status: 200, type: FeedbackAcceptedDto, description: 'already received (same channel and externalId)' })
  async submit(@Req() req: ChannelRequest, @Body() dto: SubmitFeedbackDto, @Res({ passthrough: true }) res: Response): Promise<FeedbackAcceptedDto> {
    const result = await this.submitFeedback.execute({
      channel: req.channel,
      externalId: dto.externalId,
      category: dto.category,
      title: dto.title,
      description: dto.description,
      location: dto.location,
      citizen: dto.citizen,
      attachments: dto.attachments,
      submittedAt: dto.submittedAt ? new Date(dto.submittedAt) : undefined,
    });
    res.status(result.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { id: result.id, trackingCode: result.trackingCode, status: result.status };
  }

  @Get('feedback/:trackingCode')
  @ApiOperation({ summary: 'Status of a case as a citizen may see it (no personal data)' })
  @ApiResponse({ status: 429, description: "too many lookups with this channel's key (Retry-After says when to try again)" })
  async status(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string) {
    await this.limits.countLookup(req.channel);
    return this.feedbackStatus.execute(req.channel, trackingCode);
  }

  @Post('feedback/:trackingCode/info')
  @HttpCode(200)
  @ApiOperation({ summary: "The citizen's answer to a request for information; the case resumes" })
  async info(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string, @Body() dto: InfoReplyDto) {
    const r = await this.citizen.supplyInfo(req.channel, trackingCode, dto.message, dto.attachments ?? []);
    return { trackingCode: (await this.feedbackStatus.execute(req.channel, trackingCode)).trackingCode, status: r.status };
  }

  @Post('feedback/:trackingCode/rating')
  @HttpCode(200)
  @ApiOperation({ summary: "The citizen's rating (1-5) of the answer, accepted once after resolution" })
  async rating(@Req() req: ChannelRequest, @Param('trackingCode') trackingCode: string, @Body() dto: RatingDto) {
    const r = await this.citizen.rate(req.channel, trackingCode, dto.score, dto.comment);
    return { status: r.status, rating: r.rating };
  }
}
