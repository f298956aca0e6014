import { INestApplication } from '@nestjs/common';
import type { Response } from 'supertest';
import { adminToken, bearer, createOfficer, DEFAULT_TEST_PASSWORD, DEV_KEYS, TestEngine } from '@fr/testing';
import { createApiApp } from '../apps/api/src/bootstrap';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

/**
 * Login and tracking-code lookup limits (issue 10): in Redis, so every API instance counts together;
 * per account and address, per account, per address; on the canonical username; 429 with Retry-After.
 * Limits are set low here so that each one is reached quickly.
 */
describe('login and lookup limits', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start({
      worker: false,
      env: {
        FR_LOGIN_LIMIT_PER_ACCOUNT_IP: '10',
        FR_LOGIN_LIMIT_PER_ACCOUNT: '5',
        FR_LOGIN_LIMIT_PER_IP: '8',
        FR_LOOKUP_LIMIT_PER_CHANNEL: '5',
        FR_PRIVACY_LIMIT_PER_CHANNEL: '3',
        FR_PRIVACY_LIMIT_PER_CHANNEL_DAY: '5',
        // Clients at several addresses, as behind the deployment's proxy.
        FR_TRUST_PROXY: 'loopback',
      },
    });
    admin = await adminToken(engine);
    for (const username of ['ilim.test', 'chia.se']) await createOfficer(engine, admin, { username, role: 'AUDITOR', unitCode: 'NOI_VU' });
  });
  afterAll(() => engine?.close());
  // Each test starts with empty buckets.
  beforeEach(async () => {
    const keys = (await engine.queueKeys()).filter((k) => k.includes(':limits:'));
    if (keys.length) await engine.redis.del(...keys);
  });

  const login = (username: string, password: string, app: INestApplication = engine.api) =>
    engine.http(app).post('/v1/auth/login').send({ username, password });
  const loginFrom = (ip: string, username: string, password: string) =>
    engine.http().post('/v1/auth/login').set('X-Forwarded-For', ip).send({ username, password });
  const expect429 = (res: Response, message: RegExp) => {
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(message) as unknown });
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  };

  it("limits failures per account, and a spelling with 'İ' opens no bucket of its own", async () => {
    for (let i = 0; i < 5; i++) expect((await login('ilim.test', `sai-${i}-mat-khau`)).status).toBe(401);
    expect429(
      await login('ilim.test', DEFAULT_TEST_PASSWORD),
      /^too many failed login attempts for 'ilim\.test' \(at most 5 a minute from all addresses\); try again in \d+ s$/,
    );
    // PostgreSQL's lower() folds 'İ' to 'i', JavaScript's to 'i' + U+0307: this spelling must not reach the account.
    const dotted = await login('İLIM.TEST', DEFAULT_TEST_PASSWORD);
    expect(dotted.status).not.toBe(200);
    expect(await login('ILIM.TEST', DEFAULT_TEST_PASSWORD).then((r) => r.status)).toBe(429);
  });

  it('lets an address the account logged in from before in with the right password while others fill its bucket', async () => {
    expect((await loginFrom('10.0.0.1', 'ilim.test', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    // Twenty wrong passwords a minute from elsewhere kept the account out, right password and all.
    for (let i = 0; i < 5; i++) expect((await loginFrom(`10.0.1.${i}`, 'ilim.test', `sai-${i}`)).status).toBe(401);
    expect429(await loginFrom('10.0.2.1', 'ilim.test', DEFAULT_TEST_PASSWORD), /^too many failed login attempts for 'ilim\.test'/);
    expect((await loginFrom('10.0.0.1', 'ilim.test', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    // Guesses from the known address are still held to that address's limits, and its failures count.
    for (let i = 0; i < 8; i++) expect((await loginFrom('10.0.0.1', 'ilim.test', `doan-${i}`)).status).toBe(401);
    expect429(await loginFrom('10.0.0.1', 'ilim.test', DEFAULT_TEST_PASSWORD), /^too many failed login attempts from this address \(at most 8 a minute\)/);
    // A right password from the known address gives back no failure it did not count: the account's
    // bucket, filled from elsewhere, stays full.
    // (The known address's own buckets, full by now, are emptied; the account's and the mark are kept.)
    const own = (await engine.queueKeys()).filter((k) => k.includes(':limits:login:account-ip:') || k.includes(':limits:login:ip:'));
    await engine.redis.del(...own);
    expect((await loginFrom('10.0.0.1', 'ilim.test', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    expect429(await loginFrom('10.0.2.2', 'ilim.test', DEFAULT_TEST_PASSWORD), /^too many failed login attempts for 'ilim\.test'/);
    // Knowing one account's address says nothing of another's.
    for (let i = 0; i < 5; i++) expect((await loginFrom(`10.0.3.${i}`, 'chia.se', `sai-${i}`)).status).toBe(401);
    expect429(await loginFrom('10.0.0.1', 'chia.se', DEFAULT_TEST_PASSWORD), /too many failed login attempts/);
  });

  it('counts a wrong current password of POST /v1/auth/password as a failed login of that account', async () => {
    const { token } = await createOfficer(engine, admin, { username: 'doi.mk.doan', role: 'AUDITOR', unitCode: 'NOI_VU' });
    // A stolen token, used from an address the officer never logged in from, is no way around the limits
    // to guess the password with.
    const change = (currentPassword: string) =>
      engine
        .http()
        .post('/v1/auth/password')
        .set(bearer(token))
        .set('X-Forwarded-For', '10.9.0.1')
        .send({ currentPassword, newPassword: 'Chi-minh-toi-biet-2026' });
    for (let i = 0; i < 5; i++) expect((await change(`sai-${i}-mat-khau`)).status).toBe(403);
    expect429(
      await change(DEFAULT_TEST_PASSWORD),
      /^too many failed login attempts for 'doi\.mk\.doan' \(at most 5 a minute from all addresses\); try again in \d+ s$/,
    );
    expect429(await loginFrom('10.9.0.2', 'doi.mk.doan', DEFAULT_TEST_PASSWORD), /^too many failed login attempts for 'doi\.mk\.doan'/);
  });

  it('gives a right current password its failure back, as a right login does', async () => {
    const { token } = await createOfficer(engine, admin, { username: 'doi.mk.dung', role: 'AUDITOR', unitCode: 'NOI_VU' });
    // From an address other than the one the officer logged in from, which is held to the account's bucket.
    for (let i = 0; i < 4; i++) expect((await loginFrom('10.9.1.1', 'doi.mk.dung', `sai-${i}-mat-khau`)).status).toBe(401);
    const res = await engine
      .http()
      .post('/v1/auth/password')
      .set(bearer(token))
      .set('X-Forwarded-For', '10.9.1.1')
      .send({ currentPassword: DEFAULT_TEST_PASSWORD, newPassword: 'Chi-minh-toi-biet-2026' });
    expect(res.status).toBe(200);
    // Four failures in the bucket of five, the change's attempt given back: one more failure is still allowed.
    expect((await loginFrom('10.9.1.1', 'doi.mk.dung', 'sai-nua-mat-khau')).status).toBe(401);
    expect((await loginFrom('10.9.1.2', 'doi.mk.dung', 'Chi-minh-toi-biet-2026')).status).toBe(429);
  });

  it('limits failures from one address over many usernames (password spraying)', async () => {
    for (let i = 0; i < 8; i++) expect((await login(`khong.ton.tai.${i}`, 'Mua-xuan-2026')).status).toBe(401);
    expect429(await login('khong.ton.tai.9', 'Mua-xuan-2026'), /^too many failed login attempts from this address \(at most 8 a minute\); try again in \d+ s$/);
  });

  it('counts no right password against any limit, so an officer behind a shared address or a script logging in often is let in', async () => {
    // Ten a minute per account and address: the eleventh right password was refused, a hotline script locked out.
    for (let i = 0; i < 25; i++) expect((await login('chia.se', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    // The address's budget for failures is untouched by them.
    for (let i = 0; i < 8; i++) expect((await login(`nguoi.khac.${i}`, 'sai')).status).toBe(401);
    expect429(await login('nguoi.khac.9', 'sai'), /^too many failed login attempts from this address \(at most 8 a minute\); try again in \d+ s$/);
  });

  it('still limits failures per account and address, right passwords before them or not', async () => {
    // An instance whose limit per account and address is the lowest of the three, so that it is the one reached.
    const strict = await createApiApp({ ...engine.config, loginLimits: { windowSeconds: 60, perAccountAndIp: 3, perAccount: 100, perIp: 100 } });
    try {
      const from = (ip: string, password: string) =>
        engine.http(strict).post('/v1/auth/login').set('X-Forwarded-For', ip).send({ username: 'chia.se', password });
      for (let i = 0; i < 6; i++) expect((await from('10.0.4.1', DEFAULT_TEST_PASSWORD)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await from('10.0.4.1', `sai-${i}`)).status).toBe(401);
      expect429(
        await from('10.0.4.1', DEFAULT_TEST_PASSWORD),
        /^too many failed login attempts for 'chia\.se' from this address \(at most 3 a minute\); try again in \d+ s$/,
      );
      expect((await from('10.0.4.2', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('holds the limits against many wrong passwords sent at once: each attempt is counted before its password is checked', async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => loginFrom('10.0.5.1', 'ilim.test', `dong-loat-${i}`)));
    expect(burst.filter((r) => r.status === 401)).toHaveLength(5);
    const refused = burst.filter((r) => r.status !== 401);
    expect(refused).toHaveLength(25);
    for (const r of refused) expect429(r, /^too many failed login attempts for 'ilim\.test' \(at most 5 a minute from all addresses\); try again in \d+ s$/);
    // The five failures stay counted: the right password, from any address not known to the account, waits too.
    expect429(await loginFrom('10.0.5.2', 'ilim.test', DEFAULT_TEST_PASSWORD), /^too many failed login attempts for 'ilim\.test'/);
    // Spread over usernames from one address (password spraying): the address's limit holds as well.
    const spray = await Promise.all(Array.from({ length: 30 }, (_, i) => loginFrom('10.0.5.3', `khong.co.${i}`, 'Mua-xuan-2026')));
    expect(spray.filter((r) => r.status === 401)).toHaveLength(8);
    for (const r of spray.filter((r) => r.status !== 401)) expect429(r, /^too many failed login attempts from this address \(at most 8 a minute\)/);
  });

  it('holds the limits against many wrong current passwords of POST /v1/auth/password sent at once', async () => {
    const { token } = await createOfficer(engine, admin, { username: 'doi.mk.dong.loat', role: 'AUDITOR', unitCode: 'NOI_VU' });
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine
          .http()
          .post('/v1/auth/password')
          .set(bearer(token))
          .set('X-Forwarded-For', '10.9.2.1')
          .send({ currentPassword: `sai-${i}-mat-khau`, newPassword: 'Chi-minh-toi-biet-2026' }),
      ),
    );
    expect(burst.filter((r) => r.status === 403)).toHaveLength(5);
    for (const r of burst.filter((r) => r.status !== 403)) expect429(r, /^too many failed login attempts for 'doi\.mk\.dong\.loat'/);
  });

  it('counts attempts on every API instance against the same buckets', async () => {
    const second = await createApiApp(engine.config);
    try {
      for (let i = 0; i < 5; i++) expect((await login('ilim.test', `sai-${i}`, i % 2 ? second : engine.api)).status).toBe(401);
      expect((await login('ilim.test', DEFAULT_TEST_PASSWORD, second)).status).toBe(429);
      expect((await login('ilim.test', DEFAULT_TEST_PASSWORD, engine.api)).status).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('limits tracking-code lookups per channel key, leaving other channels alone', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set('X-Api-Key', DEV_KEYS.ihanoi)
      .send({ category: 'sanitation', description: 'Rác ở đầu ngõ 40 Tạ Quang Bửu.', location: { wardCode: 'BACH_KHOA' } });
    expect(res.status).toBe(202);
    const { trackingCode } = res.body as FeedbackAcceptedDto;
    const lookup = (key: string, code: string) => engine.http().get(`/v1/feedback/${code}`).set('X-Api-Key', key);
    for (let i = 0; i < 5; i++) expect((await lookup(DEV_KEYS.ihanoi, i % 2 ? trackingCode : 'ZZZZZ-ZZZZZ')).status).toBeLessThan(429);
    expect429(await lookup(DEV_KEYS.ihanoi, trackingCode), /^too many tracking-code lookups for this channel \(at most 5 a minute\); try again in \d+ s$/);
    expect((await lookup(DEV_KEYS.hotline, trackingCode)).status).toBe(404);
  });

  it("limits data-subject requests per channel key: an access request answers with a number's contact", async () => {
    const ask = (key: string, phone: string, externalId?: string) =>
      engine
        .http()
        .post('/v1/privacy/requests')
        .set('X-Api-Key', key)
        .send({ kind: 'access', phone, ...(externalId ? { externalId } : {}) });
    expect((await ask(DEV_KEYS.ihanoi, '0912345670', 'dsr-limit-1')).status).toBe(201);
    // Retries of a request made answer what is stored and reach no new number: they do not use the window up.
    for (let i = 0; i < 4; i++) expect((await ask(DEV_KEYS.ihanoi, '0912345670', 'dsr-limit-1')).status).toBe(200);
    for (let i = 1; i < 3; i++) expect((await ask(DEV_KEYS.ihanoi, `091234567${i}`)).status).toBe(201);
    expect429(await ask(DEV_KEYS.ihanoi, '0912345679'), /^too many data-subject requests for this channel \(at most 3 a minute\); try again in \d+ s$/);
    expect((await ask(DEV_KEYS.hotline, '0912345679')).status).toBe(201);
    // The window passes; the day's cap (5 here, the refused request counted too) does not.
    const window = (await engine.queueKeys()).filter((k) => k.includes(':lookup:privacy:'));
    await engine.redis.del(...window);
    expect((await ask(DEV_KEYS.ihanoi, '0987654320')).status).toBe(201);
    expect429(await ask(DEV_KEYS.ihanoi, '0987654329'), /^too many data-subject requests for this channel today \(at most 5 a day\); try again in \d+ s$/);
  });
});
