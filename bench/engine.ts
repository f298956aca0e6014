import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { QueueName, redisOptions } from '@fr/queue';
import { createApiApp } from '../apps/api/src/bootstrap';
import { BenchChild } from './processes';
import { BenchContext, sleep } from './support';

export interface RunningEngine {
  baseUrl: string;
  worker: BenchChild;
  /** The routing queue, for readiness and for reporting what is left. */
  routingQueue: Queue;
  stop(): Promise<void>;
}

/**
 * Starts the engine the way it runs in production, on the bench's database and queue prefix:
 * the API in this process (listening on a free port), the worker as its own process.
 */
export async function startEngine(ctx: BenchContext): Promise<RunningEngine> {
  const routingQueue = new Queue(QueueName.Routing, {
    connection: redisOptions(ctx.config.redisUrl, 'worker'),
    prefix: ctx.queuePrefix,
  });
  ctx.defer('close routing queue', () => routingQueue.close());

  const worker = new BenchChild(ctx, 'worker', path.join(ctx.repoRoot, 'scripts', 'start.js'), ['worker'], ctx.engineEnv);

  let app: INestApplication | null = await createApiApp(ctx.config);
  const closeApi = async () => {
    const a = app;
    app = null;
    await a?.close();
  };
  ctx.defer('close API', closeApi);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;

  // The worker is ready when its BullMQ worker is connected to the routing queue.
  const deadline = Date.now() + 60000;
  while ((await routingQueue.getWorkersCount()) === 0) {
    worker.assertAlive();
    if (Date.now() > deadline) throw new Error('the worker process did not attach to the routing queue within 60 s');
    await sleep(100);
  }

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    worker,
    routingQueue,
    async stop() {
      await closeApi();
      await worker.stop();
    },
  };
}
