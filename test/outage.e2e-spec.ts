import { Client } from 'pg';
import { createApiApp } from '../apps/api/src/bootstrap';
import { adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const FEEDBACK = {
  category: 'sanitation',
  description: 'Rác thải tồn đọng ở đầu ngõ 40 Tạ Quang Bửu.',
  location: { wardCode: 'BACH_KHOA' },
};

/**
 * A PostgreSQL outage (issue 10): every request that needs the database answers 503 with Retry-After,
 * so a client can tell an outage from a bug, and everything works again once the database is back.
 * The outage is this test's own database refusing connections, with the ones open cut.
 */
describe('PostgreSQL outage', () => {
  let engine: TestEngine;
  let admin: Client;
  let dbName: string;
  let token: string;
  let trackingCode: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    dbName = new URL(engine.config.databaseUrl).pathname.slice(1);
    const base = new URL(engine.superuserUrl);
    base.pathname = '/postgres';
    admin = new Client({ connectionString: base.toString() });
    await admin.connect();
    token = (await createOfficer(engine, await adminToken(engine), { username: 'outage.supervisor', role: 'SUPERVISOR', unitCode: 'VP' })).token;
    const res = await engine.http().post('/v1/feedback').set(KEY).send(FEEDBACK);
    expect(res.status).toBe(202);
    trackingCode = (res.body as FeedbackAcceptedDto).trackingCode;
  });
  afterAll(async () => {
    await allowConnections().catch(() => undefined);
    await admin?.end();
    await engine?.close();
  });

  async function refuseConnections() {
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
  }
  async function allowConnections() {
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
  }

  const requests: [string, () => ReturnType<ReturnType<TestEngine['http']>['get']>][] = [
    ['intake', () => engine.http().post('/v1/feedback').set(KEY).send(FEEDBACK)],
    ['status', () => engine.http().get(`/v1/feedback/${trackingCode}`).set(KEY)],
    ['categories', () => engine.http().get('/v1/categories').set(KEY)],
    ['cases', () => engine.http().get('/v1/cases').set(bearer(token))],
    ['login', () => engine.http().post('/v1/auth/login').send({ username: 'admin', password: 'admin' })],
  ];

  it('answers 503 with Retry-After on intake, status, categories, cases and login, and recovers without a restart', async () => {
    await refuseConnections();
    try {
      for (const [what, send] of requests) {
        const res = await send();
        expect({ what, status: res.status }).toEqual({ what, status: 503 });
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body).toMatchObject({
          statusCode: 503,
          error: 'Service Unavailable',
          message: expect.stringMatching(/unavailable; try again in \d+ s/) as unknown,
        });
      }
    } finally {
      await allowConnections();
    }
    for (const [what, send] of requests) {
      const res = await waitFor(send, (r) => r.status < 500, { what: `${what} to answer again` });
      expect({ what, status: res.status }).toEqual({ what, status: what === 'intake' ? 202 : 200 });
    }
  });

  it('answers 503 with Retry-After when the cases table stays locked past the API lock timeout, and releases its connections', async () => {
    // As a migration or a long administrative transaction would hold it.
    const locker = new Client({ connectionString: engine.superuserUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`) });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const held = await Promise.all(Array.from({ length: 3 }, () => engine.http().post('/v1/feedback').set(KEY).send(FEEDBACK)));
      for (const res of held) {
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
      }
      // Answered at the lock timeout (5 s), not when the lock is released.
      expect(Date.now() - started).toBeLessThan(15_000);
      // The pool is free again: a request that needs no lock on cases answers.
      expect((await engine.http().get('/v1/categories').set(KEY)).status).toBe(200);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    expect((await engine.http().post('/v1/feedback').set(KEY).send(FEEDBACK)).status).toBe(202);
  });

  it('keeps logins and tracking-code lookups working while Redis is unreachable, each limit counted in the process', async () => {
    // An API instance whose Redis is a closed port: the limits are counted in its own memory meanwhile.
    const api = await createApiApp({ ...engine.config, redisUrl: 'redis://127.0.0.1:1', loginLimits: { ...engine.config.loginLimits, perAccountAndIp: 2 } });
    try {
      const lookup = await engine.http(api).get(`/v1/feedback/${trackingCode}`).set(KEY);
      expect(lookup.status).toBe(200);
      expect((lookup.body as { trackingCode: string }).trackingCode).toBe(trackingCode);
      const login = () => engine.http(api).post('/v1/auth/login').send({ username: 'outage.supervisor', password: 'wrong password here' });
      expect((await login()).status).toBe(401);
      expect((await login()).status).toBe(401);
      const refused = await login();
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect((refused.body as ErrorDto).message).toMatch(/too many failed login attempts for 'outage.supervisor' from this address/);
    } finally {
      await api.close();
    }
  });
});
