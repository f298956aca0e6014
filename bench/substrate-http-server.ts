/**
 * The HTTP substrate's front: a plain node:http server (no framework) doing what intake does at the
 * bare minimum: look the channel up by its API key, parse the JSON body, one transaction inserting a
 * case-like row and an outbox-like row, a BullMQ Queue.add with ids only, 202. No validation, tracking
 * code or audit event.
 * Forked by substrate.bench.ts with plain `node` (no path aliases), so it imports by relative path.
 * Reports `{ type: 'ready', port }` once it listens.
 */
import * as http from 'node:http';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { DEFAULT_JOB_OPTIONS } from '../libs/queue/src/queues';
import { redisOptions } from '../libs/queue/src/redis-connection';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

interface Body {
  externalId?: string;
  category?: string;
  title?: string;
  description?: string;
  location?: { address?: string; wardCode?: string };
  citizen?: { name?: string; phone?: string };
}

async function main() {
  const table = env('BENCH_TABLE');
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error('BENCH_TABLE must be a plain identifier');
  const channelOfKey = new Map(Object.entries(JSON.parse(env('BENCH_CHANNEL_KEYS')) as Record<string, string>));
  const pool = new Pool({ connectionString: env('BENCH_DATABASE_URL'), max: Number(env('BENCH_POOL_SIZE')) });
  pool.on('error', (e) => console.error(`substrate server pool: ${e.message}`));
  // A producer in a request path fails fast, as the engine's API does.
  const queue = new Queue(env('BENCH_QUEUE'), { connection: redisOptions(env('BENCH_REDIS_URL'), 'producer'), prefix: env('BENCH_QUEUE_PREFIX') });
  queue.on('error', (e) => console.error(`substrate server queue: ${e.message}`));
  await queue.waitUntilReady();

  const accept = async (channel: string, b: Body): Promise<string> => {
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ${table} (channel_code, external_id, category_code, title, description, address, ward_code, citizen_name, citizen_phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          channel,
          b.externalId,
          b.category,
          b.title ?? null,
          (b.description ?? '').normalize('NFC'),
          b.location?.address ?? null,
          b.location?.wardCode ?? null,
          b.citizen?.name ?? null,
          b.citizen?.phone ?? null,
        ],
      );
      id = String(rows[0].id);
      await client.query(`INSERT INTO ${table}_outbox (job_id, payload) VALUES ($1, $2)`, [`substrate.${id}`, JSON.stringify({ id })]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
    await queue.add('process', { id }, { ...DEFAULT_JOB_OPTIONS, jobId: `substrate.${id}` });
    return id;
  };

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'POST' || req.url !== '/v1/feedback') return reply(404, { message: 'not found' });
    const channel = channelOfKey.get(String(req.headers['x-api-key'] ?? ''));
    if (!channel) return reply(401, { message: 'unknown API key' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
      } catch {
        return reply(400, { message: 'body is not JSON' });
      }
      accept(channel, body).then(
        (id) => reply(202, { id }),
        (e: Error & { code?: string }) => reply(e.code === '23505' ? 409 : 500, { message: e.message }),
      );
    });
  });
  server.keepAliveTimeout = 65000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  process.send?.({ type: 'ready', port });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await queue.close();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
