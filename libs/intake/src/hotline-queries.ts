import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { earlierPhoneForms, maskEmail, maskName, maskPhone, normalisePhone, normaliseTrackingCode, NotFoundError, ValidationError } from '@fr/domain';
import { phoneLookupKey, selectRow, selectRows } from '@fr/persistence';
import { ContactReads } from '@fr/privacy';
import { FeedbackStatusView, GetFeedbackStatus } from './feedback-status.query';

/** A caller's case as the list shows it: no contact, no words of the case. */
export interface CallerCaseView {
  trackingCode: string;
  status: string;
  category: string;
  submittedAt: string;
}

export interface HotlineCaseView extends FeedbackStatusView {
  /** Whole for the operator who entered the call, masked for every other operator. */
  citizen: { name: string | null; phone: string | null; email: string | null; masked: boolean };
  enteredByMe: boolean;
}

/** A caller rarely has more open and recent cases than this; the list is for reading out, not paging. */
const CALLER_CASES_LIMIT = 50;

/** What a 1022 operator reads to a caller: their cases by phone, a case's status and answer. */
@Injectable()
export class HotlineQueries {
  constructor(
    private readonly ds: DataSource,
    private readonly status: GetFeedbackStatus,
    private readonly reads: ContactReads,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Exact match on the keyed hash of the normalised number: an index lookup, never a scan of phones. */
  async casesOfCaller(phone: string): Promise<CallerCaseView[]> {
    const normalised = normalisePhone(phone);
    if (normalised === null) throw new ValidationError('phone must be a phone number of 9 to 11 digits (a leading +84 is read as 0)', ['phone']);
    const rows = await selectRows<{ tracking_code: string; status: string; category_code: string; submitted_at: Date }>(
      this.ds,
      `SELECT tracking_code, status, category_code, submitted_at FROM cases
        WHERE citizen_phone_key = ANY($1::bpchar[]) ORDER BY received_at DESC, id LIMIT ${CALLER_CASES_LIMIT}`,
      // Cases stored before the national 0 was kept once hold the key of the number as it was written then.
      [[normalised, ...earlierPhoneForms(normalised)].map((form) => phoneLookupKey(this.config.phoneKeySecret, form))],
    );
    return rows.map((r) => ({
      trackingCode: r.tracking_code,
      status: r.status,
      category: r.category_code,
      submittedAt: new Date(r.submitted_at).toISOString(),
    }));
  }

  /** Status and answer as the citizen sees them, and the caller's contact for the operator who entered the call. */
  async caseFor(operatorId: string, trackingCode: string): Promise<HotlineCaseView> {
    const view = await this.status.execute(null, trackingCode);
    const row = await selectRow<{
      id: string;
      citizen_name: string | null;
      citizen_phone: string | null;
      citizen_email: string | null;
      entered_by: string | null;
    }>(this.ds, `SELECT id::text AS id, citizen_name, citizen_phone, citizen_email, entered_by FROM cases WHERE tracking_code = $1`, [
      normaliseTrackingCode(trackingCode),
    ]);
    if (!row) throw new NotFoundError('feedback', trackingCode);
    const mine = row.entered_by !== null && row.entered_by === operatorId.toLowerCase();
    // An unmasked contact is a read of personal data, recorded like the case view's.
    if (mine && (row.citizen_name || row.citizen_phone || row.citizen_email)) {
      await this.reads.record(this.ds, operatorId, { id: row.id, phone: row.citizen_phone, email: row.citizen_email });
    }
    return {
      ...view,
      enteredByMe: mine,
      citizen: mine
        ? { name: row.citizen_name, phone: row.citizen_phone, email: row.citizen_email, masked: false }
        : { name: maskName(row.citizen_name), phone: maskPhone(row.citizen_phone), email: maskEmail(row.citizen_email), masked: true },
    };
  }
}
