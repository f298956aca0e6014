import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  aUnitKind,
  DomainError,
  DomainErrorCode,
  FieldProblem,
  NotFoundError,
  OfficerRole,
  UnprocessableError,
  UnprocessableFieldError,
  ValidationError,
} from '@fr/domain';
import { selectRow, selectRows, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { readCsv } from './csv-read';
import { parseInstant, problemsError } from './targets';

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

/** A figure's fields as its checks see them: a count is null when the CSV cell was unreadable (already reported). */
interface FigureFields extends Omit<FigureInput, 'total' | 'withAccount'> {
  total: number | null;
  withAccount: number | null;
}

/** What the fields are called where the figure came from, so a problem names what the sender wrote. */
interface FieldNames {
  kind: string;
  total: string;
  withAccount: string;
  asOf: string;
}
const JSON_FIELDS: FieldNames = { kind: 'kind', total: 'total', withAccount: 'withAccount', asOf: 'asOf' };
const CSV_COLUMNS: FieldNames = { kind: 'kind', total: 'total', withAccount: 'with_account', asOf: 'as_of' };
const CSV_HEADER = ['unit_code', 'kind', 'total', 'with_account', 'as_of'];

const MAX_COUNT = 10_000_000;
const MAX_LINES = 10_000;

/** A problem of one line of the CSV, under the column it is about (null: the line as a whole). */
interface LineProblem {
  line: number;
  column: string | null;
  problem: string;
}

/** A check's problem of a line (`line 3: as_of ...`): each check starts its message with the column it is about. */
function lineProblem(line: number, problem: string): LineProblem {
  const first = problem.slice(`line ${line}: `.length).split(' ')[0];
  return { line, column: CSV_HEADER.includes(first) ? first : null, problem };
}

/** In the file's order, each line's columns left to right; named in errors[] as `line 3.as_of`, or `line 3` for the line as a whole. */
function inFileOrder(problems: readonly LineProblem[]): FieldProblem[] {
  return [...problems]
    .sort((a, b) => a.line - b.line || CSV_HEADER.indexOf(a.column ?? '') - CSV_HEADER.indexOf(b.column ?? ''))
    .map((p) => ({ field: p.column ? `line ${p.line}.${p.column}` : `line ${p.line}`, problem: p.problem }));
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// eslint-disable-next-line no-control-regex -- what must not be shown raw
const UNSHOWABLE = /[\u0000-\u001f\u007f\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A value of the file quoted in a problem: as written (a ward's Vietnamese name, composed or decomposed,
 * comes back as the clerk typed it), cut after 80 characters, never inside one (a letter and its marks),
 * and control or bidirectional characters as \u escapes. A value of 300 characters came back whole in each
 * line's problem.
 */
function quoted(raw: string): string {
  const chars = Array.from(GRAPHEMES.segment(raw.slice(0, 2000)), (g) => g.segment);
  const shown = chars.length > 80 || raw.length > 2000 ? `${chars.slice(0, 80).join('')}…` : raw;
  return shown.replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A count as the CSV writes it: digits only. Number() read `1e3` as 1000, `0x10` as 16 and an empty
 * cell as 0, so a spreadsheet's formatting slip became a head count.
 */
function csvCount(raw: string, column: string, where: string, problems: string[]): number | null {
  if (raw === '') {
    problems.push(`${where}${column} is empty: write the count in digits, such as 80`);
    return null;
  }
  if (!/^[0-9]+$/.test(raw)) {
    const shown = raw.length > 20 ? `${raw.slice(0, 20)}…` : raw;
    problems.push(`${where}${column} must be written in digits 0-9 only, such as 80, got '${shown}'`);
    return null;
  }
  const n = Number(raw);
  if (n > MAX_COUNT) {
    problems.push(`${where}${column} must be at most ${MAX_COUNT}, got ${raw.length > 20 ? `a ${raw.length}-digit number` : raw}`);
    return null;
  }
  return n;
}

/** The checks of one figure, each problem naming its field (a CSV import prefixes the line). */
function problemsOf(f: FigureFields, now: Date, where = '', names = JSON_FIELDS): { asOf: Date | null; problems: string[] } {
  const problems: string[] = [];
  if (!FIGURE_KINDS.includes(f.kind)) problems.push(`${where}${names.kind} must be one of ${FIGURE_KINDS.join(', ')}`);
  const totalOk = f.total !== null && Number.isInteger(f.total) && f.total >= 1 && f.total <= MAX_COUNT;
  if (f.total !== null && !totalOk) problems.push(`${where}${names.total} must be an integer from 1 to ${MAX_COUNT}`);
  if (f.withAccount !== null) {
    if (!Number.isInteger(f.withAccount) || f.withAccount < 0) problems.push(`${where}${names.withAccount} must be an integer of at least 0`);
    else if (totalOk && f.withAccount > f.total!) problems.push(`${where}${names.withAccount} (${f.withAccount}) must not exceed ${names.total} (${f.total})`);
  }
  const asOf = typeof f.asOf === 'string' ? parseInstant(f.asOf, `${where}${names.asOf}`, 'start', problems) : null;
  if (typeof f.asOf !== 'string') problems.push(`${where}${names.asOf} is required`);
  if (asOf && asOf.getTime() > now.getTime()) problems.push(`${where}${names.asOf} must not be in the future`);
  return { asOf, problems };
}

/**
 * The same unit, kind and as_of twice in one file: with different counts the later line would win
 * unseen, and an identical copy is most often a block pasted twice, so both are refused for the office
 * to correct.
 */
function repeatedFigures(rows: readonly (FigureInput & { asOfAt: Date; line: number })[]): LineProblem[] {
  const first = new Map<string, FigureInput & { line: number }>();
  const problems: LineProblem[] = [];
  for (const r of rows) {
    const key = `${r.unitCode}\u0000${r.kind}\u0000${r.asOfAt.getTime()}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, r);
      continue;
    }
    const figure = `${quoted(r.unitCode)} ${r.kind} as of ${quoted(earlier.asOf)}`;
    const counts = (x: FigureInput) => `total ${x.total}, with_account ${x.withAccount}`;
    // Under the later line: the one read as stating the figure again.
    problems.push({
      line: r.line,
      column: null,
      problem:
        earlier.total === r.total && earlier.withAccount === r.withAccount
          ? `line ${r.line} repeats line ${earlier.line} exactly (${figure}: ${counts(r)}): delete the copy`
          : `line ${earlier.line} and line ${r.line} both state ${figure} with different counts (${counts(earlier)} against ${counts(r)}): keep only the right line`,
    });
  }
  return problems;
}

/** The active units among those a file names, with their kinds. */
async function activeUnits(m: EntityManager, named: readonly { unitCode: string }[]): Promise<Map<string, string>> {
  if (named.length === 0) return new Map();
  const units = await selectRows<{ code: string; kind: string }>(m, `SELECT code, kind FROM units WHERE code = ANY($1::text[]) AND active`, [
    [...new Set(named.map((n) => n.unitCode))],
  ]);
  return new Map(units.map((u) => [u.code, u.kind]));
}

/** Each line naming a unit that is unknown or ended, or adoption figures for a unit that is not a ward. */
function unitProblems(named: readonly { line: number; unitCode: string; kind: string }[], kindOf: ReadonlyMap<string, string>): LineProblem[] {
  return named.flatMap(({ line, unitCode, kind }): LineProblem[] => {
    const unitKind = kindOf.get(unitCode);
    if (unitKind === undefined) return [{ line, column: 'unit_code', problem: `line ${line}: unit_code '${quoted(unitCode)}' is not an active unit` }];
    if (kind === 'adoption' && unitKind !== 'ward')
      return [{ line, column: 'unit_code', problem: `line ${line}: adoption figures are a ward's (${unitCode} is ${aUnitKind(unitKind)})` }];
    return [];
  });
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
    if (problems.length) throw problemsError(problems);
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
   * The office's CSV (header `unit_code,kind,total,with_account,as_of`, read by readCsv: quoted values,
   * `;` as a Vietnamese spreadsheet separates them): all lines or none. One answer names every problem
   * of the file (the first 50), each under its line and column: the malformed lines, and the units that
   * are unknown, ended, or not wards for adoption figures, on every line whose unit_code could be read.
   * Told in two answers, a clerk mending 126 wards' lines uploaded twice to learn them all.
   */
  async importCsv(actorId: string, csv: string): Promise<{ imported: number }> {
    const read = readCsv(csv);
    const [head, ...data] = read.records;
    // A header that could not be read is told as such, not as a missing header.
    const unreadHeader = read.problems.find((p) => !head || p.line < head.line);
    if (unreadHeader) throw new ValidationError(`line ${unreadHeader.line}: ${unreadHeader.message}`, ['csv']);
    const header = (head?.cells ?? []).map((h) => h.toLowerCase());
    if (CSV_HEADER.some((h, i) => header[i] !== h) || header.length !== CSV_HEADER.length) {
      throw new ValidationError(`the CSV must start with the header ${CSV_HEADER.join(',')} (or the same separated by ;)`, ['csv']);
    }
    const now = this.clock.now();
    const dataLines = data.length + read.problems.length;
    // The file's own problems lead: the list is cut after 50, and a line's problems would hide them.
    const fileProblems: FieldProblem[] = [];
    if (dataLines === 0) fileProblems.push({ field: 'csv', problem: 'the CSV has no data lines' });
    if (dataLines > MAX_LINES) fileProblems.push({ field: 'csv', problem: `at most ${MAX_LINES} lines per import` });
    const malformed: LineProblem[] = read.problems.map((p) => ({ line: p.line, column: null, problem: `line ${p.line}: ${p.message}` }));
    const rows: (FigureInput & { asOfAt: Date; line: number })[] = [];
    // The units named, malformed line or not: a line with a bad count and an unknown unit is told both at once.
    const named: { line: number; unitCode: string; kind: string }[] = [];
    for (const { line, cells } of data) {
      const where = `line ${line}: `;
      if (cells.length !== CSV_HEADER.length) {
        malformed.push({ line, column: null, problem: `${where}expected ${CSV_HEADER.length} values separated by '${read.delimiter}', got ${cells.length}` });
        continue;
      }
      const [unitCode, kind, total, withAccount, asOf] = cells;
      // A blank cell names no unit: the file's to mend (400), not an unknown unit to look up (422).
      const counts: string[] = unitCode.trim() === '' ? [`${where}unit_code is empty: write the unit's code, such as P_BACH_MAI`] : [];
      if (!counts.length) named.push({ line, unitCode, kind });
      const f: FigureFields = {
        unitCode,
        kind: kind as FigureKind,
        total: csvCount(total, CSV_COLUMNS.total, where, counts),
        withAccount: csvCount(withAccount, CSV_COLUMNS.withAccount, where, counts),
        asOf,
      };
      const r = problemsOf(f, now, where, CSV_COLUMNS);
      if (counts.length || r.problems.length) malformed.push(...[...counts, ...r.problems].map((p) => lineProblem(line, p)));
      else rows.push({ ...f, total: f.total!, withAccount: f.withAccount!, asOfAt: r.asOf!, line });
    }
    malformed.push(...repeatedFigures(rows));
    return this.ds.transaction(async (m) => {
      // A file over the line limit is refused for its size whatever its units: its first lines' problems are told, no lookup of all its codes.
      const kindOf = dataLines > MAX_LINES ? new Map<string, string>() : await activeUnits(m, named);
      const refused = dataLines > MAX_LINES ? [] : unitProblems(named, kindOf);
      // One answer, one status. Any malformed line (or file) makes it 400, and the refused units of every
      // line go in the same list: the file cannot be read as it stands whatever its units, and 400 is what
      // a client already takes for "mend the file". 422 only when every line is well-formed and the units
      // alone are refused, so the status still tells which fix is wanted.
      if (fileProblems.length || malformed.length) throw ValidationError.ofProblems([...fileProblems, ...inFileOrder([...malformed, ...refused])]);
      if (refused.length) throw UnprocessableFieldError.ofProblems(inFileOrder(refused));
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
    if (kind === 'adoption' && unit.kind !== 'ward')
      throw new UnprocessableError(`adoption figures are a ward's residents; '${code}' is ${aUnitKind(unit.kind)}`);
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
