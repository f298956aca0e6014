import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { adminUrl, deleteRedisKeys, sleep } from '../bench/support';

const run = promisify(execFile);

export type FaultKind = 'kill-worker' | 'kill-api' | 'wipe-queue' | 'pg-outage';

/** One fault of the schedule: when it starts (seconds after the load began) and, for the outage, how long it lasts. */
export interface FaultPlan {
  kind: FaultKind;
  atS: number;
  durationS?: number;
}

/** What happened: the fault's start and end (epoch ms; a kill or a wipe ends when done) and a line of detail. */
export interface FaultEvent {
  kind: FaultKind;
  label: string;
  startedAt: number;
  endedAt: number;
  detail: string;
}

/**
 * How PostgreSQL goes away: `server` stops the whole cluster with pg_ctlcluster (every database on
 * it: only for a machine nobody else is using), `database` makes the run's own database refuse
 * connections and cuts the open ones (ALTER DATABASE ... ALLOW_CONNECTIONS false +
 * pg_terminate_backend), which the engine sees the same way: connections refused, sessions gone.
 */
export type PgOutageMode = 'server' | 'database';

export interface PgCluster {
  version: string;
  name: string;
}

/** The local cluster serving `databaseUrl`'s port, when pg_ctlcluster can stop it here (root, a local host). */
export async function localCluster(databaseUrl: string): Promise<PgCluster | null> {
  const u = new URL(databaseUrl);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) return null;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/pg_ctlcluster') || !existsSync('/usr/bin/pg_lsclusters')) return null;
  const port = u.port || '5432';
  try {
    const { stdout } = await run('pg_lsclusters', ['--no-header']);
    for (const line of stdout.split('\n')) {
      const [version, name, p, status] = line.trim().split(/\s+/);
      if (p === port && status === 'online') return { version, name };
    }
  } catch {
    // no cluster tools usable: the caller falls back to the per-database block
  }
  return null;
}

/** Starts and ends a PostgreSQL outage of either kind. */
export class PgOutage {
  constructor(
    private readonly mode: PgOutageMode,
    private readonly databaseUrl: string,
    private readonly dbName: string,
    private readonly cluster: PgCluster | null,
  ) {
    if (mode === 'server' && !cluster) throw new Error('a server outage needs a local cluster that pg_ctlcluster can stop');
  }

  describe(): string {
    return this.mode === 'server'
      ? `PostgreSQL server stopped (pg_ctlcluster ${this.cluster!.version} ${this.cluster!.name} stop)`
      : `database ${this.dbName} refusing connections (ALLOW_CONNECTIONS false, sessions terminated)`;
  }

  async begin(): Promise<void> {
    if (this.mode === 'server') {
      // Fast mode (pg_ctlcluster's default): open transactions rolled back, clients cut at once.
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', this.cluster!.version, this.cluster!.name, 'stop']);
      return;
    }
    await this.admin(async (c) => {
      await c.query(`ALTER DATABASE "${this.dbName}" ALLOW_CONNECTIONS false`);
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [this.dbName]);
    });
  }

  /** Ends the outage and waits until the database takes connections again. */
  async end(): Promise<void> {
    if (this.mode === 'server') await run('pg_ctlcluster', ['--skip-systemctl-redirect', this.cluster!.version, this.cluster!.name, 'start']);
    else await this.admin((c) => c.query(`ALTER DATABASE "${this.dbName}" ALLOW_CONNECTIONS true`));
    const deadline = Date.now() + 60000;
    for (;;) {
      const c = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 2000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.query('SELECT 1');
        return;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`PostgreSQL did not take connections within 60 s of the outage's end: ${(e as Error).message}`, { cause: e });
        await sleep(100);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  }

  /** Safety net for cleanup: whatever happened, the database (or the server) is left taking connections. */
  async restore(): Promise<void> {
    if (this.mode === 'server') {
      const { stdout } = await run('pg_lsclusters', ['--no-header']).catch(() => ({ stdout: '' }));
      const down = stdout
        .split('\n')
        .some((l) => l.trim().startsWith(`${this.cluster!.version} `) && l.includes(` ${this.cluster!.name} `) && l.includes(' down '));
      if (down) await this.end();
      return;
    }
    await this.admin((c) => c.query(`ALTER DATABASE "${this.dbName}" ALLOW_CONNECTIONS true`));
  }

  private async admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: adminUrl(this.databaseUrl), connectionTimeoutMillis: 5000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** Deletes every key of the run's queue prefix while the engine runs (what a FLUSHDB or a restarted Redis does to it). */
export async function wipeQueuePrefix(redisUrl: string, prefix: string): Promise<number> {
  return deleteRedisKeys(redisUrl, prefix);
}
