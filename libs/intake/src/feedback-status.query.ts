import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { normaliseTrackingCode, NotFoundError } from '@fr/domain';

/** What a citizen may see of a case: never personal data, internal notes or officers' names. */
export interface FeedbackStatusView {
  trackingCode: string;
  status: string;
  category: { code: string; name: string };
  unit: { code: string; name: string } | null;
  submittedAt: string;
  updatedAt: string;
  dueAt: string | null;
  answer: string | null;
}

@Injectable()
export class GetFeedbackStatus {
  constructor(private readonly ds: DataSource) {}

  async execute(trackingCodeInput: string): Promise<FeedbackStatusView> {
    const code = normaliseTrackingCode(trackingCodeInput);
    if (!code) throw new NotFoundError('feedback', trackingCodeInput);
    const [row] = await this.ds.query(
      `SELECT c.tracking_code, c.status, c.category_code, cat.name AS category_name, c.unit_code, u.name AS unit_name,
              c.submitted_at, c.updated_at, c.answer
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        WHERE c.tracking_code = $1`,
      [code],
    );
    if (!row) throw new NotFoundError('feedback', code);
    return {
      trackingCode: row.tracking_code,
      status: row.status,
      category: { code: row.category_code, name: row.category_name },
      unit: row.unit_code ? { code: row.unit_code, name: row.unit_name } : null,
      submittedAt: new Date(row.submitted_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      dueAt: null,
      answer: row.status === 'resolved' || row.status === 'closed' ? row.answer : null,
    };
  }
}
