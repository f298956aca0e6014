import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { InboxQueries, MarkNotificationRead } from '@fr/notifications';
import { ApiErrors } from '../common/error.dto';
import { ListNotificationsQueryDto, NotificationDto, NotificationPageDto } from './notification.dto';
import { SERIAL_ID_PARAM_SCHEMA } from '../common/text.decorators';

/** The caller's own in-app inbox; any officer has one. */
@ApiTags('notifications')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('v1/notifications')
export class NotificationsController {
  constructor(
    private readonly inbox: InboxQueries,
    private readonly markRead: MarkNotificationRead,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listNotifications', summary: "The caller's notifications, newest first, with the unread count" })
  @ApiOkResponse({ type: NotificationPageDto })
  list(@CurrentOfficer() officer: AuthenticatedOfficer, @Query() q: ListNotificationsQueryDto): Promise<NotificationPageDto> {
    return this.inbox.list(officer.id, { unread: q.unread, cursor: q.cursor, limit: q.limit ?? 20 });
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ operationId: 'markNotificationRead', summary: 'Mark one of your notifications read (idempotent)' })
  @ApiParam({ name: 'id', schema: SERIAL_ID_PARAM_SCHEMA, description: 'a notification id' })
  @ApiOkResponse({ type: NotificationDto })
  @ApiErrors({ 404: "no such notification in the caller's inbox" })
  read(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id') id: string): Promise<NotificationDto> {
    return this.markRead.execute(officer.id, id);
  }
}
