import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, RetentionPolicy } from '@fr/config';
import {
  ConflictError,
  isUuid,
  normalisePhone as normaliseCasePhone,
  normaliseTrackingCode,
  NotFoundError,
  personNameKey,
  samePersonName,
  ValidationError,
} from '@fr/domain';
import { Deliveries } from '@fr/notifications';
import { casesLockOrder, ContactCorrection, correctCaseContact, phoneLookupKey, selectRow, selectRows, Sql, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { caseKeyForms, NORMALISED_PHONE_SQL, normaliseEmail, normalisePhone, PHONE_DIGITS_SQL } from './contact-hash';
import { ContactReads } from './contact-reads';
import { ERASED_CONTACT_FIELDS, eraseContactDetails } from './erase-contact-details';
import { RETENTION_POLICY } from './retention-policy';

export const SUBJECT_REQUEST_KINDS = ['access', 'correct', 'delete'] as const;
export type SubjectRequestKind = (typeof SUBJECT_REQUEST_KINDS)[number];
export type SubjectRequestStatus = 'waiting_for_closure' | 'answered';

export interface SubjectRequestCommand {
  channel: string;
  kind: SubjectRequestKind;
  /** The channel asserts its signed-in user's phone or e-mail: the citizen is whoever the channel says. */
  phone?: string;
  email?: string;
  /** The signed-in user's name as the channel verified it: the cases of that name only, held now or before a correction (nameOf; refuseSeveralPeople). */
  name?: string;
  /** Narrows the request to these of the citizen's cases. */
  trackingCodes?: string[];
  corrections?: { name?: string; phone?: string; email?: string };
  /** The channel's own id of the request: the same again is the same request (a retry), nothing new recorded. */
  externalId?: string;
}

export interface HeldCase {
  trackingCode: string;
  status: string;
  category: string;
  submittedAt: string;
  closedAt: string | null;
  /** What is held about the citizen on this case. */
  contact: { name: string | null; formerNames: string[]; phone: string | null; email: string | null };
  /** What the citizen gave on this case, as held now (an erased text is empty or null). */
  provided: HeldTexts;
}

type HeldAttachment = { url: string; kind: string };

export interface HeldTexts {
  title: string | null;
  description: string;
  address: string | null;
  attachments: HeldAttachment[];
  ratingComment: string | null;
  /** The citizen's replies to the unit's requests for information. */
  replies: { at: string; body: string; attachments: HeldAttachment[] }[];
}

export interface ReadOfTheirData {
  trackingCode: string;
  readAt: string;
  /** Who read it, by office and role (officers' own names are theirs to keep). */
  unitCode: string | null;
  role: string;
}

export interface SubjectRequestView {
  id: string;
  kind: SubjectRequestKind;
  status: SubjectRequestStatus;
  receivedAt: string;
  dueAt: string;
  answeredAt: string | null;
  /** The cases the request covers. */
  trackingCodes: string[];
  /** A deletion's cases still open: erased when each closes. */
  waitingFor: string[];
  /** For a correction: the fields corrected; for a deletion: the fields erased. */
  fields: string[];
  /** An access request's answer (only to the channel, only while the data is held). */
  cases?: HeldCase[];
  reads?: ReadOfTheirData[];
}

interface RequestRow {
  id: string;
  channel_code: string;
  kind: SubjectRequestKind;
  status: SubjectRequestStatus;
  case_ids: string[];
  waiting_case_ids: string[];
  fields: string[];
  received_at: Date;
  due_at: Date;
  answered_at: Date | null;
  phone_hash: Buffer | null;
  /** The hashes of the phone's earlier forms, for the reads recorded before (null on requests made before). */
  earlier_phone_hashes: Buffer[] | null;
  email_hash: Buffer | null;
  request_key: Buffer | null;
}

interface CaseRow {
  id: string;
  tracking_code: string;
  status: string;
  category_code: string;
  submitted_at: Date;
  closed_at: Date | null;
  citizen_name: string | null;
  former_citizen_names: string[];
  citizen_phone: string | null;
  citizen_email: string | null;
}

interface HeldCaseRow extends CaseRow {
  title: string | null;
  description: string;
  address: string | null;
  attachments: HeldAttachment[] | null;
  rating_comment: string | null;
  replies: { at: string; body: string; attachments: HeldAttachment[] | null }[];
}

const HOUR_MS = 3_600_000;
/** Deliveries of a request's outcome to its channel: `privacy-request.<id>.<state>`. */
export const PRIVACY_DELIVERY_KIND = 'privacy-request';
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * A citizen's requests about their personal data, through the channel that brought their cases in
 * (Law 91/2025/QH15 art. 4 cl. 1 c-d: access, correction, deletion; art. 13-14; Decree 356/2025/NĐ-CP).
 * Each is recorded with its deadline (config/retention.yaml) and an audit event without the data.
 * A deletion erases the closed cases at once; the open ones wait, and are erased in the transaction
 * that closes them (ActOnCase calls `onCaseClosed`), which then answers the request.
 */
@Injectable()
export class SubjectRequests implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly reads: ContactReads,
    private readonly deliveries: Deliveries,
    @Inject(RETENTION_POLICY) private readonly policy: RetentionPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * What the channel's webhook is told of a request (it waits for cases to close; it is answered): ids,
   * tracking codes and states, nothing personal. The key is `<request id>.<state>`.
   */
  onModuleInit(): void {
    this.deliveries.registerPayload(PRIVACY_DELIVERY_KIND, async (key, db) => {
      const id = key.slice(0, key.indexOf('.'));
      const row = await selectRow<RequestRow>(db, `SELECT ${COLUMNS} FROM privacy_requests WHERE id = $1`, [id]);
      if (!row) throw new Error(`privacy request ${id} not found`);
      const v = this.base(row, await this.codes(db, [...row.case_ids, ...row.waiting_case_ids]));
      const title = v.status === 'answered' ? 'Yêu cầu về dữ liệu cá nhân đã được thực hiện' : 'Yêu cầu xóa dữ liệu cá nhân đang chờ hồ sơ kết thúc';
      const body =
        v.status === 'answered'
          ? `Yêu cầu ${v.kind} đã được thực hiện lúc ${v.answeredAt}.`
          : `Dữ liệu sẽ được xóa khi các hồ sơ ${v.waitingFor.join(', ')} kết thúc.`;
      return {
        event: 'privacy.request' as const,
        title,
        body,
        requestId: v.id,
        kind: v.kind,
        status: v.status,
        trackingCodes: v.trackingCodes,
        waitingFor: v.waitingFor,
        answeredAt: v.answeredAt,
      };
    });
  }

  /**
   * Tells the webhooks admins subscribed to `privacy.request`, and the request's channel (its status
   * webhook, when it has one, and unless it had the answer in its own 201), that the request waits or was
   * answered. The admins' webhooks were told only when the channel had a webhook: a request through a
   * channel without one, or answered at once, reached no one who follows them.
   */
  private async tell(m: EntityManager, r: { id: string; channel_code: string }, state: SubjectRequestStatus, toChannel = true): Promise<void> {
    const hooked =
      toChannel && (await selectRow<{ code: string }>(m, `SELECT code FROM channels WHERE code = $1 AND webhook_url IS NOT NULL`, [r.channel_code]));
    await this.deliveries.announce(m, { event: 'privacy.request', key: `${PRIVACY_DELIVERY_KIND}.${r.id}.${state}`, channels: hooked ? [r.channel_code] : [] });
  }

  /** `created` is false when the channel had already sent this externalId: its request is the answer. */
  submit(cmd: SubjectRequestCommand): Promise<{ request: SubjectRequestView; created: boolean }> {
    if (!cmd.phone && !cmd.email) throw new ValidationError('phone or email is required: whose data the request is about', ['phone', 'email']);
    // A code that is not one was dropped without a word, and the request answered for the rest. (A
    // well-formed code of no case of the citizen's still narrows to nothing: saying so would tell the
    // caller that someone else's case exists.)
    const malformed = [...new Set((cmd.trackingCodes ?? []).filter((t) => normaliseTrackingCode(t) === null))];
    if (malformed.length) {
      throw new ValidationError(
        `trackingCodes holds ${malformed.length === 1 ? 'a value that is not a tracking code' : `${malformed.length} values that are not tracking codes`} (XXXXX-XXXXX): ${malformed
          .slice(0, 5)
          .map((t) => `'${t.slice(0, 20)}'`)
          .join(', ')}`,
        ['trackingCodes'],
      );
    }
    if (cmd.kind !== 'correct' && cmd.corrections !== undefined) {
      throw new ValidationError(`corrections go with kind 'correct' only; a${cmd.kind === 'access' ? 'n' : ''} '${cmd.kind}' request changes nothing held`, [
        'corrections',
      ]);
    }
    // A name of no letter ("-", "?", accents over nothing) names nobody: as the requester's name it would
    // match every other such name on the phone, and held as a case's name it would be no name at all.
    if (cmd.name !== undefined && personNameKey(cmd.name) === null) {
      throw new ValidationError("name holds no letter: give the requester's name as the channel verified it", ['name']);
    }
    const correctedName = cmd.corrections?.name;
    if (typeof correctedName === 'string' && correctedName.trim() !== '' && personNameKey(correctedName) === null) {
      throw new ValidationError('corrections.name holds no letter: give the name to hold instead', ['corrections.name']);
    }
    if (cmd.kind === 'correct' && !Object.values(cmd.corrections ?? {}).some((v) => typeof v === 'string' && v.trim() !== '')) {
      throw new ValidationError(
        cmd.corrections
          ? 'corrections holds no name, phone or email that is not blank: give at least one to hold instead'
          : 'corrections is required for a correction: the name, phone or email to hold instead',
        ['corrections'],
      );
    }
    return this.inRequestTransaction(async (m) => {
      if (cmd.externalId !== undefined) {
        // Retries of one request at once queue here: the first records it, the others then find it. (The
        // unique index stands behind this; checked after the erasures, a race would have done them twice.)
        // Locked and found by the id's keyed hash: the id itself is kept nowhere (it may be the caller's number).
        const key = this.reads.externalIdHash(cmd.channel, cmd.externalId);
        await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`privacy_request:${cmd.channel}:${key.toString('hex')}`]);
        const existing = await selectRow<RequestRow>(m, `SELECT ${COLUMNS} FROM privacy_requests WHERE channel_code = $1 AND external_key = $2`, [
          cmd.channel,
          key,
        ]);
        if (existing) {
          // Only the same request is a retry. Another under a reused id (a per-user counter, a reset) was answered
          // with the first: its citizen's contact and cases went to someone else, and their own request was not made.
          if (!this.sameRequest(existing, cmd)) {
            throw new ConflictError(
              `externalId '${cmd.externalId.slice(0, 40)}' was sent before with another request (kind, phone, email, name, trackingCodes or corrections differ): a retry sends the same request; give a new request its own externalId`,
            );
          }
          return { request: await this.view(m, existing), created: false };
        }
      }
      const now = this.clock.now();
      const all = await this.casesOf(m, cmd);
      // Judged on every case the phone or e-mail reaches, before trackingCodes narrows them: a code is no
      // proof of whose case it is (Open311's public reads list them all).
      refuseSeveralPeople(all, cmd);
      const wanted = cmd.trackingCodes?.length ? new Set(cmd.trackingCodes.map((t) => normaliseTrackingCode(t) ?? t)) : null;
      const cases = wanted ? all.filter((c) => wanted.has(c.tracking_code)) : all;
      const ids = cases.map((c) => c.id);
      let waiting: string[] = [];
      let fields: string[] = [];
      if (cmd.kind === 'correct') fields = await this.correct(m, ids, cmd.corrections!, now);
      if (cmd.kind === 'delete') {
        const closed = cases.filter((c) => c.closed_at !== null).map((c) => c.id);
        waiting = cases.filter((c) => c.closed_at === null).map((c) => c.id);
        fields = [...ERASED_CONTACT_FIELDS, ...this.policy.freeText];
        const row = await this.insert(m, cmd, ids, waiting, fields, now);
        await eraseContactDetails(m, closed, this.policy, `channel:${cmd.channel}`, { kind: 'subject_request', requestId: row.id }, now);
        return { request: await this.view(m, row), created: true };
      }
      const row = await this.insert(m, cmd, ids, waiting, fields, now);
      return { request: await this.view(m, row), created: true };
    });
  }

  /** A request's transaction: run again from its start when casesOf held a case before its original (CaseLockedBeforeItsOriginal). */
  private async inRequestTransaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    for (let run = 1; ; run++) {
      try {
        return await this.ds.transaction(work);
      } catch (e) {
        if (!(e instanceof CaseLockedBeforeItsOriginal) || run >= REQUEST_RUNS) throw e;
      }
    }
  }

  /**
   * Whether `cmd` asks what `r` asked, about the same phone and e-mail (compared by their keyed hashes, so
   * written either way; a request recorded before holds the hash of an earlier form of the number).
   */
  private sameRequest(r: RequestRow, cmd: SubjectRequestCommand): boolean {
    const same = (held: Buffer | null, kind: 'phone' | 'email', value: string | undefined) =>
      held === null ? !value : !!value && this.reads.hashes(kind, value).some((h) => held.equals(h));
    return (
      r.kind === cmd.kind &&
      same(r.phone_hash, 'phone', cmd.phone) &&
      same(r.email_hash, 'email', cmd.email) &&
      (r.request_key === null || r.request_key.equals(this.requestKey(cmd)))
    );
  }

  /**
   * The rest of what a request asks, keyed: the requester's name (as names are compared: any case, with or
   * without diacritics), the tracking codes it is narrowed to and the corrections. The same phone naming
   * another person is another request, whose answer is another person's data.
   */
  private requestKey(cmd: SubjectRequestCommand): Buffer {
    const text = (v: string | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.normalize('NFC').trim() : null);
    const codes = [...new Set((cmd.trackingCodes ?? []).map((t) => normaliseTrackingCode(t) ?? t))].sort();
    const c = cmd.corrections;
    return this.reads.requestHash(
      JSON.stringify([
        cmd.name === undefined ? null : personNameKey(cmd.name),
        codes,
        c ? [text(c.name), c.phone ? normaliseCasePhone(c.phone) : null, text(c.email)?.toLowerCase() ?? null] : null,
      ]),
    );
  }

  /** Whether the channel already made a request under this externalId (a retry). */
  async made(channel: string, externalId: string): Promise<boolean> {
    const row = await selectRow<{ one: number }>(this.ds, `SELECT 1 AS one FROM privacy_requests WHERE channel_code = $1 AND external_key = $2`, [
      channel,
      this.reads.externalIdHash(channel, externalId),
    ]);
    return row !== undefined;
  }

  /** The request as its channel sees it; another channel's request is not found. */
  async get(channel: string, id: string): Promise<SubjectRequestView> {
    if (!isUuid(id)) throw new NotFoundError('privacy request', id);
    const row = await selectRow<RequestRow>(this.ds, `SELECT ${COLUMNS} FROM privacy_requests WHERE id = $1 AND channel_code = $2`, [id, channel]);
    if (!row) throw new NotFoundError('privacy request', id);
    return this.view(this.ds, row);
  }

  /** Every request, newest first, for supervisors: kinds, states and deadlines, nothing personal. */
  async list(limit = 200): Promise<(Omit<SubjectRequestView, 'cases' | 'reads'> & { channel: string; overdue: boolean })[]> {
    const rows = await selectRows<RequestRow>(this.ds, `SELECT ${COLUMNS} FROM privacy_requests ORDER BY received_at DESC, id LIMIT $1`, [limit]);
    const codes = await this.codes(
      this.ds,
      rows.flatMap((r) => r.case_ids),
    );
    const now = this.clock.now();
    return rows.map((r) => ({
      ...this.base(r, codes),
      channel: r.channel_code,
      overdue: r.answered_at === null && now >= new Date(r.due_at),
    }));
  }

  /** In the transaction that closes a case: the deletions waiting for it erase it, and are answered once none waits. */
  async onCaseClosed(m: EntityManager, caseId: string): Promise<void> {
    const waiting = await selectRows<RequestRow>(
      m,
      `SELECT ${COLUMNS} FROM privacy_requests WHERE status = 'waiting_for_closure' AND waiting_case_ids @> ARRAY[$1::uuid] ORDER BY id FOR UPDATE`,
      [caseId],
    );
    const now = this.clock.now();
    for (const r of waiting) {
      await eraseContactDetails(m, [caseId], this.policy, `channel:${r.channel_code}`, { kind: 'subject_request', requestId: r.id }, now);
      const left = r.waiting_case_ids.filter((id) => id !== caseId);
      await selectRows(m, `UPDATE privacy_requests SET waiting_case_ids = $2, status = $3, answered_at = $4 WHERE id = $1 RETURNING id`, [
        r.id,
        left,
        left.length ? 'waiting_for_closure' : 'answered',
        left.length ? null : now,
      ]);
      if (!left.length) {
        await this.audit(m, r.channel_code, 'privacy_request_answered', { requestId: r.id, kind: r.kind });
        await this.tell(m, r, 'answered');
      }
    }
  }

  /**
   * The citizen's cases from this channel still holding contact details, by phone or e-mail address
   * (a citizen who changed numbers has older cases under the same address), maybe narrowed by tracking
   * code; with the requester's name, the cases of that name only (held now or before a correction: nameOf).
   * Whether they are one person's is refuseSeveralPeople's to say.
   */
  private async casesOf(m: EntityManager, cmd: SubjectRequestCommand): Promise<CaseRow[]> {
    const params: unknown[] = [cmd.channel];
    const who: string[] = [];
    if (cmd.phone) {
      // Read as the domain reads it, on both sides: '+84 (0)912…', '912…' and '0912…' are one number.
      params.push(normalisePhone(cmd.phone));
      const number = `$${params.length}`;
      params.push(caseKeyForms(cmd.phone).map((form) => phoneLookupKey(this.config.phoneKeySecret, form)));
      // By key, because the normalising expression alone was evaluated on every case of the channel (1 s
      // at 60,000 of them): a case keyed under any form the number had is found through the key's index,
      // the cases without a key through cases_keyless_phone_idx (stored before migration HotlineOperators
      // added the key, which no migration could fill: its secret is the deployment's; or a phone the
      // domain reads as no number), first by their last 8 digits (a tenth of the expression's cost).
      // Each is still compared as the number reads now: a key of an earlier form may be another number's
      // now ('00912…' written so).
      who.push(
        `((c.citizen_phone_key = ANY($${params.length}::bpchar[])
           OR (c.citizen_phone_key IS NULL AND c.citizen_phone IS NOT NULL AND right(${PHONE_DIGITS_SQL('c.citizen_phone')}, 8) = right(${number}, 8)))
          AND ${NORMALISED_PHONE_SQL('c.citizen_phone')} = ${number})`,
      );
    }
    if (cmd.email) {
      params.push(normaliseEmail(cmd.email));
      who.push(`lower(c.citizen_email) = $${params.length}`);
    }
    const mine = `c.channel_code = $1 AND c.contact_erased_at IS NULL AND (${who.join(' OR ')})`;
    let rows: (CaseRow & { mine: boolean; late?: boolean })[];
    const writesGroup = groupWrittenFor(cmd);
    if (writesGroup === null) {
      // An access request writes nothing: read unlocked, it neither waits for an officer acting on the
      // citizen's cases (or their originals) nor makes them wait for it.
      rows = await selectRows(m, `SELECT ${CASE_COLUMNS}, true AS mine FROM cases c WHERE ${mine} ORDER BY c.id`, params);
    } else {
      // Locked: a deletion erases the closed ones and waits for the open ones, which it holds until it
      // commits (lockCaseToAct); a correction writes them. With them, the groups whose answers the request
      // rewrites (maskNameInKeptText masks the citizen's name in the answers of the case's original and of
      // every case linked to that original, or to the citizen's case: other citizens' cases, which an officer
      // acting on them waits for this transaction to let go), all in this one statement, in the order every
      // writer of several cases takes (casesLockOrder; case-erasure-locks.ts). The group's other cases
      // used to be left to the writes: a correction held the citizen's case and waited for another case of
      // the group, which a designation change held while it waited for the citizen's case (a deadlock), or
      // which an officer answered again meanwhile, the correction then writing the masked old answer over
      // the new one. And the originals used to come first by this statement's own reckoning, even one
      // linked itself (a chain's middle case), which a designation change locks after the cases linked to
      // none. Only the groups written: every case's used to be locked, an open one's that a deletion only waits
      // for too, and a note on another citizen's case waited for the request. `mine` is judged on the row
      // as locked: a case erased or changed while this waited for it is left out. `late`: one whose group
      // is written, as locked, but whose original was not locked first (it closed, or was linked elsewhere,
      // meanwhile).
      const writes = GROUP_WRITTEN[writesGroup];
      rows = await selectRows(
        m,
        `WITH mine AS MATERIALIZED (SELECT c.id, c.duplicate_of, ${writes} AS writes FROM cases c WHERE ${mine}),
              originals AS MATERIALIZED (SELECT duplicate_of AS id FROM mine WHERE writes AND duplicate_of IS NOT NULL),
              groups AS MATERIALIZED (SELECT COALESCE(duplicate_of, id) AS id FROM mine WHERE writes),
              members AS MATERIALIZED (SELECT g.id FROM cases g WHERE g.duplicate_of IN (SELECT id FROM groups))
         SELECT ${CASE_COLUMNS}, ${mine} AS mine,
                ${writes} AND c.duplicate_of IS NOT NULL AND c.duplicate_of NOT IN (SELECT id FROM originals) AS late
           FROM cases c
          WHERE c.id IN (SELECT id FROM mine UNION SELECT id FROM originals UNION SELECT id FROM members)
          ORDER BY ${casesLockOrder('c')} FOR NO KEY UPDATE OF c`,
        params,
      );
      const late = rows.find((r) => r.mine && r.late);
      if (late) throw new CaseLockedBeforeItsOriginal(late.id);
    }
    const at = (r: CaseRow) => new Date(r.submitted_at).getTime();
    const named = cmd.name === undefined ? null : cmd.name;
    const reached = rows.filter((r) => r.mine).map(({ mine: _, late: __, ...r }) => ({ row: r, name: nameOf(r, named) }));
    // The current names of the cases not of the requester's name: a case that held the requester's name
    // before a correction gave it one of these is that person's (the son corrected the hotline's slip to
    // his father's name, which the father's own cases hold), not the requester's.
    const others = reached.filter((c) => c.name.as === 'other').map((c) => c.name.now);
    const another = (now: string | null) => others.some((o) => (o === null || now === null ? o === now : samePersonName(o, now)));
    return reached
      .filter(({ name }) => name.as === 'any' || name.as === 'now' || (name.as === 'before' && !another(name.now)))
      .map((c) => c.row)
      .sort((a, b) => at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The cases with what the citizen gave on each: the texts they wrote (where a name, an address or a
   * phone number is held too) are data held about them as much as the contact fields are.
   */
  private casesByIds(db: Sql, ids: string[]): Promise<HeldCaseRow[]> {
    return selectRows<HeldCaseRow>(
      db,
      `SELECT ${CASE_COLUMNS}, c.title, c.description, c.address, c.attachments, c.rating_comment,
              COALESCE((SELECT json_agg(json_build_object('at', m.created_at, 'body', m.body, 'attachments', m.attachments) ORDER BY m.id)
                          FROM case_messages m WHERE m.case_id = c.id AND m.kind = 'info_reply'), '[]') AS replies
         FROM cases c WHERE c.id = ANY($1::uuid[]) ORDER BY c.submitted_at, c.id`,
      [ids],
    );
  }

  private async correct(m: EntityManager, ids: string[], c: NonNullable<SubjectRequestCommand['corrections']>, now: Date): Promise<string[]> {
    const correction: ContactCorrection = {};
    const fields: string[] = [];
    for (const field of ['name', 'phone', 'email'] as const) {
      const v = c[field];
      if (typeof v !== 'string' || v.trim() === '') continue;
      correction[field] = v.trim().normalize('NFC');
      fields.push(field);
    }
    if (correction.phone !== undefined) {
      const normalised = normaliseCasePhone(correction.phone);
      correction.phoneKey = normalised === null ? null : phoneLookupKey(this.config.phoneKeySecret, normalised);
    }
    if (ids.length) {
      for (const r of await correctCaseContact(m, ids, correction)) {
        await writeAuditEvent(m, {
          caseId: r.id,
          actor: 'system:privacy',
          action: 'contact_corrected',
          fromState: r.status,
          toState: r.status,
          data: { fields, at: now.toISOString() },
        });
      }
    }
    return fields;
  }

  private async insert(m: EntityManager, cmd: SubjectRequestCommand, ids: string[], waiting: string[], fields: string[], now: Date): Promise<RequestRow> {
    const answered = waiting.length === 0;
    const row = await selectRow<RequestRow>(
      m,
      `INSERT INTO privacy_requests (channel_code, kind, status, phone_hash, email_hash, case_ids, waiting_case_ids, fields, received_at, due_at, answered_at, external_key, request_key, earlier_phone_hashes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${COLUMNS}`,
      [
        cmd.channel,
        cmd.kind,
        answered ? 'answered' : 'waiting_for_closure',
        cmd.phone ? this.reads.hash('phone', cmd.phone) : null,
        cmd.email ? this.reads.hash('email', cmd.email) : null,
        ids,
        waiting,
        fields,
        now,
        new Date(now.getTime() + this.policy.subjectRequestHours[cmd.kind] * HOUR_MS),
        answered ? now : null,
        cmd.externalId === undefined ? null : this.reads.externalIdHash(cmd.channel, cmd.externalId),
        cmd.externalId === undefined ? null : this.requestKey(cmd),
        cmd.phone ? this.reads.hashes('phone', cmd.phone).slice(1) : null,
      ],
    );
    await this.audit(m, cmd.channel, 'privacy_request_received', { requestId: row!.id, kind: cmd.kind, cases: ids.length, waiting: waiting.length });
    if (answered) {
      await this.audit(m, cmd.channel, 'privacy_request_answered', { requestId: row!.id, kind: cmd.kind });
      await this.tell(m, row!, 'answered', false);
    } else await this.tell(m, row!, 'waiting_for_closure');
    return row!;
  }

  private audit(m: EntityManager, channel: string, action: string, data: Record<string, unknown>): Promise<string> {
    return writeAuditEvent(m, { caseId: null, actor: `channel:${channel}`, action, data });
  }

  private async codes(db: Sql, ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await selectRows<{ id: string; tracking_code: string }>(db, `SELECT id::text AS id, tracking_code FROM cases WHERE id = ANY($1::uuid[])`, [
      [...new Set(ids)],
    ]);
    return new Map(rows.map((r) => [r.id, r.tracking_code]));
  }

  private base(r: RequestRow, codes: Map<string, string>): Omit<SubjectRequestView, 'cases' | 'reads'> {
    return {
      id: r.id,
      kind: r.kind,
      status: r.status,
      receivedAt: iso(r.received_at)!,
      dueAt: iso(r.due_at)!,
      answeredAt: iso(r.answered_at),
      trackingCodes: r.case_ids.map((id) => codes.get(id) ?? id),
      waitingFor: r.waiting_case_ids.map((id) => codes.get(id) ?? id),
      fields: r.fields,
    };
  }

  private async view(db: Sql, r: RequestRow): Promise<SubjectRequestView> {
    const codes = await this.codes(db, [...r.case_ids, ...r.waiting_case_ids]);
    const v = this.base(r, codes);
    if (r.kind !== 'access') return v;
    const cases = await this.casesByIds(db, r.case_ids);
    // Reads of this channel's cases only, erased ones included (found by the keyed hash, or one of its
    // number's earlier forms for reads recorded before): another channel's cases are not this channel's to reveal.
    const reads = await selectRows<{ tracking_code: string; read_at: Date; unit_code: string | null; role: string }>(
      db,
      `SELECT c.tracking_code, x.read_at, o.unit_code, o.role
         FROM contact_reads x JOIN cases c ON c.id = x.case_id JOIN officers o ON o.id = x.officer_id
        WHERE c.channel_code = $4 AND (x.case_id = ANY($1::uuid[]) OR x.phone_hash = $2 OR x.email_hash = $3 OR x.phone_hash = ANY($5::bytea[]))
        ORDER BY x.read_at, x.id`,
      [r.case_ids, r.phone_hash, r.email_hash, r.channel_code, r.earlier_phone_hashes ?? []],
    );
    return {
      ...v,
      cases: cases.map((c) => ({
        trackingCode: c.tracking_code,
        status: c.status,
        category: c.category_code,
        submittedAt: iso(c.submitted_at)!,
        closedAt: iso(c.closed_at),
        contact: { name: c.citizen_name, formerNames: c.former_citizen_names, phone: c.citizen_phone, email: c.citizen_email },
        provided: {
          title: c.title,
          description: c.description,
          address: c.address,
          attachments: c.attachments ?? [],
          ratingComment: c.rating_comment,
          replies: c.replies.map((m) => ({ at: new Date(m.at).toISOString(), body: m.body, attachments: m.attachments ?? [] })),
        },
      })),
      reads: reads.map((x) => ({ trackingCode: x.tracking_code, readAt: iso(x.read_at)!, unitCode: x.unit_code, role: x.role })),
    };
  }
}

/** Which of the citizen's cases have their group written (its other answers masked) by a request, as SQL over `c`. */
type GroupWritten = 'closed' | 'all' | 'none';
const GROUP_WRITTEN: Record<GroupWritten, string> = { closed: 'c.closed_at IS NOT NULL', all: 'true', none: 'false' };

/**
 * What a request writes of its citizen's cases' groups: a deletion erases the closed cases now (their
 * groups' answers masked); a correction of the name masks the old one in every case's group, one of the
 * phone or e-mail writes the cases alone. Null: nothing is written (access), no case is locked.
 */
function groupWrittenFor(cmd: SubjectRequestCommand): GroupWritten | null {
  if (cmd.kind === 'delete') return 'closed';
  if (cmd.kind !== 'correct') return null;
  const name = cmd.corrections?.name;
  return typeof name === 'string' && name.trim() !== '' ? 'all' : 'none';
}

/**
 * casesOf held a case of the citizen's whose group the request writes without its original: the case
 * closed, or was linked to another original, while casesOf waited for it. The transaction starts again
 * (submit), its snapshot seeing the case as it is now, and locks the original first.
 */
class CaseLockedBeforeItsOriginal extends Error {
  constructor(readonly caseId: string) {
    super(`case ${caseId} was locked before its original, whose group the request writes: the request starts again`);
  }
}

/** Runs of a request's transaction that CaseLockedBeforeItsOriginal may end: the second sees the case as it is; a third is margin. */
const REQUEST_RUNS = 3;

const COLUMNS = `id::text AS id, channel_code, kind, status, case_ids::text[] AS case_ids, waiting_case_ids::text[] AS waiting_case_ids, fields,
  received_at, due_at, answered_at, phone_hash, earlier_phone_hashes, email_hash, request_key`;
/**
 * How a case found by the requester's phone or e-mail bears their name (`named`, a personNameKey; null when
 * the request gave none: 'any'): the one it holds ('now'), one it held before a correction ('before'), or
 * neither ('other'); `now` is the key of the name it holds. A citizen who changed their name, or whose name
 * was mistyped and corrected, may ask by the name they gave on the cases (their channel's profile may still
 * hold it): matching the current one only, the corrected cases were answered as none of theirs. Only the
 * name is matched so: the channel and the phone or e-mail still select the cases first, exactly as without a
 * name, so a former name brings in no case the phone or e-mail did not reach; and casesOf leaves out a case
 * whose current name another of those cases holds without the requester's (another person's, then).
 */
function nameOf(c: CaseRow, named: string | null): { as: 'any' | 'now' | 'before' | 'other'; now: string | null } {
  const now = personNameKey(c.citizen_name) === null ? null : c.citizen_name;
  if (named === null) return { as: 'any', now };
  if (samePersonName(now, named)) return { as: 'now', now };
  return { as: c.former_citizen_names.some((n) => samePersonName(n, named)) ? 'before' : 'other', now };
}

/**
 * A family's one phone (or a shared e-mail address) is on cases of different people: a request by it
 * alone would show the others' names and cases, overwrite their names or erase their contacts. With
 * more than one name among the cases found, or a case without a name beside named ones (whose is it?),
 * the channel gives its user's name as it verified it, and only that name's cases are taken. Tracking
 * codes do not tell people apart: Open311's public reads list every one. Names are compared as people
 * write them (any letter case, with or without diacritics).
 */
function refuseSeveralPeople(cases: readonly CaseRow[], cmd: SubjectRequestCommand): void {
  // With the name given, casesOf kept that name's cases only: a case holding it as a former name holds
  // another (current) one, and is the requester's all the same. A name without a letter narrowed nothing
  // (the API refuses one; a caller of this class might not), so the check still stands for it.
  const by = cmd.phone && cmd.email ? 'phone number and e-mail address are' : cmd.phone ? 'phone number is' : 'e-mail address is';
  if (cmd.name !== undefined && personNameKey(cmd.name) !== null) {
    // Typed without diacritics, the name is that of each case whose name folds alike ("Le Van Tu": "Lê Văn Tú"
    // and "Lê Văn Tư"), who may be two people: only the name with its diacritics tells whose cases are asked for.
    const holding = cases.flatMap((c) => (samePersonName(c.citizen_name, cmd.name) ? [c.citizen_name!] : []));
    if (holding.some((n) => holding.some((m) => !samePersonName(n, m)))) {
      throw new ConflictError(
        `the ${by} on the cases of more than one name that the name given, written without some of its diacritics, could be: give name with its diacritics as the channel verified it`,
      );
    }
    return;
  }
  // A name with no letter ("-", "张伟" folded to nothing before) counted neither as a name nor as none, so a
  // request by the phone alone took that person's cases along with the named one's.
  const names = cases.flatMap((c) => (personNameKey(c.citizen_name) === null ? [] : [c.citizen_name!]));
  const unnamed = cases.length - names.length;
  // Two names are two people unless they can be one (samePersonName): "Lê Văn Tú" and "Lê Văn Tư" folded alike.
  const several = names.some((n) => names.some((m) => !samePersonName(n, m)));
  if (several) {
    throw new ConflictError(`the ${by} on the cases of more than one name: give name, the requester's name as the channel verified it`);
  }
  if (names.length > 0 && unnamed > 0) {
    throw new ConflictError(
      `the ${by} on cases with a name and on cases without one, which may be someone else's: give name, the requester's name as the channel verified it`,
    );
  }
}

const CASE_COLUMNS = `c.id::text AS id, c.tracking_code, c.status, c.category_code, c.submitted_at, c.closed_at, c.citizen_name, c.former_citizen_names, c.citizen_phone, c.citizen_email`;
