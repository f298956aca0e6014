import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { argon2id, hash } from 'argon2';
import { createApiApp } from '../apps/api/src/bootstrap';
import { adminToken, ApiSchema, bearer, createOfficer, DEFAULT_TEST_PASSWORD, errorOf, login, TestEngine, waitFor } from '@fr/testing';
import { PASSWORD_HASH_COST, passwordHashCost, usePasswordHashCostForTests } from '@fr/auth';

const INVALID = { statusCode: 401, error: 'Unauthorized', message: 'invalid username or password' };

/**
 * The tests of the hashes themselves (their parameters, the time a login takes) make theirs at the real cost;
 * the others at the test cost, as every e2e file does: the whole file at the real cost took 110 s of a
 * fresh-clone CI run (one hash 224 ms alone, argon2's four lanes contending with the other files).
 */
async function atRealCost<T>(run: () => Promise<T>): Promise<T> {
  const before = passwordHashCost();
  usePasswordHashCostForTests(PASSWORD_HASH_COST);
  try {
    return await run();
  } finally {
    usePasswordHashCostForTests(before);
  }
}

describe('officer authentication', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    admin = await adminToken(engine);
  });
  afterAll(() => engine?.close());

  const me = (token: string) => engine.http().get('/v1/auth/me').set(bearer(token));
  const post = (username: unknown, password: unknown) => engine.http().post('/v1/auth/login').send({ username, password });

  it('logs the bootstrap admin in with an HS256 token naming the officer, role, unit and token version', async () => {
    const res = await post('admin', 'admin');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String) as unknown,
      expiresIn: engine.config.jwtTtlSeconds,
      officer: { id: expect.any(String) as unknown, username: 'admin', fullName: 'Quản trị hệ thống', role: 'ADMIN', unitCode: 'VP' },
    });
    const body = res.body as ApiSchema<'LoginResponseDto'>;
    const [header, payload] = body.accessToken
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as { [field: string]: unknown; exp: number; iat: number });
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: body.officer.id, role: 'ADMIN', unit: 'VP', ver: 0 });
    expect(payload.exp - payload.iat).toBe(engine.config.jwtTtlSeconds);

    const who = await me(body.accessToken);
    expect(who.status).toBe(200);
    expect(who.body).toEqual(body.officer);
  });

  it('accepts the username in any case', async () => {
    expect((await post('ADMIN', 'admin')).status).toBe(200);
  });

  it('answers a wrong password, an unknown user and an account without a password alike', async () => {
    const wrong = await post('admin', 'not-the-password');
    const unknown = await post('khong.ton.tai', 'whatever-password');
    // Seeded officers have no password until an administrator sets one.
    const noPassword = await post('vp.handler', '');
    const noPassword2 = await post('vp.handler', 'anything-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(INVALID);
    expect(unknown.body).toEqual(INVALID);
    expect(noPassword.status).toBe(400); // empty password: a malformed request, not a login attempt
    expect(noPassword2.body).toEqual(INVALID);
  });

  it('spends about as long on an unknown user as on a wrong password', () =>
    atRealCost(async () => {
      const time = async (username: string) => {
        const t0 = process.hrtime.bigint();
        expect((await post(username, 'wrong-password-123')).status).toBe(401);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      await createOfficer(engine, admin, { username: 'timing.known', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        known.push(await time('timing.known'));
        unknown.push(await time('timing.unknown'));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
      // Without the dummy verification an unknown user answers in ~1 ms against tens of ms for argon2.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    }));

  it('rejects malformed login bodies with 400 naming the field', async () => {
    const res = await engine.http().post('/v1/auth/login').send({ username: 'admin' });
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/password/);
  });

  it.each([
    ['no Authorization header', undefined, /missing access token/],
    ['a non-bearer scheme', 'Basic YWRtaW46YWRtaW4=', /malformed Authorization header/],
    ['a garbage token', 'Bearer not.a.token', /invalid access token/],
  ])('answers 401 with a reason for %s', async (_what, header, message) => {
    const req = engine.http().get('/v1/auth/me');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(message) as unknown });
  });

  it('refuses a token signed with another secret, with another algorithm, or expired', async () => {
    const [adminRow] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'admin'`);
    const claims = { sub: adminRow.id, role: 'ADMIN', unit: 'VP', ver: 0 };
    const forged = new JwtService({ secret: 'some-other-secret-of-enough-length' }).sign(claims);
    expect(errorOf(await me(forged)).message).toMatch(/invalid access token/);

    const hs512 = new JwtService({ secret: engine.config.jwtSecret }).sign(claims, { algorithm: 'HS512' });
    expect((await me(hs512)).status).toBe(401);

    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await me(unsigned)).status).toBe(401);

    // Signed with the right secret but without an expiry: it would be good for ever.
    const endless = new JwtService({ secret: engine.config.jwtSecret }).sign(claims, { issuer: 'feedback-router', audience: engine.config.jwtAudience });
    expect(errorOf(await me(endless)).message).toBe('invalid access token: it has no expiry (exp)');

    const expired = new JwtService({ secret: engine.config.jwtSecret }).sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 });
    const res = await me(expired);
    expect(res.status).toBe(401);
    expect(errorOf(res).message).toMatch(/access token expired at .*; log in again/);
  });

  describe('tokens bound to this deployment and its TTL', () => {
    const now = () => Math.floor(Date.now() / 1000);
    /** Signed with this engine's secret: only the claims differ from what the API issues. */
    const sign = async (over: Record<string, unknown>) => {
      const [adminRow] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'admin'`);
      const claims = { sub: adminRow.id, role: 'ADMIN', unit: 'VP', ver: 0, iss: 'feedback-router', aud: engine.config.jwtAudience, iat: now() };
      return new JwtService({ secret: engine.config.jwtSecret }).sign({ ...claims, exp: now() + 60, ...over });
    };

    it('issues tokens naming the issuer and this deployment as audience, and accepts them back', async () => {
      const token = await login(engine, 'admin', 'admin');
      const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      expect(payload).toMatchObject({ iss: 'feedback-router', aud: engine.config.jwtAudience });
      expect((await me(await sign({}))).status).toBe(200);
    });

    it.each([
      ['another audience', { aud: 'db:prod-db:5432/feedback_router' }, 'invalid access token: not issued for this deployment (iss, aud)'],
      ['no audience', { aud: undefined }, 'invalid access token: not issued for this deployment (iss, aud)'],
      ['another issuer', { iss: 'someone-else' }, 'invalid access token: not issued for this deployment (iss, aud)'],
      ['an iat an hour ahead', { iat: now() + 3600, exp: now() + 3660 }, 'invalid access token: issued in the future (iat)'],
      ['an exp ten years out', { exp: now() + 10 * 365 * 86400 }, /^invalid access token: its lifetime exceeds 900 s \(exp - iat\)$/],
      ['an iat older than the TTL', { iat: now() - 901, exp: now() + 60 }, /^access token expired at .*; log in again$/],
    ])('refuses a token signed with the secret but with %s', async (_what, over, message) => {
      const res = await me(await sign(over));
      expect(res.status).toBe(401);
      expect(errorOf(res).message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    });

    it('accepts an iat a few seconds ahead (clocks of API instances drift)', async () => {
      expect((await me(await sign({ iat: now() + 5, exp: now() + 65 }))).status).toBe(200);
    });

    it('refuses on a copy of the deployment with the same secret but another audience', async () => {
      const token = await login(engine, 'admin', 'admin');
      // The same database and secret: a staging copy restored from production, configured as itself.
      const staging = await createApiApp({ ...engine.config, jwtAudience: 'https://staging.example.gov.vn' });
      try {
        const res = await engine.http(staging).get('/v1/auth/me').set(bearer(token));
        expect(res.status).toBe(401);
        expect(errorOf(res).message).toBe('invalid access token: not issued for this deployment (iss, aud)');
      } finally {
        await staging.close();
      }
    });
  });

  it('stops the tokens of a disabled account at once, and refuses its logins', async () => {
    const { id, token } = await createOfficer(engine, admin, { username: 'sap.nghi.viec', role: 'HANDLER', unitCode: 'P_MINH_KHAI' });
    expect((await me(token)).status).toBe(200);

    const off = await engine.http().patch(`/v1/officers/${id}`).set(bearer(admin)).send({ active: false });
    expect(off.status).toBe(200);
    expect((off.body as ApiSchema<'OfficerDto'>).active).toBe(false);

    const res = await me(token);
    expect(res.status).toBe(401);
    expect(errorOf(res).message).toBe('account is disabled');
    const again = await post('sap.nghi.viec', DEFAULT_TEST_PASSWORD);
    expect(again.status).toBe(401);
    expect(errorOf(again).message).toMatch(/account is disabled/);
    expect((await post('sap.nghi.viec', 'wrong-password')).body).toEqual(INVALID);

    // Enabling the account again does not revive tokens issued before it was disabled.
    expect((await engine.http().patch(`/v1/officers/${id}`).set(bearer(admin)).send({ active: true })).status).toBe(200);
    expect(errorOf(await me(token)).message).toMatch(/revoked/);
    expect((await me(await login(engine, 'sap.nghi.viec', DEFAULT_TEST_PASSWORD))).status).toBe(200);
  });

  it("revokes tokens when the officer's role, unit or password changes, but not the name", async () => {
    const { id, token } = await createOfficer(engine, admin, { username: 'doi.vai.tro', role: 'HANDLER', unitCode: 'P_VINH_TUY' });
    const patch = (body: object) => engine.http().patch(`/v1/officers/${id}`).set(bearer(admin)).send(body);

    expect((await patch({ fullName: 'Tên mới' })).status).toBe(200);
    expect((await me(token)).status).toBe(200);

    expect((await patch({ role: 'LEADER' })).status).toBe(200);
    const stale = await me(token);
    expect(stale.status).toBe(401);
    expect(errorOf(stale).message).toMatch(/revoked/);
    const t2 = await login(engine, 'doi.vai.tro', DEFAULT_TEST_PASSWORD);
    expect((await me(t2)).body).toMatchObject({ role: 'LEADER', unitCode: 'P_VINH_TUY', fullName: 'Tên mới' });

    expect((await patch({ unitCode: 'P_PHO_HUE' })).status).toBe(200);
    expect((await me(t2)).status).toBe(401);
    const t3 = await login(engine, 'doi.vai.tro', DEFAULT_TEST_PASSWORD);

    expect((await patch({ password: 'mat-khau-moi-2026' })).status).toBe(200);
    expect((await me(t3)).status).toBe(401);
    expect((await post('doi.vai.tro', DEFAULT_TEST_PASSWORD)).body).toEqual(INVALID);
    expect(((await me(await login(engine, 'doi.vai.tro', 'mat-khau-moi-2026'))).body as ApiSchema<'OfficerIdentityDto'>).unitCode).toBe('P_PHO_HUE');
  });

  it('limits failed logins per address and username with 429, leaving other usernames alone', async () => {
    await createOfficer(engine, admin, { username: 'bi.do.mat.khau', role: 'AUDITOR', unitCode: 'NOI_VU' });
    // createOfficer's login was right: it does not count, ten failures are allowed within the minute.
    for (let i = 0; i < 10; i++) expect((await post('bi.do.mat.khau', `guess-${i}-xxxx`)).status).toBe(401);
    const blocked = await post('Bi.Do.Mat.Khau', DEFAULT_TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(
        /^too many failed login attempts for 'bi.do.mat.khau' from this address \(at most 10 a minute\); try again in \d+ s$/,
      ) as unknown,
    });
    expect(blocked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(blocked.headers['retry-after-login']).toMatch(/^\d+$/);
    expect((await post('bi.do.mat.khau', DEFAULT_TEST_PASSWORD)).status).toBe(429);

    expect((await post('admin', 'admin')).status).toBe(200);
  });

  it('documents the officer endpoints with bearer authentication in OpenAPI', async () => {
    // Only the parts of the OpenAPI document this test reads.
    const doc = (await engine.http().get('/docs/openapi.json')).body as {
      paths: Record<string, { post: { security: unknown } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    for (const path of [
      '/v1/auth/login',
      '/v1/auth/me',
      '/v1/officers',
      '/v1/officers/{id}',
      '/v1/units',
      '/v1/units/coverage',
      '/v1/units/{code}/designation',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.paths['/v1/officers'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.OfficerDto.properties).not.toHaveProperty('password');
  });

  describe('passwords in either Unicode form', () => {
    const NFC = 'Mật khẩu mới 2026'.normalize('NFC');
    // Unikey's "Unicode tổ hợp": the letter, then its combining marks.
    const NFD = NFC.normalize('NFD');

    it('logs in with a password set in NFC and typed in NFD, and the other way round', async () => {
      expect(NFD).not.toBe(NFC);
      await createOfficer(engine, admin, { username: 'unicode.dung.san', role: 'HANDLER', unitCode: 'P_BACH_KHOA', password: NFC });
      expect((await post('unicode.dung.san', NFD)).status).toBe(200);
      await createOfficer(engine, admin, { username: 'unicode.to.hop', role: 'HANDLER', unitCode: 'P_BACH_KHOA', password: NFD });
      expect((await post('unicode.to.hop', NFC)).status).toBe(200);
      expect((await post('unicode.to.hop', NFD)).status).toBe(200);
    });

    it('still accepts a password hashed as typed in NFD before, and hashes it again in NFC', async () => {
      const { id } = await createOfficer(engine, admin, { username: 'unicode.cu', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      // What the engine stored before passwords were normalised.
      const legacy = await hash(NFD, { type: argon2id });
      await engine.query(`UPDATE officers SET password_hash = $2 WHERE id = $1`, [id, legacy]);
      expect((await post('unicode.cu', NFD)).status).toBe(200);
      const [row] = await engine.query<{ password_hash: string }>(`SELECT password_hash FROM officers WHERE id = $1`, [id]);
      expect(row.password_hash).not.toBe(legacy);
      expect((await post('unicode.cu', NFC)).status).toBe(200);
      expect((await post('unicode.cu', NFD)).status).toBe(200);
      expect((await post('unicode.cu', 'Mat khau moi 2026')).body).toEqual(INVALID);
    });
  });

  describe('POST /v1/auth/password', () => {
    const change = (token: string | null, body: object) => {
      const req = engine.http().post('/v1/auth/password');
      return (token ? req.set(bearer(token)) : req).send(body);
    };

    it("changes the caller's own password, keeps them logged in with a fresh token and stops their other tokens", async () => {
      const { id, token } = await createOfficer(engine, admin, { username: 'tu.doi.mat.khau', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      const other = await login(engine, 'tu.doi.mat.khau', DEFAULT_TEST_PASSWORD);
      const res = await change(token, { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: 'Chi-minh-toi-biet-2026' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String) as unknown, expiresIn: engine.config.jwtTtlSeconds });
      const fresh = (res.body as ApiSchema<'PasswordChangedDto'>).accessToken;

      expect((await me(fresh)).body).toMatchObject({ id, username: 'tu.doi.mat.khau' });
      for (const stale of [token, other]) expect(errorOf(await me(stale)).message).toMatch(/revoked/);
      expect((await post('tu.doi.mat.khau', DEFAULT_TEST_PASSWORD)).body).toEqual(INVALID);
      expect((await post('tu.doi.mat.khau', 'Chi-minh-toi-biet-2026')).status).toBe(200);

      const events = await engine.query<{ actor: string; data: Record<string, unknown> }>(
        `SELECT actor, data FROM audit_events WHERE action = 'officer_updated' AND data->>'officerId' = $1`,
        [id],
      );
      expect(events).toEqual([
        {
          actor: `officer:${id}`,
          data: { officerId: id, username: 'tu.doi.mat.khau', changes: {}, passwordChanged: true, tokensRevoked: true },
        },
      ]);
      expect(JSON.stringify(events)).not.toMatch(/Chi-minh-toi-biet|Mat-khau-2026/);
    });

    it('lets any role change its own password, an administrator too', async () => {
      for (const [username, role, unitCode] of [
        ['tu.doi.admin', 'ADMIN', 'VP'],
        ['tu.doi.auditor', 'AUDITOR', 'NOI_VU'],
        ['tu.doi.operator', 'OPERATOR', 'VP'],
      ] as const) {
        const { token } = await createOfficer(engine, admin, { username, role, unitCode });
        expect((await change(token, { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: 'Mua-thu-Ha-Noi-2026' })).status).toBe(200);
      }
    });

    it('refuses a wrong current password with 403 (the token is good) and leaves the password and tokens as they were', async () => {
      const { token } = await createOfficer(engine, admin, { username: 'doan.sai', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      const res = await change(token, { currentPassword: 'Khong-phai-mat-khau', newPassword: 'Chi-minh-toi-biet-2026' });
      expect(res.status).toBe(403);
      expect(errorOf(res).message).toBe('currentPassword is wrong');
      expect((await me(token)).status).toBe(200);
      expect((await post('doan.sai', DEFAULT_TEST_PASSWORD)).status).toBe(200);
    });

    let weak = 0;
    it.each([
      ['a common password', () => 'password123', /^newPassword is one of the most common passwords/],
      ['a short pattern repeated', () => 'abcabcabc', /^newPassword must not repeat one character or a short pattern/],
      ['the username inside', (username: string) => `${username}-2026`, /^newPassword must not contain the username$/],
      ['the current password', () => DEFAULT_TEST_PASSWORD, /^newPassword must differ from currentPassword$/],
      ['too short a password', () => 'Ngan-7', /newPassword must be longer than or equal to 8 characters/],
    ])('refuses %s as the new password with 400', async (_what, newPassword, message) => {
      const username = `mat.khau.yeu.${++weak}`;
      const { token } = await createOfficer(engine, admin, { username, role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
      const res = await change(token, { currentPassword: DEFAULT_TEST_PASSWORD, newPassword: newPassword(username) });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(message);
      expect((await me(token)).status).toBe(200);
    });

    it('needs an access token and both fields', async () => {
      expect((await change(null, { currentPassword: 'admin', newPassword: 'Chi-minh-toi-biet-2026' })).status).toBe(401);
      const res = await change(admin, { newPassword: 'Chi-minh-toi-biet-2026' });
      expect(res.status).toBe(400);
      expect(errorOf(res).message).toMatch(/currentPassword/);
    });
  });

  it('stores passwords as argon2id hashes and never returns them', () =>
    atRealCost(async () => {
      const res = await engine.http().post('/v1/officers').set(bearer(admin)).send({
        username: 'kiem.tra.bam',
        password: 'Mot-mat-khau-dai',
        fullName: 'Kiểm Tra Băm',
        role: 'HANDLER',
        unitCode: 'P_BACH_KHOA',
      });
      expect(res.status).toBe(201);
      expect(JSON.stringify(res.body)).not.toMatch(/argon|Mot-mat-khau-dai|password/i);
      const [row] = await engine.query<{ password_hash: string }>(`SELECT password_hash FROM officers WHERE username = 'kiem.tra.bam'`);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
      const audit = await engine.query(`SELECT data::text AS data FROM audit_events WHERE action LIKE 'officer_%'`);
      for (const a of audit) expect(a.data).not.toMatch(/Mot-mat-khau-dai|argon2|password_hash/);
    }));
});

describe('officer authentication logs', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => engine?.close());

  /** Everything the process writes to stdout and stderr (pino writes with fs.writeSync) while `fn` runs. */
  async function captureOutput(fn: () => Promise<void>, complete: (output: string) => boolean): Promise<string> {
    const chunks: string[] = [];
    const keep = (fd: unknown, data: unknown) => {
      if (fd === 1 || fd === 2) chunks.push(Buffer.isBuffer(data) ? data.toString() : String(data));
    };
    const writeSync = fs.writeSync as (fd: number, data: unknown, ...rest: unknown[]) => number;
    const write = fs.write as (fd: number, data: unknown, ...rest: unknown[]) => void;
    const spies = [
      jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
        keep(fd, data);
        return fd === 1 || fd === 2 ? Buffer.byteLength(String(data)) : writeSync(fd, data, ...rest);
      }) as typeof fs.writeSync),
      jest.spyOn(fs, 'write').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
        keep(fd, data);
        if (fd !== 1 && fd !== 2) return write(fd, data, ...rest);
        const cb = rest.find((r): r is (err: null, written: number) => void => typeof r === 'function');
        cb?.(null, Buffer.byteLength(String(data)));
      }) as typeof fs.write),
      jest.spyOn(process.stdout, 'write').mockImplementation((data: unknown) => (chunks.push(String(data)), true)),
      jest.spyOn(process.stderr, 'write').mockImplementation((data: unknown) => (chunks.push(String(data)), true)),
    ];
    try {
      await fn();
      // A request's log line is written when its response finishes, which the client may see first.
      await waitFor(async () => chunks.join(''), complete, { what: 'the last request to be logged' });
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    return chunks.join('');
  }

  it('never writes a password to the logs, whether the login succeeds or fails', async () => {
    const secret = 'Bi-mat-Tuyet-Doi-9731';
    const output = await captureOutput(
      async () => {
        const admin = await login(engine, 'admin', 'admin');
        const { id } = await createOfficer(engine, admin, { username: 'nhat.ky', role: 'HANDLER', unitCode: 'P_BACH_KHOA', password: secret });
        expect(
          (
            await engine
              .http()
              .post('/v1/auth/login')
              .send({ username: 'nhat.ky', password: `${secret}-wrong` })
          ).status,
        ).toBe(401);
        expect((await engine.http().post('/v1/auth/login').send({ username: 'khong.co', password: secret })).status).toBe(401);
        const weak = await engine
          .http()
          .post('/v1/officers')
          .set(bearer(admin))
          .send({ username: 'yeu', password: 'Ab1', fullName: 'X', role: 'HANDLER', unitCode: 'VP' });
        expect(weak.status).toBe(400);
        const patched = await engine
          .http()
          .patch(`/v1/officers/${id}`)
          .set(bearer(admin))
          .send({ password: `${secret}-2` });
        expect(patched.status).toBe(200);
      },
      (out) => out.includes('"method":"PATCH"'),
    );
    // The capture works: the requests were logged...
    expect(output).toMatch(/"url":"\/v1\/auth\/login"/);
    expect(output).toMatch(/"statusCode":401/);
    // ...and no password, token or hash was.
    for (const s of [secret, 'Ab1"', '"admin","password"', '$argon2id$', 'Bearer ']) expect(output).not.toContain(s);
  });
});

describe('a start in production', () => {
  const production = (adminPassword: string) => ({
    NODE_ENV: 'production',
    FR_ADMIN_PASSWORD: adminPassword,
    FR_JWT_SECRET: 'k3y-of-at-least-thirty-two-characters-xyz',
    FR_PHONE_KEY_SECRET: 'phone-key-secret-of-thirty-two-chars-or-more',
    FR_PRIVACY_KEY: 'another-key-of-thirty-two-characters-at-least',
    FR_KEY_IHANOI: 'ihanoi-7f3a9c1e5b2d4f60',
  });

  it.each([
    ['matkhau123', /FR_ADMIN_PASSWORD is one of the most common passwords/],
    ['admin-2026-hn', /FR_ADMIN_PASSWORD must not contain the username/],
    ['abababab', /FR_ADMIN_PASSWORD must not repeat/],
  ])('refuses a first start whose FR_ADMIN_PASSWORD %s a guesser would try', async (password, problem) => {
    await expect(TestEngine.start({ worker: false, env: production(password) })).rejects.toThrow(problem);
  });

  it('starts with a password of its own, and the administrator logs in with it', async () => {
    const engine = await TestEngine.start({ worker: false, env: production('Lò Đúc 46 tháng Chạp') });
    try {
      expect(await login(engine, 'admin', 'Lò Đúc 46 tháng Chạp')).toEqual(expect.any(String));
    } finally {
      await engine.close();
    }
  });

  it.each([
    [{}, /no channel can submit feedback: set FR_KEY_HOTLINE_1022, FR_KEY_IHANOI, FR_KEY_WEB_PORTAL/],
    [{ FR_KEY_IHANIO: 'ihanoi-7f3a9c1e5b2d4f60' }, /FR_KEY_IHANIO names no channel \(the channels are hotline_1022, ihanoi, web_portal\)/],
  ])('refuses channel keys that leave a channel keyless by mistake: %j', async (keys, problem) => {
    const { FR_KEY_IHANOI: _keyed, ...keyless } = production('Lò Đúc 46 tháng Chạp');
    await expect(TestEngine.start({ worker: false, env: { ...keyless, ...keys } })).rejects.toThrow(problem);
  });

  it("starts with a key for a channel this deployment's channels.yaml leaves out (compose sets all three), every channel keyed", async () => {
    // A district without a web portal: docker-compose.yml still sets FR_KEY_WEB_PORTAL_FILE, and
    // scripts/make-secrets.sh writes its file. No channel is left keyless: nothing to refuse.
    const configDir = fs.mkdtempSync(join(tmpdir(), 'fr-two-channels-'));
    try {
      fs.cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
      const channels = join(configDir, 'channels.yaml');
      fs.writeFileSync(channels, fs.readFileSync(channels, 'utf8').replace(/^ {2}- \{ code: web_portal.*\n/m, ''));
      const env = {
        ...production('Lò Đúc 46 tháng Chạp'),
        FR_CONFIG_DIR: configDir,
        FR_KEY_HOTLINE_1022: 'hotline-2b8e61d0c4a97f35',
        FR_KEY_WEB_PORTAL: 'portal-5c1f7a92e0d3b846',
      };
      const engine = await TestEngine.start({ worker: false, env });
      await engine.close();
      // A misspelt name that leaves a channel keyless is still refused.
      const { FR_KEY_IHANOI: _keyed, ...misspelt } = env;
      await expect(TestEngine.start({ worker: false, env: { ...misspelt, FR_KEY_IHANIO: 'ihanoi-7f3a9c1e5b2d4f60' } })).rejects.toThrow(
        /FR_KEY_IHANIO names? no channel/,
      );
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  });
});
