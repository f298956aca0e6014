import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Client } from 'pg';
import { adminToken, bearer, createOfficer, DEV_KEYS, holdTable, TestEngine, untilWaitingForTable } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const valid = (externalId: string) => ({
  externalId,
  category: 'sanitation',
  description: 'Rác thải tồn đọng ba ngày ở đầu ngõ 18 Lê Thanh Nghị, bốc mùi hôi thối.',
  location: { wardCode: 'BACH_KHOA' },
});

/**
 * An API process past its capacity (1,000 connections posting feedback, 200 reading the case list): the
 * requests past FR_REQUEST_CONCURRENCY, and officers' past FR_OFFICER_REQUEST_CONCURRENCY, are answered
 * 503 with Retry-After at once, where they queued for the pool until its wait (or the lock timeout) ran
 * out. Requests are held in flight by a lock another session takes on the table they need next.
 */
describe('requests in flight: how many one API process works on at once', () => {
  let engine: TestEngine;
  let supervisor: string;
  let locker: Client;

  beforeAll(async () => {
    // Officers' places must outnumber the long reads' (one each here); the pool has a connection left for /health.
    engine = await TestEngine.start({
      worker: false,
      env: {
        FR_REQUEST_CONCURRENCY: '5',
        FR_OFFICER_REQUEST_CONCURRENCY: '4',
        FR_AUDIT_VERIFY_CONCURRENCY: '1',
        FR_EXPORT_CONCURRENCY: '1',
        FR_REPORT_CONCURRENCY: '1',
        FR_DB_POOL_SIZE: '8',
      },
    });
    const admin = await adminToken(engine);
    supervisor = (await createOfficer(engine, admin, { username: 'vp.inflight.sup', role: 'SUPERVISOR', unitCode: 'VP' })).token;
    // The channel's key, the categories and the areas are read once and kept: the held requests wait on the lock alone.
    expect((await engine.http().post('/v1/feedback').set(KEY).send(valid('warm-up'))).status).toBe(202);
    locker = new Client({ connectionString: engine.superuserUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await engine?.close();
  });

  const lock = (table: string) => holdTable(locker, table);
  const untilWaiting = (table: string, n: number) => untilWaitingForTable(engine, table, n);
  const messageOf = (res: { body: unknown }) => (res.body as { message: string }).message;

  it('answers a request past FR_REQUEST_CONCURRENCY with 503 and Retry-After at once, serves /health, and takes requests again once places free', async () => {
    const held = await lock('cases');
    try {
      const first = ['held-1', 'held-2', 'held-3', 'held-4', 'held-5'].map((id) =>
        engine
          .http()
          .post('/v1/feedback')
          .set(KEY)
          .send(valid(id))
          .then((r) => r),
      );
      await untilWaiting('cases', 5);

      const asked = Date.now();
      const refused = await engine.http().post('/v1/feedback').set(KEY).send(valid('refused-1'));
      // At once: not after the lock's or the pool's 5 s wait, by which time its client may have given up.
      expect(Date.now() - asked).toBeLessThan(1000);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(messageOf(refused)).toBe('5 requests are being worked on, the most this server takes at once (FR_REQUEST_CONCURRENCY=5); try again in 5 s');
      // Operations still see the process: the health check takes no place.
      expect((await engine.http().get('/health')).status).toBe(200);

      await held.release();
      expect((await Promise.all(first)).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    } finally {
      await held.release();
    }
    // The refused one stored nothing; sent again, it is taken.
    expect(await engine.query(`SELECT count(*)::int AS n FROM cases WHERE external_id = 'refused-1'`)).toEqual([{ n: 0 }]);
    expect((await engine.http().post('/v1/feedback').set(KEY).send(valid('refused-1'))).status).toBe(202);
  });

  it('gives back the place of a caller that left before its answer', async () => {
    const server = engine.api.getHttpServer() as Server;
    const url = new URL(await engine.url());
    const post = (id: string) =>
      engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send(valid(id))
        .then((r) => r);
    const held = await lock('cases');
    try {
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const body = JSON.stringify(valid('leaves-1'));
      const leaving = httpRequest({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/feedback',
        headers: { ...KEY, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        agent: false,
      });
      leaving.on('error', () => undefined);
      leaving.end(body);
      const [serverSide] = await accepted;
      await untilWaiting('cases', 1);
      const staying = ['stays-1', 'stays-2', 'stays-3', 'stays-4'].map(post);
      await untilWaiting('cases', 5);

      const closed = once(serverSide, 'close');
      leaving.destroy();
      await closed;
      // Its statement still waits in PostgreSQL, but its place is free: the next request is taken (and waits too)...
      const next = post('after-leaving');
      await untilWaiting('cases', 6);
      // ...and the one after it is refused: five in flight again.
      expect((await engine.http().post('/v1/feedback').set(KEY).send(valid('one-too-many'))).status).toBe(503);

      await held.release();
      expect((await Promise.all([...staying, next])).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    } finally {
      await held.release();
    }
  });

  it("refuses an officer's request past FR_OFFICER_REQUEST_CONCURRENCY, and still takes a channel's feedback", async () => {
    // The inbox is the officers' alone: intake never touches it.
    const held = await lock('notifications');
    try {
      const reads = [1, 2, 3, 4].map(() =>
        engine
          .http()
          .get('/v1/notifications')
          .set(bearer(supervisor))
          .then((r) => r),
      );
      await untilWaiting('notifications', 4);

      const refused = await engine.http().get('/v1/notifications').set(bearer(supervisor));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(messageOf(refused)).toBe(
        "4 requests with an officer's token are being worked on, the most this server takes at once (FR_OFFICER_REQUEST_CONCURRENCY=4); try again in 5 s",
      );
      // The place officers' reads leave is intake's.
      expect((await engine.http().post('/v1/feedback').set(KEY).send(valid('beside-reads'))).status).toBe(202);

      await held.release();
      expect((await Promise.all(reads)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await held.release();
    }
    expect((await engine.http().get('/v1/notifications').set(bearer(supervisor))).status).toBe(200);
  });
});
