import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '@fr/sla';
import { isUuid, maskContactsInText, maskEmail, maskName, maskPhone, NotFoundError, ValidationError } from '@fr/domain';
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

const SUMMARY_COLUMNS = `
  c.id, c.tracking_code, c.status, c.category_code, cat.name AS category_name, c.unit_code, u.name AS unit_name,
  c.handler_id, c.leader_id, c.severity, c.title, c.stage, c.due_at, c.warn_at, c.version, c.received_at, c.updated_at,
  c.transfer_count, c.return_count, c.reopen_count, c.extension_count, COALESCE(c.due_at, 'infinity'::timestamptz) AS sort_due`;

/** How free text reaches a reader: whole for one with contact rights, with contacts masked otherwise. */
type TextView = (text: string | null) => string | null;
const WHOLE: TextView = (t) => t;
const textViewFor = (actor: CaseActor, unitCode: string | null): TextView => (seesContact(actor, unitCode) ? WHOLE : maskContactsInText);
/** The citizen's contact, in fields and in free text, is for a handler of the case's unit only. */
const seesContact = (actor: CaseActor, unitCode: string | null) => actor.role === 'HANDLER' && actor.unitCode === unitCode;

/** Every string inside an event's data (a note's text, a reason) through the same view. */
function viewData(v: unknown, text: TextView): unknown {
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => viewData(x, text));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, viewData(x, text)]));
  return v;
}

function summary(r: Record<string, any>, now: Date, text: TextView) {
  const due = r.due_at ? new Date(r.due_at) : null;
  const warn = r.warn_at ? new Date(r.warn_at) : null;
  return {
    id: r.id as string,
    trackingCode: r.tracking_code as string,
    status: r.status as string,
    category: { code: r.category_code as string, name: r.category_name as string },
    unit: r.unit_code ? { code: r.unit_code as string, name: r.unit_name as string } : null,
    handlerId: r.handler_id as string | null,
    leaderId: r.leader_id as string | null,
    severity: r.severity as string,
    title: text(r.title as string | null),
    stage: r.stage as string | null,
    dueAt: due?.toISOString() ?? null,
    atRisk: !!(warn && due && now >= warn && now < due),
    overdue: !!(due && now >= due),
    version: r.version as number,
    receivedAt: new Date(r.received_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    transferCount: r.transfer_count as number,
    returnCount: r.return_count as number,
    reopenCount: r.reopen_count as number,
    extensionCount: r.extension_count as number,
  };
}
export type CaseSummary = ReturnType<typeof summary>;

function encodeCursor(r: { sort_due: Date | number | string; id: string }): string {
  // pg reads the 'infinity' that sorts open-ended cases last as the number Infinity.
  const due = r.sort_due instanceof Date ? r.sort_due.toISOString() : 'infinity';
  return Buffer.from(JSON.stringify([due, r.id])).toString('base64url');
}


/** Only what encodeCursor makes: 'infinity' or an exact toISOString(), and a uuid. */
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
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
    if (f.unit) where.push(`c.unit_code = ${p(f.unit)}`);
    if (f.status?.length) where.push(`c.status = ANY(${p(f.status)})`);
    if (f.assigneeMe) where.push(`c.handler_id = ${p(actor.id)}`);
    // Overdue by the Clock, as the items' own `overdue` flags are.
    if (f.overdue) where.push(`c.due_at <= ${p(this.clock.now())}`);
    if (f.dueBefore) where.push(`c.due_at < ${p(f.dueBefore)}`);
    if (f.cursor) {
      const [due, id] = decodeCursor(f.cursor);
      where.push(`(COALESCE(c.due_at, 'infinity'::timestamptz), c.id) > (${p(due)}::timestamptz, ${p(id)}::uuid)`);
    }
    const rows = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY COALESCE(c.due_at, 'infinity'::timestamptz), c.id
        LIMIT ${p(f.limit + 1)}`,
      params,
    );
    const now = this.clock.now();
    const page = rows.slice(0, f.limit);
    return {
      items: page.map((r: Record<string, any>) => summary(r, now, textViewFor(actor, r.unit_code))),
      nextCursor: rows.length > f.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** One case with its timeline. The citizen's contact is shown only to a handler of the case's unit. */
  async get(actor: CaseActor, id: string) {
    const [r] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}, c.description, c.address, c.ward_code, c.area_code, c.lat, c.lng, c.citizen_name,
              c.citizen_phone, c.citizen_email, c.attachments, c.answer, c.resolution_attachments, c.rating, c.rating_comment,
              c.triage_reason, c.routing_rule_id, c.channel_code, c.acknowledged_at, c.resolved_at, c.closed_at, c.submitted_at
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        WHERE c.id = $1`,
      [id],
    );
    if (!r || !inScope(actor, r.unit_code) || actor.role === 'CITIZEN') throw new NotFoundError('case', id);
    const sees = seesContact(actor, r.unit_code);
    const text = textViewFor(actor, r.unit_code);
    const events = await this.ds.query(
      `SELECT e.id, e.occurred_at, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data, o.full_name, o.role
         FROM audit_events e
         LEFT JOIN officers o ON e.actor LIKE 'officer:%' AND o.id::text = substring(e.actor from 9)
        WHERE e.case_id = $1 ORDER BY e.id`,
      [id],
    );
    const messages = await this.ds.query(
      `SELECT id, kind, author, body, attachments, created_at FROM case_messages WHERE case_id = $1 ORDER BY id`,
      [id],
    );
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      ...summary(r, this.clock.now(), text),
      channel: r.channel_code as string,
      description: text(r.description as string),
      location: { address: r.address, wardCode: r.ward_code, areaCode: r.area_code, lat: r.lat, lng: r.lng },
      citizen: sees
        ? { name: r.citizen_name, phone: r.citizen_phone, email: r.citizen_email, masked: false }
        : { name: maskName(r.citizen_name), phone: maskPhone(r.citizen_phone), email: maskEmail(r.citizen_email), masked: true },
      attachments: r.attachments,
      answer: text(r.answer as string | null),
      resolutionAttachments: r.resolution_attachments,
      rating: r.rating as number | null,
      ratingComment: text(r.rating_comment as string | null),
      triageReason: r.triage_reason as string | null,
      routingRuleId: r.routing_rule_id as string | null,
      submittedAt: iso(r.submitted_at),
      acknowledgedAt: iso(r.acknowledged_at),
      resolvedAt: iso(r.resolved_at),
      closedAt: iso(r.closed_at),
      timeline: events.map((e: Record<string, any>) => ({
        id: String(e.id),
        at: iso(e.occurred_at),
        actor: { ref: e.actor as string, name: (e.full_name as string | null) ?? null, role: (e.role as string | null) ?? null },
        action: e.action as string,
        from: e.from_state as string | null,
        to: e.to_state as string | null,
        reason: text(e.reason as string | null),
        data: viewData(e.data, text),
      })),
      messages: messages.map((m: Record<string, any>) => ({
        id: String(m.id),
        kind: m.kind as string,
        author: m.author as string,
        body: text(m.body as string),
        attachments: m.attachments,
        at: iso(m.created_at),
      })),
    };
  }
}
