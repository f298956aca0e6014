import { createHash } from 'node:crypto';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * The one door to raw SQL. TypeORM's `query()` returns `any`; every caller outside this library goes
 * through these functions and names the row type it expects, so a renamed column is a compile error
 * at the row interface instead of an `undefined` at run time. Rows come back as PostgreSQL sends them
 * through node-postgres: bigint and numeric as strings, timestamptz as Date, json/jsonb parsed.
 */
export type Sql = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'> | Pick<QueryRunner, 'query'>;

/**
 * A statement the driver prepares once per connection and then only binds and executes: PostgreSQL
 * parses, analyses and plans it once and keeps a generic plan when that costs no more than the
 * custom ones. Measured 2026-12-03 (2 cores, shared machine; pgbench, one client, backend CPU): the
 * intake statement (case, outbox row, receive event) cost 0.98-1.22 ms of CPU a case unnamed, 0.49 ms
 * prepared; forcing custom plans took the gain away, so it is planning that is saved.
 * Only for statements whose plan cannot go wrong: inserts of VALUES or of unnested parameters, and
 * a search whose generic plan was checked (duplicate-candidates.ts). Routing's joins are planned once
 * in functions instead (migrations RoutingUnits and RoutingPassPlans), made without sequential scans,
 * hash or merge joins, so that their kept plan reads by key whatever the tables held when it was made.
 * Tried on them as they were (UPDATE ... FROM unnest, the frozen states, the fan-out's claim): the
 * generic plan counts an unnest of unknown length as 100 rows and chose to scan `cases`; in the bench
 * (pg_stat_statements) they read 1.3-6 times the blocks and took 2-15 times as long. Tried again
 * with `c.id = ANY($n)` added, whose generic plan read cases_pkey when checked afterwards: in the bench
 * the update and the states still read 1.3 and 2.2 times the blocks of their unnamed runs (a generic
 * plan is built once, when `cases` may still be small, and kept until the next ANALYZE), for planning
 * that costs about 0.05 ms a case in batches of nine. Not worth it.
 * Tried again 2026-12-04 on routing's lock of its cases (`id = ANY($1)`), the relay's take and the
 * units' read: the first two got generic plans made at start, when their tables were nearly empty,
 * that scanned the table: 317 and 195 blocks a pass by the end of a 2,000-case paced run, against 14
 * and 56 unnamed. The units' read kept choosing custom plans, so preparing it saved no planning.
 * The name is derived from the text, so a name always stands for one text (node-postgres refuses a
 * name reused for another text) and every process names a statement alike. Keep the text constant:
 * each distinct text is one more prepared statement held by every pooled connection.
 */
export interface PreparedSql {
  readonly name: string;
  readonly text: string;
}

const PREPARED = new Map<string, PreparedSql>();

export function prepared(text: string): PreparedSql {
  let p = PREPARED.get(text);
  if (!p) {
    const name = `fr_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    // toString: TypeORM logs and reports errors with the statement as text.
    p = { name, text, toString: () => text } as PreparedSql;
    // Constant texts keep this small; a caller that builds texts by the thousand only loses the memo.
    if (PREPARED.size >= 1000) PREPARED.clear();
    PREPARED.set(text, p);
  }
  return p;
}

/** TypeORM hands the statement to node-postgres unchanged: a { name, text } config is prepared by name. */
function statement(text: string | PreparedSql): string {
  return text as string;
}

/**
 * TypeORM's PostgreSQL driver answers UPDATE and DELETE (with or without RETURNING) with
 * `[rows, affectedCount]` and every other statement with its rows; a row is never an array.
 */
function split(result: unknown): { rows: unknown[]; affected: number } {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return { rows: result[0] as unknown[], affected: result[1] };
  }
  const rows = Array.isArray(result) ? (result as unknown[]) : [];
  return { rows, affected: rows.length };
}

/** Every row of a SELECT, or of an INSERT/UPDATE/DELETE with RETURNING. */
export async function selectRows<T extends object>(db: Sql, text: string | PreparedSql, params: readonly unknown[] = []): Promise<T[]> {
  return split(await db.query(statement(text), params as unknown[])).rows as T[];
}

/** The first row, or undefined when there is none. */
export async function selectRow<T extends object>(db: Sql, text: string | PreparedSql, params: readonly unknown[] = []): Promise<T | undefined> {
  const rows = await selectRows<T>(db, text, params);
  return rows[0];
}

/**
 * A statement run for its effect: the number of rows an UPDATE or DELETE affected, or a RETURNING
 * statement returned. TypeORM does not pass on an INSERT's count: add RETURNING when it matters.
 */
export async function execute(db: Sql, text: string | PreparedSql, params: readonly unknown[] = []): Promise<number> {
  return split(await db.query(statement(text), params as unknown[])).affected;
}
