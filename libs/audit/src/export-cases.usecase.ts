import { FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { escapeLiteral, Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { NotFoundError, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { ReadDatabase, selectRow } from '@fr/persistence';
import { CopyTextLines } from './copy-text';
import { ReadSlots } from './read-slots';
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
  closed_as: string | null;
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

/**
 * How the case ended, or stands. A duplicate merged into another case (merged, or closed with its
 * original's answer) and a case sent to another track were never answered by the unit: they are
 * `merged` and `other_track`, as the unit metrics count them apart from resolved and open cases.
 */
function outcome(r: ExportRow, now: number): string {
  if (r.status === 'merged' || r.closed_as === 'duplicate') return 'merged';
  if (r.closed_as === 'other_track') return 'other_track';
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

/** Sort memory of the export's backend (copyQuery). */
const EXPORT_WORK_MEM = '64MB';

/** First characters a spreadsheet reads as a formula, and characters that force quoting (csvRow's rules, ';' among them), as regular-expression classes. */
const FORMULA_START = '[=+@\\t\\r-]';
const NEEDS_QUOTES = '[",;\\r\\n]';

/**
 * A CSV cell in SQL, as csvRow writes it (libs/domain/src/csv.ts): NULL empty, a text starting like a
 * formula prefixed with a quote, quoted when it holds a quote, comma, semicolon or line break. `x` is a text
 * column (evaluated once). The careful path: a COPY line takes it only when its texts need it (copyLine).
 */
function textCell(x: string): string {
  const y = `(CASE WHEN ${x} ~ '^${FORMULA_START}' THEN '''' || ${x} ELSE ${x} END)`;
  return `CASE WHEN ${x} IS NULL THEN '' WHEN ${x} !~ '^${FORMULA_START}|${NEEDS_QUOTES}' THEN ${x}
            WHEN ${x} !~ '${NEEDS_QUOTES}' THEN ${y} ELSE '"' || replace(${y}, '"', '""') || '"' END`;
}

/**
 * hanoiTime in SQL: the timestamp's own text in the export's session time zone, Hanoi's fixed offset
 * (EXPORT_SETTINGS), and DateStyle ISO: 'YYYY-MM-DD HH:MI:SS[.ffffff]+07', cut to the second as
 * toISOString().slice does. Measured on 200,000 cases (PostgreSQL 15, bench data, shared machine):
 * six of these with to_char and a format 0.63 s of backend CPU, converted to UTC and shifted by an
 * interval 0.42 s. Read in the session's zone instead, the six cells of the bench's 200,000 cases
 * (hashed, the same text) took 1.27 to 1.83 s of backend CPU (median 1.54), against 1.30 to 1.94 s
 * (median 1.73) shifted, five runs each, alternated, load average near 9: about a tenth less, within the noise.
 */
function timeCell(x: string): string {
  return `COALESCE(replace(left(${x}::text, 19), ' ', 'T') || '+07:00', '')`;
}

function numberCell(x: string): string {
  return `COALESCE(${x}::text, '')`;
}

/** The COPY row's texts that come from the case (each may need the careful path); looked-up names arrive as finished cells. */
const CASE_TEXTS = ['tracking_code', 'channel_code', 'category_code', 'severity', 'status', 'area_code', 'unit_code', 'units_path', 'stage'];

/** COLUMNS, cell for cell, over the COPY query's row `r`: `cell` formats a case text; `now` a literal (outcome's clock). */
function sqlColumns(cell: (x: string) => string, now: string): string[] {
  return [
    `r.id::text`,
    cell('r.tracking_code'),
    cell('r.channel_code'),
    cell('r.category_code'),
    `r.category_cell`,
    cell('r.severity'),
    cell('r.status'),
    cell('r.area_code'),
    timeCell('r.received_at'),
    timeCell('r.routed_at'),
    timeCell('r.acknowledged_at'),
    timeCell('r.resolved_at'),
    timeCell('r.closed_at'),
    cell('r.unit_code'),
    `r.unit_cell`,
    cell('r.units_path'),
    `r.handler_cell`,
    cell('r.stage'),
    timeCell('r.due_at'),
    numberCell('r.transfer_count'),
    numberCell('r.return_count'),
    numberCell('r.extension_count'),
    numberCell('r.reopen_count'),
    // Compared at the millisecond, as outcome() compares Dates.
    `CASE WHEN r.status = 'merged' OR r.closed_as = 'duplicate' THEN 'merged' WHEN r.closed_as = 'other_track' THEN 'other_track'
            WHEN r.status IN ('resolved', 'closed') THEN CASE WHEN r.last_resolve_on_time IS FALSE THEN 'resolved_late' ELSE 'resolved_on_time' END
            WHEN r.due_at IS NOT NULL AND date_trunc('milliseconds', r.due_at) <= ${now} THEN 'open_overdue' ELSE 'open' END`,
    numberCell('r.rating'),
  ];
}

/**
 * One CSV line per row. Almost no row has a text that needs a quote prefix or quoting, and one
 * regular expression over all its texts (joined by \x01, so a field starts at the start or after a
 * \x01) tells: such a row is joined as it is; any other takes textCell field by field. A \x01 in the
 * data can only send a row to the careful path, never let one skip it.
 */
function copyLine(now: string): string {
  const texts = `concat_ws(E'\\x01', ${CASE_TEXTS.map((t) => `r.${t}`).join(', ')})`;
  const plain = sqlColumns((x) => `COALESCE(${x}, '')`, now);
  const careful = sqlColumns(textCell, now);
  return `CASE WHEN ${texts} !~ E'(^|\\x01)${FORMULA_START.replace(/\\/g, '\\\\')}|${NEEDS_QUOTES.replace(/\\/g, '\\\\')}'
           THEN concat_ws(',', ${plain.join(',\n ')})
           ELSE concat_ws(',', ${careful.join(',\n ')}) END`;
}

/** A name looked up in a small table, as a finished cell: formatted once per table row, not once per case. */
function lookedUp(table: string, key: string, name: string): string {
  return `(SELECT ${key} AS key, ${textCell(name)} AS cell FROM ${table})`;
}

/**
 * The deadline a case is judged against: the running one, or, while it waits on the citizen, the one it
 * had already passed when the wait began (migration PausedPastDue), as the unit report's state log has it.
 */
const DEADLINE_JUDGED = `COALESCE(c.due_at, CASE WHEN c.status = 'awaiting_info' THEN c.paused_past_due END)`;

/**
 * The COPY's query: the cases with their lookups; `from`, `to`, `unit` and `now` are literals.
 *
 * One table and three small hashed lookups. The units path and the last resolve's on-time flag are
 * read from the case (kept there by the write paths, migration CaseExportColumns), not aggregated
 * from `assignments` and `audit_events` per export. The cases are sorted first and their lines built
 * above the sort, as the rows stream out: built below it, every line was made before the first was
 * sent (the client's work could not overlap the backend's) and the sort carried the finished lines.
 * The inner ORDER BY alone orders the output: nothing above it (a projection) reorders rows, and the
 * export runs without parallel workers; the e2e tests compare the bytes with executeByRows.
 *
 * Measured on 200,000 cases of the bench's loader (lab database, PostgreSQL 15, the two cores shared,
 * load average 3 to 10), backend CPU of the whole COPY, six runs each, alternated: 4.1 to 6.4 s with
 * the two sets pre-aggregated and hash-joined (the query before this one), 2.0 to 2.9 s now, the same
 * bytes; wall time 4.7 to 21.6 s before, 3.2 to 5.8 s now. Of what remains, about 0.3 s is scan,
 * lookups and sort, the rest building the lines, half of that the six Hanoi times (timeCell): one
 * backend at about 1 s per 100,000 cases is still short of 150,000 rows/s: the export splits the
 * period in parts, each in its own backend (moreBackends), rather than using parallel workers, which
 * the sort above the scan would keep from streaming.
 */
function copyQuery(from: string, to: string, unit: string | undefined, now: string): string {
  const unitFilter = unit === undefined ? '' : ` AND EXISTS (SELECT 1 FROM assignments x WHERE x.case_id = c.id AND x.unit_code = ${unit}::text)`;
  return `
    SELECT ${copyLine(now)}
      FROM (
        SELECT c.id, c.tracking_code, c.channel_code, c.category_code, cat.cell AS category_cell, c.severity, c.status, c.area_code,
               c.received_at, c.routed_at, c.acknowledged_at, c.resolved_at, c.closed_at, c.closed_as, c.unit_code, COALESCE(u.cell, '') AS unit_cell,
               c.units_path, COALESCE(o.cell, '') AS handler_cell, c.stage, ${DEADLINE_JUDGED} AS due_at, c.transfer_count, c.return_count, c.extension_count,
               c.reopen_count, c.last_resolve_on_time, c.rating
          FROM cases c
          JOIN ${lookedUp('categories', 'code', 'name')} cat ON cat.key = c.category_code
          LEFT JOIN ${lookedUp('units', 'code', 'name')} u ON u.key = c.unit_code
          LEFT JOIN ${lookedUp('officers', 'id', 'username')} o ON o.key = c.handler_id
         WHERE c.received_at >= ${from}::timestamptz AND c.received_at < ${to}::timestamptz${unitFilter}
         ORDER BY c.received_at, c.id
      ) r`;
}

/** The cases of the export, their raw columns; `$1`, `$2`, `$3` stand for from, to and the unit. */
function exportQuery(withUnit: boolean): string {
  return `
      SELECT c.id, c.tracking_code, c.channel_code, c.category_code, cat.name AS category_name, c.severity, c.status, c.area_code,
             c.received_at, c.routed_at, c.acknowledged_at, c.resolved_at, c.closed_at, c.closed_as, c.unit_code, u.name AS unit_name,
             (SELECT string_agg(a.unit_code, ' > ' ORDER BY a.id) FROM assignments a WHERE a.case_id = c.id AND a.reason <> 'designation') AS units_path,
             o.username AS handler, c.stage, ${DEADLINE_JUDGED} AS due_at, c.transfer_count, c.return_count, c.extension_count, c.reopen_count,
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

/** VIETNAM_UTC_OFFSET_MS as a PostgreSQL time zone: '+07' (a bare offset reads as east of Greenwich, unlike a POSIX 'UTC+7'). */
const HANOI_ZONE = `+${String(VIETNAM_UTC_OFFSET_MS / 3_600_000).padStart(2, '0')}`;

/**
 * Each export backend's settings. JIT off: compiling the line's large expression cost more than it
 * saved (3.6 s of backend CPU without, 4.7 s with, on 200,000 cases). DateStyle ISO and Hanoi's zone:
 * timeCell reads the timestamps' ISO text in Hanoi time, whatever the server's defaults. work_mem: the sort of copyQuery in memory
 * up to about 200,000 cases (at the default 4 MB it spilled to disk). No parallel workers: the export
 * uses the second core through its other backends (moreBackends). No Sort node: for a part of the
 * year (a narrower range) the planner chose hash joins under a full sort of the part's rows (32 MB
 * for 100,000; past work_mem, on disk, for the halves of 1,000,000), so nothing streamed until all
 * were sorted; without it, the index on received_at gives the order and an incremental sort orders
 * each instant's few cases by id, as the whole year's plan already did. Measured 2026-12-03 on a half
 * of the bench's 200,000 cases (EXPLAIN ANALYZE, three runs each, load average about 10): 1.61 to
 * 1.88 s with the sort, 1.27 to 1.46 s without, first line at once instead of after about a second.
 * No idle-in-transaction timeout: a part's COPY ends as soon as its lines are in the sockets' buffers
 * (on loopback megabytes: a one-backend export of 20,000 cases whole), and its transaction then waits,
 * idle, until the reader has taken them and it can commit; the sessions' timeout (DatabaseModule) cut it
 * there, failing the export of a reader that paused that long. The transaction is read-only, and a reader
 * that stalls is ended by the API's slow-reader watch (endSlowReader), which ends the export with it.
 */
const EXPORT_SETTINGS = `SET LOCAL jit = off; SET LOCAL DateStyle = 'ISO'; SET LOCAL TimeZone = '${HANOI_ZONE}'; SET LOCAL work_mem = '${EXPORT_WORK_MEM}'; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL enable_sort = off; SET LOCAL idle_in_transaction_session_timeout = 0`;

/** Below this many cases in the period the export stays in one backend: another one would not pay for its set-up. */
const ONE_BACKEND_UP_TO_CASES = 20_000;

/** How long the export waits for its other connections before it runs in fewer backends. */
const MORE_BACKENDS_WAIT_MS = 200;

/** The spill files' directories in FR_EXPORT_SPILL_DIR (os.tmpdir() by default) start with this (each is removed as soon as its file is open: openSpill). */
export const EXPORT_SPILL_PREFIX = 'fr-export-';

/** What a spill file's writer gathers into one write, and the chunks it is read back in: memory per part, not per case. */
const SPILL_WRITE_BUFFER = 256 * 1024;
const SPILL_READ_CHUNK = 256 * 1024;

/**
 * The received_at literals that cut the period's cases into `parts` parts of about the same count, or
 * an empty list when the period's `n` cases have gone (the snapshot keeps them: not expected). Counted
 * and found on cases_received_idx (index-only scans, in the export's snapshot; ordered by the column,
 * `cases.received_at`: a bare `received_at` names the output, its text, which sorted the whole period
 * first, 0.36 s against 0.03 s at 200,000 cases); the cases of a unit are split where all cases are, which is still
 * a valid split, only less even. Cases received at a cut's very instant all fall in the later part, so
 * the parts in order, one after the other, are the period in order (received_at, id); a part may be
 * empty (many cases at one instant).
 */
async function cutPoints(client: PoolClient, from: string, to: string, n: number, parts: number): Promise<string[]> {
  const inPeriod = `FROM cases WHERE received_at >= ${from}::timestamptz AND received_at < ${to}::timestamptz`;
  const cuts = Array.from(
    { length: parts - 1 },
    (_, k) => `(SELECT received_at::text ${inPeriod} ORDER BY cases.received_at OFFSET ${Math.floor((n * (k + 1)) / parts)} LIMIT 1)`,
  );
  const { rows } = await client.query<{ at: (string | null)[] }>(`SELECT ARRAY[${cuts.join(', ')}] AS at`);
  const at = rows[0].at;
  return at.every((a): a is string => a !== null) ? at.map((a) => escapeLiteral(a)) : [];
}

/** Fewer histogram bounds than this per part inside the period, and the parts are counted exactly (cutPoints). */
const BOUNDS_PER_PART = 4;

/**
 * The period's case count and its cuts into `parts` parts, estimated from the planner's statistics
 * (ANALYZE's histogram of cases.received_at: bounds with about as many cases between each two), or
 * undefined when they do not cover the period well enough (no statistics yet, a period of fewer
 * than BOUNDS_PER_PART bounds a part, cases added since the last ANALYZE). Any increasing cuts give
 * the same export; an estimate only makes the parts less even. Counting the period and finding its
 * middle on the index instead, what the export did first, took 0.25 and 0.8 s at 1,000,000 cases
 * before any line was built (2026-12-03, the bench's database): this takes a few milliseconds.
 */
async function estimatedCuts(client: PoolClient, from: string, to: string, parts: number): Promise<{ n: number; cuts: string[] } | undefined> {
  const { rows } = await client.query<{ inside: string[] | null; buckets: number | null; reltuples: number | null }>(
    `SELECT (SELECT array_agg(b::text ORDER BY b) FROM unnest(s.bounds) b WHERE b > ${from}::timestamptz AND b < ${to}::timestamptz) AS inside,
            array_length(s.bounds, 1) - 1 AS buckets, (SELECT reltuples FROM pg_class WHERE oid = 'cases'::regclass)::float8 AS reltuples
       FROM (SELECT histogram_bounds::text::timestamptz[] AS bounds FROM pg_stats
              WHERE schemaname = current_schema() AND tablename = 'cases' AND attname = 'received_at') s`,
  );
  const [r] = rows;
  if (!r?.inside || !r.buckets || !r.reltuples || r.reltuples < 0 || r.inside.length < BOUNDS_PER_PART * parts) return undefined;
  const inside = r.inside;
  const n = Math.round(((inside.length + 1) / r.buckets) * r.reltuples);
  const cuts = Array.from({ length: parts - 1 }, (_, k) => escapeLiteral(inside[Math.round(((k + 1) * inside.length) / parts)]));
  return { n, cuts };
}

/** The period's case count, which decides whether to split it. */
async function casesIn(client: PoolClient, from: string, to: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM cases WHERE received_at >= ${from}::timestamptz AND received_at < ${to}::timestamptz`,
  );
  return rows[0].n;
}

/** A connection from the pool if one comes within MORE_BACKENDS_WAIT_MS (exports waiting for each other's connections must not wait for ever). */
async function spareConnection(pool: Pool): Promise<PoolClient | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const pending = pool.connect().catch(() => undefined);
  const client = await Promise.race([pending, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), MORE_BACKENDS_WAIT_MS)))]);
  clearTimeout(timer);
  if (!client) void pending.then((c) => c?.release());
  return client;
}

/**
 * Up to `wanted` more backends in the snapshot of `first`'s transaction: as many as the pool spares
 * soon, none when the server cannot share the snapshot (the export then runs in fewer backends).
 *
 * Why more than one: one backend builds about 100,000 lines a second (copyQuery), and the machine has
 * two cores. See ExportCases for what was measured.
 */
async function moreBackends(pool: Pool, first: PoolClient, wanted: number): Promise<PoolClient[]> {
  const clients = (await Promise.all(Array.from({ length: wanted }, () => spareConnection(pool)))).filter((c) => c !== undefined);
  if (clients.length === 0) return [];
  let snapshot: string;
  try {
    snapshot = (await first.query<{ id: string }>(`SELECT pg_export_snapshot() AS id`)).rows[0].id;
  } catch {
    // The failed statement ended the first transaction: it starts again, alone.
    for (const c of clients) c.release();
    await first.query('ROLLBACK');
    await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await first.query(EXPORT_SETTINGS);
    return [];
  }
  const joined = await Promise.all(
    clients.map(async (client) => {
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query(`SET TRANSACTION SNAPSHOT ${escapeLiteral(snapshot)}`);
        await client.query(EXPORT_SETTINGS);
        return client;
      } catch {
        client.release(true);
        return undefined;
      }
    }),
  );
  return joined.filter((c) => c !== undefined);
}

/**
 * A file for a part's lines, on disk rather than in memory: written and read through two descriptors
 * opened before the file and its directory (mkdtemp, 0700; the file 0600) are removed. The lines are
 * personal data as masked for the caller; unlinked at once, the file leaves nothing behind whatever
 * happens next (the export's end, a failure, the process killed): its space is freed when both
 * descriptors close, which the export does in every outcome.
 */
interface Spill {
  write: FileHandle;
  read: FileHandle;
}

async function openSpill(root: string): Promise<Spill> {
  const dir = await mkdtemp(join(root, EXPORT_SPILL_PREFIX));
  let write: FileHandle | undefined;
  try {
    write = await open(join(dir, 'part.csv'), 'wx', 0o600);
    return { write, read: await open(join(dir, 'part.csv'), 'r') };
  } catch (e) {
    await write?.close();
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A part's COPY output into its spill file as CSV lines (CopyTextLines), in writes of about
 * SPILL_WRITE_BUFFER bytes: one write and one stream step per quarter megabyte rather than per
 * socket read (a few kilobytes when the backend is the slower side). Measured on this machine (36 MB
 * written and read back): 30 KB writes through a write stream 210 to 360 ms of Node CPU, 256 KB writes
 * 55 to 75 ms. A write pending holds back the next chunk: the COPY waits on the disk, never on the client.
 */
class SpillWriter extends Writable {
  private readonly lines = new CopyTextLines();
  private pending: Buffer[] = [];
  private size = 0;

  constructor(private readonly file: FileHandle) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    const lines = this.lines.convert(chunk);
    this.pending.push(lines);
    this.size += lines.length;
    if (this.size < SPILL_WRITE_BUFFER) return done();
    this.flush().then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    const cut = this.lines.ended();
    if (cut) return done(cut);
    // All written: the descriptor for writing is not needed any more.
    this.flush()
      .then(() => this.file.close())
      .then(() => done(), done);
  }

  private async flush(): Promise<void> {
    const data = Buffer.concat(this.pending, this.size);
    this.pending = [];
    this.size = 0;
    for (let at = 0; at < data.length; ) at += (await this.file.write(data, at)).bytesWritten;
  }
}

/** Closing a FileHandle twice is harmless; a SpillWriter closes its own when done, a read stream when it ends. */
const closeSpills = (spills: Spill[]) => Promise.all(spills.flatMap((s) => [s.write.close(), s.read.close()]).map((p) => p.catch(() => undefined)));

/**
 * The COPYs' lines into `out`, in order. The first part is streamed to `out` as it arrives, read from
 * its connection only as fast as `out` takes it; each later part, meanwhile, is read at full speed
 * into its spill file (its backend never waits for the client), and `done(i)` is told when part i
 * is all on disk (its transaction can end then and its connection go back to the pool). The first
 * part is done, and told, once it has been read to its end; then each spill file in turn is streamed
 * to `out`. One pipeline into `out` (a pipeline per part that leaves `out` open leaks listeners on it).
 *
 * Any failure ends them all at once, whichever part is being read: the reader gone (`out` closed or
 * failed), a COPY failed (even one being spilled) or a spill file failed. `abort` is told first (it
 * closes the connections, so no backend is left waiting to write to a socket nobody reads, nor a
 * connection held), then every COPY and file stream is destroyed, so whatever the pipelines wait on
 * ends and they settle. Without this, a client leaving during the first half left the second half's
 * COPY running and its connection out of the pool (reverted in 121d82f).
 */
async function streamInOrder(copies: Readable[], spills: Spill[], out: Writable, abort: (e: Error) => void, done: (i: number) => Promise<void>): Promise<void> {
  let failed: Error | undefined;
  const streams: Readable[] = [];
  const writers = spills.map((s) => new SpillWriter(s.write));
  const fail = (e: Error) => {
    if (failed) return;
    failed = e;
    abort(e);
    for (const s of [...copies, ...writers, ...streams]) s.destroy(e);
  };
  const closed = () => {
    if (!out.writableFinished) fail(new Error('the export was closed before its end'));
  };
  for (const c of copies) c.on('error', fail);
  out.on('error', fail).on('close', closed);
  const onDisk = copies.slice(1).map((copy, i) => pipeline(copy, writers[i]).then(() => done(i + 1)));
  for (const p of onDisk) p.catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  try {
    await pipeline(async function* () {
      const lines = new CopyTextLines();
      for await (const chunk of copies[0]) yield lines.convert(chunk as Buffer);
      const cut = lines.ended();
      if (cut) throw cut;
      // Its transaction ends now, not when the reader has the spilled parts too: a slow reader took as long
      // as it liked over them, and the transaction sat idle meanwhile, cut by the sessions'
      // idle_in_transaction_session_timeout (DatabaseModule). The other parts have their snapshots already.
      await done(0);
      for (const [i, spill] of spills.entries()) {
        await onDisk[i];
        const file = spill.read.createReadStream({ start: 0, highWaterMark: SPILL_READ_CHUNK });
        streams.push(file);
        for await (const chunk of file) yield chunk as Buffer;
      }
    }, out);
  } catch (e) {
    fail(e instanceof Error ? e : new Error(String(e)));
  } finally {
    out.off('error', fail).off('close', closed);
    // Every spill settled (their streams destroyed by a failure) before the caller closes the files.
    await Promise.allSettled(onDisk);
  }
  if (failed) throw failed;
}

/**
 * The case-level export: one CSV row per case received in the period. PostgreSQL builds each line
 * (masking, CSV quoting, Hanoi times) and streams them with `COPY ... TO STDOUT`; the rows flow to
 * the client through a pipeline, read from the connection only as fast as the client takes them,
 * so memory stays flat however many cases there are. A client that goes away ends the COPY: its
 * connection is closed, not returned to the pool mid-COPY.
 *
 * A period of many cases is cut in FR_EXPORT_PARTS parts by received_at, each COPYing in its own
 * backend on one snapshot, side by side: the first streamed to the client, the others spilled to disk
 * at full speed and streamed after it (streamInOrder), so every backend works from the start instead
 * of waiting on the client, and memory stays flat (the spill is on disk, not in the heap).
 *
 * Measured 2026-12-03 (PostgreSQL 15, the two cores shared with other sessions, load average 2 to 15;
 * execute into a hashing sink, the same bytes every run; backend CPU from /proc of the backends, Node
 * CPU from process.cpuUsage, runs alternated, medians). A year of 200,000 cases (lab database, the
 * bench's loader, five runs each, load 12 to 13): before (the second half's COPY paused by
 * backpressure until the first was sent, the halves cut by a sort of the period) backend 1.62 to
 * 2.76 s (median 1.65; the first 0.9 s of it, the cut), Node 0.25 s, first line after 1.3 to 2.6 s,
 * wall 3.0 to 6.6 s (median 3.15 s, 63,000 rows/s); now, two parts, backend 1.28 to 1.79 s (median
 * 1.29, 0.64 s a part: the split costs no CPU), Node 0.39 to 0.68 s (median 0.45), first line after
 * 16 to 106 ms, wall 2.1 to 3.5 s (median 2.27 s, 88,000 rows/s); one part (FR_EXPORT_PARTS=1) backend
 * 1.26 s, Node 0.32 s, wall 2.85 s; three parts backend 1.40 s, Node 0.47 s, wall 2.09 s. The bench's
 * 1,000,000 cases (fr_bench database, three runs each, load 9 to 15): before backend 7.9 to 9.9 s
 * (median 8.6), Node 1.5 s, first line after 3.4 to 4.7 s, wall 17.7 to 22.8 s; two parts backend 6.2
 * to 7.2 s (median 6.7), Node 1.3 to 2.0 s, first line after 20 to 160 ms, wall 9.1 to 16.7 s; one
 * part backend 6.4 s, wall 15.0 to 24.7 s; three parts backend 6.8 to 7.9 s, wall 8.8 to 12.4 s.
 * Once, with the machine nearly idle (load 2.4), two parts took 5.1 s (195,000 rows/s; before 9.5 s,
 * 106,000): the backends and Node spend about 8 to 9 s of CPU per 1,000,000 cases, about 4.5 s on
 * two idle cores. Three parts take a larger share of a loaded machine but spend 5 to 10 % more CPU,
 * which on two idle cores cannot pay: two by default. Node's share is mostly pg-copy-streams' framing,
 * buffers and garbage collection; CopyTextLines costs about 0.3 µs a line (0.06 s per 200,000), and a
 * path for chunks without backslashes (latin1 text, replaceAll) measured 0.1 to 0.3 µs, within the
 * noise: not taken.
 */
@Injectable()
export class ExportCases {
  private readonly slots: ReadSlots;

  /** Exports read the replica when there is one (DATABASE_READ_URL). */
  constructor(
    private readonly read: ReadDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.slots = new ReadSlots((n) => `${n} case export(s) are streaming`, 'FR_EXPORT_CONCURRENCY', config.exportConcurrency);
  }

  /**
   * A place among the exportConcurrency exports this process streams at once, or BusyError. Taken
   * before anything is sent, given back (the returned function) when the export has ended however it
   * ended. An export holds pooled connections for as long as its reader reads: without a bound, a
   * few slow downloads side by side would take the primary's pool from intake.
   */
  reserve(): () => void {
    return this.slots.take();
  }

  /** Checks the filter before anything is sent, so errors can still be proper HTTP errors. */
  async prepare(f: ExportCasesFilter): Promise<void> {
    if (f.unitCode === undefined) return;
    const unit = await selectRow<{ code: string }>(await this.read.source(), `SELECT code FROM units WHERE code = $1`, [f.unitCode]);
    if (!unit) throw new NotFoundError('unit', f.unitCode);
  }

  /** Streams the export into `out` (ended when done); resolves with the number of cases. */
  async execute(f: ExportCasesFilter, out: Writable): Promise<number> {
    // COPY takes no parameters: the values are quoted as literals.
    const literal = (d: Date) => escapeLiteral(d.toISOString());
    const unit = f.unitCode === undefined ? undefined : escapeLiteral(f.unitCode);
    const now = `${literal(new Date(Date.now()))}::timestamptz`;
    const pool = ((await this.read.source()).driver as PostgresDriver).master as Pool;
    const clients: PoolClient[] = [];
    const released = new Set<PoolClient>();
    const spills: Spill[] = [];
    // A connection lost while checked out (a backend terminated) is reported by the pg client as an
    // 'error' event, which would crash the process unheard; the query running on it fails with it too.
    const lost = () => undefined;
    const releaseOne = (c: PoolClient, err?: Error) => {
      if (released.has(c)) return;
      released.add(c);
      c.off('error', lost);
      c.release(err);
    };
    // After a failure a connection may be mid-COPY: the pool closes it (its socket destroyed, since a
    // query is active) instead of handing it on; a backend blocked writing then fails its next write.
    const release = (err?: Error) => {
      for (const c of clients) releaseOne(c, err);
    };
    let failure: Error | undefined;
    try {
      const first = await pool.connect();
      clients.push(first.on('error', lost));
      // One snapshot for the whole export, as the cursor had.
      await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await first.query(EXPORT_SETTINGS);
      const from = literal(f.period.from);
      const to = literal(f.period.to);
      const parts = this.config.exportParts;
      const n = parts > 1 ? ((await estimatedCuts(first, from, to, parts))?.n ?? (await casesIn(first, from, to))) : 0;
      if (n > ONE_BACKEND_UP_TO_CASES) for (const c of await moreBackends(pool, first, parts - 1)) clients.push(c.on('error', lost));
      const cuts =
        clients.length === 1
          ? []
          : ((await estimatedCuts(first, from, to, clients.length))?.cuts ??
            (await cutPoints(first, from, to, await casesIn(first, from, to), clients.length)));
      // Without cuts (the period emptied since it was counted), the other backends go back unused.
      for (const c of clients.slice(cuts.length + 1)) await c.query('ROLLBACK').then(() => releaseOne(c));
      const bounds = [from, ...cuts, to];
      const ranges = bounds.slice(1).map((b, i): [string, string] => [bounds[i], b]);
      for (let i = 1; i < ranges.length; i++) spills.push(await openSpill(this.config.exportSpillDir));
      // Every COPY is sent at once: the backends build their parts side by side.
      // Each COPY named by its part, at the start of its text: pg_stat_activity shows the start only.
      const copies = ranges.map(([a, b], i) =>
        clients[i].query(copyTo(`COPY (/* cases export, part ${i + 1} of ${ranges.length} */ ${copyQuery(a, b, unit, now).trim()}) TO STDOUT`)),
      );
      out.write(UTF8_BOM + csvRow(COLUMNS.map(([h]) => h)));
      // A part read to its end (sent, or on disk) ends its transaction and frees its connection while the
      // others still run: no transaction of the export waits for the reader once its COPY is over.
      await streamInOrder(copies, spills, out, release, async (i) => {
        await clients[i].query('COMMIT');
        releaseOne(clients[i]);
      });
      return copies.reduce((n, c) => n + c.rowCount, 0);
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      release(failure);
      await closeSpills(spills);
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
