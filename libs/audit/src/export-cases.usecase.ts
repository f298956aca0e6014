import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { escapeLiteral, Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { NotFoundError, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { ReadDatabase, selectRow } from '@fr/persistence';
import { CopyTextLines } from './copy-text';
import { CsvValue, csvRow, UTF8_BOM } from './csv';
import { forEachBatch } from './cursor';
import { Period } from './period';

export interface ExportCasesFilter {
  period: Period;
  /** Cases this unit owned at any time (not only the unit holding them now). */
  unitCode?: string;
}

/** Where the row-by-row export goes; `write` resolves false when the reader has gone away (stop reading then). */
export interface TextSink {
  write(text: string): Promise<boolean>;
}

interface ExportRow {
  id: string;
  tracking_code: string;
  channel_code: string;
  category_code: string;
  category_name: string;
  severity: string;
  status: string;
  area_code: string | null;
  received_at: Date;
  routed_at: Date | null;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  unit_code: string | null;
  unit_name: string | null;
  units_path: string | null;
  handler: string | null;
  stage: string | null;
  due_at: Date | null;
  transfer_count: number;
  return_count: number;
  extension_count: number;
  reopen_count: number;
  last_on_time: string | null;
  rating: number | null;
}

/** Hanoi wall-clock time with its offset, as a spreadsheet user reads it: 2025-03-03T09:00:00+07:00. */
export function hanoiTime(d: Date | null): string | null {
  return d ? new Date(d.getTime() + VIETNAM_UTC_OFFSET_MS).toISOString().slice(0, 19) + '+07:00' : null;
}

function outcome(r: ExportRow, now: number): string {
  if (r.status === 'resolved' || r.status === 'closed') return r.last_on_time === 'false' ? 'resolved_late' : 'resolved_on_time';
  return r.due_at && r.due_at.getTime() <= now ? 'open_overdue' : 'open';
}

/**
 * Personal data never leaves in an export: no citizen name, phone, e-mail, address, coordinates or
 * free text (description, title, answer, comments: citizens write names and numbers into them).
 * The handler is named by account, not by person.
 */
const COLUMNS: [string, (r: ExportRow, now: number) => CsvValue][] = [
  ['case_id', (r) => r.id],
  ['tracking_code', (r) => r.tracking_code],
  ['channel', (r) => r.channel_code],
  ['category_code', (r) => r.category_code],
  ['category', (r) => r.category_name],
  ['severity', (r) => r.severity],
  ['status', (r) => r.status],
  ['area_code', (r) => r.area_code],
  ['received_at', (r) => hanoiTime(r.received_at)],
  ['routed_at', (r) => hanoiTime(r.routed_at)],
  ['acknowledged_at', (r) => hanoiTime(r.acknowledged_at)],
  ['resolved_at', (r) => hanoiTime(r.resolved_at)],
  ['closed_at', (r) => hanoiTime(r.closed_at)],
  ['unit_code', (r) => r.unit_code],
  ['unit', (r) => r.unit_name],
  ['units_path', (r) => r.units_path],
  ['handler_account', (r) => r.handler],
  ['stage', (r) => r.stage],
  ['due_at', (r) => hanoiTime(r.due_at)],
  ['transfers', (r) => r.transfer_count],
  ['returns', (r) => r.return_count],
  ['extensions', (r) => r.extension_count],
  ['reopens', (r) => r.reopen_count],
  ['outcome', (r, now) => outcome(r, now)],
  ['rating', (r) => r.rating],
];

/**
 * A CSV cell in SQL, as csvRow writes it (libs/domain/src/csv.ts): NULL empty, a text starting like a
 * formula prefixed with a quote, quoted when it holds a quote, comma or line break. `x` is a column
 * of the inner query (evaluated once), text.
 */
function textCell(x: string): string {
  // One regular expression settles the common cell (nothing to prefix, nothing to quote); the rest is rare.
  const y = `(CASE WHEN ${x} ~ '^[=+@\\t\\r-]' THEN '''' || ${x} ELSE ${x} END)`;
  return `CASE WHEN ${x} IS NULL THEN '' WHEN ${x} !~ '^[=+@\\t\\r-]|[",\\r\\n]' THEN ${x}
            WHEN ${x} !~ '[",\\r\\n]' THEN ${y} ELSE '"' || replace(${y}, '"', '""') || '"' END`;
}

/** hanoiTime in SQL: the fixed offset of VIETNAM_UTC_OFFSET_MS, seconds truncated as toISOString().slice does. */
function timeCell(x: string): string {
  return `COALESCE(to_char((${x} AT TIME ZONE 'UTC') + interval '${VIETNAM_UTC_OFFSET_MS / 1000} seconds', 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'), '')`;
}

function numberCell(x: string): string {
  return `COALESCE(${x}::text, '')`;
}

/** COLUMNS, cell for cell, over the inner query's row `r`; `now` a literal (outcome's clock). */
function sqlColumns(now: string): [string, string][] {
  return [
    ['case_id', `r.id::text`],
    ['tracking_code', textCell('r.tracking_code')],
    ['channel', textCell('r.channel_code')],
    ['category_code', textCell('r.category_code')],
    ['category', textCell('r.category_name')],
    ['severity', textCell('r.severity')],
    ['status', textCell('r.status')],
    ['area_code', textCell('r.area_code')],
    ['received_at', timeCell('r.received_at')],
    ['routed_at', timeCell('r.routed_at')],
    ['acknowledged_at', timeCell('r.acknowledged_at')],
    ['resolved_at', timeCell('r.resolved_at')],
    ['closed_at', timeCell('r.closed_at')],
    ['unit_code', textCell('r.unit_code')],
    ['unit', textCell('r.unit_name')],
    ['units_path', textCell('r.units_path')],
    ['handler_account', textCell('r.handler')],
    ['stage', textCell('r.stage')],
    ['due_at', timeCell('r.due_at')],
    ['transfers', numberCell('r.transfer_count')],
    ['returns', numberCell('r.return_count')],
    ['extensions', numberCell('r.extension_count')],
    ['reopens', numberCell('r.reopen_count')],
    [
      'outcome',
      // Compared at the millisecond, as outcome() compares Dates.
      `CASE WHEN r.status IN ('resolved', 'closed') THEN CASE WHEN r.last_on_time = 'false' THEN 'resolved_late' ELSE 'resolved_on_time' END
            WHEN r.due_at IS NOT NULL AND date_trunc('milliseconds', r.due_at) <= ${now} THEN 'open_overdue' ELSE 'open' END`,
    ],
    ['rating', numberCell('r.rating')],
  ];
}

/** The cases of the export, their raw columns; `$1`, `$2`, `$3` stand for from, to and the unit. */
function exportQuery(withUnit: boolean): string {
  return `
      SELECT c.id, c.tracking_code, c.channel_code, c.category_code, cat.name AS category_name, c.severity, c.status, c.area_code,
             c.received_at, c.routed_at, c.acknowledged_at, c.resolved_at, c.closed_at, c.unit_code, u.name AS unit_name,
             (SELECT string_agg(a.unit_code, ' > ' ORDER BY a.id) FROM assignments a WHERE a.case_id = c.id AND a.reason <> 'designation') AS units_path,
             o.username AS handler, c.stage, c.due_at, c.transfer_count, c.return_count, c.extension_count, c.reopen_count,
             (SELECT e.data->>'onTime' FROM audit_events e WHERE e.case_id = c.id AND e.action = 'resolve' ORDER BY e.id DESC LIMIT 1) AS last_on_time,
             c.rating
        FROM cases c
        JOIN categories cat ON cat.code = c.category_code
        LEFT JOIN units u ON u.code = c.unit_code
        LEFT JOIN officers o ON o.id = c.handler_id
       WHERE c.received_at >= $1 AND c.received_at < $2
         ${withUnit ? 'AND EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.unit_code = $3)' : ''}
       ORDER BY c.received_at, c.id`;
}

/**
 * The case-level export: one CSV row per case received in the period. PostgreSQL builds each line
 * (masking, CSV quoting, Hanoi times) and streams them with `COPY ... TO STDOUT`; the rows flow to
 * the client through a pipeline, read from the connection only as fast as the client takes them,
 * so memory stays flat however many cases there are. A client that goes away ends the COPY: its
 * connection is closed, not returned to the pool mid-COPY.
 */
@Injectable()
export class ExportCases {
  /** Exports read the replica when there is one (DATABASE_READ_URL). */
  constructor(private readonly read: ReadDatabase) {}

  /** Checks the filter before anything is sent, so errors can still be proper HTTP errors. */
  async prepare(f: ExportCasesFilter): Promise<void> {
    if (f.unitCode === undefined) return;
    const unit = await selectRow<{ code: string }>(await this.read.source(), `SELECT code FROM units WHERE code = $1`, [f.unitCode]);
    if (!unit) throw new NotFoundError('unit', f.unitCode);
  }

  /** Streams the export into `out` (ended when done); resolves with the number of cases. */
  async execute(f: ExportCasesFilter, out: Writable): Promise<number> {
    // COPY takes no parameters: the values are quoted as literals.
    const params = [f.period.from.toISOString(), f.period.to.toISOString(), f.unitCode ?? ''].map((v) => escapeLiteral(v));
    const inner = exportQuery(f.unitCode !== undefined).replace(
      /\$([123])/g,
      (_, n: string) => `${params[Number(n) - 1]}::${n === '3' ? 'text' : 'timestamptz'}`,
    );
    const columns = sqlColumns(`${escapeLiteral(new Date(Date.now()).toISOString())}::timestamptz`);
    const line = `concat_ws(',', ${columns.map(([, sql]) => sql).join(',\n ')})`;
    const pool = ((await this.read.source()).driver as PostgresDriver).master as Pool;
    const client: PoolClient = await pool.connect();
    let failure: Error | undefined;
    try {
      // One snapshot for the whole export, as the cursor had; a long COPY gains nothing from JIT compiling per row.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query('SET LOCAL jit = off');
      const copy = client.query(copyTo(`COPY (SELECT ${line} FROM (${inner}) r ORDER BY r.received_at, r.id) TO STDOUT`));
      out.write(UTF8_BOM + csvRow(COLUMNS.map(([h]) => h)));
      await pipeline(copy, new CopyTextLines(), out);
      await client.query('COMMIT');
      return copy.rowCount;
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      // After a failure the connection may be mid-COPY: the pool closes it instead of handing it on.
      client.release(failure);
    }
  }

  /**
   * The same export built row by row in TypeScript from a server-side cursor: the reference the COPY
   * export is tested against, and the figure the bench prints beside it.
   */
  async executeByRows(f: ExportCasesFilter, out: TextSink): Promise<number> {
    const params: unknown[] = [f.period.from, f.period.to];
    if (f.unitCode !== undefined) params.push(f.unitCode);
    const sql = exportQuery(f.unitCode !== undefined);
    const now = Date.now();
    let rows = 0;
    if (!(await out.write(UTF8_BOM + csvRow(COLUMNS.map(([h]) => h))))) return rows;
    await forEachBatch<ExportRow>(await this.read.source(), sql, params, async (batch) => {
      let text = '';
      for (const r of batch) text += csvRow(COLUMNS.map(([, f]) => f(r, now)));
      rows += batch.length;
      return out.write(text);
    });
    return rows;
  }
}
