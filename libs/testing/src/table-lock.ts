import type { Client } from 'pg';
import type { TestEngine } from './test-engine';
import { waitFor } from './test-engine';

/**
 * Holds `table` with an ACCESS EXCLUSIVE lock in a transaction of `client` (a connection of the test's own,
 * to the engine's database) until release(): a statement of the engine that reads or writes it waits meanwhile,
 * so a test keeps requests in flight for as long as it needs, without a sleep.
 */
export async function holdTable(client: Client, table: string): Promise<{ release: () => Promise<void> }> {
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.query('COMMIT');
    },
  };
}

/** How many backends of the engine's database wait for the lock on `table`. */
export async function waitingForTable(engine: TestEngine, table: string): Promise<number> {
  const [row] = await engine.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE NOT l.granted AND l.relation = $1::regclass AND a.datname = current_database()`,
    [table],
  );
  return row.n;
}

/** Until at least `n` statements of the engine wait for the lock on `table`. */
export function untilWaitingForTable(engine: TestEngine, table: string, n = 1): Promise<number> {
  return waitFor(
    () => waitingForTable(engine, table),
    (waiting) => waiting >= n,
    { what: `${n} statement(s) waiting for ${table}` },
  );
}

/**
 * Holds what `sql` locks (rows FOR UPDATE, an advisory lock) in a transaction of a pooled connection of the
 * engine until release(): an interleaving test stops one side there for as long as it needs.
 */
export async function holdRows(engine: TestEngine, sql: string, params: unknown[] = []): Promise<{ release: () => Promise<void> }> {
  const c = await engine.db.connect();
  await c.query('BEGIN');
  await c.query(sql, params);
  return {
    release: async () => {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
    },
  };
}

/** How many backends of the engine's database wait for a lock, of any kind. */
export async function waitingForLocks(engine: TestEngine): Promise<number> {
  const [row] = await engine.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
  );
  return row.n;
}

/** Until `n` of the sides racing have each settled (done()) or wait for a lock. */
export function untilSettledOrWaiting(engine: TestEngine, n: number, what: string, ...sides: { done: () => boolean }[]): Promise<boolean> {
  return waitFor(async () => sides.filter((s) => s.done()).length + (await waitingForLocks(engine)) >= n, Boolean, { what });
}
