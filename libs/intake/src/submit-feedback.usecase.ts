import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { DataSource } from 'typeorm';
import {
  ConflictError,
  generateTrackingCode,
  nfc,
  normaliseAddress,
  normalisePhone,
  resolveArea,
  UnprocessableError,
  UnprocessableFieldError,
  ValidationError,
} from '@fr/domain';

export { UnprocessableFieldError };
import { AreaTable, insertReceivedCase, newCaseId, phoneLookupKey, readAreaTable, selectRow, selectRows } from '@fr/persistence';
import { jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Clock } from '@fr/sla';

export interface SubmitFeedbackCommand {
  channel: string;
  externalId?: string;
  category: string;
  title?: string;
  description: string;
  location: { address?: string; wardCode?: string; lat?: number; lng?: number };
  citizen?: { name?: string; phone?: string; email?: string };
  attachments?: { url: string; kind: string }[];
  submittedAt?: Date;
  /** The hotline operator who entered the call on the caller's behalf: named on the case and in its trail. */
  operatorId?: string;
}

export interface SubmitFeedbackResult {
  id: string;
  trackingCode: string;
  status: string;
  /** False when the channel had already sent this externalId: nothing new was stored. */
  created: boolean;
}

interface CategoryRow {
  code: string;
  accepted: boolean;
  refusal: string | null;
  active: boolean;
}
const CATEGORY_CACHE_MS = 5000;

/** A well-formed code that names nothing known. */
export class UnknownCodeError extends UnprocessableFieldError {
  override readonly name: string = 'UnknownCodeError';
}

const opt = (s: string | undefined) => (s === undefined || s === '' ? null : nfc(s));

/** How far ahead of the server's clock a submission time may be and still count as a clock's drift. */
export const SUBMITTED_AHEAD_MS = 5 * 60_000;

/**
 * Stores a feedback case and the outbox row that will queue its routing, in one transaction:
 * either both exist or neither does, so no accepted feedback can miss the queue.
 */
@Injectable()
export class SubmitFeedback {
  private categories: { at: number; byCode: Promise<Map<string, CategoryRow>> } | null = null;
  private areas: { at: number; table: Promise<AreaTable & { codes: Set<string> }> } | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Categories change rarely and every submission needs one: read them at most every few seconds. */
  private category(code: string): Promise<CategoryRow | undefined> {
    if (!this.categories || Date.now() - this.categories.at > CATEGORY_CACHE_MS) {
      const byCode = selectRows<CategoryRow>(this.ds, `SELECT code, accepted, refusal, active FROM categories`).then(
        (rows) => new Map(rows.map((r) => [r.code, r])),
      );
      this.categories = { at: Date.now(), byCode };
      byCode.catch(() => (this.categories = null));
    }
    return this.categories.byCode.then((m) => m.get(code));
  }

  /** The areas (their codes in upper case, as routing matches a wardCode); read like the categories. */
  private areaTable(): Promise<AreaTable & { codes: Set<string> }> {
    if (!this.areas || Date.now() - this.areas.at > CATEGORY_CACHE_MS) {
      const table = readAreaTable(this.ds).then((t) => ({ ...t, codes: new Set(t.areas.map((a) => a.code.toUpperCase())) }));
      this.areas = { at: Date.now(), table };
      table.catch(() => (this.areas = null));
    }
    return this.areas.table;
  }

  private async knownArea(code: string): Promise<boolean> {
    return (await this.areaTable()).codes.has(code.trim().toUpperCase());
  }

  /**
   * The area the case lies in, as routing will find it (resolveArea): the duplicate search compares
   * addresses within an area, so a report placed here is found by the next one at its address even
   * before it is routed, whether either named its ward by code, in the address, or not at all.
   */
  private async areaOf(location: SubmitFeedbackCommand['location']): Promise<string | null> {
    if (!location.address && !location.wardCode) return null;
    const { areas, district } = await this.areaTable();
    return resolveArea({ wardCode: location.wardCode, address: location.address && nfc(location.address) }, areas, { district }).areaCode;
  }

  async execute(cmd: SubmitFeedbackCommand): Promise<SubmitFeedbackResult> {
    // Half a point was stored (lat without lng): no map, distance or duplicate search can use it.
    if ((cmd.location.lat == null) !== (cmd.location.lng == null)) {
      throw new ValidationError('location.lat and location.lng go together: give both or neither', ['location.lat', 'location.lng']);
    }
    // A sender's clock a little ahead is forgiven (the time is then the receipt's); a time further
    // ahead would list the case under a day that has not come (Open311's requested_datetime, the
    // office's reports by submission date).
    if (cmd.submittedAt && cmd.submittedAt.getTime() > this.clock.now().getTime() + SUBMITTED_AHEAD_MS) {
      throw new UnprocessableFieldError(
        'submittedAt',
        `submittedAt ${cmd.submittedAt.toISOString()} is later than now (${this.clock.now().toISOString()}): the sender's clock is wrong; leave submittedAt out and the time of receipt is used`,
      );
    }
    const category = await this.category(cmd.category);
    if (!category || !category.active) {
      throw new UnknownCodeError('category', `category '${cmd.category}' is not a known category; GET /v1/categories lists them`);
    }
    if (!category.accepted) throw new UnprocessableError(`category '${cmd.category}': ${category.refusal}`);
    // An unknown ward is the channel's mistake, not the citizen's: refused here rather than left to triage.
    const ward = cmd.location.wardCode;
    if (ward && !(await this.knownArea(ward))) {
      throw new UnknownCodeError('location.wardCode', `location.wardCode '${ward}' is not a known area code; GET /v1/areas lists them`);
    }

    const areaCode = await this.areaOf(cmd.location);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.insert(cmd, areaCode);
      } catch (e) {
        // A tracking-code collision (50 random bits) is rare; draw again.
        if ((e as { constraint?: string }).constraint === 'cases_tracking_code_key' && attempt < 5) continue;
        throw e;
      }
    }
  }

  /**
   * One statement, outside any transaction: the case, its routing job's outbox row and its `receive`
   * event commit together (a single statement is atomic), before the 202.
   */
  private async insert(cmd: SubmitFeedbackCommand, areaCode: string | null): Promise<SubmitFeedbackResult> {
    const m = this.ds.manager;
    const trackingCode = generateTrackingCode(randomBytes);
    // The id is made here so the routing job's outbox row goes in the same statement as the case.
    const id = newCaseId();
    // Receipt starts the receive clock: it is the Clock's time, like every deadline after it.
    const receivedAt = this.clock.now();
    const phone = normalisePhone(cmd.citizen?.phone);
    const created = await insertReceivedCase(
      m,
      {
        id,
        trackingCode,
        channel: cmd.channel,
        externalId: opt(cmd.externalId),
        category: cmd.category,
        title: opt(cmd.title),
        description: nfc(cmd.description),
        address: opt(cmd.location.address),
        wardCode: opt(cmd.location.wardCode),
        lat: cmd.location.lat ?? null,
        lng: cmd.location.lng ?? null,
        citizenName: opt(cmd.citizen?.name),
        citizenPhone: opt(cmd.citizen?.phone),
        citizenEmail: opt(cmd.citizen?.email),
        attachments: cmd.attachments ?? [],
        submittedAt: cmd.submittedAt && cmd.submittedAt < receivedAt ? cmd.submittedAt : receivedAt,
        receivedAt,
        enteredBy: cmd.operatorId ?? null,
        citizenPhoneKey: phone === null ? null : phoneLookupKey(this.config.phoneKeySecret, phone),
        // The duplicate search's key, made once here rather than by every search.
        addressKey: normaliseAddress(opt(cmd.location.address)),
        areaCode,
      },
      { queue: QUEUE_OF[JobName.RouteCase], name: JobName.RouteCase, jobId: jobIdFor(JobName.RouteCase, { caseId: id }), payload: { caseId: id } },
      {
        caseId: id,
        actor: cmd.operatorId ? `officer:${cmd.operatorId}` : `channel:${cmd.channel}`,
        action: 'receive',
        fromState: null,
        toState: 'received',
        data: { category: cmd.category, ...(cmd.operatorId ? { enteredBy: cmd.operatorId } : {}) },
        // The channel's id is the integrator's to make, and desks make it of the caller's number ("1022-0912…"):
        // chained in the data, it could never be erased. Kept aside like a person's text, erased with the contact.
        ...(cmd.externalId ? { texts: { externalId: cmd.externalId } } : {}),
      },
    );
    if (!created) {
      // The insert met the channel's externalId: that case is the answer, nothing new is stored.
      const existing = await selectRow<{ id: string; tracking_code: string; status: string; entered_by: string | null }>(
        m,
        `SELECT id, tracking_code, status, entered_by FROM cases WHERE channel_code = $1 AND external_id = $2`,
        [cmd.channel, opt(cmd.externalId)],
      );
      // Without the externalId's value: this error is logged, and desks make the id of the caller's number.
      if (!existing) throw new Error(`a case of channel '${cmd.channel}' with the externalId given was neither inserted nor found`);
      // On the hotline a retry is the operator's own: another operator's call under the same id was
      // answered with the first caller's case, and the second caller's report was dropped unseen.
      if (cmd.operatorId && existing.entered_by?.toLowerCase() !== cmd.operatorId.toLowerCase()) {
        throw new ConflictError(
          `externalId '${cmd.externalId}' already names a call another operator entered: nothing was stored; give this call its own externalId`,
        );
      }
      return { id: existing.id, trackingCode: existing.tracking_code, status: existing.status, created: false };
    }
    return { id, trackingCode, status: 'received', created: true };
  }
}
