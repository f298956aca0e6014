import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  ComplianceTarget,
  ConflictError,
  dayOrInstantAt,
  dayOrInstantProblem,
  NotFoundError,
  TARGET_KINDS,
  TargetKind,
  UNIT_KINDS,
  UnprocessableError,
  ValidationError,
  VIETNAM_DAY_SHAPE,
} from '@fr/domain';
import { execute, selectRow, selectRows, Sql, writeAuditEvent } from '@fr/persistence';

/** A target as written by people: in config/compliance.yaml or POST /v1/compliance/targets. */
export interface TargetInput {
  id: string;
  kind: string;
  name: string;
  /** A date ('YYYY-MM-DD': through the end of that day in Vietnam) or an ISO 8601 date-time with offset. */
  dueAt?: string | null;
  /** notice_cadence: a date (from the start of that day) or a date-time. */
  startsAt?: string | null;
  thresholdPercent?: number | null;
  everyDays?: number | null;
  atRiskDays?: number | null;
  unitKinds?: string[] | null;
  unitCodes?: string[] | null;
  active?: boolean | null;
}

export type TargetChanges = Partial<Omit<TargetInput, 'id' | 'kind'>>;

/** A target's id: 1-40 lower-case letters, digits, _ . -, starting with a letter or digit. */
export const TARGET_ID = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

/** A date names a Vietnamese day: a deadline ends with it, a start begins with it. */
export function parseInstant(raw: string, field: string, edge: 'start' | 'end', problems: string[]): Date | null {
  const problem = dayOrInstantProblem(field, raw, { shape: VIETNAM_DAY_SHAPE, echo: true });
  if (problem) {
    problems.push(problem);
    return null;
  }
  return dayOrInstantAt(raw, edge);
}

const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Checks a target's fields together (which fields a kind needs) and returns the target, or every
 * problem found, each naming its field. `where` prefixes the messages (a config file's place).
 * `wardsOnly: false` leaves a target's unit kinds as they are (wards only for ward_adoption): a PATCH
 * that does not change them must still be able to pause a target stored before that rule. So do
 * `someUnitsJudged: false` a target for no unit (no kinds, no unitCodes) and `startsJudged: false` a
 * start on a dated target, both stored before they were refused; config/compliance.yaml, read at every
 * start though loaded only at the first, is not held to these two either: a file that started the
 * engine before still does (they judge nothing and change nothing).
 */
export function parseTarget(
  input: TargetInput,
  where = '',
  { wardsOnly = true, someUnitsJudged = wardsOnly, startsJudged = true }: { wardsOnly?: boolean; someUnitsJudged?: boolean; startsJudged?: boolean } = {},
): { target: ComplianceTarget | null; problems: string[] } {
  const problems: string[] = [];
  const at = (field: string) => `${where}${field}`;
  if (typeof input.id !== 'string' || !TARGET_ID.test(input.id))
    problems.push(`${at('id')} must be 1-40 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit`);
  const kind = input.kind as TargetKind;
  if (!TARGET_KINDS.includes(kind)) problems.push(`${at('kind')} must be one of ${TARGET_KINDS.join(', ')}`);
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200)
    problems.push(`${at('name')} must be a text of 1 to 200 characters`);
  const cadence = kind === 'notice_cadence';
  const dueAt = input.dueAt ? parseInstant(input.dueAt, at('dueAt'), 'end', problems) : null;
  const startsAt = input.startsAt ? parseInstant(input.startsAt, at('startsAt'), 'start', problems) : null;
  if (!cadence && TARGET_KINDS.includes(kind) && !input.dueAt) problems.push(`${at('dueAt')} is required for a ${kind} target (its deadline)`);
  if (cadence && input.dueAt) problems.push(`${at('dueAt')} is not taken by a notice_cadence target: its deadlines follow each notice`);
  if (cadence && !input.startsAt) problems.push(`${at('startsAt')} is required for a notice_cadence target (from when notices are counted)`);
  // Stored and listed, it told readers the target started then, and changed nothing: a dated target runs to its dueAt.
  if (startsJudged && !cadence && TARGET_KINDS.includes(kind) && input.startsAt)
    problems.push(`${at('startsAt')} is taken only by a notice_cadence target: a ${kind} target runs to its dueAt`);
  if (cadence && !isInt(input.everyDays, 1, 365)) problems.push(`${at('everyDays')} must be an integer from 1 to 365 for a notice_cadence target`);
  if (!cadence && input.everyDays != null) problems.push(`${at('everyDays')} is taken only by a notice_cadence target`);
  const headcount = kind === 'staff_onboarding' || kind === 'ward_adoption';
  const threshold = input.thresholdPercent ?? (headcount ? 100 : null);
  if (headcount && !(typeof threshold === 'number' && threshold > 0 && threshold <= 100))
    problems.push(`${at('thresholdPercent')} must be a number above 0 and at most 100`);
  if (!headcount && input.thresholdPercent != null) problems.push(`${at('thresholdPercent')} is taken only by staff_onboarding and ward_adoption targets`);
  if (input.atRiskDays != null && !isInt(input.atRiskDays, 0, 365)) problems.push(`${at('atRiskDays')} must be an integer from 0 to 365`);
  const defaultKinds = kind === 'ward_adoption' ? ['ward'] : kind === 'notice_cadence' ? ['department', 'ward'] : [...UNIT_KINDS];
  const unitKinds = input.unitKinds ?? defaultKinds;
  if (!Array.isArray(unitKinds) || unitKinds.some((k) => !(UNIT_KINDS as readonly string[]).includes(k))) {
    problems.push(`${at('unitKinds')} must list unit kinds among ${UNIT_KINDS.join(', ')}`);
  }
  // Adoption is reported for a ward's residents only (PUT /v1/units/{code}/adoption refuses any other
  // unit): on another kind of unit the target could never be met, and its alerts would go on for ever.
  if (wardsOnly && kind === 'ward_adoption' && Array.isArray(unitKinds) && unitKinds.some((k) => k !== 'ward')) {
    problems.push(`${at('unitKinds')} of a ward_adoption target must be ['ward']: adoption figures are a ward's residents`);
  }
  const unitCodes = input.unitCodes ?? null;
  if (unitCodes !== null && (!Array.isArray(unitCodes) || unitCodes.some((c) => typeof c !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(c)))) {
    problems.push(`${at('unitCodes')} must list unit codes`);
  }
  // No kinds and no units: a target for nobody, shown on the board with nothing to judge and telling no one.
  if (someUnitsJudged && Array.isArray(unitKinds) && unitKinds.length === 0 && !(Array.isArray(unitCodes) && unitCodes.length)) {
    problems.push(`${at('unitKinds')} must name at least one kind of unit (or unitCodes the units): the target would concern no unit`);
  }
  if (problems.length) return { target: null, problems };
  return {
    target: {
      id: input.id,
      kind,
      name: input.name.trim(),
      dueAt,
      startsAt,
      thresholdPercent: headcount ? threshold : null,
      everyDays: cadence ? input.everyDays! : null,
      atRiskDays: input.atRiskDays ?? null,
      unitKinds: [...new Set(unitKinds)],
      unitCodes: unitCodes && unitCodes.length ? [...new Set(unitCodes)] : null,
      active: input.active ?? true,
    },
    problems,
  };
}

interface TargetRow {
  id: string;
  kind: TargetKind;
  name: string;
  due_at: Date | null;
  starts_at: Date | null;
  threshold_percent: number | null;
  every_days: number | null;
  at_risk_days: number | null;
  unit_kinds: string[];
  unit_codes: string[] | null;
  active: boolean;
}

const COLUMNS = `id, kind, name, due_at, starts_at, threshold_percent::float8 AS threshold_percent, every_days, at_risk_days, unit_kinds, unit_codes, active`;

function toTarget(r: TargetRow): ComplianceTarget {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    dueAt: r.due_at,
    startsAt: r.starts_at,
    thresholdPercent: r.threshold_percent,
    everyDays: r.every_days,
    atRiskDays: r.at_risk_days,
    unitKinds: r.unit_kinds,
    unitCodes: r.unit_codes,
    active: r.active,
  };
}

export function targetView(t: ComplianceTarget) {
  return {
    id: t.id,
    kind: t.kind,
    name: t.name,
    dueAt: t.dueAt?.toISOString() ?? null,
    startsAt: t.startsAt?.toISOString() ?? null,
    thresholdPercent: t.thresholdPercent,
    everyDays: t.everyDays,
    atRiskDays: t.atRiskDays,
    unitKinds: t.unitKinds,
    unitCodes: t.unitCodes,
    active: t.active,
  };
}
export type TargetView = ReturnType<typeof targetView>;

export async function readTargets(db: Sql, opts: { activeOnly: boolean }): Promise<ComplianceTarget[]> {
  const rows = await selectRows<TargetRow>(db, `SELECT ${COLUMNS} FROM compliance_targets ${opts.activeOnly ? 'WHERE active' : ''} ORDER BY id`);
  return rows.map(toTarget);
}

async function insertTarget(m: EntityManager, t: ComplianceTarget, actor: string): Promise<boolean> {
  const row = await selectRow<{ id: string }>(
    m,
    `INSERT INTO compliance_targets (id, kind, name, due_at, starts_at, threshold_percent, every_days, at_risk_days, unit_kinds, unit_codes, active, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [t.id, t.kind, t.name, t.dueAt, t.startsAt, t.thresholdPercent, t.everyDays, t.atRiskDays, t.unitKinds, t.unitCodes, t.active, actor],
  );
  return !!row;
}

/** The targets themselves: ADMIN and SUPERVISOR define them; everyone who sees the board reads them. */
@Injectable()
export class ComplianceTargets {
  constructor(private readonly ds: DataSource) {}

  async list(): Promise<TargetView[]> {
    return (await readTargets(this.ds, { activeOnly: false })).map(targetView);
  }

  async create(actor: string, input: TargetInput): Promise<TargetView> {
    const { target, problems } = parseTarget(input);
    if (!target) throw problemsError(problems);
    await this.ds.transaction(async (m) => {
      await assertUnitsExist(m, target.unitCodes, target.kind);
      if (!(await insertTarget(m, target, actor))) throw new ConflictError(`target '${target.id}' already exists; change it with PATCH`);
      await writeAuditEvent(m, { caseId: null, actor, action: 'compliance_target_created', data: targetView(target) });
    });
    return targetView(target);
  }

  /** Changes what may change (not the id or kind: a different target is a new one). */
  async update(actor: string, id: string, changes: TargetChanges): Promise<TargetView> {
    // As PATCH /v1/officers/{id}: a body of nothing (or of nulls, which mean absent) was answered 200 and
    // audited as a change of nothing.
    if (Object.values(changes).every((v) => v === undefined || v === null)) {
      const fields = ['name', 'dueAt', 'startsAt', 'thresholdPercent', 'everyDays', 'atRiskDays', 'unitKinds', 'unitCodes', 'active'];
      throw new ValidationError(`nothing to update: send at least one of ${fields.join(', ')}`, fields);
    }
    return this.ds.transaction(async (m) => {
      const row = await selectRow<TargetRow>(m, `SELECT ${COLUMNS} FROM compliance_targets WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new NotFoundError('target', id);
      const current = targetView(toTarget(row));
      const merged: TargetInput = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
      // The units are judged when the PATCH names them: a target stored before wards alone were taken
      // for ward_adoption can still be paused or renamed.
      const unitsChanged = changes.unitKinds != null || changes.unitCodes != null;
      const { target, problems } = parseTarget(merged, '', { wardsOnly: unitsChanged, startsJudged: changes.startsAt != null });
      if (!target) throw problemsError(problems);
      await assertUnitsExist(m, target.unitCodes, unitsChanged ? target.kind : undefined);
      await execute(
        m,
        `UPDATE compliance_targets SET name = $2, due_at = $3, starts_at = $4, threshold_percent = $5, every_days = $6, at_risk_days = $7,
                unit_kinds = $8, unit_codes = $9, active = $10, updated_at = now() WHERE id = $1`,
        [
          id,
          target.name,
          target.dueAt,
          target.startsAt,
          target.thresholdPercent,
          target.everyDays,
          target.atRiskDays,
          target.unitKinds,
          target.unitCodes,
          target.active,
        ],
      );
      await writeAuditEvent(m, { caseId: null, actor, action: 'compliance_target_changed', data: { id, changes: Object.keys(changes) } });
      return targetView(target);
    });
  }

  /** config/compliance.yaml's targets, once: later starts leave what administrators changed alone. */
  async loadOnce(targets: readonly ComplianceTarget[]): Promise<number> {
    return this.ds.transaction(async (m) => {
      const claimed = await selectRow<{ key: string }>(
        m,
        `INSERT INTO system_state (key, value) VALUES ('compliance_targets_loaded', to_jsonb($1::int)) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [targets.length],
      );
      if (!claimed) return 0;
      let n = 0;
      for (const t of targets) if (await insertTarget(m, t, 'config')) n++;
      if (n) await writeAuditEvent(m, { caseId: null, actor: 'system', action: 'compliance_targets_loaded', data: { ids: targets.map((t) => t.id) } });
      return n;
    });
  }
}

async function assertUnitsExist(m: EntityManager, codes: string[] | null, kind?: TargetKind): Promise<void> {
  if (!codes?.length) return;
  const found = await selectRows<{ code: string; kind: string }>(m, `SELECT code, kind FROM units WHERE code = ANY($1::text[])`, [codes]);
  const missing = codes.filter((c) => !found.some((f) => f.code === c));
  if (missing.length) throw new UnprocessableError(`unitCodes has unknown unit(s) ${missing.join(', ')}; see GET /v1/units`);
  const notWards = kind === 'ward_adoption' ? found.filter((f) => f.kind !== 'ward') : [];
  if (notWards.length) {
    throw new UnprocessableError(
      `unitCodes of a ward_adoption target must be wards: adoption figures are a ward's residents (${notWards.map((u) => `${u.code} is of kind ${u.kind}`).join(', ')})`,
    );
  }
}

/**
 * Problems that each begin with their field's name, as a ValidationError whose errors[] gives each field
 * its own: joined on one line, the whole message was told under every field.
 */
export function problemsError(problems: readonly string[]): ValidationError {
  return ValidationError.ofProblems(problems.map((p) => ({ field: p.split(' ')[0], problem: p })));
}
