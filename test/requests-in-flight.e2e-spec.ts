import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Client } from 'pg';
import { ADMIN_PASSWORD, ADMIN_USERNAME, adminToken, bearer, createOfficer, DEV_KEYS, holdTable, TestEngine, untilWaitingForTable } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const HOTLINE = { 'X-Api-Key': DEV_KEYS.hotline };
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
 * out; one channel key's past FR_CHANNEL_REQUEST_CONCURRENCY 429, so that a client resending refused
 * requests at once cannot hold every place. Requests are held in flight by a lock another session takes
 * on the table they need next.
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
        FR_CHANNEL_REQUEST_CONCURRENCY: '3',
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
    expect((await engine.http().post('/v1/feedback').set(HOTLINE).send(valid('warm-up'))).status).toBe(202);
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
  const post = (key: Record<string, string>, id: string) =>
    engine
      .http()
      .post('/v1/feedback')
      .set(key)
      .send(valid(id))
      .then((r) => r);

  it('answers a request past FR_REQUEST_CONCURRENCY with 503 and Retry-After at once, serves /health, and takes requests again once places free', async () => {
    const held = await lock('cases');
    try {
      // Two channels, neither at its share: the server's bound is what refuses the sixth.
      const first = [post(KEY, 'held-1'), post(KEY, 'held-2'), post(KEY, 'held-3'), post(HOTLINE, 'held-4'), post(HOTLINE, 'held-5')];
      await untilWaiting('cases', 5);

      const asked = Date.now();
      const refused = await engine.http().post('/v1/feedback').set(HOTLINE).send(valid('refused-1'));
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
    expect((await engine.http().post('/v1/feedback').set(HOTLINE).send(valid('refused-1'))).status).toBe(202);
  });

  it('gives back the place of a caller that left before its answer', async () => {
    const server = engine.api.getHttpServer() as Server;
    const url = new URL(await engine.url());
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
      const staying = [post(KEY, 'stays-1'), post(KEY, 'stays-2'), post(HOTLINE, 'stays-3'), post(HOTLINE, 'stays-4')];
      await untilWaiting('cases', 5);

      const closed = once(serverSide, 'close');
      leaving.destroy();
      await closed;
      // Its statement still waits in PostgreSQL, but its place is free, its channel's too: the next request
      // with its key is taken (and waits too; a third in flight with that key)...
      const next = post(KEY, 'after-leaving');
      await untilWaiting('cases', 6);
      // ...and the one after it is refused: five in flight again.
      expect((await post(HOTLINE, 'one-too-many')).status).toBe(503);

      await held.release();
      expect((await Promise.all([...staying, next])).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    } finally {
      await held.release();
    }
  });

  it("answers a channel key past FR_CHANNEL_REQUEST_CONCURRENCY with 429 and Retry-After at once, and still takes another channel's feedback", async () => {
    const held = await lock('cases');
    try {
      const first = ['share-1', 'share-2', 'share-3'].map((id) => post(KEY, id));
      await untilWaiting('cases', 3);

      const asked = Date.now();
      const refused = await post(KEY, 'over-share');
      expect(Date.now() - asked).toBeLessThan(1000);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      expect(messageOf(refused)).toBe(
        '3 requests with this channel key are being worked on, the most one caller may have at once (FR_CHANNEL_REQUEST_CONCURRENCY=3); try again in 5 s',
      );
      // Two of the server's places are left, and another channel takes them (its requests wait on the lock too)...
      const other = [post(HOTLINE, 'other-1'), post(HOTLINE, 'other-2')];
      await untilWaiting('cases', 5);
      // ...while the key over its share is still refused, an officer's token beside it notwithstanding.
      expect((await engine.http().post('/v1/feedback').set(KEY).set(bearer(supervisor)).send(valid('over-share'))).status).toBe(429);

      await held.release();
      expect((await Promise.all([...first, ...other])).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    } finally {
      await held.release();
    }
    // The refused one stored nothing; its places given back, the channel is taken again.
    expect(await engine.query(`SELECT count(*)::int AS n FROM cases WHERE external_id = 'over-share'`)).toEqual([{ n: 0 }]);
    expect((await post(KEY, 'over-share')).status).toBe(202);
  });

  it('counts requests without credentials by client address, apart from the channels', async () => {
    // Logins read the officers' table; the channels' categories do not.
    const held = await lock('officers');
    try {
      const logIn = () =>
        engine
          .http()
          .post('/v1/auth/login')
          .send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
          .then((r) => r);
      const first = [logIn(), logIn(), logIn()];
      await untilWaiting('officers', 3);

      const refused = await logIn();
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      expect(messageOf(refused)).toBe(
        '3 requests without credentials from this address are being worked on, the most one caller may have at once (FR_CHANNEL_REQUEST_CONCURRENCY=3); try again in 5 s',
      );
      // A channel from the same address is another caller (its feedback would wait for the lock too: a read that does not).
      expect((await engine.http().get('/v1/categories').set(KEY)).status).toBe(200);

      await held.release();
      expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
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
