import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeIdCursor, encodeIdCursor } from './paging';

export interface InboxFilter {
  unread?: boolean;
  cursor?: string;
  limit: number;
}

const COLUMNS = `n.id, n.kind, n.title, n.body, n.case_id, c.tracking_code, n.escalation_id, e.stage, e.level, n.created_at, n.read_at`;
const FROM = `FROM notifications n LEFT JOIN cases c ON c.id = n.case_id LEFT JOIN escalations e ON e.id = n.escalation_id`;

export function notificationView(r: Record<string, any>) {
  return {
    id: String(r.id),
    kind: r.kind as string,
    title: r.title as string,
    body: r.body as string,
    caseId: (r.case_id as string | null) ?? null,
    trackingCode: (r.tracking_code as string | null) ?? null,
    escalation: r.escalation_id ? { id: String(r.escalation_id), stage: r.stage as string, level: r.level as string } : null,
    createdAt: new Date(r.created_at).toISOString(),
    readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
  };
}
export type NotificationView = ReturnType<typeof notificationView>;

/** An officer's own in-app notifications, newest first. Nobody reads another officer's inbox. */
@Injectable()
export class InboxQueries {
  constructor(private readonly ds: DataSource) {}

  async list(officerId: string, f: InboxFilter): Promise<{ items: NotificationView[]; nextCursor: string | null; unread: number }> {
    const params: unknown[] = [officerId];
    const where = ['n.officer_id = $1'];
    if (f.unread) where.push('n.read_at IS NULL');
    if (f.cursor) {
      params.push(decodeIdCursor(f.cursor));
      where.push(`n.id < $${params.length}`);
    }
    params.push(f.limit + 1);
    const rows = await this.ds.query(`SELECT ${COLUMNS} ${FROM} WHERE ${where.join(' AND ')} ORDER BY n.id DESC LIMIT $${params.length}`, params);
    const [{ unread }] = await this.ds.query(`SELECT count(*)::int AS unread FROM notifications WHERE officer_id = $1 AND read_at IS NULL`, [officerId]);
    const page = rows.slice(0, f.limit);
    return {
      items: page.map(notificationView),
      nextCursor: rows.length > f.limit ? encodeIdCursor(String(page[page.length - 1].id)) : null,
      unread,
    };
  }

  async get(officerId: string, id: string): Promise<NotificationView | null> {
    const [r] = await this.ds.query(`SELECT ${COLUMNS} ${FROM} WHERE n.id = $1 AND n.officer_id = $2`, [id, officerId]);
    return r ? notificationView(r) : null;
  }
}
