import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Clock } from './clock';
import { ESCALATION_RECORDED, EscalationRecordedListener } from './escalation-listener';
import { EscalationLevel, EscalationRecipient, EscalationRung, rungFireAt } from './escalation-ladder';
import { Stage } from './sla-policy';
import { SlaService } from './sla.service';

/** What a timer says: this level of this stage run, set for this deadline, may be due. */
export interface SlaTimer {
  caseId: string;
  stage: Stage;
  level: EscalationLevel;
  stageStartedAt: Date;
  dueAt: Date;
}

export type FireEscalationResult =
  | { outcome: 'fired'; escalationId: string; recipients: number }
  /** Already recorded for this run: a duplicate timer, or the reconciler got there first. */
  | { outcome: 'duplicate' }
  /** The case moved on (resolved, paused, another stage or run, another deadline): the timer is obsolete. */
  | { outcome: 'stale'; reason: string }
  /** Not yet due by the clock; the caller may try again at `fireAt`. */
  | { outcome: 'early'; fireAt: Date }
  /** The level is not on the configured ladder. */
  | { outcome: 'unknown-level' };

export const SLA_ACTOR = 'system:sla';

interface CaseRow {
  id: string;
  status: string;
  tracking_code: string;
  category_name: string;
  unit_code: string | null;
  unit_name: string | null;
  stage: Stage | null;
  stage_started_at: Date | null;
  due_at: Date | null;
  warn_at: Date | null;
  handler_id: string | null;
  leader_id: string | null;
}

const STAGE_WORDS: Record<Stage, string> = { receive: 'tiếp nhận', resolve: 'giải quyết' };

/**
 * Records that a case reached an escalation level and tells the people the ladder names, once.
 * In one transaction with the case row locked: the timer must still describe the case (same stage
 * run, same deadline, not paused, not resolved) and be due by the clock; the escalation row's unique
 * key makes a second firing a no-op, and only the firing that inserted it writes notifications and
 * the audit event. Safe to call from timers and the reconciler alike.
 */
@Injectable()
export class FireEscalation {
  private readonly logger = new Logger(FireEscalation.name);

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    @Optional() @Inject(ESCALATION_RECORDED) private readonly listener?: EscalationRecordedListener,
  ) {}

  execute(timer: SlaTimer): Promise<FireEscalationResult> {
    return this.ds.transaction((m) => this.run(m, timer));
  }

  private async run(m: EntityManager, t: SlaTimer): Promise<FireEscalationResult> {
    const rung = this.sla.policy.escalation.find((r) => r.level === t.level);
    if (!rung) return { outcome: 'unknown-level' };
    const [c]: CaseRow[] = await m.query(
      `SELECT c.id, c.status, c.tracking_code, cat.name AS category_name, c.unit_code, u.name AS unit_name, c.stage,
              c.stage_started_at, c.due_at, c.warn_at, COALESCE(c.handler_id, u.handler_id) AS handler_id,
              COALESCE(c.leader_id, u.leader_id) AS leader_id
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
        WHERE c.id = $1 FOR UPDATE OF c`,
      [t.caseId],
    );
    const stale = this.staleness(c, t);
    if (stale) return { outcome: 'stale', reason: stale };
    const due = new Date(c.due_at!);
    const fireAt = rungFireAt(this.sla.calendarFor(c.unit_code), rung, { dueAt: due, warnAt: c.warn_at ? new Date(c.warn_at) : null });
    if (!fireAt) return { outcome: 'stale', reason: 'the stage has no warning time' };
    if (this.clock.now() < fireAt) return { outcome: 'early', fireAt };

    const [inserted]: { id: string }[] = await m.query(
      `INSERT INTO escalations (case_id, stage, stage_started_at, level, due_at, fire_at, fired_at, unit_code)
       SELECT id, stage, stage_started_at, $2, due_at, $3, $4, unit_code FROM cases WHERE id = $1
       ON CONFLICT ON CONSTRAINT escalations_run_level_uq DO NOTHING RETURNING id`,
      [t.caseId, t.level, fireAt, this.clock.now()],
    );
    if (!inserted) return { outcome: 'duplicate' };
    const escalationId = String(inserted.id);

    const recipients = await this.recipients(m, c, rung.notify);
    const { title, body } = this.message(c, rung, due);
    if (recipients.length) {
      await m.query(
        `INSERT INTO notifications (officer_id, case_id, escalation_id, kind, title, body)
         SELECT unnest($1::uuid[]), $2, $3, $4, $5, $6
         ON CONFLICT ON CONSTRAINT notifications_escalation_officer_uq DO NOTHING`,
        [recipients, c.id, escalationId, `escalation.${t.level}`, title, body],
      );
    }
    await this.listener?.escalationRecorded(m, escalationId);
    if (recipients.length === 0) this.logger.warn(`case ${c.id}: escalation level ${t.level} reached but nobody to tell (${rung.notify.join(', ')})`);
    // The `escalate` audit event is appended in a batch right after (AuditEscalations).
    return { outcome: 'fired', escalationId, recipients: recipients.length };
  }

  private staleness(c: CaseRow | undefined, t: SlaTimer): string | null {
    if (!c) return 'no such case';
    if (c.status === 'resolved' || c.status === 'closed') return `the case is ${c.status}`;
    if (c.stage !== t.stage || !c.stage_started_at || new Date(c.stage_started_at).getTime() !== t.stageStartedAt.getTime()) {
      return 'the stage run has changed';
    }
    if (!c.due_at) return 'the clock is paused';
    if (new Date(c.due_at).getTime() !== t.dueAt.getTime()) return 'the deadline has moved';
    return null;
  }

  /** The people behind the ladder's roles, now: designees fall back to the unit's when the case has none (triage). */
  private async recipients(m: EntityManager, c: CaseRow, notify: readonly EscalationRecipient[]): Promise<string[]> {
    const roles = [...(notify.includes('supervisors') ? ['SUPERVISOR'] : []), ...(notify.includes('auditors') ? ['AUDITOR'] : [])];
    const designees = [...(notify.includes('handler') ? [c.handler_id] : []), ...(notify.includes('leader') ? [c.leader_id] : [])].filter(
      (id): id is string => !!id,
    );
    const rows: { id: string }[] = await m.query(
      `SELECT id FROM officers WHERE active AND (id = ANY($1::uuid[]) OR role = ANY($2::text[])) ORDER BY id`,
      [designees, roles],
    );
    return rows.map((r) => r.id);
  }

  /** Names the case by tracking code, category and unit only: no citizen's name, contact or words. */
  private message(c: CaseRow, rung: EscalationRung, due: Date): { title: string; body: string } {
    const stage = STAGE_WORDS[c.stage!];
    const dueText = localTime(due);
    const title = `${rung.label}: hồ sơ ${c.tracking_code} (${stage})`.slice(0, 200);
    const body = `Phản ánh ${c.tracking_code} (${c.category_name}) tại ${c.unit_name ?? 'chưa có đơn vị'}: hạn ${stage} ${dueText}.`;
    return { title, body };
  }
}

/** 'HH:MM DD/MM/YYYY' on the Vietnam wall clock, independent of the host's locale data. */
function localTime(t: Date): string {
  const iso = new Date(t.getTime() + VIETNAM_UTC_OFFSET_MS).toISOString();
  return `${iso.slice(11, 16)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}
