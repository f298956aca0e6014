import { Body, Controller, Get, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { dayOrInstantAt, isDay, readOptionalPeriod, ValidationError } from '@fr/domain';
import { Response } from 'express';
import { NoticeKind, Notices } from '@fr/board';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { ApiErrors } from '../common/error.dto';
import { CHANNEL_KEY_SCHEME } from '../openapi';
import { ChannelNoticesDto, ChannelNoticesStateDto, ListNoticesQueryDto, NoticeDto, PublicNoticesQueryDto, PublishNoticeDto } from './compliance.dto';
import { Roles } from '../common/roles.decorator';
import { CODE_PARAM_SCHEMA } from '../common/text.decorators';

/** The header that carries the officers' list's next cursor. */
const NEXT_CURSOR_HEADER = 'X-Next-Cursor';

/** Notices and warnings to residents, published by units ("Truyền thông, cảnh báo"). */
@ApiTags('notices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1')
export class NoticesController {
  constructor(private readonly notices: Notices) {}

  @Post('notices')
  @Roles('LEADER', 'HANDLER')
  @ApiOperation({ operationId: 'publishNotice', summary: "Publish a notice for the caller's unit; subscribed channels and webhooks receive it once, signed" })
  @ApiCreatedResponse({ type: NoticeDto, description: 'published' })
  @ApiErrors(403, { 422: "the caller's unit is no longer active, an area code is unknown, or a ward names an area that is not its own" })
  publish(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: PublishNoticeDto): Promise<NoticeDto> {
    return this.notices.publish({
      actor: officer,
      title: dto.title,
      body: dto.body,
      kind: dto.kind as NoticeKind,
      urgent: dto.urgent ?? false,
      areaCodes: dto.areaCodes,
    });
  }

  @Get('notices')
  @ApiOperation({
    operationId: 'listNotices',
    summary: 'Notices, newest first (then by id), by unit and period (any officer), a page at a time',
    description:
      'The body is the page, an array as it always was; the `X-Next-Cursor` header, when present, is the `cursor` of the next page ' +
      '(absent on the last page). A client that sends no cursor gets the first `limit` notices, as before paging.',
  })
  @ApiOkResponse({
    type: [NoticeDto],
    headers: { [NEXT_CURSOR_HEADER]: { description: 'pass as cursor for the next page; absent on the last page', schema: { type: 'string' } } },
  })
  @ApiErrors({ 400: 'a malformed parameter, `to` before `from`, or a cursor this API did not return', 422: '`unit` names no unit (GET /v1/units lists them)' })
  async list(@Query() q: ListNoticesQueryDto, @Res({ passthrough: true }) res: Response): Promise<NoticeDto[]> {
    // A reversed period found nothing and said nothing; the audits and Open311 refuse it too.
    const { from, to } = readOptionalPeriod(q.from, q.to);
    // The cursor goes in a header: the body stays the array that clients of the list before paging read.
    const page = await this.notices.list({ unitCode: q.unit, from, to, cursor: q.cursor, limit: q.limit ?? 50 });
    if (page.nextCursor !== null) res.setHeader(NEXT_CURSOR_HEADER, page.nextCursor);
    return page.items;
  }

  @Put('channels/:code/notices')
  @Roles('ADMIN')
  @ApiOperation({
    operationId: 'setChannelNoticeSubscription',
    summary: "Whether a channel's status webhook also receives notices (PUT /v1/channels/{code}/webhook sets the webhook)",
  })
  @ApiParam({ name: 'code', example: 'ihanoi', schema: CODE_PARAM_SCHEMA, description: 'a channel code' })
  @ApiOkResponse({ type: ChannelNoticesStateDto })
  @ApiErrors(403, { 404: 'no such channel' })
  subscribe(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelNoticesDto): Promise<ChannelNoticesStateDto> {
    return this.notices.subscribeChannel(officer.id, code, dto.subscribed);
  }
}

/** What channels show citizens: every published notice. */
@ApiTags('notices')
@ApiSecurity(CHANNEL_KEY_SCHEME)
@UseGuards(ChannelKeyGuard)
@Controller('v1/public')
export class PublicNoticesController {
  constructor(private readonly notices: Notices) {}

  @Get('notices')
  @ApiOperation({
    operationId: 'listPublicNotices',
    summary: 'Notices published after `since` (oldest first, so a client polls with the last one it saw)',
    description:
      "A date in `since` reads from that day's start; a date-time with `afterId` (the last notice's publishedAt and id) reads strictly after that notice, so none is skipped or shown twice.",
  })
  @ApiOkResponse({ type: [NoticeDto] })
  list(@Query() q: PublicNoticesQueryDto): Promise<NoticeDto[]> {
    // A date-time is the last notice seen: strictly after it. A date is a day to read from, so a notice
    // published at its very midnight is included.
    const at = q.since === undefined ? undefined : dayOrInstantAt(q.since, 'start');
    if (q.afterId !== undefined && (q.since === undefined || isDay(q.since))) {
      throw new ValidationError("afterId goes with since: the last notice's publishedAt and id", ['afterId']);
    }
    return this.notices.since(q.since !== undefined && isDay(q.since) ? { from: at } : { after: at, afterId: q.afterId }, q.limit ?? 50);
  }
}
