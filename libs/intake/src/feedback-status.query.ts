import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { maskContactsInText, normaliseTrackingCode, NotFoundError, officeContactsReadable } from '@fr/domain';
import { GROUP_CONTACTS_SQL, GROUP_NAMES_SQL, selectRow } from '@fr/persistence';

/**
 * What a citizen may see of a case: never personal data, internal notes or officers' names. The
 * texts officers wrote (the answer, a request for information, where to go) are shown with the phone
 * numbers and e-mail addresses in them masked, as Open311 and webhooks show them: the same view goes to
 * a hotline operator who did not take the call.
 */
export interface FeedbackStatusView {
  trackingCode: string;
  status: string;
  category: { code: string; name: string };
  unit: { code: string; name: string } | null;
  submittedAt: string;
  updatedAt: string;
  dueAt: string | null;
  answer: string | null;
  /** What the handler asked, while the case waits on the citizen. */
  infoRequest: { message: string; requestedAt: string } | null;
  rating: number | null;
  /** A complaint or denunciation closed as such: where the citizen should take it. */
  otherTrack: { whereToGo: string } | null;
  /** A report merged into another of the same problem: the case it joined, to follow there. */
  duplicateOf: { trackingCode: string; status: string } | null;
}

interface StatusRow {
  tracking_code: string;
  status: string;
  category_code: string;
  category_name: string;
  unit_code: string | null;
  unit_name: string | null;
  submitted_at: Date;
  updated_at: Date;
  answer: string | null;
  due_at: Date | null;
  rating: number | null;
  closed_as: 'other_track' | 'duplicate' | null;
  where_to_go: string | null;
  /** json_build_object: the timestamp arrives as text. */
  info_request: { message: string; requestedAt: string } | null;
  duplicate_of: { trackingCode: string; status: string } | null;
  /** Read to mask them in the answer and messages; never shown. */
  citizen_name: string | null;
  group_names: string[];
  /** The group's phones and e-mails (its own among them), read only to mask them in where to go; never shown. */
  group_contacts: { phone: string | null; email: string | null }[];
}

@Injectable()
export class GetFeedbackStatus {
  constructor(private readonly ds: DataSource) {}

  /**
   * Only the channel that brought the case in sees it: the tracking code is not a key for every
   * channel. `null` is the hotline's desk, which answers callers whatever channel they used.
   */
  async execute(channel: string | null, trackingCodeInput: string): Promise<FeedbackStatusView> {
    const code = normaliseTrackingCode(trackingCodeInput);
    if (!code) throw new NotFoundError('feedback', trackingCodeInput);
    const row = await selectRow<StatusRow>(
      this.ds,
      `SELECT c.tracking_code, c.status, c.category_code, cat.name AS category_name, c.unit_code, u.name AS unit_name,
              c.submitted_at, c.updated_at, c.answer, c.due_at, c.closed_as, c.where_to_go,
              -- The score of the answer shown: an answer given after the rating (a low one reopened the case) is not rated yet.
              CASE WHEN c.resolved_at > c.rated_at THEN NULL ELSE c.rating END AS rating,
              c.citizen_name, ${GROUP_NAMES_SQL} AS group_names, ${GROUP_CONTACTS_SQL} AS group_contacts,
              (SELECT json_build_object('message', m.body, 'requestedAt', m.created_at) FROM case_messages m
                WHERE m.case_id = c.id AND m.kind = 'info_request' ORDER BY m.id DESC LIMIT 1) AS info_request,
              (SELECT json_build_object('trackingCode', o.tracking_code, 'status', o.status) FROM cases o WHERE o.id = c.duplicate_of) AS duplicate_of
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        WHERE c.tracking_code = $1 AND ($2::text IS NULL OR c.channel_code = $2)`,
      [code, channel],
    );
    if (!row) throw new NotFoundError('feedback', code);
    // A tracking code is passed around (a family, a neighbour): the view names nobody, and a duplicate's
    // answer, its original's, does not name the original's citizen to this one.
    const names = [row.citizen_name, ...row.group_names];
    return {
      trackingCode: row.tracking_code,
      status: row.status,
      category: { code: row.category_code, name: row.category_name },
      unit: row.unit_code ? { code: row.unit_code, name: row.unit_name ?? row.unit_code } : null,
      submittedAt: new Date(row.submitted_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      dueAt: row.due_at ? new Date(row.due_at).toISOString() : null,
      answer: row.status === 'resolved' || row.status === 'closed' ? maskContactsInText(row.answer, names) : null,
      infoRequest:
        row.status === 'awaiting_info' && row.info_request
          ? { message: maskContactsInText(row.info_request.message, names), requestedAt: new Date(row.info_request.requestedAt).toISOString() }
          : null,
      rating: row.rating,
      // Written for the citizen about where to turn: the office's telephone and e-mail in it stay readable.
      otherTrack:
        row.closed_as === 'other_track' && row.where_to_go
          ? { whereToGo: maskContactsInText(row.where_to_go, names, officeContactsReadable(...row.group_contacts)) }
          : null,
      duplicateOf: row.duplicate_of,
    };
  }
}
