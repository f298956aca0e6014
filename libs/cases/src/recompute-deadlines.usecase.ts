import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ClockPause, DomainError } from '@fr/domain';
import { activeOfficersWithRole, selectRows, writeAuditEvent, writeNotifications } from '@fr/persistence';
import { SlaService, Stage } from '@fr/sla';
import { ActOnCase } from './act-on-case.usecase';
import { currentPauseSeen, currentRunDeadlines, inCaseTransaction, lockCaseToAct, pauseSeen, stageClockOf } from './actions/case-records';
import { SYSTEM_ACTOR } from './actor';

/** The states whose clock runs (awaiting_info is paused: its deadline is counted when it resumes). */
const RUNNING = ['triage', 'assigned', 'in_progress'] as const;
/** Candidates read and counted a page at a time, so a district's open cases are never all in memory. */
const PAGE = 500;
/** The answer lists at most this many moves; `moved` counts them all. */
export const RECOMPUTE_LIST_MAX = 1000;
/**
 * Deadlines one call moves at most; the answer's `remaining` says how many more the calendar moves, and
 * the administrator calls again until none remain. Measured on the 2-core machine (6 December 2026): a
 * case moved costs about 5.5 ms (its own transaction through the state machine), so 20,000 in one call
 * held the request 110 s, past a proxy's usual 60 s; 1,000 take about 6 s. The dry run, which moves
 * nothing, reads 20,000 in 0.5 s and is not cut.
 */
export const RECOMPUTE_APPLY_MAX = 1000;
/** Inbox kind of the notice that a replaced year moves open deadlines. */
export const CALENDAR_DEADLINES_KIND = 'calendar.deadlines_to_recompute';

export interface DeadlineMove {
  caseId: string;
  trackingCode: string;
  unit: string | null;
  stage: Stage;
  fromDueAt: string;
  toDueAt: string;
}

/**
 * A case waiting on the citizen whose lateness when its pause began the calendar changes: the deadline
 * it had passed then (paused_past_due; null: it began to wait in time), before and after.
 */
export interface PausedLateMove {
  caseId: string;
  trackingCode: string;
  unit: string | null;
  stage: Stage;
  pausedAt: string;
  fromPastDue: string | null;
  toPastDue: string | null;
}

export interface RecomputeReport {
  year: number;
  unit: string | null;
  dryRun: boolean;
  /** Open cases whose running deadline counts working time in the year, and waiting cases whose open pause began in or after it. */
  checked: number;
  /** Those whose deadline the calendar in force now moves (dry run) or moved (applied). */
  moved: number;
  /** Candidates a concurrent action had already changed (resolved, paused, moved again): left as they are. */
  skipped: number;
  /** Deadlines the calendar still moves after this call: all of them after a dry run; call again until 0. */
  remaining: number;
  cases: DeadlineMove[];
  /** Cases waiting on the citizen whose lateness at the pause's start changes (counted in moved, skipped and remaining too). */
  waiting: PausedLateMove[];
  truncated: boolean;
}

interface Candidate {
  id: string;
  tracking_code: string;
  unit_code: string | null;
  stage: Stage;
  stage_started_at: Date;
  stage_minutes: number;
  extension_minutes: number;
  due_at: Date;
}

interface WaitingCandidate extends Omit<Candidate, 'due_at'> {
  paused_past_due: Date | null;
}

const sameInstant = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : new Date(a).getTime() === new Date(b).getTime());
const isoOrNull = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Counts open cases' running deadlines again after a year of the working calendar was corrected (the
 * provisional next year replaced by the government's notice, a holiday added by a new law). Deadlines
 * are stored facts, so replacing a year moves none by itself; an administrator looks at the dry run,
 * then applies it. Each moved case is its own short transaction through the case's state machine
 * (`recompute_deadline`, by the system, in its trail and announced to the citizen's channel with the
 * new date); its next escalation timer is scheduled for the new deadline, and the old one finds the
 * deadline changed when it fires and does nothing.
 *
 * Only a deadline whose counting reaches into the year can move: a run that started before the year
 * and was due before it never counted a day of it.
 */
@Injectable()
export class RecomputeDeadlines {
  private readonly logger = new Logger(RecomputeDeadlines.name);

  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly act: ActOnCase,
  ) {}

  /** `applyMax`: the deadlines one call moves at most (RECOMPUTE_APPLY_MAX; a test pages with fewer). */
  async execute(input: { year: number; unit: string | null; dryRun: boolean; actor: string; applyMax?: number }): Promise<RecomputeReport> {
    const applyMax = input.applyMax ?? RECOMPUTE_APPLY_MAX;
    // This process may not have looked at the calendars since the year was replaced (every 10 s).
    await this.sla.reloadCalendar();
    const report: RecomputeReport = {
      year: input.year,
      unit: input.unit,
      dryRun: input.dryRun,
      checked: 0,
      moved: 0,
      skipped: 0,
      remaining: 0,
      cases: [],
      waiting: [],
      truncated: false,
    };
    const reason = `the working calendar of ${input.year}${input.unit ? ` (unit ${input.unit})` : ''} was corrected`;
    for await (const page of this.candidates(input.year, input.unit)) {
      report.checked += page.length;
      const pauses = await this.pausesOf(page.map((c) => c.id));
      for (const c of page) {
        // The query reads only cases with a running stage.
        const clock = stageClockOf(c)!;
        const to = this.sla.deadlines(
          clock,
          (pauses.get(c.id) ?? []).filter((p) => p.stage === c.stage),
        ).dueAt;
        if (!to || to.getTime() === new Date(c.due_at).getTime()) continue;
        if (!input.dryRun && report.moved >= applyMax) {
          report.remaining++;
          continue;
        }
        const move = input.dryRun ? { from: new Date(c.due_at), to } : await this.apply(c.id, reason, input.actor);
        if (!move) {
          report.skipped++;
          continue;
        }
        report.moved++;
        if (input.dryRun) report.remaining++;
        if (report.cases.length < RECOMPUTE_LIST_MAX) {
          report.cases.push({
            caseId: c.id,
            trackingCode: c.tracking_code,
            unit: c.unit_code,
            stage: c.stage,
            fromDueAt: move.from.toISOString(),
            toDueAt: move.to.toISOString(),
          });
        } else report.truncated = true;
      }
    }
    // A waiting case's clock stands still, but the calendar may change whether its deadline had passed when
    // the pause began (paused_past_due: overdue while it waits, and in the unit report): counted again as the
    // pause saw it, each in its own transaction through the state machine as a running one.
    for await (const page of this.waitingCandidates(input.year, input.unit)) {
      report.checked += page.length;
      const pauses = await this.pausesOf(page.map((c) => c.id));
      for (const c of page) {
        const seen = pauseSeen(
          this.sla,
          stageClockOf(c)!,
          (pauses.get(c.id) ?? []).filter((p) => p.stage === c.stage),
        );
        if (!seen || sameInstant(seen.pastDue, c.paused_past_due)) continue;
        if (!input.dryRun && report.moved >= applyMax) {
          report.remaining++;
          continue;
        }
        const move = input.dryRun ? { from: c.paused_past_due, to: seen.pastDue, pausedAt: seen.pausedAt } : await this.applyWaiting(c.id, reason, input.actor);
        if (!move) {
          report.skipped++;
          continue;
        }
        report.moved++;
        if (input.dryRun) report.remaining++;
        if (report.waiting.length < RECOMPUTE_LIST_MAX) {
          report.waiting.push({
            caseId: c.id,
            trackingCode: c.tracking_code,
            unit: c.unit_code,
            stage: c.stage,
            pausedAt: move.pausedAt.toISOString(),
            fromPastDue: isoOrNull(move.from),
            toPastDue: isoOrNull(move.to),
          });
        } else report.truncated = true;
      }
    }
    if (!input.dryRun) {
      await this.ds.transaction((m) =>
        writeAuditEvent(m, {
          caseId: null,
          actor: input.actor,
          action: 'deadlines_recomputed',
          data: { year: input.year, unit: input.unit, checked: report.checked, moved: report.moved, skipped: report.skipped, remaining: report.remaining },
        }),
      );
    }
    return report;
  }

  /**
   * After a year was replaced: when the calendar now moves open deadlines, every active ADMIN is told how
   * many and how to move them (a replaced year moves none by itself, and nothing else would say so).
   * Returns how many the calendar moves.
   */
  async noticeAfterChange(year: number, unit: string | null): Promise<number> {
    try {
      return await this.tellAdmins(year, unit);
    } catch (e) {
      // The year is stored and in force: a notice that could not be written must not turn that into a 500.
      this.logger.warn(`could not tell the administrators of the deadlines ${year}'s calendar moves: ${(e as Error).message}`);
      return 0;
    }
  }

  /** Tells every active ADMIN how many open deadlines the year now moves (nothing when none), in `m` when given. */
  async tellAdmins(year: number, unit: string | null, m?: EntityManager): Promise<number> {
    const dry = await this.execute({ year, unit, dryRun: true, actor: 'system:calendar' });
    if (dry.moved === 0) return 0;
    const scope = unit ? `?unit=${unit}` : '';
    const body =
      `${dry.moved} open case(s) have a running deadline that the corrected calendar of ${year}${unit ? ` (unit ${unit})` : ''} counts differently; ` +
      `the stored deadlines stay until moved: see them with POST /v1/calendars/${year}/recompute-deadlines${scope ? `${scope}&` : '?'}dryRun=true, ` +
      `move them without dryRun`;
    const write = async (tx: EntityManager) =>
      writeNotifications(
        tx,
        { kind: 'calendar-change' },
        (await activeOfficersWithRole(tx, ['ADMIN'])).map((officerId) => ({
          officerId,
          kind: CALENDAR_DEADLINES_KIND,
          title: `Lịch năm ${year}${unit ? ` của đơn vị ${unit}` : ''} đã thay đổi: ${dry.moved} hồ sơ đang mở có hạn xử lý cần tính lại`,
          body,
        })),
      );
    await (m ? write(m) : this.ds.transaction(write));
    return dry.moved;
  }

  /**
   * One case, locked, counted again from what it stores now: a concurrent action may have resolved,
   * paused or moved it since the page was read. The deadline as it was under the lock and the new one,
   * or null when there is nothing to move.
   */
  private async apply(caseId: string, reason: string, requestedBy: string): Promise<{ from: Date; to: Date } | null> {
    try {
      return await inCaseTransaction(this.ds, async (m) => {
        // As the action below will lock it (its group's original first when a deletion waits for it): locked
        // here by itself first, the case was held before that original, out of the erasures' order.
        const c = await lockCaseToAct(m, caseId);
        if (!c || !(RUNNING as readonly string[]).includes(c.status) || !c.due_at) return null;
        const { d } = await currentRunDeadlines(m, this.sla, c);
        if (!d.dueAt || d.dueAt.getTime() === new Date(c.due_at).getTime()) return null;
        await this.act.run(m, SYSTEM_ACTOR('calendar'), caseId, 'recompute_deadline', { reason, requestedBy });
        return { from: new Date(c.due_at), to: d.dueAt };
      });
    } catch (e) {
      // The state machine refused (the case moved on under the lock): its transaction is rolled back whole.
      if (e instanceof DomainError) return null;
      throw e;
    }
  }

  /** One waiting case, locked and counted again as `apply` does a running one; null when nothing changes. */
  private async applyWaiting(caseId: string, reason: string, requestedBy: string): Promise<{ from: Date | null; to: Date | null; pausedAt: Date } | null> {
    try {
      return await inCaseTransaction(this.ds, async (m) => {
        const c = await lockCaseToAct(m, caseId);
        if (!c || c.status !== 'awaiting_info') return null;
        const { seen } = await currentPauseSeen(m, this.sla, c);
        if (!seen || sameInstant(seen.pastDue, c.paused_past_due)) return null;
        await this.act.run(m, SYSTEM_ACTOR('calendar'), caseId, 'recompute_deadline', { reason, requestedBy });
        return { from: c.paused_past_due, to: seen.pastDue, pausedAt: seen.pausedAt };
      });
    } catch (e) {
      if (e instanceof DomainError) return null;
      throw e;
    }
  }

  /**
   * Cases waiting on the citizen whose open pause began in the year or after, with a run begun before its
   * end: only then can the year's days decide whether the deadline had passed when the pause began (a
   * pause begun before the year compares it with days before the year alone).
   */
  private async *waitingCandidates(year: number, unit: string | null): AsyncGenerator<WaitingCandidate[]> {
    const from = new Date(`${year}-01-01T00:00:00+07:00`);
    const to = new Date(`${year + 1}-01-01T00:00:00+07:00`);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await selectRows<WaitingCandidate>(
        this.ds,
        `SELECT c.id, c.tracking_code, c.unit_code, c.stage, c.stage_started_at, c.stage_minutes, c.extension_minutes, c.paused_past_due
           FROM cases c
          WHERE c.status = 'awaiting_info' AND c.stage IS NOT NULL AND c.stage_minutes IS NOT NULL AND c.stage_started_at < $2
            AND EXISTS (SELECT 1 FROM case_pauses p WHERE p.case_id = c.id AND p.stage = c.stage AND p.ended_at IS NULL AND p.started_at >= $1)
            AND ($3::text IS NULL OR c.unit_code = $3) AND c.id > $4
          ORDER BY c.id LIMIT ${PAGE}`,
        [from, to, unit, after],
      );
      if (rows.length) yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  private async *candidates(year: number, unit: string | null): AsyncGenerator<Candidate[]> {
    // The year's bounds in Hanoi time, where the calendar's days are.
    const from = new Date(`${year}-01-01T00:00:00+07:00`);
    const to = new Date(`${year + 1}-01-01T00:00:00+07:00`);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await selectRows<Candidate>(
        this.ds,
        `SELECT id, tracking_code, unit_code, stage, stage_started_at, stage_minutes, extension_minutes, due_at
           FROM cases
          WHERE status = ANY($1::text[]) AND due_at >= $2 AND stage_started_at < $3 AND stage IS NOT NULL AND stage_minutes IS NOT NULL
            AND ($4::text IS NULL OR unit_code = $4) AND id > $5
          ORDER BY id LIMIT ${PAGE}`,
        [RUNNING, from, to, unit, after],
      );
      if (rows.length) yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  private async pausesOf(caseIds: string[]): Promise<Map<string, (ClockPause & { stage: Stage })[]>> {
    const rows = await selectRows<{ case_id: string; stage: Stage; started_at: Date; ended_at: Date | null }>(
      this.ds,
      `SELECT case_id, stage, started_at, ended_at FROM case_pauses WHERE case_id = ANY($1::uuid[]) ORDER BY id`,
      [caseIds],
    );
    const byCase = new Map<string, (ClockPause & { stage: Stage })[]>();
    for (const r of rows) {
      byCase.set(r.case_id, [...(byCase.get(r.case_id) ?? []), { stage: r.stage, from: new Date(r.started_at), to: r.ended_at ? new Date(r.ended_at) : null }]);
    }
    return byCase;
  }
}
