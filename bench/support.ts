import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { AppConfig } from '@fr/config';

/** What every scenario gets: the run's own database and queue prefix, and a place to park cleanups. */
export interface BenchContext {
  n: number;
  concurrency: number;
  /** Worker processes of the engine (and of the HTTP substrate), BENCH_WORKERS. */
  workers: number;
  /** Arrivals a second of the paced runs (BENCH_RATE) and their length (BENCH_PACED_S). */
  pacedRate: number;
  pacedS: number;
  seed: number;
  /** Time to wait without progress before a scenario gives up and reports what is left. */
  stallTimeoutMs: number;
  repoRoot: string;
  runId: string;
  dbName: string;
  databaseUrl: string;
  queuePrefix: string;
  config: AppConfig;
  /** The environment for engine processes started by the bench. */
  engineEnv: Record<string, string | undefined>;
  /** Results scenarios share (the substrate ceiling measured once serves every scenario). */
  shared: Map<string, unknown>;
  /** Peak RSS of child processes, by label, in bytes. */
  childPeaks: Map<string, number>;
  /** Set on Ctrl-C or SIGTERM: scenarios stop sending and waiting. */
  aborted: boolean;
  /** Registers a cleanup; cleanups run in reverse order at the end, also after an error. */
  defer(label: string, fn: () => Promise<unknown> | unknown): void;
  log(line: string): void;
}

/** How often the intake runs and the HTTP substrate's poll for their end (each poll counts a whole table). */
export const PROGRESS_POLL_MS = 1000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PollState {
  done: boolean;
  /** A number that grows while work gets done; unchanged for the stall timeout, the wait fails. */
  progress: number;
  /** A progress line, logged every few seconds. */
  note: string;
}

/**
 * Polls `check` until it reports done. Fails loudly, with `detail()` in the message, after `stallMs`
 * without progress or after `timeoutMs` in all (when given); `assert` runs before each poll (e.g. to
 * notice a dead child process). No fixed sleeps stand in for a condition.
 */
export async function pollUntil(
  ctx: BenchContext,
  label: string,
  check: () => Promise<PollState>,
  opts: { intervalMs?: number; stallMs?: number; timeoutMs?: number; assert?: () => void; detail?: () => Promise<string> } = {},
): Promise<void> {
  const intervalMs = opts.intervalMs ?? 200;
  const stallMs = opts.stallMs ?? ctx.stallTimeoutMs;
  const started = Date.now();
  let lastProgress = Number.NaN;
  let lastProgressAt = started;
  let lastReportAt = started;
  for (;;) {
    if (ctx.aborted) throw new Error('interrupted');
    opts.assert?.();
    const s = await check();
    if (s.done) return;
    const now = Date.now();
    if (s.progress !== lastProgress) {
      lastProgress = s.progress;
      lastProgressAt = now;
    }
    const stalled = now - lastProgressAt > stallMs;
    const late = opts.timeoutMs !== undefined && now - started > opts.timeoutMs;
    if (stalled || late) {
      const why = stalled ? `no progress for ${Math.round(stallMs / 1000)} s` : `not done within ${Math.round(opts.timeoutMs! / 1000)} s`;
      throw new Error(`${label}: ${why}; ${s.note}${opts.detail ? `; ${await opts.detail()}` : ''}`);
    }
    if (now - lastReportAt >= 5000) {
      lastReportAt = now;
      ctx.log(`${label}: ${s.note}`);
    }
    await sleep(intervalMs);
  }
}

/** Runs fn(0..n-1) with at most `concurrency` calls in flight. */
export async function runPool(n: number, concurrency: number, fn: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const lane = async () => {
    while (failed === null && next < n) {
      if (stop()) throw new Error('interrupted');
      const i = next++;
      try {
        await fn(i);
      } catch (e) {
        failed = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  if (failed !== null) throw failed;
}

/** Nearest-rank percentiles of a sample (sorted in place). */
export function percentiles(sample: Float64Array | number[], ps: number[]): number[] {
  const xs = sample instanceof Float64Array ? sample.sort() : Float64Array.from(sample).sort();
  if (xs.length === 0) return ps.map(() => NaN);
  return ps.map((p) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))]);
}

export const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
export const fmtMs = (x: number) => (Number.isFinite(x) ? (x >= 10000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`) : 'n/a');
/** "met" or "NOT met", for the goal lines. */
export const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
export const fmtMb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

/** Peak resident set of a live process (Linux VmHWM), or null where /proc is not available. */
export function peakRssOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function adminUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * The environment of a scratch run's engine processes (bench, chaos): the caller's, less every database
 * setting but DATABASE_URL, which names the scratch database. A DATABASE_OWNER_URL left in the shell
 * (the README's separate roles) sent the scratch run's migrations and seed to the deployment's own
 * database, and a DATABASE_READ_URL its audit reads to the deployment's replica.
 */
export function scratchEngineEnv(env: NodeJS.ProcessEnv, databaseUrl: string): Record<string, string | undefined> {
  const scratch: Record<string, string | undefined> = { ...env };
  for (const name of Object.keys(scratch)) if (/^DATABASE_[A-Z_]*URL(_FILE)?$/.test(name)) delete scratch[name];
  scratch.DATABASE_URL = databaseUrl;
  return scratch;
}

export function withDatabase(databaseUrl: string, name: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl(databaseUrl), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Deletes every Redis key under the prefix; returns how many went. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  let deleted = 0;
  try {
    // Twice: a closing BullMQ connection may still write a marker key after the first sweep.
    for (let pass = 0; pass < 2; pass++) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
      if (pass === 0) await sleep(200);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** The repository root (where scripts/start.js is), from the compiled dist/bench or from bench/. */
export function findRepoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'scripts', 'start.js'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** CPU use of the machine and of some processes between two points, from /proc (Linux). */
export interface CpuSnapshot {
  at: number;
  machineBusy: number;
  machineTotal: number;
  self: number;
  children: Map<string, number>;
  /** CPU seconds of the PostgreSQL and Redis processes on this machine. */
  services: Map<string, number>;
}

const CLK_TCK = 100;

function procCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of the machine's PostgreSQL and Redis processes, by command name, with the seconds of
 * their children that have exited (cutime and cstime): a backend whose connection a pool closed after
 * its idle timeout, or an autovacuum worker, leaves its seconds with the postmaster that reaped it.
 * Without them the SLA runs showed PostgreSQL at 0.22 of a core and 0.92 as "everything else".
 */
function serviceCpuSeconds(): Map<string, number> {
  const by = new Map<string, number>([
    ['PostgreSQL', 0],
    ['Redis', 0],
  ]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const label = comm === 'postgres' ? 'PostgreSQL' : comm === 'redis-server' ? 'Redis' : null;
      if (!label) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      by.set(label, by.get(label)! + (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLK_TCK);
    } catch {
      // gone meanwhile
    }
  }
  return by;
}

export function cpuSnapshot(children: Record<string, number | undefined>): CpuSnapshot | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = t[3] + (t[4] || 0);
    const total = t.reduce((a, b) => a + b, 0);
    const u = process.cpuUsage();
    const kids = new Map<string, number>();
    for (const [label, pid] of Object.entries(children)) {
      const s = procCpuSeconds(pid);
      if (s !== null) kids.set(label, s);
    }
    return {
      at: Date.now(),
      machineBusy: (total - idle) / CLK_TCK,
      machineTotal: total / CLK_TCK,
      self: (u.user + u.system) / 1e6,
      children: kids,
      services: serviceCpuSeconds(),
    };
  } catch {
    return null;
  }
}

/** "machine 97% busy (of 2 cores); cores used: bench+API 1.1, worker 0.6, the rest 0.3" */
export function describeCpu(a: CpuSnapshot | null, b: CpuSnapshot | null, selfLabel: string): string {
  if (!a || !b) return 'n/a (no /proc)';
  const wall = (b.at - a.at) / 1000;
  const busy = b.machineBusy - a.machineBusy;
  const total = b.machineTotal - a.machineTotal;
  const parts: string[] = [];
  let accounted = b.self - a.self;
  parts.push(`${selfLabel} ${((b.self - a.self) / wall).toFixed(2)}`);
  for (const [label, s] of b.children) {
    const before = a.children.get(label);
    if (before === undefined) continue;
    accounted += s - before;
    parts.push(`${label} ${((s - before) / wall).toFixed(2)}`);
  }
  for (const [label, s] of b.services) {
    const before = a.services.get(label) ?? 0;
    accounted += s - before;
    parts.push(`${label} ${((s - before) / wall).toFixed(2)}`);
  }
  parts.push(`everything else ${(Math.max(busy - accounted, 0) / wall).toFixed(2)}`);
  return `machine ${total > 0 ? Math.round((busy / total) * 100) : 0}% busy (of ${os.cpus().length} cores); cores used: ${parts.join(', ')}`;
}

/** Where the server's WAL stands: its write position in bytes, and the checkpoints it has made. */
export interface WalMark {
  bytes: number;
  checkpoints: number;
}

/**
 * PostgreSQL's WAL is one stream for the whole server, so a difference of two marks counts every
 * database's writes: the bench's own are the only ones on a quiet machine. WAL volume is what a
 * change's CPU cost hides behind on a busy machine (every first change to a page after a checkpoint
 * writes the whole 8 KB page) and, unlike throughput, it does not move with the load. Reads through a
 * pg Pool (`{ rows }`) or a TypeORM DataSource (the rows themselves).
 */
export async function walMark(db: { query: (sql: string) => Promise<unknown> }): Promise<WalMark> {
  type Row = { b: number | string; checkpoints: number };
  const res = (await db.query(
    `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8 AS b, (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)::int AS checkpoints`,
  )) as Row[] | { rows: Row[] };
  const [row] = Array.isArray(res) ? res : res.rows;
  return { bytes: Number(row.b), checkpoints: Number(row.checkpoints) };
}

/** "7.3 KB" per event. */
export function fmtWalPerEvent(bytes: number, events: number): string {
  return events > 0 ? `${(bytes / events / 1024).toFixed(1)} KB` : 'n/a';
}

/**
 * Before each paced run (the engine's and the HTTP substrate's): a CHECKPOINT, so that the WAL
 * segments the closed loop just filled are recycled as the next ones. Without it a young cluster
 * makes each new 16 MB segment while the paced run writes: PostgreSQL zero-fills and fsyncs it inside
 * XLogWrite, holding WALWriteLock, and every commit of the moment waits (LWLock:WALWrite). A server
 * in service recycles its segments at every checkpoint and rarely makes one. Measured 2026-12-05
 * (default bench, 2 cores): the paced run made a new segment every 9 s (the engine writes 9 KB of WAL
 * a case; the pg_wal files' birth times), and its send -> assigned p99 was 35 ms, HTTP POST p99
 * 26 ms; with the CHECKPOINT, 18 and 12 ms (the HTTP substrate, which writes 1.4 KB an event: 11 and
 * 8 ms). A role that may not CHECKPOINT (pg_checkpoint, PostgreSQL 15) gets a line saying so, and the
 * run goes on.
 */
export async function checkpointBeforePaced(ctx: BenchContext, db: { query: (sql: string) => Promise<unknown> }, who: string): Promise<void> {
  try {
    await db.query('CHECKPOINT');
  } catch (e) {
    ctx.log(`${who}: no CHECKPOINT before the paced run (${(e as Error).message}); it may pay for making new WAL segments`);
  }
}
