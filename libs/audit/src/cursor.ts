import { DataSource } from 'typeorm';

export const CURSOR_BATCH = 1000;

/**
 * Runs `sql` through a server-side cursor on its own connection, in one read-only REPEATABLE READ
 * transaction (one consistent snapshot however long it runs), handing rows over a batch at a time:
 * memory stays constant whatever the result's size. `onBatch` may return false to stop early (a
 * client that went away).
 */
export async function forEachBatch<T>(
  ds: DataSource,
  sql: string,
  params: unknown[],
  onBatch: (rows: T[]) => Promise<boolean | void> | boolean | void,
  batch = CURSOR_BATCH,
): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction('REPEATABLE READ');
    try {
      await runner.query('SET TRANSACTION READ ONLY');
      // Compiling a plan that is fetched a thousand rows at a time costs more than it saves.
      await runner.query('SET LOCAL jit = off');
      await runner.query(`DECLARE fr_batch_cursor NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const rows: T[] = await runner.query(`FETCH ${batch} FROM fr_batch_cursor`);
        if (rows.length && (await onBatch(rows)) === false) break;
        if (rows.length < batch) break;
      }
      await runner.commitTransaction();
    } catch (e) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw e;
    }
  } finally {
    await runner.release();
  }
}
