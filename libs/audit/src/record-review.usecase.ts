import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConflictError, nfc, NotFoundError, NotPermittedError, UnprocessableError, ValidationError } from '@fr/domain';
import { selectRow, selectRows, writeAuditEvent } from '@fr/persistence';

/** DOMAIN.md's rubric; each criterion 0 = no, 1 = partly, 2 = yes. */
export const REVIEW_CRITERIA = ['addressesIssue', 'evidence', 'lawful', 'politeClear'] as const;
export type ReviewCriterion = (typeof REVIEW_CRITERIA)[number];
export type ReviewScores = Record<ReviewCriterion, number>;
export const REVIEW_MAX_SCORE = 2;
/** The shortest period of a draw whose cases may be reviewed. */
export const MIN_REVIEW_DRAW_DAYS = 7;

export interface RecordReviewCommand {
  reviewerId: string;
  caseId: string;
  scores: ReviewScores;
  comment: string;
}

export interface ReviewView {
  id: string;
  caseId: string;
  unitCode: string;
  reviewerId: string;
  scores: ReviewScores;
  total: number;
  comment: string;
  createdAt: string;
}

/**
 * A reviewer's scores for one closed case that a recorded sample drew, for the unit that answered it. The review row and its
 * audit event are written together; a review is final (one per case and reviewer).
 */
@Injectable()
export class RecordReview {
  constructor(private readonly ds: DataSource) {}

  execute(cmd: RecordReviewCommand): Promise<ReviewView> {
    for (const c of REVIEW_CRITERIA) {
      const v = cmd.scores?.[c];
      if (!Number.isInteger(v) || v < 0 || v > REVIEW_MAX_SCORE) {
        throw new ValidationError(`scores.${c} must be 0 (no), 1 (partly) or 2 (yes)`, [`scores.${c}`]);
      }
    }
    const comment = nfc(cmd.comment ?? '').trim();
    return this.ds.transaction(async (m) => {
      const c = await selectRow<{
        id: string;
        status: string;
        unit_code: string | null;
        closed_as: string | null;
        reviewer_held: boolean;
        drawn: boolean;
      }>(
        m,
        `SELECT c.id, c.status, c.unit_code, c.closed_as,
                EXISTS (SELECT 1 FROM officers o
                         WHERE o.id = $2 AND (o.unit_code = c.unit_code
                                OR EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.unit_code = o.unit_code AND a.reason NOT IN ('designation', 'triage'))))
                  AS reviewer_held,
                EXISTS (SELECT 1 FROM audit_sample_cases s JOIN audit_events d ON d.id = s.audit_event_id
                         WHERE s.case_id = c.id
                           AND (d.data->>'to')::timestamptz - (d.data->>'from')::timestamptz >= make_interval(days => $3)) AS drawn
           FROM cases c WHERE c.id = $1 FOR KEY SHARE OF c`,
        [cmd.caseId, cmd.reviewerId, MIN_REVIEW_DRAW_DAYS],
      );
      if (!c) throw new NotFoundError('case', cmd.caseId);
      if (c.status !== 'closed') throw new UnprocessableError(`only closed cases are reviewed (their answer is final); case ${cmd.caseId} is '${c.status}'`);
      if (c.unit_code === null) throw new UnprocessableError(`case ${cmd.caseId} was closed without reaching a unit: there is no unit's answer to review`);
      // A duplicate was closed with its original's answer: reviewing it would score that answer again.
      if (c.closed_as === 'duplicate') {
        throw new UnprocessableError(`case ${cmd.caseId} was closed as a duplicate with its original's answer: review the original instead`);
      }
      // Redirected to another legal track, it was closed unanswered: the rubric scores an answer.
      if (c.closed_as === 'other_track') {
        throw new UnprocessableError(`case ${cmd.caseId} was closed on another legal track, unanswered: the rubric scores a unit's answer`);
      }
      // The quality audit is Home Affairs' look at a unit from outside: a reviewer of a unit that held the
      // case would grade its own work. The office's triage of a case (classifying it) is not holding it.
      if (c.reviewer_held) throw new NotPermittedError(`case ${cmd.caseId} was handled by your own unit: a reviewer does not review their own unit's answers`);
      // The unit's report averages its reviews: scores of hand-picked cases would say what the reviewer
      // chose, not how the unit answers (DOMAIN.md: a random sample, reproducible by its seed). A draw over
      // a few milliseconds around one case's closing picked that case: the period must be a week or more.
      if (!c.drawn) {
        throw new UnprocessableError(
          `case ${cmd.caseId} is in no sample drawn for review over ${MIN_REVIEW_DRAW_DAYS} days or more: draw one (POST /v1/audits/samples) and review the cases it names`,
        );
      }
      const s = cmd.scores;
      const rows = await selectRows<{ id: string; created_at: Date }>(
        m,
        `INSERT INTO audit_reviews (case_id, unit_code, reviewer_id, addresses_issue, evidence, lawful, polite_clear, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT ON CONSTRAINT audit_reviews_case_reviewer_uq DO NOTHING
         RETURNING id::text, created_at`,
        [cmd.caseId, c.unit_code, cmd.reviewerId, s.addressesIssue, s.evidence, s.lawful, s.politeClear, comment],
      );
      if (rows.length === 0) throw new ConflictError(`you have already reviewed case ${cmd.caseId}; a review is final`);
      const total = REVIEW_CRITERIA.reduce((sum, k) => sum + s[k], 0);
      const scores = Object.fromEntries(REVIEW_CRITERIA.map((k) => [k, s[k]])) as ReviewScores;
      await writeAuditEvent(m, {
        caseId: cmd.caseId,
        actor: `officer:${cmd.reviewerId}`,
        action: 'review',
        texts: comment ? { reason: comment } : {},
        data: { reviewId: rows[0].id, unitCode: c.unit_code, scores, total },
      });
      return {
        id: rows[0].id,
        caseId: cmd.caseId,
        unitCode: c.unit_code,
        reviewerId: cmd.reviewerId,
        scores,
        total,
        comment,
        createdAt: new Date(rows[0].created_at).toISOString(),
      };
    });
  }
}
