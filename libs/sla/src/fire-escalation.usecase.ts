import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Metrics } from '@fr/metrics';
import { casesLockOrder, coversAt, execute, OutboxMessage, selectRows, writeEscalationNotifications, writeOutboxMany } from '@fr/persistence';
import { Clock } from './clock';
import { ESCALATION_RECORDED, EscalationRecordedListener } from './escalation-listener';
import { EscalationLevel, EscalationRung, rungFireAt } from './escalation-ladder';
import { nextRung, slaTimerMessage, StageRun } from './schedule-sla-timers';
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

/** A level that is due and not yet recorded, with what its notification will say. */
interface Firing {
  index: number;
  timer: SlaTimer;
  rung: EscalationRung;
  c: CaseRow;
  fireAt: Date;
}

/**
 * Records that a case reached an escalation level and tells the people the ladder names, once.
 * In one transaction with the case rows locked: each timer must still describe its case (same stage
 * run, same deadline, not paused, not resolved) and be due by the clock; the escalation row's unique
 * key makes a second firing a no-op, and only the firing that inserted it writes notifications.
 * Safe to call from timers and the reconciler alike, one timer or many: a burst of breaches is fired
 * by a few statements per batch rather than per timer, which is what keeps the lag flat when
 * hundreds of deadlines fall in the same second.
 */
@Injectable()
export class FireEscalation {
  private readonly logger = new Logger(FireEscalation.name);

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Optional() @Inject(ESCALATION_RECORDED) private readonly listener?: EscalationRecordedListener,
  ) {}

  async execute(timer: SlaTimer): Promise<FireEscalationResult> {
    const [result] = await this.executeMany([timer]);
    return result;
  }

  /** One result per timer, in order. All or nothing: if the transaction fails, none has fired. */
  async executeMany(timers: readonly SlaTimer[]): Promise<FireEscalationResult[]> {
    if (timers.length === 0) return [];
    const fired: { level: EscalationLevel; lagSeconds: number }[] = [];
    const results = await this.ds.transaction((m) => this.run(m, timers, fired));
    // Counted once committed: a batch that rolls back (and is retried) recorded nothing.
    for (const r of fired) {
      this.metrics.escalations.inc({ level: r.level });
      this.metrics.breachNoticeLag.observe({ level: r.level }, r.lagSeconds);
    }
    return results;
  }

  private async run(m: EntityManager, timers: readonly SlaTimer[], fired: { level: EscalationLevel; lagSeconds: number }[]): Promise<FireEscalationResult[]> {
    const results = new Array<FireEscalationResult>(timers.length);
    const ids = [...new Set(timers.map((t) => t.caseId))].sort();
    // Locked in the order every writer of several cases takes them in (casesLockOrder), so a batch sharing
    // cases with another, with an erasure of their groups or a designation change waits instead of deadlocking.
    // Locked in a statement of its own, then read: a statement that waited for a case reads the version its
    // last writer left joined to the unit and officers its own snapshot saw, which the join no longer
    // matches when that writer moved the case (a reorganisation: deadline kept, other unit and designees).
    // The case's unit and both designees read as none, and the level was recorded as told to nobody
    // (test/reorganisation-lock-order.e2e-spec.ts). The next statement reads them as committed.
    await selectRows(m, `SELECT id FROM cases WHERE id = ANY($1::uuid[]) ORDER BY ${casesLockOrder()} FOR UPDATE`, [ids]);
    const rows = await selectRows<CaseRow>(
      m,
      // The case's handler or leader only while they are still active officers of its unit (one who
      // covered an absence and has moved since still holds the case, but can no longer open it; one whose
      // account was disabled reads nothing): else the unit's designee.
      `SELECT c.id, c.status, c.tracking_code, cat.name AS category_name, c.unit_code, u.name AS unit_name, c.stage,
              c.stage_started_at, c.due_at, c.warn_at,
              COALESCE(CASE WHEN h.active AND h.unit_code IS NOT DISTINCT FROM c.unit_code THEN c.handler_id END, u.handler_id) AS handler_id,
              COALESCE(CASE WHEN l.active AND l.unit_code IS NOT DISTINCT FROM c.unit_code THEN c.leader_id END, u.leader_id) AS leader_id
         FROM cases c JOIN categories cat ON cat.code = c.category_code LEFT JOIN units u ON u.code = c.unit_code
              LEFT JOIN officers h ON h.id = c.handler_id LEFT JOIN officers l ON l.id = c.leader_id
        WHERE c.id = ANY($1::uuid[])`,
      [ids],
    );
    const cases = new Map(rows.map((c) => [c.id, c]));
    const now = this.clock.now();
    const firings: Firing[] = [];
    const seen = new Set<string>();
    timers.forEach((t, index) => {
      const rung = this.sla.policy.escalation.find((r) => r.level === t.level);
      if (!rung) return void (results[index] = { outcome: 'unknown-level' });
      const c = cases.get(t.caseId);
      const stale = this.staleness(c, t);
      if (stale) return void (results[index] = { outcome: 'stale', reason: stale });
      const fireAt = rungFireAt(this.sla.calendarFor(c!.unit_code), rung, {
        dueAt: new Date(c!.due_at!),
        warnAt: c!.warn_at ? new Date(c!.warn_at) : null,
      });
      if (!fireAt) return void (results[index] = { outcome: 'stale', reason: 'the stage has no warning time' });
      if (now < fireAt) return void (results[index] = { outcome: 'early', fireAt });
      // The same level twice in one batch (a timer and the reconciler): the second is the duplicate.
      const key = `${t.caseId}/${t.level}`;
      if (seen.has(key)) return void (results[index] = { outcome: 'duplicate' });
      seen.add(key);
      firings.push({ index, timer: t, rung, c: c!, fireAt });
    });
    if (firings.length === 0) return results;

    // With the levels inserted (an id), the levels these runs had already reached (no id): the
    // statement's snapshot does not see its own inserts, and the case locks above keep any other
    // firing of these runs out until this transaction ends.
    const levels = await selectRows<{ id: string | null; case_id: string; level: EscalationLevel }>(
      m,
      `WITH ins AS (
         INSERT INTO escalations (case_id, stage, stage_started_at, level, due_at, fire_at, fired_at, unit_code)
         SELECT c.id, c.stage, c.stage_started_at, t.level, c.due_at, t.fire_at, $4, c.unit_code
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS t(case_id, level, fire_at) JOIN cases c ON c.id = t.case_id
         ON CONFLICT ON CONSTRAINT escalations_run_level_uq DO NOTHING RETURNING id, case_id, level)
       SELECT id::text AS id, case_id, level::text AS level FROM ins
       UNION ALL
       SELECT NULL, e.case_id, e.level::text FROM escalations e JOIN cases c ON c.id = e.case_id AND c.stage = e.stage AND c.stage_started_at = e.stage_started_at
        WHERE e.case_id = ANY($5::uuid[])`,
      [firings.map((f) => f.timer.caseId), firings.map((f) => f.timer.level), firings.map((f) => f.fireAt), now, [...new Set(firings.map((f) => f.c.id))]],
    );
    const escalationOf = new Map(levels.filter((r) => r.id !== null).map((r) => [`${r.case_id}/${r.level}`, r.id!]));
    const reached = new Map<string, Set<string>>();
    for (const r of levels) reached.set(r.case_id, (reached.get(r.case_id) ?? new Set()).add(r.level));
    const recipientsOf = await this.recipients(m, firings);
    const notifications: { officer: string; caseId: string; escalation: string; kind: string; title: string; body: string }[] = [];
    for (const f of firings) {
      const escalationId = escalationOf.get(`${f.timer.caseId}/${f.timer.level}`);
      if (!escalationId) {
        results[f.index] = { outcome: 'duplicate' };
        continue;
      }
      const recipients = recipientsOf(f);
      const { title, body } = this.message(f.c, f.rung, new Date(f.c.due_at!));
      for (const officer of recipients) {
        notifications.push({ officer, caseId: f.c.id, escalation: escalationId, kind: `escalation.${f.timer.level}`, title, body });
      }
      if (recipients.length === 0) {
        this.logger.warn(`case ${f.c.id}: escalation level ${f.timer.level} reached but nobody to tell (${f.rung.notify.join(', ')})`);
      }
      results[f.index] = { outcome: 'fired', escalationId, recipients: recipients.length };
      fired.push({ level: f.timer.level, lagSeconds: Math.max(0, now.getTime() - f.fireAt.getTime()) / 1000 });
    }
    await writeEscalationNotifications(
      m,
      notifications.map((n) => ({ officerId: n.officer, caseId: n.caseId, escalationId: n.escalation, kind: n.kind, title: n.title, body: n.body })),
    );
    await writeOutboxMany(m, this.nextTimers(firings, reached));
    const recorded = firings.map((f) => results[f.index]).flatMap((r) => (r.outcome === 'fired' ? [r.escalationId] : []));
    if (recorded.length) {
      await this.audit(m, recorded);
      await this.listener?.escalationsRecorded(m, recorded);
    }
    return results;
  }

  /**
   * The `escalate` events of the batch, in its transaction, linked both ways (the event names the
   * escalation, the escalation its event). One statement for the whole batch: writing audit events
   * no longer waits on a shared lock, so firing can record them with the change again.
   */
  private async audit(m: EntityManager, escalationIds: string[]): Promise<void> {
    await execute(
      m,
      `WITH ev AS (
         INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data, occurred_at)
         SELECT e.case_id, '${SLA_ACTOR}', 'escalate', c.status, c.status, NULL,
                jsonb_build_object('stage', e.stage, 'level', e.level,
                                   'dueAt', to_char(e.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                   'escalationId', e.id::text,
                                   'notified', (SELECT count(*) FROM notifications n WHERE n.escalation_id = e.id)),
                e.fired_at
           FROM escalations e JOIN cases c ON c.id = e.case_id
          WHERE e.id = ANY($1::bigint[])
          ORDER BY e.id
         RETURNING id, (data->>'escalationId')::bigint AS escalation_id)
       UPDATE escalations e SET audit_event_id = ev.id FROM ev WHERE e.id = ev.escalation_id`,
      [escalationIds],
    );
  }

  /**
   * The chain of the ladder: routing and case actions schedule only a run's next level, and the
   * transaction that records a level writes the timer of the level after it (the first one the run
   * has not reached), so a crash leaves either both or neither. A duplicate firing of a run that is
   * still current writes it again: it names the same job id as the first firing's, which BullMQ
   * ignores while that timer waits, and it puts back a link that was lost. One per run, whatever
   * the batch fired for it.
   */
  private nextTimers(firings: readonly Firing[], reached: ReadonlyMap<string, ReadonlySet<string>>): OutboxMessage[] {
    const now = Date.now();
    const timers = new Map<string, OutboxMessage>();
    for (const f of firings) {
      if (timers.has(f.c.id)) continue;
      const run: StageRun & { dueAt: Date } = {
        caseId: f.c.id,
        stage: f.timer.stage,
        stageStartedAt: f.timer.stageStartedAt,
        dueAt: new Date(f.c.due_at!),
        warnAt: f.c.warn_at ? new Date(f.c.warn_at) : null,
        unit: f.c.unit_code,
      };
      const next = nextRung(this.sla, run, reached.get(f.c.id) ?? new Set([f.timer.level]));
      if (next) timers.set(f.c.id, slaTimerMessage(run, next.rung.level, next.fireAt, now));
    }
    return [...timers.values()];
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

  /**
   * The people behind the ladder's roles, now, for every firing of the batch from two queries:
   * designees fall back to the unit's when the case has none (triage), an absent one to their
   * cover; only active officers.
   */
  private async recipients(m: EntityManager, firings: readonly Firing[]): Promise<(f: Firing) => string[]> {
    const namedOf = (f: Firing) =>
      [...(f.rung.notify.includes('handler') ? [f.c.handler_id] : []), ...(f.rung.notify.includes('leader') ? [f.c.leader_id] : [])].filter(
        (id): id is string => !!id,
      );
    // An escalation addressed to an officer who is away reaches whoever covers them now.
    const covers = await coversAt(m, [...new Set(firings.flatMap(namedOf))], this.clock.now());
    const designeesOf = (f: Firing) => namedOf(f).map((id) => covers.get(id) ?? id);
    const rolesOf = (f: Firing) => [
      ...(f.rung.notify.includes('supervisors') ? ['SUPERVISOR'] : []),
      ...(f.rung.notify.includes('auditors') ? ['AUDITOR'] : []),
    ];
    const rows = await selectRows<{ id: string; role: string }>(
      m,
      `SELECT id, role FROM officers WHERE active AND (id = ANY($1::uuid[]) OR role = ANY($2::text[])) ORDER BY id`,
      [[...new Set(firings.flatMap(designeesOf))], [...new Set(firings.flatMap(rolesOf))]],
    );
    return (f) => {
      const designees = new Set(designeesOf(f));
      const roles = new Set(rolesOf(f));
      return rows.filter((o) => designees.has(o.id) || roles.has(o.role)).map((o) => o.id);
    };
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
