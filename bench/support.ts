import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { AppConfig } from '@fr/config';

/** What every scenario gets: the run's own database and queue prefix, and a place to park cleanups. */
export interface BenchContext {
  n: number;
  concurrency: number;
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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs fn(0..n-1) with at most `concurrency` calls in flight. */
export async function runPool(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
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
    return { at: Date.now(), machineBusy: (total - idle) / CLK_TCK, machineTotal: total / CLK_TCK, self: (u.user + u.system) / 1e6, children: kids };
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
  parts.push(`everything else (PostgreSQL, Redis, ...) ${(Math.max(busy - accounted, 0) / wall).toFixed(2)}`);
  return `machine ${total > 0 ? Math.round((busy / total) * 100) : 0}% busy (of ${os.cpus().length} cores); cores used: ${parts.join(', ')}`;
}
