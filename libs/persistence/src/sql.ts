import { DataSource, EntityManager } from 'typeorm';

/**
 * The one door to raw SQL. TypeORM's `query()` returns `any`; every caller outside this library goes
 * through these functions and names the row type it expects, so a renamed column is a compile error
 * at the row interface instead of an `undefined` at run time. Rows come back as PostgreSQL sends them
 * through node-postgres: bigint and numeric as strings, timestamptz as Date, json/jsonb parsed.
 */
export type Sql = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'>;

/** Every row of a SELECT (or of a statement with RETURNING). */
export async function selectRows<T extends object>(db: Sql, text: string, params: readonly unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(text, params as unknown[]);
  return result as T[];
}

/** The first row, or undefined when there is none. */
export async function selectRow<T extends object>(db: Sql, text: string, params: readonly unknown[] = []): Promise<T | undefined> {
  const rows = await selectRows<T>(db, text, params);
  return rows[0];
}

/**
 * A statement run for its effect. TypeORM answers an UPDATE/DELETE without RETURNING with
 * `[rows, affectedCount]`; the count is what callers need.
 */
export async function execute(db: Sql, text: string, params: readonly unknown[] = []): Promise<number> {
  const result: unknown = await db.query(text, params as unknown[]);
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
