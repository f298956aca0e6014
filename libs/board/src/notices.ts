import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid, NotFoundError, OfficerRole, UnprocessableError, ValidationError } from '@fr/domain';
import { Deliveries, setChannelNoticesSubscription } from '@fr/notifications';
import { requireKnownUnit, selectRow, selectRows, Sql, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { OutsideUnitError } from './unit-figures';

export const NOTICE_KINDS = ['warning', 'information'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface PublishNoticeCommand {
  actor: { id: string; role: OfficerRole; unitCode: string };
  title: string;
  body: string;
  kind: NoticeKind;
  urgent: boolean;
  /** Areas (wards' codes, GET /v1/areas) the notice is for; none: everywhere the unit serves. */
  areaCodes?: string[];
}

export interface NoticeView {
  id: string;
  unit: { code: string; name: string };
  title: string;
  body: string;
  kind: NoticeKind;
  urgent: boolean;
  areaCodes: string[];
  publishedAt: string;
}

interface NoticeRow {
  id: string;
  unit_code: string;
  unit_name: string;
  title: string;
  body: string;
  kind: NoticeKind;
  urgent: boolean;
  area_codes: string[];
  published_at: Date;
}

const COLUMNS = `n.id, n.unit_code, u.name AS unit_name, n.title, n.body, n.kind, n.urgent, n.area_codes, n.published_at`;
const FROM = `FROM notices n JOIN units u ON u.code = n.unit_code`;
const SELECT = `SELECT ${COLUMNS} ${FROM}`;

function view(r: NoticeRow): NoticeView {
  return {
    id: r.id,
    unit: { code: r.unit_code, name: r.unit_name },
    title: r.title,
    body: r.body,
    kind: r.kind,
    urgent: r.urgent,
    areaCodes: r.area_codes,
    publishedAt: r.published_at.toISOString(),
  };
}

/**
 * The officers' list's cursor: the last notice's publication time to the microsecond, as PostgreSQL holds it
 * (a JavaScript Date keeps milliseconds: a cursor rounded to them skipped a notice written a few microseconds
 * into the same millisecond), and its id. Base64url JSON, opaque to callers, as the cases' queue's.
 */
const CURSOR_AT = `to_char(n.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_AT_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const SELECT_WITH_CURSOR = `SELECT ${COLUMNS}, ${CURSOR_AT} AS cursor_at ${FROM}`;

function encodeNoticeCursor(r: { cursor_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([r.cursor_at, r.id])).toString('base64url');
}

/** Only what encodeNoticeCursor makes: a UTC time to the microsecond, of a real day in 2000-2199, and a uuid. */
function decodeNoticeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && CURSOR_AT_FORM.test(v[0]) && isUuid(v[1])) {
      const t = Date.parse(v[0]);
      // Read back to the same text: a day that does not exist (02-30, which Date.parse rolls over) or a year
      // PostgreSQL refuses (0000) would reach the database as an error.
      if (Number.isFinite(t) && new Date(t).toISOString().slice(0, 23) === v[0].slice(0, 23) && t >= Date.UTC(2000, 0, 1) && t < Date.UTC(2200, 0, 1)) {
        return [v[0], v[1]];
      }
    }
  } catch {
    /* fall through */
  }
  throw new ValidationError('cursor is not a cursor this API returned', ['cursor']);
}

/** Event keys of notice deliveries: `notice.<id>`. */
export const NOTICE_DELIVERY_KIND = 'notice';

/**
 * Notices and warnings to residents ("Truyền thông, cảnh báo"): a unit's leader or handler publishes
 * for their unit; the notice is delivered once to every channel that subscribes (signed, through the
 * same deliveries as status changes) and to webhooks subscribed to `notice`, and channels list them.
 * The trail records who published what kind for which areas, never the words (they may name people).
 */
@Injectable()
export class Notices implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly deliveries: Deliveries,
  ) {}

  onModuleInit(): void {
    this.deliveries.registerPayload(NOTICE_DELIVERY_KIND, async (id, db) => {
      const n = await this.get(id, db);
      const { id: noticeId, ...rest } = n;
      return { event: 'notice' as const, noticeId, ...rest };
    });
  }

  async publish(cmd: PublishNoticeCommand): Promise<NoticeView> {
    if (cmd.actor.role !== 'LEADER' && cmd.actor.role !== 'HANDLER') {
      throw new OutsideUnitError("notices are published by a unit's leader or handler, for their unit");
    }
    const areaCodes = [...new Set(cmd.areaCodes ?? [])];
    return this.ds.transaction(async (m) => {
      const unit = await selectRow<{ active: boolean }>(m, `SELECT active FROM units WHERE code = $1`, [cmd.actor.unitCode]);
      if (!unit?.active) throw new UnprocessableError(`your unit '${cmd.actor.unitCode}' is not active`);
      if (areaCodes.length) {
        const known = await selectRows<{ code: string }>(m, `SELECT code FROM areas WHERE code = ANY($1::text[])`, [areaCodes]);
        const unknown = areaCodes.filter((c) => !known.some((k) => k.code === c));
        // A well-formed code that names nothing known is a 422, as an unknown wardCode or target unit is.
        if (unknown.length) throw new UnprocessableError(`areaCodes has unknown area(s) ${unknown.join(', ')}; see GET /v1/areas`);
        // A ward's notice is for its own areas (API: "for their unit"); a department, the office or the
        // police, which have no areas of their own, serve the whole district and may name any.
        const own = await selectRows<{ code: string }>(m, `SELECT code FROM areas WHERE unit_code = $1`, [cmd.actor.unitCode]);
        const foreign = own.length ? areaCodes.filter((c) => !own.some((o) => o.code === c)) : [];
        if (foreign.length) {
          throw new UnprocessableError(
            `areaCodes: ${foreign.join(', ')} is not an area of your unit '${cmd.actor.unitCode}' (its areas: ${own.map((o) => o.code).join(', ')})`,
          );
        }
      }
      const row = await selectRow<{ id: string }>(
        m,
        `INSERT INTO notices (unit_code, title, body, kind, urgent, area_codes, published_by, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [cmd.actor.unitCode, cmd.title, cmd.body, cmd.kind, cmd.urgent, areaCodes, cmd.actor.id, this.clock.now()],
      );
      const id = row!.id;
      const channels = await selectRows<{ code: string }>(
        m,
        `SELECT code FROM channels WHERE active AND notices_subscribed AND webhook_url IS NOT NULL ORDER BY code`,
      );
      const deliveries = await this.deliveries.announce(m, { event: 'notice', key: `${NOTICE_DELIVERY_KIND}.${id}`, channels: channels.map((c) => c.code) });
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${cmd.actor.id}`,
        action: 'notice_published',
        data: { noticeId: id, unitCode: cmd.actor.unitCode, kind: cmd.kind, urgent: cmd.urgent, areaCodes, deliveries },
      });
      const [n] = await selectRows<NoticeRow>(m, `${SELECT} WHERE n.id = $1`, [id]);
      return view(n);
    });
  }

  async get(id: string, db: Sql = this.ds): Promise<NoticeView> {
    const row = await selectRow<NoticeRow>(db, `${SELECT} WHERE n.id::text = $1`, [id]);
    if (!row) throw new NotFoundError('notice', id);
    return view(row);
  }

  /**
   * Officers: a unit's notices in a period (any unit's: notices are public), newest first then by id, a page
   * at a time: `nextCursor` is null on the last page. Without a cursor, the first page, as the list was
   * before it had one.
   */
  async list(f: { unitCode?: string; from?: Date; to?: Date; cursor?: string; limit: number }): Promise<{ items: NoticeView[]; nextCursor: string | null }> {
    const after = f.cursor === undefined ? null : decodeNoticeCursor(f.cursor);
    if (f.unitCode !== undefined) await requireKnownUnit(this.ds, f.unitCode);
    // After (time, id) in the order time descending, id ascending; `published_at <= time` lets
    // notices_published_idx bound the scan.
    const rows = await selectRows<NoticeRow & { cursor_at: string }>(
      this.ds,
      `${SELECT_WITH_CURSOR} WHERE ($1::text IS NULL OR n.unit_code = $1) AND ($2::timestamptz IS NULL OR n.published_at >= $2)
                AND ($3::timestamptz IS NULL OR n.published_at < $3)
                AND ($5::timestamptz IS NULL OR (n.published_at <= $5 AND (n.published_at < $5 OR n.id > $6::uuid)))
        ORDER BY n.published_at DESC, n.id LIMIT $4`,
      [f.unitCode ?? null, f.from ?? null, f.to ?? null, f.limit + 1, after?.[0] ?? null, after?.[1] ?? null],
    );
    const page = rows.slice(0, f.limit);
    return { items: page.map(view), nextCursor: rows.length > f.limit ? encodeNoticeCursor(page[page.length - 1]) : null };
  }

  /**
   * Channels: notices published after an instant (`after`, the last one seen) or from one (`from`, the
   * start of a day), oldest first, so a client can poll with the last one's time.
   */
  async since(f: { after?: Date; afterId?: string; from?: Date }, limit: number): Promise<NoticeView[]> {
    // After the last one seen by (time, id), the listing's own order: by time alone, a page that ended between
    // two notices of one millisecond lost the second. Without an id, strictly after the time (the greatest id).
    const rows = await selectRows<NoticeRow>(
      this.ds,
      `${SELECT} WHERE ($1::timestamptz IS NULL OR (n.published_at, n.id) > ($1, COALESCE($4::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)))
          AND ($2::timestamptz IS NULL OR n.published_at >= $2)
        ORDER BY n.published_at, n.id LIMIT $3`,
      [f.after ?? null, f.from ?? null, limit, f.afterId ?? null],
    );
    return rows.map(view);
  }

  /** Whether a channel's status webhook also receives notices (ADMIN). */
  async subscribeChannel(actorId: string, channel: string, subscribed: boolean): Promise<{ channel: string; subscribed: boolean; webhook: boolean }> {
    return this.ds.transaction(async (m) => {
      const row = await setChannelNoticesSubscription(m, channel, subscribed);
      if (!row) throw new NotFoundError('channel', channel);
      await writeAuditEvent(m, { caseId: null, actor: `officer:${actorId}`, action: 'channel_notices_subscription', data: { channel, subscribed } });
      return { channel, subscribed, webhook: row.webhook };
    });
  }
}
