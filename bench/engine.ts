import { createServer } from 'node:net';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { QueueName, redisOptions } from '@fr/queue';
import { HttpClient } from './http-client';
import { BenchChild } from './processes';
import { BenchContext, sleep } from './support';

export interface RunningApi {
  baseUrl: string;
  api: BenchChild;
  stop(): Promise<void>;
}

export interface RunningEngine extends RunningApi {
  workers: BenchChild[];
  /** The routing queue, for readiness and for reporting what is left. */
  routingQueue: Queue;
  assertAlive(): void;
  /** pids of the engine's processes by label, for the CPU accounting. */
  pids(): Record<string, number | undefined>;
}

/** A port free right now on 127.0.0.1 (the API child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls GET `path` until it answers 200 (or the child dies, or the timeout passes). */
export async function waitHttpReady(baseUrl: string, urlPath: string, child: BenchChild, timeoutMs: number): Promise<void> {
  const client = new HttpClient(baseUrl, 1);
  try {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    for (;;) {
      child.assertAlive();
      try {
        const res = await client.request('GET', urlPath, {});
        if (res.status === 200) return;
        last = `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`${child.label} did not answer GET ${urlPath} with 200 within ${timeoutMs / 1000} s (last: ${last})`);
      await sleep(100);
    }
  } finally {
    client.close();
  }
}

/**
 * The API as its own process (`scripts/start.js api`), ready when /health answers 200: on a free port,
 * or on `opts.port` (an API started again after a crash keeps its address).
 */
export async function startApi(ctx: BenchContext, opts: { port?: number; label?: string; echoLines?: number } = {}): Promise<RunningApi> {
  const port = opts.port ?? (await freePort());
  const api = new BenchChild(
    ctx,
    opts.label ?? 'api',
    path.join(ctx.repoRoot, 'scripts', 'start.js'),
    ['api'],
    { ...ctx.engineEnv, PORT: String(port) },
    opts.echoLines,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitHttpReady(baseUrl, '/health', api, 60000);
  return { baseUrl, api, stop: () => api.stop() };
}

/** Labels of the worker processes: worker, worker2, worker3, ... */
export const workerLabel = (w: number) => (w === 0 ? 'worker' : `worker${w + 1}`);

/**
 * Starts the engine the way `npm start` runs it, on the bench's database and queue prefix: the API
 * and `ctx.workers` worker processes, each its own process. Peak RSS of each is recorded when it stops.
 */
export async function startEngine(ctx: BenchContext): Promise<RunningEngine> {
  const routingQueue = new Queue(QueueName.Routing, {
    connection: redisOptions(ctx.config.redisUrl, 'worker'),
    prefix: ctx.queuePrefix,
  });
  ctx.defer('close routing queue', () => routingQueue.close());

  const workers = Array.from(
    { length: ctx.workers },
    (_, w) => new BenchChild(ctx, workerLabel(w), path.join(ctx.repoRoot, 'scripts', 'start.js'), ['worker'], ctx.engineEnv),
  );
  const assertWorkers = () => workers.forEach((w) => w.assertAlive());
  const api = await startApi(ctx);

  // The workers are ready when each has its BullMQ worker connected to the routing queue.
  const deadline = Date.now() + 60000;
  while ((await routingQueue.getWorkersCount()) < workers.length) {
    assertWorkers();
    if (Date.now() > deadline) throw new Error(`the worker process(es) did not attach to the routing queue within 60 s`);
    await sleep(100);
  }

  return {
    ...api,
    workers,
    routingQueue,
    assertAlive() {
      api.api.assertAlive();
      assertWorkers();
    },
    pids() {
      const pids: Record<string, number | undefined> = { api: api.api.proc.pid };
      for (const w of workers) pids[w.label] = w.proc.pid;
      return pids;
    },
    async stop() {
      await api.stop();
      for (const w of workers) await w.stop();
    },
  };
}
