import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * The one door to raw SQL. TypeORM's `query()` returns `any`; every caller outside this library goes
 * through these functions and names the row type it expects, so a renamed column is a compile error
 * at the row interface instead of an `undefined` at run time. Rows come back as PostgreSQL sends them
 * through node-postgres: bigint and numeric as strings, timestamptz as Date, json/jsonb parsed.
 */
export type Sql = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'> | Pick<QueryRunner, 'query'>;

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
export async function selectRows<T extends object>(db: Sql, text: string, params: readonly unknown[] = []): Promise<T[]> {
  return split(await db.query(text, params as unknown[])).rows as T[];
}

/** The first row, or undefined when there is none. */
export async function selectRow<T extends object>(db: Sql, text: string, params: readonly unknown[] = []): Promise<T | undefined> {
  const rows = await selectRows<T>(db, text, params);
  return rows[0];
}

/**
 * A statement run for its effect: the number of rows an UPDATE or DELETE affected, or a RETURNING
 * statement returned. TypeORM does not pass on an INSERT's count: add RETURNING when it matters.
 */
export async function execute(db: Sql, text: string, params: readonly unknown[] = []): Promise<number> {
  return split(await db.query(text, params as unknown[])).affected;
}
