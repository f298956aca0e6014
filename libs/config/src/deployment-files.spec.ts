import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The production files as a security review reads them (`docker compose config` cannot run here). */
const ROOT = join(__dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  secrets?: string[];
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file?: string; environment?: string }>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = Object.entries(compose.services);
const commandOf = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''));
const isDataStore = (s: Service) => /^(postgres|redis)(:|$)/.test(s.image ?? '');
const isEngine = (s: Service) => s.build !== undefined;

describe('docker-compose.yml', () => {
  it('publishes neither PostgreSQL nor Redis (nor the Sentinels)', () => {
    const stores = services.filter(([, s]) => isDataStore(s));
    expect(stores.map(([name]) => name)).toEqual(expect.arrayContaining(['postgres', 'redis', 'redis-replica', 'sentinel-1']));
    for (const [name, s] of stores) expect({ name, ports: s.ports ?? [] }).toEqual({ name, ports: [] });
  });

  it('publishes what it publishes on 127.0.0.1 unless told otherwise', () => {
    const published = services.filter(([, s]) => s.ports?.length);
    // The API and the proxy for clients; Prometheus and Grafana (profile `monitoring`) for the operator, on loopback.
    expect(published.map(([name]) => name).sort()).toEqual(['api', 'grafana', 'prometheus', 'proxy']);
    for (const [, s] of published) for (const p of s.ports!) expect(p).toMatch(/^(\$\{FR_\w+_BIND:-127\.0\.0\.1\}|127\.0\.0\.1):/);
  });

  it('trusts no connection: PostgreSQL asks a password on the socket and over TCP', () => {
    // What compose hands to the containers (comments aside).
    expect(JSON.stringify(compose)).not.toMatch(/HOST_AUTH_METHOD|\btrust\b/i);
    const pg = compose.services.postgres;
    expect(pg.environment).toMatchObject({ POSTGRES_PASSWORD_FILE: '/run/secrets/postgres_password' });
    expect(pg.environment!.POSTGRES_INITDB_ARGS).toMatch(/--auth-host=scram-sha-256/);
    expect(pg.environment!.POSTGRES_INITDB_ARGS).toMatch(/--auth-local=scram-sha-256/);
  });

  it('lets PostgreSQL checkpoint by time rather than by WAL volume (max_wal_size 4GB; the README says why)', () => {
    const command = compose.services.postgres.command;
    expect(Array.isArray(command) ? command : [command]).toEqual(['postgres', '-c', 'max_wal_size=4GB']);
  });

  it('checks the health of every service', () => {
    for (const [name, s] of services) {
      expect({ name, test: s.healthcheck?.test?.length ? 'set' : 'missing', disabled: s.healthcheck?.disable ?? false }).toEqual({
        name,
        test: 'set',
        disabled: false,
      });
    }
  });

  it('runs every Redis with a password from a secret and noeviction', () => {
    for (const [name, s] of services.filter(([n, x]) => /^redis/.test(x.image ?? '') && !n.startsWith('sentinel'))) {
      const cmd = commandOf(s);
      expect({ name, noeviction: /--maxmemory-policy noeviction/.test(cmd), requirepass: /requirepass/.test(cmd) }).toEqual({
        name,
        noeviction: true,
        requirepass: true,
      });
      expect(cmd).toContain('/run/secrets/redis_password');
      expect(s.secrets).toContain('redis_password');
    }
  });

  it('gives the engine its credentials only as files, and the owner and superuser URLs only to migrate', () => {
    const secretNames = /^(DATABASE_(\w+_)?URL|REDIS_URL|FR_ADMIN_PASSWORD|FR_JWT_SECRET|FR_KEY_\w+|\w*PASSWORD)$/;
    const plain = (key: string) => secretNames.test(key) && !key.endsWith('_FILE');
    for (const [name, s] of services) {
      for (const key of Object.keys(s.environment ?? {})) expect({ name, key, plain: plain(key) }).toEqual({ name, key, plain: false });
    }
    for (const [name, s] of services.filter(([, x]) => isEngine(x))) {
      const env = s.environment!;
      expect(env.DATABASE_URL_FILE).toBe('/run/secrets/database_url');
      expect(env.FR_MIGRATE_ON_START).toBe('false');
      const privileged = 'DATABASE_OWNER_URL_FILE' in env || 'DATABASE_ADMIN_URL_FILE' in env || s.secrets!.includes('database_admin_url');
      expect({ name, privileged }).toEqual({ name, privileged: name === 'migrate' });
    }
    for (const secret of Object.values(compose.secrets)) expect(secret.file ?? secret.environment).toBeTruthy();
  });

  it('builds one image for the API and the workers, the command choosing', () => {
    const engines = services.filter(([, s]) => isEngine(s));
    expect(new Set(engines.map(([, s]) => s.image)).size).toBe(1);
    expect(new Set(engines.map(([, s]) => commandOf(s)))).toEqual(
      new Set(['node scripts/start.js migrate', 'node scripts/start.js api', 'node scripts/start.js worker']),
    );
  });

  it('shows the shape of a larger site in the `scale` profile: two APIs behind a proxy, three workers, Sentinels', () => {
    const inScale = (pred: (s: Service, name: string) => boolean) =>
      services.filter(([name, s]) => (!s.profiles || s.profiles.includes('scale')) && pred(s, name)).length;
    expect(inScale((s) => commandOf(s).endsWith(' api'))).toBe(2);
    expect(inScale((s) => commandOf(s).endsWith(' worker'))).toBe(3);
    expect(inScale((_, name) => name.startsWith('sentinel-'))).toBe(3);
    expect(compose.services.proxy.profiles).toEqual(['scale']);
    expect(compose.services.api.environment!.QUEUE_PREFIX).toBe('{fr}');
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim());

  it('checks its own health and runs as a user without rights', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "scripts\/healthcheck\.js"\]/m);
    const lastUser = [...dockerfile.matchAll(/^USER (\S+)/gm)].pop();
    expect(lastUser?.[1]).toBe('node');
  });

  it('copies no tests, bench or chaos tooling into the image', () => {
    expect(dockerfile).not.toMatch(/^COPY .*\b(test|bench|chaos)\b/m);
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.git', 'test', 'bench', 'chaos', '**/*.spec.ts', 'libs/testing', 'secrets', '.env']));
    const imageBuild = JSON.parse(read('tsconfig.image.json')) as { include: string[] };
    expect(imageBuild.include).toEqual(['apps/**/*.ts', 'libs/**/*.ts']);
  });
});
