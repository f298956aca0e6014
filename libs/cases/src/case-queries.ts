import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '@fr/sla';
import { AUDIT_TEXTS_KEY, isUuid, maskContactsInText, maskEmail, maskName, maskPhone, NotFoundError, publicMediaUrl, ValidationError } from '@fr/domain';
import { coveredBySql, GROUP_NAMES_SQL, requireKnownUnit, selectRow, selectRows } from '@fr/persistence';
import { ContactReads } from '@fr/privacy';
import { CaseActor, inScope } from './actor';

export interface ListCasesFilter {
  status?: string[];
  unit?: string;
  assigneeMe?: boolean;
  overdue?: boolean;
  dueBefore?: Date;
  cursor?: string;
  limit: number;
}

/** Waiting on the citizen after its deadline had passed: late while it waits (migration PausedPastDue). */
export const PAUSED_LATE = `(c.status = 'awaiting_info' AND c.paused_past_due IS NOT NULL)`;
const SUMMARY_COLUMNS = `
  c.id, c.tracking_code, c.status, c.category_code, cat.name AS category_name, c.unit_code, u.name AS unit_name,
  c.handler_id, c.leader_id, c.severity, c.title, c.stage, c.due_at, c.warn_at, ${PAUSED_LATE} AS paused_late, c.version, c.received_at, c.updated_at,
  c.transfer_count, c.return_count, c.reopen_count, c.extension_count, c.citizen_name`;
/** The queue's order: the running deadline, open-ended last (cases_due_idx). */
const RUNNING_DUE = `COALESCE(c.due_at, 'infinity'::timestamptz)`;

/** How free text reaches a reader: whole for one with contact rights, with contacts masked otherwise. */
type TextView = (text: string | null) => string | null;
const WHOLE: TextView = (t) => t;
/** `names`: the citizens' names the case's text may hold (its own, and a duplicate's original's). */
const textViewFor = (actor: CaseActor, unitCode: string | null, names: readonly (string | null)[]): TextView =>
  seesContact(actor, unitCode) ? WHOLE : (t) => maskContactsInText(t, names);
/** The citizen's contact, in fields and in free text, is for a handler of the case's unit only. */
const seesContact = (actor: CaseActor, unitCode: string | null) => actor.role === 'HANDLER' && actor.unitCode === unitCode;

/** Every string inside an event's data (a note's text, a reason) through the same view. */
function viewData(v: unknown, text: TextView): unknown {
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => viewData(x, text));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, viewData(x, text)]));
  return v;
}

/**
 * Attachments with their URLs through the same view: apps upload under the citizen's number or e-mail
 * ("/u/0912345678/anh.jpg"), which Open311's media_url already masks; the case view gave it whole to
 * every officer who may read the case.
 */
function attachmentsView(list: Attachment[] | null, text: TextView): Attachment[] {
  // Read through its percent-escapes as Open311 reads it ("u/an.nguyen%40gmail.com" names the citizen too).
  const url = (u: string) => (text === WHOLE ? u : (publicMediaUrl(u, (t) => text(t)) ?? text(u) ?? u));
  return (list ?? []).map((a) => ({ ...a, url: url(a.url) }));
}

/** The columns of SUMMARY_COLUMNS, as node-postgres returns them. */
interface SummaryRow {
  id: string;
  tracking_code: string;
  status: string;
  category_code: string;
  category_name: string;
  unit_code: string | null;
  unit_name: string | null;
  handler_id: string | null;
  leader_id: string | null;
  severity: string;
  title: string | null;
  stage: string | null;
  due_at: Date | null;
  warn_at: Date | null;
  paused_late: boolean;
  version: number;
  received_at: Date;
  updated_at: Date;
  transfer_count: number;
  return_count: number;
  reopen_count: number;
  extension_count: number;
  /** Read to mask it in the title, never shown by a summary. */
  citizen_name: string | null;
}

/** A queue's row: with the key it is ordered by, which its cursor carries. */
interface ListRow extends SummaryRow {
  /** The deadline the queue orders by: a Date, or the number Infinity for 'infinity' (pg's reading of an open-ended one). */
  sort_due: Date | number;
}

type Attachment = { url: string; kind: string };

interface CaseDetailRow extends SummaryRow {
  description: string;
  duplicate_of: { id: string; trackingCode: string; status: string } | null;
  duplicates: { id: string; trackingCode: string; status: string }[] | null;
  address: string | null;
  ward_code: string | null;
  area_code: string | null;
  lat: number | null;
  lng: number | null;
  citizen_phone: string | null;
  /** The names of its merged group (GROUP_NAMES_SQL): a group's answer may name any of them. */
  group_names: string[];
  citizen_email: string | null;
  attachments: Attachment[];
  answer: string | null;
  resolution_attachments: Attachment[];
  rating: number | null;
  rating_comment: string | null;
  triage_reason: string | null;
  routing_rule_id: string | null;
  channel_code: string;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  submitted_at: Date | null;
  closed_as: 'other_track' | null;
  where_to_go: string | null;
  entered_by: string | null;
  entered_by_name: string | null;
}

interface TimelineRow {
  id: string;
  occurred_at: Date;
  actor: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  reason: string | null;
  data: unknown;
  full_name: string | null;
  role: string | null;
  /** The event's free text kept outside the chain, by field; a value is null once erased. */
  texts: Record<string, string | null> | null;
}

/** The event as officers read it: its texts back in place of their hashes (an erased one reads null). */
function withTexts(e: TimelineRow): { reason: string | null; data: unknown } {
  if (!e.texts) return { reason: e.reason, data: e.data };
  const { reason, ...others } = e.texts;
  const data = e.data && typeof e.data === 'object' && !Array.isArray(e.data) ? { ...(e.data as Record<string, unknown>) } : {};
  delete data[AUDIT_TEXTS_KEY];
  return { reason: reason ?? e.reason, data: { ...data, ...others } };
}

interface MessageRow {
  id: string;
  kind: string;
  author: string;
  body: string;
  attachments: Attachment[];
  created_at: Date;
}

function summary(r: SummaryRow, now: Date, text: TextView) {
  const due = r.due_at ? new Date(r.due_at) : null;
  const warn = r.warn_at ? new Date(r.warn_at) : null;
  return {
    id: r.id,
    trackingCode: r.tracking_code,
    status: r.status,
    category: { code: r.category_code, name: r.category_name },
    unit: r.unit_code ? { code: r.unit_code, name: r.unit_name ?? r.unit_code } : null,
    handlerId: r.handler_id,
    leaderId: r.leader_id,
    severity: r.severity,
    title: text(r.title),
    stage: r.stage,
    dueAt: due?.toISOString() ?? null,
    atRisk: !!(warn && due && now >= warn && now < due),
    overdue: !!(due && now >= due) || r.paused_late,
    version: r.version,
    receivedAt: new Date(r.received_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    transferCount: r.transfer_count,
    returnCount: r.return_count,
    reopenCount: r.reopen_count,
    extensionCount: r.extension_count,
  };
}
export type CaseSummary = ReturnType<typeof summary>;

function encodeCursor(r: Pick<ListRow, 'sort_due' | 'id'>): string {
  // pg reads the 'infinity' that sorts open-ended cases last as the number Infinity.
  const due = r.sort_due instanceof Date ? r.sort_due.toISOString() : 'infinity';
  return Buffer.from(JSON.stringify([due, r.id])).toString('base64url');
}

/** Only what encodeCursor makes: 'infinity' or an exact toISOString(), and a uuid. */
function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isUuid(v[1])) {
      const due = v[0];
      if (due === 'infinity') return [due, v[1]];
      const t = Date.parse(due);
      // Deadlines of this system lie after 2000. Years such as 0000 or -000001 round-trip through
      // toISOString but PostgreSQL refuses them (a 500 before this bound).
      if (Number.isFinite(t) && new Date(t).toISOString() === due && t >= Date.UTC(2000, 0, 1) && t < Date.UTC(2200, 0, 1)) return [due, v[1]];
    }
  } catch {
    /* fall through */
  }
  throw new ValidationError('cursor is not a cursor this API returned', ['cursor']);
}

@Injectable()
export class CaseQueries {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly reads: ContactReads,
  ) {}

  /** An officer's queue: scoped on the server by the caller's unit and role, nearest deadline first. */
  async list(actor: CaseActor, f: ListCasesFilter): Promise<{ items: CaseSummary[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (actor.role === 'HANDLER' || actor.role === 'LEADER') where.push(`c.unit_code = ${p(actor.unitCode)}`);
    else if (actor.role !== 'SUPERVISOR' && actor.role !== 'AUDITOR') return { items: [], nextCursor: null };
    if (f.unit) {
      await requireKnownUnit(this.ds, f.unit);
      where.push(`c.unit_code = ${p(f.unit)}`);
    }
    if (f.status?.length) where.push(`c.status = ANY(${p(f.status)})`);
    // Mine includes the cases of whoever I cover while their absence lasts.
    if (f.assigneeMe) {
      const me = p(actor.id);
      where.push(`(c.handler_id = ${me} OR c.handler_id IN ${coveredBySql(me, `${p(this.clock.now())}::timestamptz`)})`);
    }
    if (f.dueBefore) where.push(`c.due_at < ${p(f.dueBefore)}`);
    const cursor = f.cursor ? decodeCursor(f.cursor) : null;
    const after = cursor ? `(${p(cursor[0])}::timestamptz, ${p(cursor[1])}::uuid)` : null;
    const limit = p(f.limit + 1);
    /** The cases of `extra` in the order of `key`, then id, from the cursor on: each the form of one index. */
    const ordered = (extra: string | null, key: string) => {
      const all = [...where, ...(extra ? [extra] : []), ...(after ? [`(${key}, c.id) > ${after}`] : [])];
      return `SELECT ${SUMMARY_COLUMNS}, ${key} AS sort_due
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        ${all.length ? 'WHERE ' + all.join(' AND ') : ''}
        ORDER BY ${key}, c.id
        LIMIT ${limit}`;
    };
    // Overdue by the Clock, as the items' own `overdue` flags are: running deadlines passed, and cases waiting
    // on the citizen after theirs had, in one order by the deadline in force (the one a waiting case passed
    // before its pause), then id; the cursor is that pair. Two ordered halves merged, each on its own index:
    // as one OR, a page past the running ones walked every closed case's 'infinity' in cases_due_idx
    // (130-230 ms at 400,000 cases, 300,000 closed, against 5 ms for the first page). The waiting half reads
    // the partial cases_paused_past_due_order_idx (a unit's: cases_paused_past_due_idx) in its order
    // (migration PausedPastDueOrder). Disjoint: a waiting case has no running deadline.
    const sql = f.overdue
      ? `SELECT * FROM ((${ordered(`${RUNNING_DUE} <= ${p(this.clock.now())}`, RUNNING_DUE)})
                        UNION ALL (${ordered(`${PAUSED_LATE} AND c.due_at IS NULL`, 'c.paused_past_due')})) o
          ORDER BY o.sort_due, o.id LIMIT ${limit}`
      : ordered(null, RUNNING_DUE);
    const rows = await selectRows<ListRow>(this.ds, sql, params);
    const now = this.clock.now();
    const page = rows.slice(0, f.limit);
    return {
      items: page.map((r) => summary(r, now, textViewFor(actor, r.unit_code, [r.citizen_name]))),
      nextCursor: rows.length > f.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** One case with its timeline. The citizen's contact is shown only to a handler of the case's unit. */
  async get(actor: CaseActor, id: string) {
    const r = await selectRow<CaseDetailRow>(
      this.ds,
      `SELECT ${SUMMARY_COLUMNS}, c.description, c.address, c.ward_code, c.area_code, c.lat, c.lng,
              c.citizen_phone, c.citizen_email, c.attachments, c.answer, c.resolution_attachments, c.rating, c.rating_comment,
              c.triage_reason, c.routing_rule_id, c.channel_code, c.acknowledged_at, c.resolved_at, c.closed_at, c.submitted_at,
              c.closed_as, c.where_to_go, c.entered_by, op.full_name AS entered_by_name,
              (SELECT json_build_object('id', o.id, 'trackingCode', o.tracking_code, 'status', o.status)
                 FROM cases o WHERE o.id = c.duplicate_of) AS duplicate_of,
              ${GROUP_NAMES_SQL} AS group_names,
              (SELECT json_agg(json_build_object('id', d.id, 'trackingCode', d.tracking_code, 'status', d.status) ORDER BY d.received_at, d.id)
                 FROM cases d WHERE d.duplicate_of = c.id) AS duplicates
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
         LEFT JOIN officers op ON op.id = c.entered_by
        WHERE c.id = $1`,
      [id],
    );
    if (!r || !inScope(actor, r.unit_code) || actor.role === 'CITIZEN') throw new NotFoundError('case', id);
    const sees = seesContact(actor, r.unit_code);
    // Every unmasked read of a citizen's contact is recorded (who, when, which case).
    if (sees && actor.id && (r.citizen_name || r.citizen_phone || r.citizen_email)) {
      await this.reads.record(this.ds, actor.id, { id: r.id, phone: r.citizen_phone, email: r.citizen_email });
    }
    const text = textViewFor(actor, r.unit_code, [r.citizen_name, ...r.group_names]);
    const events = await selectRows<TimelineRow>(
      this.ds,
      `SELECT e.id::text AS id, e.occurred_at, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data, o.full_name, o.role,
              (SELECT json_object_agg(t.field, t.body) FROM audit_event_texts t WHERE t.event_id = e.id) AS texts
         FROM audit_events e
         LEFT JOIN officers o ON e.actor LIKE 'officer:%' AND o.id::text = substring(e.actor from 9)
        WHERE e.case_id = $1 ORDER BY e.id`,
      [id],
    );
    const messages = await selectRows<MessageRow>(
      this.ds,
      `SELECT id::text AS id, kind, author, body, attachments, created_at FROM case_messages WHERE case_id = $1 ORDER BY case_messages.id`,
      [id],
    );
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      ...summary(r, this.clock.now(), text),
      channel: r.channel_code,
      description: text(r.description),
      location: { address: text(r.address), wardCode: r.ward_code, areaCode: r.area_code, lat: r.lat, lng: r.lng },
      citizen: sees
        ? { name: r.citizen_name, phone: r.citizen_phone, email: r.citizen_email, masked: false }
        : { name: maskName(r.citizen_name), phone: maskPhone(r.citizen_phone), email: maskEmail(r.citizen_email), masked: true },
      enteredBy: r.entered_by ? { id: r.entered_by, name: r.entered_by_name } : null,
      attachments: attachmentsView(r.attachments, text),
      answer: text(r.answer),
      resolutionAttachments: attachmentsView(r.resolution_attachments, text),
      rating: r.rating,
      ratingComment: text(r.rating_comment),
      triageReason: r.triage_reason,
      routingRuleId: r.routing_rule_id,
      submittedAt: iso(r.submitted_at),
      acknowledgedAt: iso(r.acknowledged_at),
      resolvedAt: iso(r.resolved_at),
      closedAt: iso(r.closed_at),
      /** null for a case closed after its answer; 'other_track' for a complaint or denunciation sent elsewhere. */
      closedAs: r.closed_as,
      whereToGo: text(r.where_to_go),
      /** The original this case is linked or merged to (tracking code and state only), and the cases linked or merged to this one. */
      duplicateOf: r.duplicate_of,
      duplicates: r.duplicates ?? [],
      timeline: events
        .map((e) => ({ e, t: withTexts(e) }))
        .map(({ e, t }) => ({
          id: e.id,
          at: iso(e.occurred_at),
          actor: { ref: e.actor, name: e.full_name, role: e.role },
          action: e.action,
          from: e.from_state,
          to: e.to_state,
          reason: text(t.reason),
          data: viewData(t.data, text),
        })),
      messages: messages.map((m) => ({
        id: m.id,
        kind: m.kind,
        author: m.author,
        body: text(m.body),
        attachments: attachmentsView(m.attachments, text),
        at: iso(m.created_at),
      })),
    };
  }
}
