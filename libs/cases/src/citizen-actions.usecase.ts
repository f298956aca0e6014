import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CaseState, ConflictError, normaliseTrackingCode, NotFoundError, transition } from '@fr/domain';
import { writeAuditEvent } from '@fr/persistence';
import { Clock, SlaService } from '@fr/sla';
import { ActOnCase, ActionResult } from './act-on-case.usecase';
import { citizenActor, SYSTEM_ACTOR } from './actor';

/** What citizens do through their channel, found by tracking code: answer a request, rate the answer. */
@Injectable()
export class CitizenActions {
  constructor(
    private readonly ds: DataSource,
    private readonly act: ActOnCase,
    private readonly sla: SlaService,
    private readonly clock: Clock,
  ) {}

  async supplyInfo(channel: string, trackingCode: string, message: string, attachments: { url: string; kind: string }[]): Promise<ActionResult> {
    const id = await this.caseId(channel, trackingCode);
    return this.act.execute(citizenActor(channel), id, 'supply-info', { message, attachments });
  }

  /**
   * A rating is accepted once, while the case is resolved (not after it was closed). A low one within
   * the auto-close window reopens the case; any other closes it, as the citizen has had the last word.
   */
  async rate(channel: string, trackingCode: string, score: number, comment: string | undefined): Promise<{ status: CaseState; rating: number }> {
    const id = await this.caseId(channel, trackingCode);
    return this.ds.transaction(async (m) => {
      const [c] = await m.query(`SELECT status, rating, resolved_at FROM cases WHERE id = $1 FOR UPDATE`, [id]);
      // The transition table decides, as for every action: a rating is for a resolved case only.
      transition(c.status, 'rate', 'CITIZEN');
      if (c.rating !== null) throw new ConflictError(`this case was already rated (${c.rating}); a rating is accepted once`);
      await m.query(`UPDATE cases SET rating = $2, rating_comment = $3, rated_at = now(), updated_at = now() WHERE id = $1`, [
        id,
        score,
        comment?.normalize('NFC') ?? null,
      ]);
      await writeAuditEvent(m, { caseId: id, actor: citizenActor(channel).label, action: 'rate', fromState: c.status, toState: c.status, data: { score } });
      const withinWindow = this.clock.now().getTime() - new Date(c.resolved_at).getTime() <= this.sla.policy.autoCloseDays * 86400000;
      const result =
        score <= this.sla.policy.lowRating && withinWindow
          ? await this.act.run(m, citizenActor(channel), id, 'reopen', { reason: `low rating (${score})` })
          : await this.act.run(m, SYSTEM_ACTOR('rating'), id, 'close', { reason: `rated ${score}` });
      return { status: result.status, rating: score };
    });
  }

  /** A channel acts only on the cases it brought in: another channel's key finds nothing. */
  private async caseId(channel: string, trackingCode: string): Promise<string> {
    const code = normaliseTrackingCode(trackingCode);
    const [row] = code ? await this.ds.query(`SELECT id FROM cases WHERE tracking_code = $1 AND channel_code = $2`, [code, channel]) : [];
    if (!row) throw new NotFoundError('feedback', trackingCode);
    return row.id;
  }
}
