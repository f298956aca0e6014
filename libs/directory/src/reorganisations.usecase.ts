import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  ConflictError,
  endingUnits,
  neededUnits,
  NotFoundError,
  parsePlan,
  PlanEvaluation,
  ReorganisationPlan,
  UnprocessableError,
  ValidationError,
} from '@fr/domain';
import {
  activeOfficersWithRole,
  ADVISORY_LOCK,
  advisoryXactLock,
  execute,
  selectRow,
  selectRows,
  Sql,
  writeAuditEvent,
  writeNotifications,
  writeOutbox,
} from '@fr/persistence';
import { jobIdFor, JobName, QUEUE_OF } from '@fr/queue';
import { Clock, MAX_TIMER_DELAY_MS } from '@fr/sla';
import { applyPlan, dryRunPlan } from './reorganisation-store';

/** The inbox kind of the notice that a due plan could not be applied. */
export const REORGANISATION_UNRESOLVED_KIND = 'reorganisation.unresolved';

/** `cancelled`: withdrawn by an administrator before its date; kept, never applied, blocking no later plan. */
export type ReorganisationStatus = 'scheduled' | 'applied' | 'cancelled';

export interface ReorganisationView {
  id: string;
  name: string;
  effectiveAt: Date;
  status: ReorganisationStatus;
  /** The file of config/reorganisations it came from; null when an administrator posted it. */
  source: string | null;
  createdAt: Date;
  appliedAt: Date | null;
  cancelledAt: Date | null;
  plan: ReorganisationPlan;
  /** What the application did (or, while scheduled, what stopped it at its date). */
  result: PlanEvaluation | null;
}

interface ReorganisationRow {
  id: string;
  name: string;
  effective_at: Date;
  status: ReorganisationStatus;
  source: string | null;
  created_at: Date;
  applied_at: Date | null;
  cancelled_at: Date | null;
  plan: ReorganisationPlan;
  result: PlanEvaluation | null;
}

const COLUMNS = `id, name, effective_at, status, source, created_at, applied_at, cancelled_at, plan, result`;

function view(r: ReorganisationRow): ReorganisationView {
  return {
    id: r.id,
    name: r.name,
    effectiveAt: r.effective_at,
    status: r.status,
    source: r.source,
    createdAt: r.created_at,
    appliedAt: r.applied_at,
    cancelledAt: r.cancelled_at,
    plan: r.plan,
    result: r.result,
  };
}

/** A plan as the API received it: read and checked, or refused with every problem (400). */
export function readPlan(body: unknown): ReorganisationPlan {
  const { plan, problems } = parsePlan(body, { numbersAsText: false });
  if (!plan) {
    // Each problem that has a place names its field (plan.merges[0].into -> merges[0].into), as the validation pipe's errors do,
    // and goes under that field alone.
    throw ValidationError.ofProblems(problems.map((problem) => ({ field: /^plan\.([^\s:]+)/.exec(problem)?.[1] ?? null, problem })));
  }
  return plan;
}

/**
 * Records a plan to be applied at its date: through the outbox, a job of a deterministic id, delayed
 * until then (a longer wait than a timer can hold wakes early and finds it not due; the maintenance
 * sweep applies whatever is due in any case). Refused when the dry run leaves anything unresolved.
 */
export async function scheduleReorganisation(
  db: DataSource,
  plan: ReorganisationPlan,
  opts: { actor: string; source: string | null; now: Date },
): Promise<{ id: string; report: PlanEvaluation }> {
  return db.transaction(async (m) => {
    if (opts.source === null) {
      // A retried or doubled request: each dry run passes (neither sees the other), and the second
      // application would find its units already made and stay scheduled, unresolved, for ever.
      await advisoryXactLock(m, ADVISORY_LOCK.reorganisationSchedule);
      const refusal = await refusalBesideScheduled(m, plan);
      if (refusal) throw new ConflictError(refusal);
    }
    const report = await dryRunPlan(m, plan);
    if (report.unresolved.length)
      throw new UnprocessableError(`the plan leaves ${report.unresolved.length} problem(s) unresolved: ${report.unresolved.join('; ')}`);
    const row = await selectRow<{ id: string }>(
      m,
      `INSERT INTO reorganisations (name, source, effective_at, plan, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [plan.name, opts.source, new Date(plan.effectiveAt), JSON.stringify(plan), opts.actor],
    );
    const payload = { reorganisationId: row!.id };
    await writeOutbox(m, {
      queue: QUEUE_OF[JobName.ApplyReorganisation],
      name: JobName.ApplyReorganisation,
      jobId: jobIdFor(JobName.ApplyReorganisation, payload),
      payload,
      delayMs: Math.min(MAX_TIMER_DELAY_MS, Math.max(0, new Date(plan.effectiveAt).getTime() - opts.now.getTime())),
    });
    return { id: row!.id, report };
  });
}

/**
 * Applies a scheduled reorganisation once its date has come: the row, locked, is the guard (a second
 * run, from the job or the sweep, finds it applied and does nothing). All in one transaction.
 * Returns whether it was applied now.
 */
export async function applyReorganisation(db: DataSource, id: string, now: Date, logger?: Logger): Promise<boolean> {
  return db.transaction(async (m) => {
    await advisoryXactLock(m, ADVISORY_LOCK.reorganisationApply);
    // Plans due before this one go first, as the sweep orders them: each plan's job runs when it runs (workers
    // down over both dates, a queue's order), and a later rename applied first was undone by the earlier one.
    const earlier = await selectRows<{ id: string }>(
      m,
      `SELECT e.id::text AS id FROM reorganisations e, reorganisations t
        WHERE t.id = $1 AND e.status = 'scheduled' AND e.effective_at <= $2 AND (e.effective_at, e.created_at) < (t.effective_at, t.created_at)
        ORDER BY e.effective_at, e.created_at`,
      [id, now],
    );
    for (const e of earlier) await applyScheduled(m, e.id, now, logger);
    return applyScheduled(m, id, now, logger);
  });
}

/** One scheduled plan due by `now`, under the applier's lock; whether it was applied now. */
async function applyScheduled(m: EntityManager, id: string, now: Date, logger?: Logger): Promise<boolean> {
  const row = await selectRow<{ plan: ReorganisationPlan; result: PlanEvaluation | null }>(
    m,
    `SELECT plan, result FROM reorganisations WHERE id = $1 AND status = 'scheduled' AND effective_at <= $2 FOR UPDATE`,
    [id, now],
  );
  if (!row) return false;
  const result = await applyPlan(m, row.plan, id, now);
  if (result.unresolved.length) {
    // Something changed since it was scheduled (a designation cleared): left scheduled, with why.
    await execute(m, `UPDATE reorganisations SET result = $2 WHERE id = $1`, [id, JSON.stringify(result)]);
    logger?.warn(`reorganisation ${id} is due but unresolved: ${result.unresolved.join('; ')}`);
    // The sweep tries again every tick: the administrators hear of it once, and again only when the kinds
    // of reason change, not the cases named (one a case, so every case opened or closed wrote a notice).
    if (reasonKinds(row.result?.unresolved ?? []) !== reasonKinds(result.unresolved)) await tellAdminsUnresolved(m, id, row.plan, result.unresolved);
    return false;
  }
  await execute(m, `UPDATE reorganisations SET status = 'applied', applied_at = $2, result = $3 WHERE id = $1`, [id, now, JSON.stringify(result)]);
  return true;
}

/**
 * Withdraws a plan not applied yet: it stays listed, as cancelled, is never applied and blocks no later
 * plan. It takes the applier's lock, so a plan is cancelled or applied, never both: a cancel that
 * waits on an application in progress then finds the plan applied. A plan already cancelled is left
 * as it is (a retried request), with no second event.
 */
export async function cancelReorganisation(db: DataSource, id: string, opts: { actor: string; now: Date }): Promise<void> {
  await db.transaction(async (m) => {
    await advisoryXactLock(m, ADVISORY_LOCK.reorganisationApply);
    const row = await selectRow<{ name: string; status: ReorganisationStatus; effective_at: Date; applied_at: Date | null }>(
      m,
      `SELECT name, status, effective_at, applied_at FROM reorganisations WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!row) throw new NotFoundError('reorganisation', id);
    if (row.status === 'cancelled') return;
    if (row.status === 'applied') {
      throw new ConflictError(
        `reorganisation ${id} ('${row.name}') was applied at ${row.applied_at!.toISOString()}: an applied plan cannot be cancelled; post a new plan to change the organisation again`,
      );
    }
    await execute(m, `UPDATE reorganisations SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 WHERE id = $1`, [id, opts.now, opts.actor]);
    await writeAuditEvent(m, {
      caseId: null,
      actor: opts.actor,
      action: 'reorganisation_cancelled',
      data: { reorganisationId: id, name: row.name, effectiveAt: row.effective_at.toISOString() },
    });
  });
}

/** The reasons a plan is unresolved without the cases they name: the same kinds of reason read alike. */
export function reasonKinds(unresolved: readonly string[]): string {
  return JSON.stringify([...new Set(unresolved.map((r) => r.replace(/^case \S+ at /, 'case at ')))].sort());
}

/** A due plan left unapplied would otherwise only be in the log: the administrators, who can fix or cancel it, are told. */
async function tellAdminsUnresolved(db: Sql, id: string, plan: ReorganisationPlan, unresolved: readonly string[]): Promise<void> {
  const shown = unresolved.slice(0, 3).join('; ') + (unresolved.length > 3 ? `; và ${unresolved.length - 3} vấn đề khác` : '');
  const admins = await activeOfficersWithRole(db, ['ADMIN']);
  await writeNotifications(
    db,
    { kind: 'reorganisation-unresolved' },
    admins.map((officerId) => ({
      officerId,
      kind: REORGANISATION_UNRESOLVED_KIND,
      title: 'Kế hoạch sắp xếp đã đến hạn nhưng chưa áp dụng được',
      body: `Kế hoạch sắp xếp ${id} ("${plan.name}", hiệu lực ${plan.effectiveAt}) chưa áp dụng được: ${shown}. Giải quyết các vấn đề này (kế hoạch sẽ được áp dụng ở lần quét sau), hoặc huỷ kế hoạch (DELETE /v1/reorganisations/${id}).`,
    })),
  );
}

/** Why the plans already scheduled keep `plan` from being scheduled (409), or null: the same plan, or one that clashes with it. */
async function refusalBesideScheduled(db: Sql, plan: ReorganisationPlan): Promise<string | null> {
  const same = await selectRow<{ id: string }>(db, `SELECT id FROM reorganisations WHERE status = 'scheduled' AND plan = $1::jsonb LIMIT 1`, [
    JSON.stringify(plan),
  ]);
  if (same) return `this plan is already scheduled as reorganisation ${same.id}`;
  return clashWithScheduled(plan, await listScheduled(db));
}

async function listScheduled(db: Sql): Promise<{ id: string; plan: ReorganisationPlan }[]> {
  return selectRows<{ id: string; plan: ReorganisationPlan }>(
    db,
    `SELECT id::text AS id, plan FROM reorganisations WHERE status = 'scheduled' ORDER BY effective_at, created_at`,
  );
}

/**
 * Why `plan` cannot be scheduled beside the plans already scheduled (in the order they will apply),
 * or null. Each passes its dry run against today's organisation, but the later one would find at its
 * date what the earlier changed, and stay scheduled, unresolved, for ever: a unit both end, a new
 * unit, area or account both make, or a unit the later one needs (a successor, a renamed unit, a
 * rule's target, the triage unit) that the earlier one ends. Plans of one date are checked both ways:
 * they apply in the order they were made (applyReorganisation), which neither author chose or saw in the
 * dry run. So two plans of one date cannot rename the same unit or re-point the same rule either: both
 * apply, and the name or target left would be the later-made one's.
 */
export function clashWithScheduled(plan: ReorganisationPlan, scheduled: readonly { id: string; plan: ReorganisationPlan }[]): string | null {
  const ends = new Set(endingUnits(plan).map((e) => e.unit));
  const makes = new Set(plan.newUnits.map((u) => u.code));
  const areas = new Set(plan.newUnits.flatMap((u) => (u.area ? [u.area.code.toUpperCase()] : [])));
  const usernames = new Set(designees(plan));
  const renames = new Set(plan.renames.map((r) => r.unit));
  const rules = new Set(plan.rules.map((r) => r.id));
  const at = Date.parse(plan.effectiveAt);
  for (const other of scheduled) {
    const which = `reorganisation ${other.id} ('${other.plan.name}', ${other.plan.effectiveAt})`;
    const cancel = `cancel that plan (DELETE /v1/reorganisations/${other.id})`;
    const ended = endingUnits(other.plan).find((e) => ends.has(e.unit));
    if (ended) return `unit '${ended.unit}' is already ended by ${which}; ${cancel} and post it again changed, or leave the unit out of this one`;
    const made = other.plan.newUnits.find((u) => makes.has(u.code));
    if (made) return `new unit '${made.code}' is already made by ${which}; ${cancel} and post it again changed, or leave the unit out of this one`;
    const area = other.plan.newUnits.find((u) => u.area && areas.has(u.area.code.toUpperCase()))?.area;
    if (area) return `new area '${area.code}' is already made by ${which}; give this plan's area another code, or ${cancel}`;
    const username = designees(other.plan).find((u) => usernames.has(u));
    if (username) return `username '${username}' is already named for a new focal point by ${which}; name another account, or ${cancel}`;
    const otherAt = Date.parse(other.plan.effectiveAt);
    if (otherAt === at) {
      const renamed = other.plan.renames.find((r) => renames.has(r.unit));
      if (renamed) {
        return `unit '${renamed.unit}' is already renamed by ${which}, of the same date: the name it keeps would depend on which plan applies last; ${cancel} and post it again changed, or leave the unit out of this one`;
      }
      const repointed = other.plan.rules.find((r) => rules.has(r.id));
      if (repointed) {
        return `rule '${repointed.id}' is already re-pointed by ${which}, of the same date: where it points would depend on which plan applies last; ${cancel} and post it again changed, or leave the rule out of this one`;
      }
    }
    if (otherAt <= at) {
      const rule = ruleOntoSplit(other.plan, plan);
      if (rule) {
        return `rule '${rule.id}' is pointed at '${rule.unit}' by ${which}, which applies ${otherAt < at ? 'first' : 'perhaps first (the same date)'}, and this plan splits that unit: it could never apply; point the rule in this plan too, or ${cancel}`;
      }
    }
    if (otherAt >= at) {
      const rule = ruleOntoSplit(plan, other.plan);
      if (rule) {
        return `this plan points rule '${rule.id}' at '${rule.unit}', which ${which} splits ${otherAt > at ? 'after it' : 'perhaps after it (the same date)'}: that plan could never apply; point the rule elsewhere, or ${cancel}`;
      }
    }
    if (otherAt <= at) {
      const endedBefore = new Set(endingUnits(other.plan).map((e) => e.unit));
      const need = neededUnits(plan).find((n) => endedBefore.has(n.unit));
      if (need) {
        const first = otherAt < at ? 'which applies first' : 'which may apply first (the same date)';
        return `unit '${need.unit}' is ended by ${which}, ${first}, and in this plan it ${need.role}: this plan could never apply; ${cancel}, or leave the unit out of this one`;
      }
    }
    if (otherAt >= at) {
      const need = neededUnits(other.plan).find((n) => ends.has(n.unit));
      if (need) {
        const before = otherAt > at ? 'before' : 'perhaps before (the same date)';
        return `this plan ends unit '${need.unit}' ${before} ${which}, in which it ${need.role}: that plan could never apply; date this plan after it, leave the unit out of this one, or ${cancel}`;
      }
    }
  }
  return null;
}

/** A rule one plan points at a unit the other splits: routing would not know which part takes it. */
function ruleOntoSplit(pointing: ReorganisationPlan, splitting: ReorganisationPlan): { id: string; unit: string } | undefined {
  const split = new Set(
    endingUnits(splitting)
      .filter((e) => e.successors.length !== 1)
      .map((e) => e.unit),
  );
  return pointing.rules.find((r) => split.has(r.unit));
}

/** The accounts a plan creates for its new units' focal points, lower case as usernames compare. */
function designees(plan: ReorganisationPlan): string[] {
  return plan.newUnits.flatMap((u) => [u.handler, u.leader]).flatMap((d) => (d ? [d.username.toLowerCase()] : []));
}

export async function listReorganisations(db: Sql, id?: string): Promise<ReorganisationView[]> {
  const rows = await selectRows<ReorganisationRow>(
    db,
    `SELECT ${COLUMNS} FROM reorganisations WHERE $1::uuid IS NULL OR id = $1 ORDER BY effective_at, created_at`,
    [id ?? null],
  );
  return rows.map(view);
}

/** The dry run, the scheduling and the reading of reorganisation plans (ADMIN over the API). */
@Injectable()
export class PlanReorganisation {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  /** What scheduling would find: the plans already scheduled that would refuse it (409) are among what stops it. */
  async dryRun(plan: ReorganisationPlan): Promise<PlanEvaluation> {
    const report = await dryRunPlan(this.ds, plan);
    const refusal = await refusalBesideScheduled(this.ds, plan);
    return refusal ? { ...report, unresolved: [refusal, ...report.unresolved] } : report;
  }

  async schedule(plan: ReorganisationPlan, actorId: string): Promise<ReorganisationView> {
    const { id } = await scheduleReorganisation(this.ds, plan, { actor: `officer:${actorId}`, source: null, now: this.clock.now() });
    return (await listReorganisations(this.ds, id))[0];
  }

  list(): Promise<ReorganisationView[]> {
    return listReorganisations(this.ds);
  }

  async cancel(id: string, actorId: string): Promise<ReorganisationView> {
    await cancelReorganisation(this.ds, id, { actor: `officer:${actorId}`, now: this.clock.now() });
    return this.get(id);
  }

  async get(id: string): Promise<ReorganisationView> {
    const [r] = await listReorganisations(this.ds, id);
    if (!r) throw new NotFoundError('reorganisation', id);
    return r;
  }
}

/** Applies scheduled reorganisations at their date: one by its job, or every due one (the maintenance sweep). */
@Injectable()
export class ApplyReorganisation {
  private readonly logger = new Logger(ApplyReorganisation.name);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  execute(id: string): Promise<boolean> {
    return applyReorganisation(this.ds, id, this.clock.now(), this.logger);
  }

  /** Every scheduled plan whose date has come, in date order; returns how many were applied. */
  async runDue(): Promise<number> {
    const due = await selectRows<{ id: string }>(
      this.ds,
      `SELECT id FROM reorganisations WHERE status = 'scheduled' AND effective_at <= $1 ORDER BY effective_at, created_at`,
      [this.clock.now()],
    );
    let applied = 0;
    for (const r of due) if (await this.execute(r.id)) applied++;
    return applied;
  }
}
