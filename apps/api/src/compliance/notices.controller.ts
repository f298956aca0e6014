import { Body, Controller, Get, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, Roles, RolesGuard } from '@fr/auth';
import { NoticeKind, Notices } from '@fr/board';
import { ChannelKeyGuard } from '../intake/channel-key.guard';
import { ChannelNoticesDto, ListNoticesQueryDto, PublicNoticesQueryDto, PublishNoticeDto } from './compliance.dto';

/** Notices and warnings to residents, published by units ("Truyền thông, cảnh báo"). */
@ApiTags('notices')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1')
export class NoticesController {
  constructor(private readonly notices: Notices) {}

  @Post('notices')
  @Roles('LEADER', 'HANDLER')
  @ApiOperation({ summary: "Publish a notice for the caller's unit; subscribed channels and webhooks receive it once, signed" })
  @ApiResponse({ status: 201, description: 'published' })
  publish(@CurrentOfficer() officer: AuthenticatedOfficer, @Body() dto: PublishNoticeDto) {
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
  @ApiOperation({ summary: 'Notices, newest first, by unit and period (any officer)' })
  list(@Query() q: ListNoticesQueryDto) {
    return this.notices.list({ unitCode: q.unit, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, limit: q.limit ?? 50 });
  }

  @Put('channels/:code/notices')
  @Roles('ADMIN')
  @ApiOperation({ summary: "Whether a channel's status webhook also receives notices (PUT /v1/channels/{code}/webhook sets the webhook)" })
  subscribe(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('code') code: string, @Body() dto: ChannelNoticesDto) {
    return this.notices.subscribeChannel(officer.id, code, dto.subscribed);
  }
}

/** What channels show citizens: every published notice. */
@ApiTags('notices')
@ApiHeader({ name: 'X-Api-Key', required: true, description: "the channel's API key" })
@UseGuards(ChannelKeyGuard)
@Controller('v1/public')
export class PublicNoticesController {
  constructor(private readonly notices: Notices) {}

  @Get('notices')
  @ApiOperation({ summary: 'Notices published after `since` (oldest first, so a client polls with the last one it saw)' })
  list(@Query() q: PublicNoticesQueryDto) {
    return this.notices.since(q.since ? new Date(q.since) : null, q.limit ?? 50);
  }
}
