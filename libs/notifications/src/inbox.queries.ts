import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { selectRow, selectRows } from '@fr/persistence';
import { decodeIdCursor, encodeIdCursor } from './paging';

export interface InboxFilter {
  unread?: boolean;
  cursor?: string;
  limit: number;
}

const COLUMNS = `n.id::text AS id, n.kind, n.title, n.body, n.case_id, c.tracking_code, n.escalation_id::text AS escalation_id, e.stage, e.level,
                 n.created_at, n.read_at`;
const FROM = `FROM notifications n LEFT JOIN cases c ON c.id = n.case_id LEFT JOIN escalations e ON e.id = n.escalation_id`;

interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  case_id: string | null;
  tracking_code: string | null;
  escalation_id: string | null;
  stage: string | null;
  level: string | null;
  created_at: Date;
  read_at: Date | null;
}

export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  caseId: string | null;
  trackingCode: string | null;
  escalation: { id: string; stage: string; level: string } | null;
  createdAt: string;
  readAt: string | null;
}

function notificationView(r: NotificationRow): NotificationView {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    caseId: r.case_id,
    trackingCode: r.tracking_code,
    escalation: r.escalation_id ? { id: r.escalation_id, stage: r.stage!, level: r.level! } : null,
    createdAt: r.created_at.toISOString(),
    readAt: r.read_at ? r.read_at.toISOString() : null,
  };
}

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
    const rows = await selectRows<NotificationRow>(
      this.ds,
      `SELECT ${COLUMNS} ${FROM} WHERE ${where.join(' AND ')} ORDER BY n.id DESC LIMIT $${params.length}`,
      params,
    );
    const count = await selectRow<{ unread: number }>(this.ds, `SELECT count(*)::int AS unread FROM notifications WHERE officer_id = $1 AND read_at IS NULL`, [
      officerId,
    ]);
    const page = rows.slice(0, f.limit);
    return {
      items: page.map(notificationView),
      nextCursor: rows.length > f.limit ? encodeIdCursor(page[page.length - 1].id) : null,
      unread: count?.unread ?? 0,
    };
  }

  async get(officerId: string, id: string): Promise<NotificationView | null> {
    const r = await selectRow<NotificationRow>(this.ds, `SELECT ${COLUMNS} ${FROM} WHERE n.id = $1 AND n.officer_id = $2`, [id, officerId]);
    return r ? notificationView(r) : null;
  }
}
