import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  answerProblem,
  CaseAction,
  CaseState,
  ClockPause,
  ConflictError,
  NotFoundError,
  transition,
  UnprocessableError,
  ValidationError,
} from '@fr/domain';
import { writeAuditEvent, writeOutboxWithCaseEventStates } from '@fr/persistence';
import { caseEventMessage } from '@fr/queue';
import { Clock, scheduleSlaTimers, SEVERITIES, Severity, SlaService, Stage, StageClock } from '@fr/sla';
import { CaseActor, inScope } from './actor';

export interface ActionInput {
  expectedVersion?: number;
  severity?: string;
  message?: string;
  unitCode?: string;
  reason?: string;
  answer?: string;
  attachments?: { url: string; kind: string }[];
  until?: string;
  text?: string;
}

interface CaseRow {
  id: string;
  status: CaseState;
  version: number;
  category_code: string;
  unit_code: string | null;
  handler_id: string | null;
  severity: Severity;
  stage: 'receive' | 'resolve' | null;
  stage_started_at: Date | null;
  stage_minutes: number | null;
  extension_minutes: number;
  extension_count: number;
  resolve_from: Date | null;
  due_at: Date | null;
}

/** What one action changes, beyond the state: columns, an audit reason and data, whether citizens see it. */
interface Effect {
  set: Record<string, unknown>;
  reason?: string | null;
  data?: Record<string, unknown>;
  citizenVisible: boolean;
  bumpsVersion: boolean;
}

export interface ActionResult {
  caseId: string;
  status: CaseState;
  version: number;
}

/**
 * Every officer's and citizen's action on a case goes through here: the row is locked, the caller's
 * scope and the expected version checked, the state machine consulted, and the change, its audit
 * event and the citizen-facing event written in one transaction.
 */
@Injectable()
export class ActOnCase {
  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
    private readonly clock: Clock,
  ) {}

  execute(actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput): Promise<ActionResult> {
    return this.ds.transaction((m) => this.run(m, actor, caseId, action, input));
  }

  /** For use cases that already hold a transaction (a rating that reopens the case, a sweep). */
  async run(m: EntityManager, actor: CaseActor, caseId: string, action: CaseAction, input: ActionInput): Promise<ActionResult> {
    const [row]: CaseRow[] = await m.query(
      `SELECT id, status, version, category_code, unit_code, handler_id, severity, stage, stage_started_at, stage_minutes,
              extension_minutes, extension_count, resolve_from, due_at
         FROM cases WHERE id = $1 FOR UPDATE`,
      [caseId],
    );
    if (!row || !inScope(actor, row.unit_code)) throw new NotFoundError('case', caseId);
    const to = transition(row.status, action, actor.role);
    if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
      throw new ConflictError(
        `case ${caseId} has changed: expectedVersion ${input.expectedVersion}, current version ${row.version} (state '${row.status}'); reload and retry`,
      );
    }
    const now = this.clock.now();
    const effect = await this.effectOf(m, actor, row, action, input, now);

    const sets = Object.keys(effect.set);
    const assignments = sets.map((col, i) => `${col} = $${i + 3}`);
    if (effect.bumpsVersion) assignments.push('version = version + 1');
    await m.query(`UPDATE cases SET status = $2, updated_at = now()${assignments.length ? ', ' + assignments.join(', ') : ''} WHERE id = $1`, [
      caseId,
      to,
      ...sets.map((c) => effect.set[c]),
    ]);
    if (effect.set.due_at) {
      await scheduleSlaTimers(m, this.sla, {
        caseId,
        stage: (effect.set.stage ?? row.stage) as Stage,
        stageStartedAt: new Date((effect.set.stage_started_at ?? row.stage_started_at) as Date),
        dueAt: effect.set.due_at as Date,
        warnAt: (effect.set.warn_at as Date | null) ?? null,
        unit: ((effect.set.unit_code as string | undefined) ?? row.unit_code) || null,
      });
    }
    const eventId = await writeAuditEvent(m, {
      caseId,
      actor: actor.label,
      action,
      fromState: row.status,
      toState: to,
      reason: effect.reason ?? null,
      data: effect.data,
    });
    if (effect.citizenVisible) await writeOutboxWithCaseEventStates(m, [caseEventMessage(caseId, eventId)], [{ caseId, eventId }]);
    return { caseId, status: to, version: row.version + (effect.bumpsVersion ? 1 : 0) };
  }

  private async effectOf(m: EntityManager, actor: CaseActor, c: CaseRow, action: CaseAction, input: ActionInput, now: Date): Promise<Effect> {
    const visible = (set: Record<string, unknown>, extra: Partial<Effect> = {}): Effect => ({ set, citizenVisible: true, bumpsVersion: true, ...extra });
    switch (action) {
      case 'acknowledge': {
        const severity = (input.severity ?? 'normal') as Severity;
        if (!SEVERITIES.includes(severity)) throw new ValidationError(`severity must be one of ${SEVERITIES.join(', ')}`, ['severity']);
        const clock = this.sla.resolveClock(c.resolve_from ?? now, severity, { category: c.category_code, unit: c.unit_code });
        const d = this.sla.deadlines(clock, await this.pauses(m, c.id, 'resolve'));
        return visible({ severity, acknowledged_at: now, ...this.clockColumns(clock, d) }, { data: { severity, dueAt: d.dueAt } });
      }
      case 'request-info': {
        const message = required(input.message, 'message');
        await this.message(m, c.id, 'info_request', actor.label, message, []);
        if (c.stage) await m.query(`INSERT INTO case_pauses (case_id, stage, started_at) VALUES ($1, $2, $3)`, [c.id, c.stage, now]);
        return visible({ due_at: null, warn_at: null }, { data: { paused: c.stage } });
      }
      case 'supply-info': {
        const message = required(input.message, 'message');
        await this.message(m, c.id, 'info_reply', actor.label, message, input.attachments ?? []);
        await m.query(`UPDATE case_pauses SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [c.id, now]);
        const d = await this.recompute(m, c);
        return visible({ due_at: d.dueAt, warn_at: d.warnAt }, { data: { resumed: c.stage, dueAt: d.dueAt } });
      }
      case 'transfer':
      case 'assign': {
        const unitCode = required(input.unitCode, 'unitCode');
        const reason = action === 'transfer' ? required(input.reason, 'reason') : (input.reason ?? null);
        if (unitCode === c.unit_code && action === 'transfer') throw new UnprocessableError(`the case is already with unit '${unitCode}'`);
        // FOR SHARE: a designation change of that unit either commits first (we see it) or waits for us
        // and then moves this case along with the unit's other open cases.
        const [unit] = await m.query(`SELECT code, active, handler_id, leader_id FROM units WHERE code = $1 FOR SHARE`, [unitCode]);
        if (!unit || !unit.active) throw new UnprocessableError(`unit '${unitCode}' does not exist or is not active`);
        if (!unit.handler_id) {
          throw new UnprocessableError(`unit '${unitCode}' has no designated handler; designate one first (PUT /v1/units/${unitCode}/designation)`);
        }
        await this.reassign(m, c.id, unitCode, unit.handler_id, unit.leader_id, action, now);
        // The new unit gets its own receive and resolve clocks (DOMAIN.md: a transfer restarts them).
        const clock = this.sla.receiveClock(now, { category: c.category_code, unit: unitCode });
        const d = this.sla.deadlines(clock, []);
        return visible(
          {
            unit_code: unitCode,
            handler_id: unit.handler_id,
            leader_id: unit.leader_id,
            triage_reason: null,
            resolve_from: now,
            ...this.clockColumns(clock, d),
            ...(action === 'transfer' ? { transfer_count: await this.bump(m, c.id, 'transfer_count') } : {}),
          },
          { reason, data: { fromUnit: c.unit_code, toUnit: unitCode, handlerId: unit.handler_id } },
        );
      }
      case 'return': {
        const reason = required(input.reason, 'reason');
        const [t] = await m.query(`SELECT value FROM system_state WHERE key = 'triage_unit'`);
        const triageUnit = t.value as string;
        await this.reassign(m, c.id, triageUnit, null, null, 'return', now);
        const clock = this.sla.receiveClock(now, { category: c.category_code, unit: triageUnit });
        const d = this.sla.deadlines(clock, []);
        return visible(
          {
            unit_code: triageUnit,
            handler_id: null,
            leader_id: null,
            triage_reason: 'returned',
            return_count: await this.bump(m, c.id, 'return_count'),
            resolve_from: now,
            ...this.clockColumns(clock, d),
          },
          { reason, data: { fromUnit: c.unit_code, toUnit: triageUnit } },
        );
      }
      case 'resolve': {
        const answer = required(input.answer, 'answer');
        const problem = answerProblem(answer);
        if (problem) throw new UnprocessableError(problem);
        return visible(
          {
            answer,
            resolution_attachments: JSON.stringify(input.attachments ?? []),
            resolved_at: now,
            stage: null,
            due_at: null,
            warn_at: null,
          },
          { data: { onTime: c.due_at ? now <= new Date(c.due_at) : null, attachments: (input.attachments ?? []).length } },
        );
      }
      case 'extend': {
        const reason = required(input.reason, 'reason');
        const until = new Date(required(input.until, 'until'));
        if (Number.isNaN(until.getTime())) throw new ValidationError('until must be an ISO 8601 date-time', ['until']);
        if (c.stage !== 'resolve' || !c.stage_minutes) throw new UnprocessableError('only a resolve deadline can be extended: acknowledge the case first');
        if (!c.due_at) throw new UnprocessableError('the clock is paused while the case waits on the citizen; extend after the reply');
        if (c.extension_count >= this.sla.policy.extensionMaxCount) {
          throw new UnprocessableError(`the deadline was already extended ${c.extension_count} time(s); at most ${this.sla.policy.extensionMaxCount} allowed`);
        }
        const due = new Date(c.due_at);
        if (until <= due) throw new UnprocessableError(`until must be after the current deadline ${due.toISOString()}`);
        const extra = Math.round(this.sla.calendarFor(c.unit_code).minutesBetween(due, until));
        const max = Math.floor(c.stage_minutes * this.sla.policy.extensionMaxShare);
        if (extra > max) {
          throw new UnprocessableError(`an extension may add at most ${max} working minutes (the original duration); ${until.toISOString()} adds ${extra}`);
        }
        if (extra <= 0) throw new UnprocessableError('until adds no working time to the deadline (it falls outside office hours)');
        const clock: StageClock = {
          stage: 'resolve',
          startedAt: new Date(c.stage_started_at!),
          minutes: c.stage_minutes,
          extensionMinutes: c.extension_minutes + extra,
          unit: c.unit_code,
        };
        const d = this.sla.deadlines(clock, await this.pauses(m, c.id, 'resolve'));
        return visible(
          { extension_minutes: clock.extensionMinutes, extension_count: c.extension_count + 1, due_at: d.dueAt, warn_at: d.warnAt },
          { reason, data: { fromDueAt: due, toDueAt: d.dueAt, addedWorkingMinutes: extra } },
        );
      }
      case 'note': {
        const text = required(input.text, 'text');
        const id = await this.message(m, c.id, 'note', actor.label, text, []);
        // A note changes no state: it does not race other officers' actions.
        return { set: {}, citizenVisible: false, bumpsVersion: false, data: { messageId: id } };
      }
      case 'reopen': {
        const clock = this.sla.resolveClock(now, c.severity, { category: c.category_code, unit: c.unit_code });
        const d = this.sla.deadlines(clock, []);
        return visible(
          { reopen_count: await this.bump(m, c.id, 'reopen_count'), resolved_at: null, resolve_from: now, ...this.clockColumns(clock, d) },
          { reason: input.reason ?? null },
        );
      }
      case 'close':
        return visible({ closed_at: now }, { reason: input.reason ?? null });
      case 'rate':
      case 'route':
      case 'route_to_triage':
        throw new Error(`action '${action}' has its own use case`);
    }
  }

  private clockColumns(clock: StageClock, d: { dueAt: Date | null; warnAt: Date | null }) {
    return {
      stage: clock.stage,
      stage_started_at: clock.startedAt,
      stage_minutes: clock.minutes,
      extension_minutes: clock.extensionMinutes,
      due_at: d.dueAt,
      warn_at: d.warnAt,
    };
  }

  private async recompute(m: EntityManager, c: CaseRow) {
    if (!c.stage || !c.stage_started_at || !c.stage_minutes) return { dueAt: null, warnAt: null };
    const clock: StageClock = {
      stage: c.stage,
      startedAt: new Date(c.stage_started_at),
      minutes: c.stage_minutes,
      extensionMinutes: c.extension_minutes,
      unit: c.unit_code,
    };
    return this.sla.deadlines(clock, await this.pauses(m, c.id, c.stage));
  }

  private async pauses(m: EntityManager, caseId: string, stage: string): Promise<ClockPause[]> {
    const rows = await m.query(`SELECT started_at, ended_at FROM case_pauses WHERE case_id = $1 AND stage = $2 ORDER BY id`, [caseId, stage]);
    return rows.map((r: { started_at: Date; ended_at: Date | null }) => ({ from: new Date(r.started_at), to: r.ended_at ? new Date(r.ended_at) : null }));
  }

  private async message(m: EntityManager, caseId: string, kind: string, author: string, body: string, attachments: unknown[]): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO case_messages (case_id, kind, author, body, attachments) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [caseId, kind, author, body.normalize('NFC'), JSON.stringify(attachments)],
    );
    return String(row.id);
  }

  private async reassign(m: EntityManager, caseId: string, unit: string, handler: string | null, leader: string | null, reason: string, now: Date) {
    await m.query(`UPDATE assignments SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL`, [caseId, now]);
    await m.query(
      `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, started_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [caseId, unit, handler, leader, reason, now],
    );
  }

  private async bump(m: EntityManager, caseId: string, column: 'transfer_count' | 'return_count' | 'reopen_count'): Promise<number> {
    const [row] = await m.query(`SELECT ${column} AS n FROM cases WHERE id = $1`, [caseId]);
    return row.n + 1;
  }
}

function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field} is required for this action`, [field]);
  return value;
}
