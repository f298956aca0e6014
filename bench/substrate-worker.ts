/**
 * The substrate ceiling's consumer: a bare BullMQ Worker doing one UPDATE transaction per job.
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
  const pool = new Pool({ connectionString: env('BENCH_DATABASE_URL'), max: Number(env('BENCH_POOL_SIZE')) });
  pool.on('error', (e) => console.error(`substrate worker pool: ${e.message}`));
  const worker = new Worker(
    env('BENCH_QUEUE'),
    async (job) => {
      await pool.query(`UPDATE ${table} SET status = 'done', processed_at = now() WHERE id = $1`, [job.data.id]);
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
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The bench died without stopping us: do not linger.
  process.on('disconnect', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
