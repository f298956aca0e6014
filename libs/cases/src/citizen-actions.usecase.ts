import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CaseState, normaliseTrackingCode, NotFoundError } from '@fr/domain';
import { selectRow } from '@fr/persistence';
import { ActOnCase, ActionResult } from './act-on-case.usecase';
import { CaseActor, citizenActor } from './actor';

/**
 * A caller's own action, given by phone to a 1022 operator: the citizen's in the transition table,
 * recorded under the operator's name so the trail says who took it down.
 */
function relayedBy(operatorId: string): CaseActor {
  return { role: 'CITIZEN', id: null, unitCode: null, label: `officer:${operatorId}` };
}

/** A rating's answer names the case by its tracking code, as an answer to a request for information does. */
export interface RatingResult {
  trackingCode: string;
  status: CaseState;
  rating: number;
}

/** What citizens do through their channel, found by tracking code: answer a request, rate the answer. */
@Injectable()
export class CitizenActions {
  constructor(
    private readonly ds: DataSource,
    private readonly act: ActOnCase,
  ) {}

  async supplyInfo(channel: string, trackingCode: string, message: string, attachments: { url: string; kind: string }[]): Promise<ActionResult> {
    const { id } = await this.caseOf(channel, trackingCode);
    return this.act.execute(citizenActor(channel), id, 'supply-info', { message, attachments });
  }

  /**
   * A rating is an action like any other: the transition table accepts it on a resolved case only
   * (not after it was closed), and its handler closes or reopens the case in the same transaction.
   */
  async rate(channel: string, trackingCode: string, score: number, comment: string | undefined): Promise<RatingResult> {
    const { id, code } = await this.caseOf(channel, trackingCode);
    const result = await this.act.execute(citizenActor(channel), id, 'rate', { score, comment });
    return { trackingCode: code, status: result.status, rating: score };
  }

  /**
   * The hotline answers callers whatever channel brought their case in. The answer names the case by
   * its tracking code: reading it back through the desk's case view recorded a read of the caller's
   * contact that nobody made.
   */
  async relayInfo(
    operatorId: string,
    trackingCode: string,
    message: string,
    attachments: { url: string; kind: string }[],
  ): Promise<ActionResult & { trackingCode: string }> {
    const { id, code } = await this.caseOf(null, trackingCode);
    return { ...(await this.act.execute(relayedBy(operatorId), id, 'supply-info', { message, attachments })), trackingCode: code };
  }

  async relayRating(operatorId: string, trackingCode: string, score: number, comment: string | undefined): Promise<RatingResult> {
    const { id, code } = await this.caseOf(null, trackingCode);
    const result = await this.act.execute(relayedBy(operatorId), id, 'rate', { score, comment });
    return { trackingCode: code, status: result.status, rating: score };
  }

  /** A channel acts only on the cases it brought in: another channel's key finds nothing. */
  private async caseOf(channel: string | null, trackingCode: string): Promise<{ id: string; code: string }> {
    const code = normaliseTrackingCode(trackingCode);
    const row = code
      ? await selectRow<{ id: string }>(this.ds, `SELECT id FROM cases WHERE tracking_code = $1 AND ($2::text IS NULL OR channel_code = $2)`, [code, channel])
      : undefined;
    if (!row || !code) throw new NotFoundError('feedback', trackingCode);
    return { id: row.id, code };
  }
}
