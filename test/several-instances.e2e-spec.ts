import { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import { Client } from 'pg';
import { createApiApp } from '@fr/api';
import { READ_APPLICATION_NAME } from '@fr/persistence';
import { adminToken, bearer, createOfficer, DEFAULT_TEST_PASSWORD, DEV_KEYS, TestEngine, testDatabaseUrl, waitFor } from '@fr/testing';
import { createWorkerApp } from '@fr/worker';

/** A role that can only read: reports sent to it prove they read through DATABASE_READ_URL. */
const READER = 'fr_test_reader';

/**
 * Issue 17 item 7: two API instances and two workers on one database and one Redis (hash-tagged
 * queue prefix) share nothing in process memory that must be shared.
 */
describe('several API and worker instances', () => {
  let engine: TestEngine;
  let apiB: INestApplication;
  let workerB: INestApplicationContext;
  let su: Client;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_LOGIN_LIMIT_PER_ACCOUNT: '3', FR_LOGIN_LIMIT_PER_IP: '4' } });
    su = new Client({ connectionString: engine.superuserUrl });
    await su.connect();
    await su.query(`CREATE ROLE ${READER} LOGIN PASSWORD '${READER}'`).catch((e: { code?: string }) => {
      if (e.code !== '42710' && e.code !== '23505') throw e;
    });
    const db = new URL(engine.superuserUrl).pathname.slice(1);
    await su.query(
      `GRANT CONNECT ON DATABASE "${db}" TO ${READER}; GRANT USAGE ON SCHEMA public TO ${READER}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`,
    );
    // B stands behind a proxy on this machine: it believes X-Forwarded-For from loopback.
    apiB = await createApiApp({ ...engine.config, databaseReadUrl: testDatabaseUrl(db, READER), trustProxy: 'loopback' });
    workerB = await createWorkerApp(engine.config);
    const admin = await adminToken(engine);
    for (const [username, role, unitCode] of [
      ['multi.handler', 'HANDLER', 'P_BACH_KHOA'],
      ['multi.auditor', 'AUDITOR', 'NOI_VU'],
      ['multi.guess', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      tokens[username] = (await createOfficer(engine, admin, { username, role, unitCode })).token;
    }
  });
  afterAll(async () => {
    await workerB?.close();
    await apiB?.close();
    await su?.end();
    await engine?.close();
  });

  const feedback = (externalId: string) => ({
    category: 'sidewalk_encroachment',
    description: 'Quán nước lấn chiếm vỉa hè số 12 Lê Thanh Nghị, người đi bộ phải xuống lòng đường.',
    location: { wardCode: 'BACH_KHOA' },
    externalId,
  });
  const post = (app: INestApplication, externalId: string) =>
    engine.http(app).post('/v1/feedback').set('X-Api-Key', DEV_KEYS.ihanoi).send(feedback(externalId));
  const routed = (ids: string[]) =>
    waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE id = ANY($1::uuid[]) AND status <> 'received'`, [ids]),
      (r) => r[0].n === ids.length,
      { what: 'routing' },
    );

  it('takes the same externalId once, whichever instance each retry reaches', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 2 ? apiB : engine.api, 'twice-on-two')));
    expect(new Set(responses.map((r) => (r.body as { id: string }).id)).size).toBe(1);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(await engine.query(`SELECT id FROM cases WHERE external_id = 'twice-on-two'`)).toHaveLength(1);
  });

  it('routes every case once with two workers taking jobs from one queue', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(((await post(i % 2 ? apiB : engine.api, `spread-${i}`)).body as { id: string }).id);
    await routed(ids);
    const events = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = ANY($1::uuid[]) AND action = 'route'`, [ids]);
    expect(events[0].n).toBe(ids.length);
  });

  it('counts failed logins on one instance against the other', async () => {
    const login = (app: INestApplication, password: string) => engine.http(app).post('/v1/auth/login').send({ username: 'multi.guess', password });
    // The officer logged in from this address when created, which would exempt it from the account's
    // bucket (RequestLimits.beginLogin): forgotten here, so the guesses are held to it.
    const known = (await engine.queueKeys()).filter((k) => k.includes(':limits:login:known:'));
    if (known.length) await engine.redis.del(...known);
    expect((await login(engine.api, 'sai-1')).status).toBe(401);
    expect((await login(apiB, 'sai-2')).status).toBe(401);
    expect((await login(engine.api, 'sai-3')).status).toBe(401);
    expect((await login(apiB, DEFAULT_TEST_PASSWORD)).status).toBe(429);
  });

  it('behind a trusted proxy, counts per-address failures per client, not per proxy', async () => {
    const from = (ip: string, i: number) =>
      engine
        .http(apiB)
        .post('/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ username: `khong.co.${i}`, password: 'sai' });
    for (let i = 0; i < 4; i++) expect((await from('203.0.113.7', i)).status).toBe(401);
    expect((await from('203.0.113.7', 4)).status).toBe(429);
    expect((await from('203.0.113.8', 5)).status).toBe(401);
  });

  it('lets one of two actions on the same version win, on two instances', async () => {
    const { id } = (await post(engine.api, 'conflict-1')).body as { id: string };
    await routed([id]);
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    const ack = (app: INestApplication, severity: string) =>
      engine.http(app).post(`/v1/cases/${id}/acknowledge`).set(bearer(tokens['multi.handler'])).send({ expectedVersion: version, severity });
    const results = await Promise.all([ack(engine.api, 'normal'), ack(apiB, 'urgent')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('reads a report through DATABASE_READ_URL when it is set, and the primary otherwise', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const report = (app: INestApplication) => engine.http(app).get(`/v1/audits/units?from=${today}&to=${tomorrow}`).set(bearer(tokens['multi.auditor']));
    const viaReplica = await report(apiB);
    expect(viaReplica.status).toBe(200);
    const units = (viaReplica.body as { units: { unitCode: string; received: number }[] }).units;
    expect(units.find((u) => u.unitCode === 'P_BACH_KHOA')!.received).toBeGreaterThanOrEqual(8);
    const sessions = await engine.query<{ usename: string }>(
      `SELECT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [READ_APPLICATION_NAME],
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(new Set(sessions.map((s) => s.usename))).toEqual(new Set([READER]));
    // Take the reader's view of cases away: only the instance reading through it fails.
    await su.query(`REVOKE SELECT ON cases FROM ${READER}`);
    const refused = await request(apiB.getHttpServer() as Server)
      .get(`/v1/audits/units?from=${today}&to=${tomorrow}`)
      .set(bearer(tokens['multi.auditor']));
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect((await report(engine.api)).status).toBe(200);
  });
});
