import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `work` in a transaction whose BEGIN is sent with its first statement, `first`, as one simple
 * query: one round trip instead of two, on paths that count them (the relay's pass, the fan-out of case
 * events). `first` has no parameters (the simple query protocol takes none): whatever values it holds
 * are literals the caller has checked. `work` gets the rows of `first` and the transaction's manager.
 *
 * The runner is told it is in a transaction, as startTransaction() would (its depth too, so that
 * commitTransaction() sends COMMIT and signals the commit to subscribers): its manager's statements then
 * run in this transaction, and a nested transaction() takes a savepoint. What the raw client skips:
 * TypeORM's query logging and QueryFailedError for this one statement, and the
 * BeforeTransactionStart/AfterTransactionStart events (no subscriber here listens to them; the outbox
 * signal listens to the commit).
 */
export async function transactionBegunWith<R, T>(ds: DataSource, first: string, work: (m: EntityManager, rows: R[]) => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    const client = (await runner.connect()) as { query(sql: string): Promise<{ rows: R[] }[]> };
    Object.assign(runner as unknown as { isTransactionActive: boolean; transactionDepth: number }, { isTransactionActive: true, transactionDepth: 1 });
    const [, firstResult] = await client.query(`BEGIN; ${first}`);
    const result = await work(runner.manager, firstResult.rows);
    await runner.commitTransaction();
    return result;
  } catch (e) {
    // Also when BEGIN itself failed: ROLLBACK outside a transaction is only a warning.
    await runner.rollbackTransaction().catch(() => undefined);
    throw e;
  } finally {
    await runner.release();
  }
}
