import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, DomainErrorCode, NotFoundError, OfficerRole, UnprocessableError, ValidationError } from '@fr/domain';
import { selectRow, selectRows, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { parseInstant } from './targets';

/** staff: the unit's own people with an account (onboarding); adoption: a ward's adults with an account. */
export type FigureKind = 'staff' | 'adoption';
export const FIGURE_KINDS: readonly FigureKind[] = ['staff', 'adoption'];

/** The caller may not act for this unit (an officer reports for their own unit only). */
export class OutsideUnitError extends DomainError {
  readonly code = DomainErrorCode.FORBIDDEN;
  override readonly name: string = 'OutsideUnitError';

  constructor(message: string) {
    super(message);
  }
}

export interface FigureActor {
  id: string;
  role: OfficerRole;
  unitCode: string;
}

export interface FigureInput {
  unitCode: string;
  kind: FigureKind;
  total: number;
  withAccount: number;
  /** A date (that day in Vietnam) or a date-time with offset. */
  asOf: string;
}

export interface FigureView {
  id: string;
  unitCode: string;
  kind: FigureKind;
  total: number;
  withAccount: number;
  percent: number;
  asOf: string;
  source: 'unit' | 'import';
  reportedAt: string;
}

interface FigureRow {
  id: string;
  unit_code: string;
  kind: FigureKind;
  total: number;
  with_account: number;
  as_of: Date;
  source: 'unit' | 'import';
  reported_at: Date;
}

const OFFICE_ROLES: readonly OfficerRole[] = ['ADMIN', 'SUPERVISOR'];
const UNIT_ROLES: readonly OfficerRole[] = ['LEADER', 'HANDLER'];

function view(r: FigureRow): FigureView {
  return {
    id: String(r.id),
    unitCode: r.unit_code,
    kind: r.kind,
    total: r.total,
    withAccount: r.with_account,
    percent: Math.round((r.with_account / r.total) * 10000) / 100,
    asOf: r.as_of.toISOString(),
    source: r.source,
    reportedAt: r.reported_at.toISOString(),
  };
}

/** The checks of one figure, each problem naming its field (a CSV import prefixes the line). */
function problemsOf(f: FigureInput, now: Date, where = ''): { asOf: Date | null; problems: string[] } {
  const problems: string[] = [];
  if (!FIGURE_KINDS.includes(f.kind)) problems.push(`${where}kind must be one of ${FIGURE_KINDS.join(', ')}`);
  if (!Number.isInteger(f.total) || f.total < 1 || f.total > 10_000_000) problems.push(`${where}total must be an integer from 1 to 10000000`);
  if (!Number.isInteger(f.withAccount) || f.withAccount < 0) problems.push(`${where}withAccount must be an integer of at least 0`);
  else if (Number.isInteger(f.total) && f.withAccount > f.total) problems.push(`${where}withAccount (${f.withAccount}) must not exceed total (${f.total})`);
  const asOf = typeof f.asOf === 'string' ? parseInstant(f.asOf, `${where}asOf`, 'start', problems) : null;
  if (typeof f.asOf !== 'string') problems.push(`${where}asOf is required`);
  if (asOf && asOf.getTime() > now.getTime()) problems.push(`${where}asOf must not be in the future`);
  return { asOf, problems };
}

/**
 * Head counts for the onboarding and adoption targets: an officer of the unit reports them, or the
 * office imports a CSV for many units. Every report is kept (the board reads the latest as of a day).
 */
@Injectable()
export class UnitFigures {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async report(actor: FigureActor, input: FigureInput): Promise<FigureView> {
    if (!OFFICE_ROLES.includes(actor.role) && !(UNIT_ROLES.includes(actor.role) && actor.unitCode === input.unitCode)) {
      throw new OutsideUnitError(`an officer reports only their own unit's figures (yours: ${actor.unitCode}); the office reports for any unit`);
    }
    const { asOf, problems } = problemsOf(input, this.clock.now());
    if (problems.length) throw new ValidationError(problems.join('; '), [...new Set(problems.map((p) => p.split(' ')[0]))]);
    return this.ds.transaction(async (m) => {
      await this.assertUnit(m, input.unitCode, input.kind);
      const [row] = await this.insert(m, [{ ...input, asOfAt: asOf! }], 'unit', `officer:${actor.id}`);
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${actor.id}`,
        action: 'unit_figures_reported',
        data: { unitCode: input.unitCode, kind: input.kind, total: input.total, withAccount: input.withAccount, asOf: asOf!.toISOString() },
      });
      return view(row);
    });
  }

  /**
   * The office's CSV (header `unit_code,kind,total,with_account,as_of`): all lines or none; every
   * problem is reported with its line number.
   */
  async importCsv(actorId: string, csv: string): Promise<{ imported: number }> {
    const lines = csv
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.trim());
    const header = (lines[0] ?? '')
      .toLowerCase()
      .split(',')
      .map((h) => h.trim());
    const expected = ['unit_code', 'kind', 'total', 'with_account', 'as_of'];
    if (expected.some((h, i) => header[i] !== h) || header.length !== expected.length) {
      throw new ValidationError(`the CSV must start with the header ${expected.join(',')}`, ['csv']);
    }
    const now = this.clock.now();
    const rows: (FigureInput & { asOfAt: Date; line: number })[] = [];
    const problems: string[] = [];
    lines.slice(1).forEach((line, i) => {
      if (line === '') return;
      const where = `line ${i + 2}: `;
      const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
      if (cells.length !== expected.length) return void problems.push(`${where}expected ${expected.length} values, got ${cells.length}`);
      const [unitCode, kind, total, withAccount, asOf] = cells;
      const f: FigureInput = { unitCode, kind: kind as FigureKind, total: Number(total), withAccount: Number(withAccount), asOf };
      const r = problemsOf(f, now, where);
      problems.push(...r.problems);
      if (r.asOf) rows.push({ ...f, asOfAt: r.asOf, line: i + 2 });
    });
    if (problems.length === 0 && rows.length === 0) problems.push('the CSV has no data lines');
    if (rows.length > 10_000) problems.push('at most 10000 lines per import');
    if (problems.length) throw new ValidationError(problems.slice(0, 50).join('; '), ['csv']);
    return this.ds.transaction(async (m) => {
      const units = await selectRows<{ code: string; kind: string }>(m, `SELECT code, kind FROM units WHERE code = ANY($1::text[]) AND active`, [
        [...new Set(rows.map((r) => r.unitCode))],
      ]);
      const kindOf = new Map(units.map((u) => [u.code, u.kind]));
      const bad = rows.flatMap((r) =>
        !kindOf.has(r.unitCode)
          ? [`line ${r.line}: unit_code '${r.unitCode}' is not an active unit`]
          : r.kind === 'adoption' && kindOf.get(r.unitCode) !== 'ward'
            ? [`line ${r.line}: adoption figures are a ward's (${r.unitCode} is a ${kindOf.get(r.unitCode)})`]
            : [],
      );
      if (bad.length) throw new UnprocessableError(bad.slice(0, 50).join('; '));
      await this.insert(m, rows, 'import', `officer:${actorId}`);
      await writeAuditEvent(m, {
        caseId: null,
        actor: `officer:${actorId}`,
        action: 'unit_figures_imported',
        data: { lines: rows.length, units: kindOf.size },
      });
      return { imported: rows.length };
    });
  }

  async history(unitCode: string, kind: FigureKind): Promise<FigureView[]> {
    const unit = await selectRow<{ code: string }>(this.ds, `SELECT code FROM units WHERE code = $1`, [unitCode]);
    if (!unit) throw new NotFoundError('unit', unitCode);
    const rows = await selectRows<FigureRow>(
      this.ds,
      `SELECT id::text AS id, unit_code, kind, total, with_account, as_of, source, reported_at FROM unit_figures
        WHERE unit_code = $1 AND kind = $2 ORDER BY as_of DESC, unit_figures.id DESC LIMIT 500`,
      [unitCode, kind],
    );
    return rows.map(view);
  }

  private async assertUnit(m: EntityManager, code: string, kind: FigureKind): Promise<void> {
    const unit = await selectRow<{ kind: string; active: boolean }>(m, `SELECT kind, active FROM units WHERE code = $1`, [code]);
    if (!unit) throw new NotFoundError('unit', code);
    if (!unit.active) throw new UnprocessableError(`unit '${code}' is no longer active`);
    if (kind === 'adoption' && unit.kind !== 'ward') throw new UnprocessableError(`adoption figures are a ward's residents; '${code}' is a ${unit.kind}`);
  }

  private insert(m: EntityManager, rows: readonly (FigureInput & { asOfAt: Date })[], source: 'unit' | 'import', by: string): Promise<FigureRow[]> {
    return selectRows<FigureRow>(
      m,
      `INSERT INTO unit_figures (unit_code, kind, total, with_account, as_of, source, reported_by, reported_at)
       SELECT u, k, t, w, a, $6, $7, $8 FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::timestamptz[]) AS x(u, k, t, w, a)
       RETURNING id::text AS id, unit_code, kind, total, with_account, as_of, source, reported_at`,
      [
        rows.map((r) => r.unitCode),
        rows.map((r) => r.kind),
        rows.map((r) => r.total),
        rows.map((r) => r.withAccount),
        rows.map((r) => r.asOfAt),
        source,
        by,
        this.clock.now(),
      ],
    );
  }
}
