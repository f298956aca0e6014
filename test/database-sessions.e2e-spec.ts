import { DataSource } from 'typeorm';
import { SEAL_SUMMARY_SQL_UTF8 } from '@fr/audit';
import { ReadDatabase } from '@fr/persistence';
import { TestEngine } from '@fr/testing';

const planOf = async (ds: { query: DataSource['query'] }, sql: string, params: string[]) =>
  ((await ds.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)) as { 'QUERY PLAN': { JIT?: { Functions: number } }[] }[])[0]['QUERY PLAN'][0];

/**
 * PostgreSQL compiles a statement whose estimated cost passes jit_above_cost (100,000 by default). On
 * tables never analyzed (a fresh database, autovacuum behind or off) the estimates are many times the
 * work, and a statement the engine runs every second crossed it: the checkpoint's page check over 400
 * seals was estimated at 183,451 and spent 74 ms of its 78 compiling, every second, in the bench's paced
 * run beside intake. The engine's own statements are short; only the reports, on their own pool, keep
 * the server's setting.
 */
describe('the engine sessions and JIT compilation', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start();
  });

  afterAll(async () => {
    await engine?.close();
  });

  it("runs the API's and the worker's statements without JIT, and leaves the reports' pool to the server", async () => {
    const api = engine.api.get(DataSource);
    const worker = (await engine.startWorker()).get(DataSource);
    for (const ds of [api, worker]) expect(await ds.query(`SELECT current_setting('jit') AS jit`)).toEqual([{ jit: 'off' }]);
    const reports = await engine.api.get(ReadDatabase).source();
    const [server] = await engine.query<{ jit: string }>(`SELECT setting AS jit FROM pg_settings WHERE name = 'jit'`);
    expect(await reports.query(`SELECT current_setting('jit') AS jit`)).toEqual([{ jit: server.jit }]);
  });

  it("plans the checkpoint's page check without compiling it, on tables never analyzed", async () => {
    const runner = (await engine.startWorker()).get(DataSource).createQueryRunner();
    await runner.connect();
    try {
      // Any cost passes the threshold here, as the page check's did on tables never analyzed.
      await runner.query(`SET jit_above_cost = 0`);
      const plan = await planOf(runner, SEAL_SUMMARY_SQL_UTF8, ['0', '400']);
      expect(plan.JIT).toBeUndefined();
    } finally {
      await runner.query(`RESET jit_above_cost`);
      await runner.release();
    }
  });
});
