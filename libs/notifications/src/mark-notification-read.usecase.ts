import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@fr/domain';
import { execute } from '@fr/persistence';
import { InboxQueries, NotificationView } from './inbox.queries';

/** Marks one of the caller's own notifications read; the first reading time is kept. Someone else's is not found. */
@Injectable()
export class MarkNotificationRead {
  constructor(
    private readonly ds: DataSource,
    private readonly inbox: InboxQueries,
  ) {}

  async execute(officerId: string, notificationId: string): Promise<NotificationView> {
    if (!/^\d{1,18}$/.test(notificationId)) throw new NotFoundError('notification', notificationId);
    await execute(this.ds, `UPDATE notifications SET read_at = now() WHERE id = $1 AND officer_id = $2 AND read_at IS NULL`, [notificationId, officerId]);
    const view = await this.inbox.get(officerId, notificationId);
    if (!view) throw new NotFoundError('notification', notificationId);
    return view;
  }
}
