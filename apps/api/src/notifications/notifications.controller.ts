import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedOfficer, CurrentOfficer, JwtAuthGuard, RolesGuard } from '@fr/auth';
import { InboxQueries, MarkNotificationRead } from '@fr/notifications';
import { ListNotificationsQueryDto } from './notification.dto';

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
  @ApiOperation({ summary: "The caller's notifications, newest first, with the unread count" })
  list(@CurrentOfficer() officer: AuthenticatedOfficer, @Query() q: ListNotificationsQueryDto) {
    return this.inbox.list(officer.id, { unread: q.unread, cursor: q.cursor, limit: q.limit ?? 20 });
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark one of your notifications read (idempotent)' })
  @ApiResponse({ status: 404, description: "no such notification in the caller's inbox" })
  read(@CurrentOfficer() officer: AuthenticatedOfficer, @Param('id') id: string) {
    return this.markRead.execute(officer.id, id);
  }
}
