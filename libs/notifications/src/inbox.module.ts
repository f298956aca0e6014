import { Module } from '@nestjs/common';
import { EscalationQueries } from './escalation.queries';
import { InboxQueries } from './inbox.queries';
import { MarkNotificationRead } from './mark-notification-read.usecase';

/** The read side of escalations and the officers' in-app inbox (the API). */
@Module({
  providers: [InboxQueries, MarkNotificationRead, EscalationQueries],
  exports: [InboxQueries, MarkNotificationRead, EscalationQueries],
})
export class InboxModule {}
