import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptedChannelKeys, ConfigError, loadConfig, withSecretFiles } from './app-config';
import { loadOrganisation } from './organisation';

describe(loadConfig.name, () => {
  it('has working defaults outside production', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({ port: 3000, queuePrefix: 'fr', adminPassword: 'admin', production: false });
    // Two roles on a fresh machine, created through the local superuser.
    expect(sut).toMatchObject({
      databaseUrl: 'postgres://fr_app:fr_app@127.0.0.1:5432/feedback_router',
      databaseOwnerUrl: 'postgres://fr_owner:fr_owner@127.0.0.1:5432/feedback_router',
      databaseAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      databaseReadUrl: null,
    });
  });

  it('gives a stop past a webhook attempt: FR_SHUTDOWN_TIMEOUT_SECONDS defaults to the larger of 30 s and the webhook timeout + 15 s', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(30_000);
    expect(loadConfig({ FR_WEBHOOK_TIMEOUT_SECONDS: '60' }).shutdownTimeoutMs).toBe(75_000);
    expect(loadConfig({ FR_WEBHOOK_TIMEOUT_SECONDS: '60', FR_SHUTDOWN_TIMEOUT_SECONDS: '5' }).shutdownTimeoutMs).toBe(5_000);
    expect(() => loadConfig({ FR_SHUTDOWN_TIMEOUT_SECONDS: '0' })).toThrow(/FR_SHUTDOWN_TIMEOUT_SECONDS must be an integer between 1 and 3600/);
  });

  it('with DATABASE_URL alone, one role migrates and serves, and no superuser is asked for', () => {
    const sut = loadConfig({ DATABASE_URL: 'postgres://me:pw@db:5432/fr' });
    expect(sut).toMatchObject({ databaseUrl: 'postgres://me:pw@db:5432/fr', databaseOwnerUrl: 'postgres://me:pw@db:5432/fr', databaseAdminUrl: null });
  });

  it('reads NAME_FILE for the variables that carry credentials, the variable itself winning, and names an unreadable file', () => {
    const files: Record<string, string> = { '/run/secrets/db': 'postgres://fr_app:s3cret@db:5432/fr\n', '/run/secrets/redis': 'redis://:pw@redis:6379' };
    const read = (p: string) => {
      if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[p];
    };
    const problems: string[] = [];
    const env = withSecretFiles(
      {
        DATABASE_URL_FILE: '/run/secrets/db',
        REDIS_URL: 'redis://given:6379',
        REDIS_URL_FILE: '/run/secrets/redis',
        FR_JWT_SECRET_FILE: '/missing',
        // Not ours to read: another program's, and the worker's heartbeat (it does not exist before the first beat).
        TF_CLI_CONFIG_FILE: '/missing',
        FR_HEARTBEAT_FILE: '/missing',
      },
      problems,
      read,
    );
    expect(env.DATABASE_URL).toBe('postgres://fr_app:s3cret@db:5432/fr');
    expect(env.REDIS_URL).toBe('redis://given:6379');
    expect(env.FR_HEARTBEAT).toBeUndefined();
    expect(problems).toEqual(["FR_JWT_SECRET_FILE: cannot read '/missing' (ENOENT)"]);
  });

  it('reads FR_TRUST_PROXY as hops, true, or a list of addresses', () => {
    expect(loadConfig({}).trustProxy).toBeNull();
    expect(loadConfig({ FR_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ FR_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ FR_TRUST_PROXY: 'loopback, uniquelocal' }).trustProxy).toBe('loopback, uniquelocal');
  });

  it("binds tokens to the deployment: FR_JWT_AUDIENCE, else the public address, else the database's place", () => {
    const dev = loadConfig({}).jwtAudience;
    expect(dev).toMatch(/^db:[A-Za-z0-9_-]{16}$/);
    // A digest of the database's place, so a token does not show the host; the same place, the same audience.
    expect(dev).not.toContain('127.0.0.1');
    expect(loadConfig({ DATABASE_URL: 'postgres://other:pw@127.0.0.1/feedback_router' }).jwtAudience).toBe(dev);
    // A copy restored on another server, or under another name, with the same secret: another audience.
    expect(loadConfig({ DATABASE_URL: 'postgres://fr_app:pw@staging-db/feedback_router' }).jwtAudience).not.toBe(dev);
    expect(loadConfig({ DATABASE_URL: 'postgres://fr_app:pw@127.0.0.1:5432/feedback_router_staging' }).jwtAudience).not.toBe(dev);
    expect(loadConfig({ FR_PUBLIC_URL: 'https://phananh.example.gov.vn/' }).jwtAudience).toBe('https://phananh.example.gov.vn');
    expect(loadConfig({ FR_PUBLIC_URL: 'https://phananh.example.gov.vn', FR_JWT_AUDIENCE: 'fr-hbt-prod' }).jwtAudience).toBe('fr-hbt-prod');
    expect(() => loadConfig({ FR_JWT_AUDIENCE: 'two words' })).toThrow(
      new ConfigError(["FR_JWT_AUDIENCE must be 1 to 200 printable ASCII characters without spaces, got 'two words'"]),
    );
  });

  it('takes the public address as a plain base URL, without its trailing slash', () => {
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(loadConfig({ FR_PUBLIC_URL: 'https://phananh.example.gov.vn/' }).publicUrl).toBe('https://phananh.example.gov.vn');
    expect(loadConfig({ FR_PUBLIC_URL: 'https://example.gov.vn/phan-anh//' }).publicUrl).toBe('https://example.gov.vn/phan-anh');
    expect(() => loadConfig({ FR_PUBLIC_URL: 'phananh.example.gov.vn' })).toThrow(/FR_PUBLIC_URL is not a valid URL/);
    expect(() => loadConfig({ FR_PUBLIC_URL: 'ftp://example.gov.vn' })).toThrow(/FR_PUBLIC_URL must use https: or http:/);
    expect(() => loadConfig({ FR_PUBLIC_URL: 'https://example.gov.vn/?a=1' })).toThrow(/FR_PUBLIC_URL must be a plain base address/);
    expect(() => loadConfig({ FR_PUBLIC_URL: 'https:example.gov.vn' })).toThrow(/FR_PUBLIC_URL must be written as https:\/\/host/);
    for (const bad of ['https://x:0', 'https://-', 'https://x..y']) expect(() => loadConfig({ FR_PUBLIC_URL: bad })).toThrow(/is not a host name or address/);
    expect(() => loadConfig({ FR_PUBLIC_URL: 'https://example.gov.vn/open311/v2/' })).toThrow(/without \/open311\/v2/);
    expect(loadConfig({ FR_PUBLIC_URL: 'http://[fd00::5]:8080/api' }).publicUrl).toBe('http://[fd00::5]:8080/api');
  });

  it('accepts a hash-tagged queue prefix and Sentinel URLs', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{fr}', REDIS_URL: 'redis+sentinel://:pw@s1:26379,s2:26379/mymaster' }).queuePrefix).toBe('{fr}');
    expect(() => loadConfig({ QUEUE_PREFIX: '{fr' })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL must use redis:, rediss:, redis\+sentinel: or redis\+cluster:/);
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://n1:7000,n2:7000' })).toThrow(/QUEUE_PREFIX must be a hash tag such as \{fr\} on Redis Cluster/);
    expect(loadConfig({ REDIS_URL: 'redis+cluster://n1:7000,n2:7000', QUEUE_PREFIX: '{fr}' }).redisUrl).toBe('redis+cluster://n1:7000,n2:7000');
  });

  it('serves no metrics publicly by default: /metrics off without a token, workers on the loopback address', () => {
    expect(loadConfig({})).toMatchObject({ metricsToken: null, workerMetrics: { host: '127.0.0.1', port: 9464 }, queueBoardRetries: false });
    expect(loadConfig({ FR_WORKER_METRICS_PORT: 'off', FR_METRICS_TOKEN: 'a-token', FR_QUEUE_BOARD_RETRIES: 'true' })).toMatchObject({
      metricsToken: 'a-token',
      workerMetrics: { port: null },
      queueBoardRetries: true,
    });
    expect(() => loadConfig({ FR_WORKER_METRICS_PORT: 'ninety' })).toThrow(/FR_WORKER_METRICS_PORT must be an integer/);
    expect(() => loadConfig({ NODE_ENV: 'production', FR_METRICS_TOKEN: 'short' })).toThrow(/FR_METRICS_TOKEN must be at least 16 characters/);
  });

  it("keeps a connection of the pool free beside the relay's lanes", () => {
    expect(loadConfig({ FR_RELAY_LANES: '4', FR_DB_POOL_SIZE: '5' }).relayLanes).toBe(4);
    expect(() => loadConfig({ FR_RELAY_LANES: '5', FR_DB_POOL_SIZE: '5' })).toThrow(/FR_RELAY_LANES \(5\) must be less than FR_DB_POOL_SIZE \(5\)/);
  });

  it('runs the SLA due sweep every 5 s while Redis does not answer by default, FR_SLA_REDIS_DOWN_SWEEP_MS otherwise (0: only at the period)', () => {
    expect(loadConfig({}).slaRedisDownSweepMs).toBe(5000);
    expect(loadConfig({ FR_SLA_REDIS_DOWN_SWEEP_MS: '0' }).slaRedisDownSweepMs).toBe(0);
    expect(() => loadConfig({ FR_SLA_REDIS_DOWN_SWEEP_MS: 'often' })).toThrow(/FR_SLA_REDIS_DOWN_SWEEP_MS must be an integer between 0 and 3600000/);
  });

  it('ends sessions idle inside a transaction after 30 s by default, FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS otherwise (0: never)', () => {
    expect(loadConfig({}).dbIdleInTransactionTimeoutMs).toBe(30000);
    expect(loadConfig({ FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }).dbIdleInTransactionTimeoutMs).toBe(0);
    expect(loadConfig({ FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '120000' }).dbIdleInTransactionTimeoutMs).toBe(120000);
    expect(() => loadConfig({ FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '500' })).toThrow(
      /FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be 0 \(never\) or at least 1000/,
    );
    expect(() => loadConfig({ FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' })).toThrow(/FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be an integer/);
  });

  it("bounds the requests an API process works on, officers' among them, leaving officers a place beside the long reads", () => {
    const config = loadConfig({});
    expect([config.requestConcurrency, config.officerRequestConcurrency]).toEqual([128, 64]);
    expect(() => loadConfig({ FR_REQUEST_CONCURRENCY: '8', FR_OFFICER_REQUEST_CONCURRENCY: '9' })).toThrow(
      /FR_OFFICER_REQUEST_CONCURRENCY \(9\) must not exceed FR_REQUEST_CONCURRENCY \(8\)/,
    );
    expect(() => loadConfig({ FR_OFFICER_REQUEST_CONCURRENCY: '6' })).toThrow(
      /FR_OFFICER_REQUEST_CONCURRENCY \(6\) must exceed FR_AUDIT_VERIFY_CONCURRENCY \+ FR_EXPORT_CONCURRENCY \+ FR_REPORT_CONCURRENCY \(6\)/,
    );
    expect(
      loadConfig({ FR_OFFICER_REQUEST_CONCURRENCY: '4', FR_EXPORT_CONCURRENCY: '1', FR_REPORT_CONCURRENCY: '1', FR_AUDIT_VERIFY_CONCURRENCY: '1' })
        .officerRequestConcurrency,
    ).toBe(4);
  });

  it('bounds the requests of one channel key (or address without credentials) to a share of the places, half by default', () => {
    expect(loadConfig({}).channelRequestConcurrency).toBe(96);
    expect(loadConfig({ FR_REQUEST_CONCURRENCY: '9', FR_OFFICER_REQUEST_CONCURRENCY: '8' }).channelRequestConcurrency).toBe(6);
    expect(loadConfig({ FR_CHANNEL_REQUEST_CONCURRENCY: '128' }).channelRequestConcurrency).toBe(128);
    expect(() => loadConfig({ FR_REQUEST_CONCURRENCY: '8', FR_CHANNEL_REQUEST_CONCURRENCY: '9' })).toThrow(
      /FR_CHANNEL_REQUEST_CONCURRENCY \(9\) must not exceed FR_REQUEST_CONCURRENCY \(8\)/,
    );
    expect(() => loadConfig({ FR_CHANNEL_REQUEST_CONCURRENCY: '0' })).toThrow(/FR_CHANNEL_REQUEST_CONCURRENCY/);
    expect(() => loadConfig({ FR_CHANNEL_REQUEST_CONCURRENCY: 'half' })).toThrow(/FR_CHANNEL_REQUEST_CONCURRENCY must be an integer/);
  });

  it('lists every problem at once, naming the variable', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ NODE_ENV: 'production', PORT: 'eighty', DATABASE_URL: 'mysql://x', QUEUE_PREFIX: 'a:b', FR_KEY_IHANOI: 'short' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        "PORT must be an integer between 0 and 65535, got 'eighty'",
        "DATABASE_URL must use postgres: or postgresql:, got 'mysql:'",
        expect.stringContaining('QUEUE_PREFIX'),
        'FR_ADMIN_PASSWORD is required in production',
        expect.stringContaining('FR_JWT_SECRET'),
        'FR_KEY_IHANOI must be at least 16 characters in production',
      ]),
    );
  });
});

describe(`${loadConfig.name} in production`, () => {
  const sound = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://fr_app:app-password@db:5432/feedback_router',
    FR_ADMIN_PASSWORD: 'a-long-admin-password-2026',
    FR_JWT_SECRET: 'k3y-of-at-least-thirty-two-characters-xyz',
    FR_KEY_IHANOI: 'ihanoi-7f3a9c1e5b2d4f60',
    FR_PHONE_KEY_SECRET: 'phone-key-secret-of-thirty-two-chars-or-more',
    FR_PRIVACY_KEY: 'another-key-of-thirty-two-characters-at-least',
  };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('starts with production secrets of its own', () => {
    expect(problemsOf(sound)).toEqual([]);
  });

  it('reads a channel key from FR_KEY_<CHANNEL>_FILE without taking the file name for a channel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-secret-'));
    try {
      writeFileSync(join(dir, 'ihanoi'), 'ihanoi-from-a-secret-file\n');
      const sut = loadConfig({ ...sound, FR_KEY_IHANOI: '', FR_KEY_IHANOI_FILE: join(dir, 'ihanoi') });
      expect(sut.channelKeys).toEqual({ ihanoi: 'ihanoi-from-a-secret-file' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a channel's previous key apart from its channels, and refuses one without a new key", () => {
    const sut = loadConfig({ ...sound, FR_KEY_IHANOI: 'ihanoi-key-of-2027-rotation', FR_KEY_IHANOI_PREVIOUS: 'ihanoi-key-of-2026-rotation' });
    expect(sut.channelKeys).toEqual({ ihanoi: 'ihanoi-key-of-2027-rotation' });
    expect(sut.previousChannelKeys).toEqual({ ihanoi: 'ihanoi-key-of-2026-rotation' });
    expect(acceptedChannelKeys(sut, 'ihanoi')).toEqual(['ihanoi-key-of-2027-rotation', 'ihanoi-key-of-2026-rotation']);
    expect(problemsOf({ ...sound, FR_KEY_HOTLINE_1022: 'ihanoi-7f3a9c1e5b2d4f60' })).toContain(
      'FR_KEY_IHANOI and FR_KEY_HOTLINE_1022 hold the same key: each channel needs its own',
    );
    expect(problemsOf({ ...sound, FR_KEY_IHANOI: '', FR_KEY_HOTLINE_1022_PREVIOUS: 'hotline-key-of-2026-rotation' })).toContain(
      'FR_KEY_HOTLINE_1022_PREVIOUS is set without FR_KEY_HOTLINE_1022: a previous key needs the new one',
    );
  });

  it('refuses every development default at once, naming each', () => {
    const problems = problemsOf({
      ...sound,
      FR_ADMIN_PASSWORD: 'admin',
      FR_JWT_SECRET: 'dev-only-jwt-secret-change-me-please-now',
      FR_PRIVACY_KEY: 'dev-only-privacy-key-change-me-please-now',
      FR_PHONE_KEY_SECRET: 'dev-only-phone-key-secret-padded-to-32-characters',
      FR_KEY_IHANOI: 'dev-ihanoi-key',
      // Long enough to pass a length check: the dev- prefix alone gives it away.
      FR_KEY_HOTLINE_1022: 'dev-hotline_1022-key',
    });
    expect(problems).toEqual([
      "FR_ADMIN_PASSWORD must not be the development default 'admin' in production",
      'FR_JWT_SECRET must not be the development default in production',
      expect.stringMatching(/^FR_PHONE_KEY_SECRET must not be the development default in production \(a new key orphans/),
      'FR_PRIVACY_KEY must not be the development default in production',
      "FR_KEY_IHANOI must not be a development key ('dev-...') in production",
      "FR_KEY_HOTLINE_1022 must not be a development key ('dev-...') in production",
    ]);
  });

  it('refuses missing secrets, each named', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'FR_ADMIN_PASSWORD is required in production',
      'FR_JWT_SECRET of at least 32 characters is required in production',
      'FR_PHONE_KEY_SECRET of at least 32 characters is required in production',
      'FR_PRIVACY_KEY of at least 32 characters is required in production',
      'DATABASE_URL is required in production',
    ]);
  });
});

describe(loadOrganisation.name, () => {
  const real = join(__dirname, '../../../config');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fr-config-'));
    cpSync(real, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the sample organisation of Hai Bà Trưng', () => {
    const sut = loadOrganisation(real);
    expect(sut.units).toHaveLength(32);
    expect(sut.units.filter((u) => u.kind === 'ward')).toHaveLength(18);
    expect(sut.units.filter((u) => u.kind === 'ward').every((u) => u.handler && u.leader)).toBe(true);
    expect(sut.units.find((u) => u.code === 'TU_PHAP')!.handler).toBeUndefined();
    expect(sut.areas.find((a) => a.code === 'DONG_TAM')!.name).toBe('Phường Đồng Tâm');
  });

  it('names the file and the entry of each broken reference', () => {
    const routing = join(dir, 'routing.yaml');
    writeFileSync(routing, readFileSync(routing, 'utf8') + '  - id: broken\n    category: no_such_category\n    unit: NO_SUCH_UNIT\n    inform: [GHOST]\n');
    expect(() => loadOrganisation(dir)).toThrow(ConfigError);
    try {
      loadOrganisation(dir);
    } catch (e) {
      const text = (e as ConfigError).message;
      expect(text).toMatch(/routing\.yaml rules\[9\]: unknown category 'no_such_category'/);
      expect(text).toMatch(/routing\.yaml rules\[9\]: unknown unit 'NO_SUCH_UNIT'/);
      expect(text).toMatch(/inform names unknown unit 'GHOST'/);
    }
  });

  it('puts supervisors and triage in the office', () => {
    const org = join(dir, 'organisation.yaml');
    const text = readFileSync(org, 'utf8');
    writeFileSync(org, text.replace('role: SUPERVISOR, unit: VP', 'role: SUPERVISOR, unit: P_DONG_TAM').replace(/^triageUnit: VP$/m, 'triageUnit: TU_PHAP'));
    expect(() => loadOrganisation(dir)).toThrow(
      /officer 'vp\.supervisor': a SUPERVISOR belongs to the office; unit 'P_DONG_TAM' is a ward[\s\S]*triageUnit 'TU_PHAP' is a department; triage is the office's/,
    );
  });

  it('refuses a channel code ending in _previous or _file, which FR_KEY_<CODE>_PREVIOUS and _FILE would misread', () => {
    const channels = join(dir, 'channels.yaml');
    writeFileSync(channels, readFileSync(channels, 'utf8') + '  - code: zalo_previous\n    name: Zalo\n');
    expect(() => loadOrganisation(dir)).toThrow(/code 'zalo_previous' must not end in _previous or _file/);
  });

  it('reports malformed YAML and missing files', () => {
    writeFileSync(join(dir, 'categories.yaml'), 'categories: [ { code: x\n');
    rmSync(join(dir, 'channels.yaml'));
    expect(() => loadOrganisation(dir)).toThrow(/categories\.yaml: .*[\s\S]*channels\.yaml: file not found/);
  });
});
