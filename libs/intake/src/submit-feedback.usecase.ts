import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
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
import { AreaTable, AuditEventInput, insertReceivedCase, newCaseId, phoneLookupKey, readAreaTable, ReceivedCase, selectRow, selectRows } from '@fr/persistence';
import { jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Metrics } from '@fr/metrics';
import { RouteCase } from '@fr/routing';
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

/**
 * How long routing at intake waits for a lock (a unit held by a designation change, a likely original
 * the relay is routing) before the case is queued for the relay instead: the citizen's 202 does not
 * wait for the office's work. Without it the API's 5 s lock timeout would apply.
 */
export const ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS = 1000;

/** How far ahead of the server's clock a submission time may be and still count as a clock's drift. */
export const SUBMITTED_AHEAD_MS = 5 * 60_000;

/**
 * Stores a feedback case and routes it: either in one transaction with the routing (the case commits
 * assigned or in triage, or not at all), or, while enough submissions are routing already or when
 * routing fails, with the outbox row that queues its routing, in one statement: either both exist or
 * neither does, so no accepted feedback can miss the queue.
 */
@Injectable()
export class SubmitFeedback {
  private readonly logger = new Logger(SubmitFeedback.name);
  private categories: { at: number; byCode: Promise<Map<string, CategoryRow>> } | null = null;
  private areas: { at: number; table: Promise<AreaTable & { codes: Set<string> }> } | null = null;
  /** Submissions of this process routing in their own transaction now (config.routeAtIntake bounds it). */
  private routing = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly routeCase: RouteCase,
    private readonly metrics: Metrics,
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
        if (isTrackingCodeCollision(e) && attempt < 5) continue;
        throw e;
      }
    }
  }

  /**
   * Routes the case in the transaction that inserts it, when fewer than config.routeAtIntake
   * submissions of this process are doing so; otherwise, or if that fails, one statement outside any
   * transaction: the case, its routing job's outbox row and its `receive` event commit together (a
   * single statement is atomic), and the relay routes it. Either way, before the 202.
   *
   * Why route here: at a steady 200 events/s the relay made a pass for every 1.18 cases, and a pass
   * costs about 1 ms of PostgreSQL and 1.3 ms of the worker whatever it carries (bench, intake
   * scenario, 2 cores); send -> assigned p99 was 37 ms against the HTTP substrate's 14 ms, the
   * relay's wake-up and pass on top of the POST. Why bounded: under a backlog the relay's batches
   * (9 cases a pass in the closed loop) are cheaper a case than a transaction each, and many
   * transactions routing at once would share-lock the same unit rows. The figures before and after
   * are in the README (forty-third session). Its lock waits are bounded (ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS).
   */
  private async insert(cmd: SubmitFeedbackCommand, areaCode: string | null): Promise<SubmitFeedbackResult> {
    const trackingCode = generateTrackingCode(randomBytes);
    // The id is made here so the routing job's outbox row goes in the same statement as the case.
    const id = newCaseId();
    // Receipt starts the receive clock: it is the Clock's time, like every deadline after it.
    const receivedAt = this.clock.now();
    const phone = normalisePhone(cmd.citizen?.phone);
    const row: ReceivedCase = {
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
    };
    const event: AuditEventInput = {
      caseId: id,
      actor: cmd.operatorId ? `officer:${cmd.operatorId}` : `channel:${cmd.channel}`,
      action: 'receive',
      fromState: null,
      toState: 'received',
      data: { category: cmd.category, ...(cmd.operatorId ? { enteredBy: cmd.operatorId } : {}) },
      // The channel's id is the integrator's to make, and desks make it of the caller's number ("1022-0912…"):
      // chained in the data, it could never be erased. Kept aside like a person's text, erased with the contact.
      ...(cmd.externalId ? { texts: { externalId: cmd.externalId } } : {}),
    };
    let afterRouting = false;
    if (this.routing >= this.config.routeAtIntake) {
      if (this.config.routeAtIntake > 0) this.metrics.routedAtIntake.inc({ outcome: 'busy' });
    } else {
      this.routing++;
      try {
        const status = await this.ds.transaction(async (m) => {
          if (!(await insertReceivedCase(m, row, null, event, { lockTimeoutMs: ROUTE_AT_INTAKE_LOCK_TIMEOUT_MS }))) return null;
          const [routed] = await this.routeCase.executeManyIn(m, [id]);
          // Not routed here and no routing job: it would wait for the reconciler. Undone, and queued below.
          if (!routed.changed || !routed.decision) throw new Error('the case was not routed in its own transaction');
          return routed.decision.kind === 'assign' ? 'assigned' : 'triage';
        });
        if (status) {
          this.metrics.routedAtIntake.inc({ outcome: 'routed' });
          return { id, trackingCode, status, created: true };
        }
        return this.existing(cmd);
      } catch (e) {
        if (isTrackingCodeCollision(e)) throw e;
        afterRouting = true;
        this.metrics.routedAtIntake.inc({ outcome: 'failed' });
        // The code or constraint only: a driver's message may quote the row's values (a phone in an externalId).
        const err = e as { code?: string; constraint?: string; name?: string };
        this.logger.warn(`routing at intake failed (${err.constraint ?? err.code ?? err.name ?? 'error'}): the case is queued for the relay`);
      } finally {
        this.routing--;
      }
    }
    let created: boolean;
    try {
      created = await insertReceivedCase(
        this.ds.manager,
        row,
        { queue: QUEUE_OF[JobName.RouteCase], name: JobName.RouteCase, jobId: jobIdFor(JobName.RouteCase, { caseId: id }), payload: { caseId: id } },
        event,
      );
    } catch (e) {
      // A commit that failed on the way back (the connection lost) may have stored the routed case after all.
      if (!afterRouting || (e as { constraint?: string }).constraint !== 'cases_pkey') throw e;
      const stored = await selectRow<{ status: string }>(this.ds.manager, `SELECT status FROM cases WHERE id = $1`, [id]);
      if (!stored) throw e;
      return { id, trackingCode, status: stored.status, created: true };
    }
    if (!created) return this.existing(cmd);
    return { id, trackingCode, status: 'received', created: true };
  }

  /** The insert met the channel's externalId: that case is the answer, nothing new is stored. */
  private async existing(cmd: SubmitFeedbackCommand): Promise<SubmitFeedbackResult> {
    const existing = await selectRow<{ id: string; tracking_code: string; status: string; entered_by: string | null }>(
      this.ds.manager,
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
}

/** A tracking-code collision (50 random bits) is rare; the caller draws again. */
function isTrackingCodeCollision(e: unknown): boolean {
  return (e as { constraint?: string }).constraint === 'cases_tracking_code_key';
}
