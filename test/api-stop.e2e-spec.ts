import { Agent, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import { Client } from 'pg';
import { DEV_KEYS, holdTable, settle, TestEngine, untilWaitingForTable, waitFor } from '@fr/testing';

interface Exchange {
  externalId: string;
  status?: number;
  connection?: string;
  error?: string;
}

/**
 * An API stopped (SIGTERM: `npm start` stopping the others after a worker crashed, a deployment's
 * restart) while a channel keeps posting feedback on its kept-alive connection, as integrators are told
 * to. Node stops listening and ends the connections idle at that moment, but keeps one with a request in
 * flight and lets the client reuse it: the stopped API answered 202 for as long as the client sent (an
 * `npm start` run at 60 events a second answered for the whole 30 s of FR_SHUTDOWN_TIMEOUT_SECONDS, then
 * exited with code 1, cutting the requests in flight), and a stop under load never ended cleanly.
 */
describe('an API stopped while a channel keeps its connection busy', () => {
  let engine: TestEngine;
  let locker: Client;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    locker = new Client({ connectionString: engine.superuserUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await engine?.close();
  });

  it('answers the request in flight with Connection: close, takes no more on that connection, and stops within seconds', async () => {
    const url = new URL(await engine.url());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const exchanges: Exchange[] = [];
    let sending = true;
    const post = (externalId: string) =>
      new Promise<Exchange>((resolve) => {
        const body = JSON.stringify({
          externalId,
          category: 'sanitation',
          description: 'Rác thải tồn đọng ba ngày ở đầu ngõ 18 Lê Thanh Nghị, bốc mùi hôi thối.',
          location: { wardCode: 'BACH_KHOA' },
        });
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/v1/feedback',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'x-api-key': DEV_KEYS.ihanoi },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ externalId, status: res.statusCode, connection: res.headers.connection }));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve({ externalId, error: e.code ?? e.message }));
        req.end(body);
      });
    // One after another on one connection, as a channel's client does, for 20 s at most.
    const client = (async () => {
      const until = Date.now() + 20_000;
      for (let i = 0; sending && Date.now() < until; i++) {
        const x = await post(`stop-${i}`);
        exchanges.push(x);
        if (x.error) break;
      }
    })();
    let lock: { release: () => Promise<void> } | undefined;
    try {
      await waitFor(
        async () => exchanges.length,
        (n) => n >= 5,
        { what: 'the client to be under way' },
      );
      // A request held in flight (its insert waits for the lock) while the stop begins.
      lock = await holdTable(locker, 'cases');
      await untilWaitingForTable(engine, 'cases');
      const held = exchanges.length;
      const closing = settle(engine.api.close());
      await waitFor(
        async () => (engine.api.getHttpServer() as Server).listening,
        (listening) => !listening,
        { what: 'the API to stop listening' },
      );
      await lock.release();
      await waitFor(
        async () => closing.done(),
        (done) => done,
        { timeoutMs: 5000, what: 'the API to stop while the client keeps sending' },
      );
      await client;
      // The held request was answered, saying the connection ends; the client's next attempt found nobody listening.
      expect(exchanges[held]).toMatchObject({ status: 202, connection: 'close' });
      expect(exchanges.slice(held + 1)).toEqual([{ externalId: `stop-${held + 1}`, error: 'ECONNREFUSED' }]);
      const answered = exchanges.filter((x) => x.status !== undefined);
      expect(answered.every((x) => x.status === 202)).toBe(true);
      const stored = await engine.query<{ external_id: string }>(`SELECT external_id FROM cases WHERE external_id LIKE 'stop-%'`);
      expect(stored.map((r) => r.external_id).sort()).toEqual(answered.map((x) => x.externalId).sort());
    } finally {
      await lock?.release();
      sending = false;
      await client;
      agent.destroy();
    }
  });
});
