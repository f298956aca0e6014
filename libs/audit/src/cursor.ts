import { DataSource } from 'typeorm';
import { execute, selectRows } from '@fr/persistence';

export const CURSOR_BATCH = 1000;

/**
 * Runs `sql` through a server-side cursor on its own connection, in one read-only REPEATABLE READ
 * transaction (one consistent snapshot however long it runs), handing rows over a batch at a time:
 * memory stays constant whatever the result's size. `onBatch` may return false to stop early (a
 * client that went away). `T` is the row `sql` yields.
 *
 * Between two FETCHes the transaction is idle for as long as `onBatch` takes, and the engine's sessions
 * are ended past FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS of that (DatabaseModule): `onBatch` must not wait
 * on a slow consumer. Its callers compute in memory; the HTTP export streams through COPY instead,
 * whose backend is active, not idle, while the reader is slow (ExportCases).
 */
export async function forEachBatch<T extends object>(
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
      await execute(runner, 'SET TRANSACTION READ ONLY');
      // Compiling a plan that is fetched a thousand rows at a time costs more than it saves.
      await execute(runner, 'SET LOCAL jit = off');
      await execute(runner, `DECLARE fr_batch_cursor NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const rows = await selectRows<T>(runner, `FETCH ${batch} FROM fr_batch_cursor`);
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
