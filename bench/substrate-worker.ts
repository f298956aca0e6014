/**
 * The substrate ceiling's consumer: a bare BullMQ Worker doing per job one UPDATE transaction (raw
 * substrate) or, with BENCH_AUDIT_TABLE set (HTTP substrate), one transaction with the UPDATE and one
 * INSERT of an audit-like row.
 * Forked by substrate.bench.ts with plain `node` (no path aliases), so it imports by relative path.
 */
import { Worker } from 'bullmq';
import { Pool } from 'pg';
import { redisOptions } from '../libs/queue/src/redis-connection';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

async function main() {
  const table = env('BENCH_TABLE');
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error('BENCH_TABLE must be a plain identifier');
  const auditTable = process.env.BENCH_AUDIT_TABLE || null;
  if (auditTable !== null && !/^[a-z_][a-z0-9_]*$/.test(auditTable)) throw new Error('BENCH_AUDIT_TABLE must be a plain identifier');
  const pool = new Pool({ connectionString: env('BENCH_DATABASE_URL'), max: Number(env('BENCH_POOL_SIZE')) });
  pool.on('error', (e) => console.error(`substrate worker pool: ${e.message}`));
  const worker = new Worker<{ id: string }>(
    env('BENCH_QUEUE'),
    async (job) => {
      if (auditTable === null) {
        await pool.query(`UPDATE ${table} SET status = 'done', processed_at = now() WHERE id = $1`, [job.data.id]);
        return;
      }
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE ${table} SET status = 'done', processed_at = now() WHERE id = $1`, [job.data.id]);
        await client.query(
          `INSERT INTO ${auditTable} (row_id, actor, action, from_state, to_state, data) VALUES ($1, 'system', 'route', 'received', 'done', $2)`,
          [job.data.id, JSON.stringify({ jobId: job.id })],
        );
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    {
      connection: redisOptions(env('BENCH_REDIS_URL'), 'worker'),
      prefix: env('BENCH_QUEUE_PREFIX'),
      concurrency: Number(env('BENCH_WORKER_CONCURRENCY')),
    },
  );
  worker.on('error', (e) => console.error(`substrate worker: ${e.message}`));
  await worker.waitUntilReady();
  process.send?.({ type: 'ready' });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.close();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // The bench died without stopping us: do not linger.
  process.on('disconnect', () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
