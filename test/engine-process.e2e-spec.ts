import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, healthStatus, processAlive, TEST_ROLES, testDatabaseUrl, waitFor } from '@fr/testing';

const ROOT = join(__dirname, '..');
const ADMIN_DB = process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * `node scripts/start.js <mode>` run to its end: its exit status (null when killed at the timeout) and output.
 * Not execFileSync, which blocks: the tests that run these side by side (it.concurrent) wait for them together.
 */
function startJs(mode: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['scripts/start.js', mode], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `npm start` as a user runs it: the compiled engine, API and worker as two processes. */
describe('the engine as processes (npm start)', () => {
  const id = randomBytes(4).toString('hex');
  const dbName = `fr_test_proc_${id}`;
  // The first test's engine; each test after it that starts one has its own port.
  let child: ChildProcess;
  let output: () => string;
  let port: number;
  /** Every process start() started, for afterAll to kill any left running by a failed test. */
  const started: ChildProcess[] = [];
  // Made in beforeAll, not when the file is read: a run filtering this describe out (-t) runs neither hook,
  // and left the folder behind.
  let checkpoints: string;

  /**
   * The engine serving on `enginePort`, and what it has written so far. With `asNpm`, as npm runs a script:
   * through `sh -c`, with npm's lifecycle variables; with `'npm'`, npm itself (`npm start`, its build skipped),
   * whose shell stays between it and the supervisor.
   */
  const start = (enginePort: number, asNpm: boolean | 'npm' = false) => {
    const command =
      asNpm === 'npm'
        ? ['npm', ['start', '--ignore-scripts', '--silent']]
        : asNpm
          ? ['sh', ['-c', `"${process.execPath}" scripts/start.js all`]]
          : [process.execPath, ['scripts/start.js', 'all']];
    const proc = spawn(command[0] as string, command[1] as string[], {
      cwd: ROOT,
      env: {
        ...(asNpm === true ? { npm_lifecycle_event: 'start' } : {}),
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        PORT: String(enginePort),
        // As on a fresh machine: the superuser creates the roles (when missing) and the database, the
        // owner role migrates, the API and worker run as the engine's role.
        DATABASE_URL: testDatabaseUrl(dbName, TEST_ROLES.app),
        DATABASE_OWNER_URL: testDatabaseUrl(dbName, TEST_ROLES.owner),
        DATABASE_ADMIN_URL: ADMIN_DB,
        QUEUE_PREFIX: `frt_proc_${id}`,
        LOG_LEVEL: 'info',
        FR_CHECKPOINT_DIR: checkpoints,
        // Any free port: other test files' engines run beside this one.
        FR_WORKER_METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(proc);
    let said = '';
    proc.stdout!.on('data', (d) => (said += d));
    proc.stderr!.on('data', (d) => (said += d));
    return { child: proc, output: () => said };
  };
  const childrenOf = (pid: number) =>
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/apps/api/src/main.js'))) throw new Error('run `npm run build` first (npm test does)');
    checkpoints = mkdtempSync(join(tmpdir(), 'fr-proc-checkpoints-'));
    port = await freePort();
    ({ child, output } = start(port));
  });

  afterAll(async () => {
    for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
    if (checkpoints) rmSync(checkpoints, { recursive: true, force: true });
    const admin = new Client({ connectionString: ADMIN_DB });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    const { default: Redis } = await import('ioredis');
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`frt_proc_${id}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('creates its database, serves, routes, and stops cleanly on SIGTERM', async () => {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      () => healthStatus(base),
      (s) => s === 200,
      { timeoutMs: 30000, intervalMs: 200, what: `the engine to answer /health (output so far: ${output().slice(-500)})` },
    );
    const res = await fetch(`${base}/v1/feedback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': 'dev-hotline_1022-key' },
      body: JSON.stringify({
        category: 'roads_lighting',
        description: 'Đèn chiếu sáng ngõ 32 Đại La tắt cả tuần, buổi tối rất nguy hiểm.',
        location: { address: 'ngõ 32 Đại La, phường Đồng Tâm' },
        citizen: { name: 'Vũ Đình Khôi', phone: '0977000111' },
      }),
    });
    expect(res.status).toBe(202);
    const { trackingCode } = (await res.json()) as { trackingCode: string };
    const status = await waitFor(
      () =>
        fetch(`${base}/v1/feedback/${trackingCode}`, { headers: { 'X-Api-Key': 'dev-hotline_1022-key' } }).then((r) => r.json() as Promise<{ status: string }>),
      (b: { status: string }) => b.status !== 'received',
      { timeoutMs: 15000, what: 'routing by the worker process' },
    );
    // `npm start` loads the shipped reorganisations: since 1/7/2025 Đại La lies in the new ward Tương Mai
    // (config/reorganisations/2025-07-01-two-tier-local-government.yaml), whose office handles its lighting.
    expect(status).toMatchObject({ status: 'assigned', unit: { code: 'P2025_TUONG_MAI' } });
    const admin = new Client({ connectionString: ADMIN_DB });
    await admin.connect();
    try {
      const [{ owner }] = (await admin.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [dbName])).rows;
      expect(owner).toBe(TEST_ROLES.owner);
      const serving = await admin.query<{ usename: string }>(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND application_name = 'feedback-router'`,
        [dbName],
      );
      expect(serving.rows).toEqual([{ usename: TEST_ROLES.app }]);
    } finally {
      await admin.end();
    }

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = output();
    expect(log).toMatch(/"msg":"Nest application successfully started"/);
    expect(jsonLines(log).find((l) => l.msg === `API listening on port ${port}`)).toMatchObject({ level: 30, port });
    // An upgrade is read in the log: which migrations this start applied, in JSON like every other line.
    const migrated = log.split('\n').find((l) => l.includes('"msg":"database migrated"'));
    const line = JSON.parse(migrated ?? '{}') as { level?: number; service?: string; migrations?: string[] };
    expect(line).toMatchObject({ level: 30, service: 'feedback-router' });
    expect(line.migrations).toContain('PassedOnLate1767440000000');
    expect(log).not.toContain('Vũ Đình Khôi');
    expect(log).not.toContain('0977000111');
  });

  // The next four side by side, each on a port of its own (the database made above is all they share): they
  // mostly wait for processes to start and stop, and one after the other took 15 to 27 s of this file alone.
  // Their starts compete for the cores: a minute each for /health. Not the test after them, whose lock on
  // the migration would hold up their starts.
  it.concurrent(
    'exits when its stop stalls (a request whose body never ends, Redis unreachable) once FR_SHUTDOWN_TIMEOUT_SECONDS have passed',
    async () => {
      const apiPort = await freePort();
      let said = '';
      const api = spawn(process.execPath, ['scripts/start.js', 'api'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'development',
          PORT: String(apiPort),
          DATABASE_URL: testDatabaseUrl(dbName, TEST_ROLES.app),
          FR_MIGRATE_ON_START: 'false',
          REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
          QUEUE_PREFIX: `frt_proc_${id}`,
          LOG_LEVEL: 'warn',
          FR_CHECKPOINT_DIR: checkpoints,
          FR_SHUTDOWN_TIMEOUT_SECONDS: '2',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      api.stdout!.on('data', (d) => (said += d));
      api.stderr!.on('data', (d) => (said += d));
      const exited = new Promise<number | null>((resolve) => api.on('exit', (code) => resolve(code)));
      try {
        await waitFor(
          () => healthStatus(`http://127.0.0.1:${apiPort}`),
          (s) => s === 503,
          { timeoutMs: 60000, intervalMs: 200, what: `the API to answer /health with Redis down (output so far: ${said.slice(-500)})` },
        );
        // A body announced and never sent: closing the server waits for it (Node's requestTimeout).
        const stalled = connect(apiPort, '127.0.0.1');
        await new Promise<void>((resolve) => stalled.on('connect', () => resolve()));
        stalled.write('POST /v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"cat');
        api.kill('SIGTERM');
        const code = await waitFor(
          () => Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 200))]),
          (c) => c !== 'running',
          { timeoutMs: 20000, what: `the API to exit (output so far: ${said.slice(-500)})` },
        );
        stalled.destroy();
        expect(code).toBe(1);
        // Named as the supervisor names its children: beside the workers' output in `npm start`'s, the line says who stalled.
        expect(said).toContain(`the API (pid ${api.pid}) did not stop within 2 s of SIGTERM (FR_SHUTDOWN_TIMEOUT_SECONDS); exiting`);
      } finally {
        if (api.exitCode === null) api.kill('SIGKILL');
      }
    },
    120_000,
  );

  it.concurrent(
    'stops its API and worker when npm start itself is killed (SIGKILL), so that a restart finds the port free',
    async () => {
      // The first test's port, which its engine's stop left free.
      const base = `http://127.0.0.1:${port}`;
      const { child, output } = start(port);
      await waitFor(
        () => healthStatus(base),
        (s) => s === 200,
        { timeoutMs: 60000, intervalMs: 200, what: `the engine to answer /health again (output so far: ${output().slice(-500)})` },
      );
      const pids = childrenOf(child.pid!);
      expect(pids).toHaveLength(2);
      child.kill('SIGKILL');
      // Before, both went on serving, re-parented, and the next npm start failed with EADDRINUSE.
      await waitFor(
        () => Promise.resolve(pids.filter(processAlive)),
        (left) => left.length === 0,
        { timeoutMs: 30000, what: 'the API and the worker to stop once their supervisor is gone' },
      );
      expect(await healthStatus(base)).toBe(0);
    },
    120_000,
  );

  it.concurrent(
    'stops when npm, which runs it, is killed (SIGTERM) without passing the signal on',
    async () => {
      const base = `http://127.0.0.1:${await freePort()}`;
      const { child, output } = start(Number(new URL(base).port), true);
      await waitFor(
        () => healthStatus(base),
        (s) => s === 200,
        { timeoutMs: 60000, intervalMs: 200, what: `the engine to answer /health again (output so far: ${output().slice(-500)})` },
      );
      const [supervisor] = childrenOf(child.pid!);
      const pids = [supervisor, ...childrenOf(supervisor)];
      expect(pids).toHaveLength(3);
      // npm's shell goes, the supervisor is left: before, it and the engine served on with nobody to stop them.
      child.kill('SIGTERM');
      await waitFor(
        () => Promise.resolve(pids.filter(processAlive)),
        (left) => left.length === 0,
        { timeoutMs: 30000, what: 'the supervisor, the API and the worker to stop once npm is gone' },
      );
      expect(await healthStatus(base)).toBe(0);
    },
    120_000,
  );

  it.concurrent(
    'stops when npm, which runs it, is killed with SIGKILL (its shell stays, waiting for the supervisor)',
    async () => {
      const base = `http://127.0.0.1:${await freePort()}`;
      const { child, output } = start(Number(new URL(base).port), 'npm');
      await waitFor(
        () => healthStatus(base),
        (s) => s === 200,
        { timeoutMs: 60000, intervalMs: 200, what: `the engine to answer /health again (output so far: ${output().slice(-500)})` },
      );
      const [shell] = childrenOf(child.pid!);
      const [supervisor] = childrenOf(shell);
      const pids = [supervisor, ...childrenOf(supervisor)];
      expect(pids).toHaveLength(3);
      // Nothing reaches the shell: it lives on under init, and the supervisor's parent never changed.
      child.kill('SIGKILL');
      await waitFor(
        () => Promise.resolve(pids.filter(processAlive)),
        (left) => left.length === 0,
        { timeoutMs: 30000, what: 'the supervisor, the API and the worker to stop once npm is gone' },
      );
      expect(await healthStatus(base)).toBe(0);
    },
    120_000,
  );

  it('does not start the engine when npm was killed while the database was migrated', async () => {
    const base = `http://127.0.0.1:${port}`;
    // The migration waits for this lock (another instance migrating, or a long migration on an upgrade).
    const holder = new Client({ connectionString: testDatabaseUrl(dbName) });
    await holder.connect();
    let released = false;
    try {
      await holder.query(`SELECT pg_advisory_lock(727001)`);
      const { child } = start(port, true);
      const supervisor = await waitFor(
        () => Promise.resolve(execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim()),
        (pid) => pid !== '',
        { timeoutMs: 10000, what: 'the supervisor under npm' },
      );
      // Waiting for the lock: npm's process was taken before the migration began.
      await waitFor(
        () => holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 727001 AND NOT granted`),
        (r) => r.rows[0].n > 0,
        { timeoutMs: 30000, what: 'the supervisor to wait for the migration lock' },
      );
      child.kill('SIGTERM');
      await holder.query(`SELECT pg_advisory_unlock(727001)`);
      released = true;
      const alive = () => {
        try {
          process.kill(Number(supervisor), 0);
          return true;
        } catch {
          return false;
        }
      };
      await waitFor(
        () => Promise.resolve(alive()),
        (a) => !a,
        { timeoutMs: 30000, what: 'the orphaned supervisor to exit rather than start the engine' },
      );
      expect(await healthStatus(base)).toBe(0);
    } finally {
      if (!released) await holder.query(`SELECT pg_advisory_unlock(727001)`).catch(() => undefined);
      await holder.end();
    }
  });
});

/** A process that cannot reach PostgreSQL at its start says so in the log's JSON, as every other line, and exits 1 for its manager to restart it. */
describe('a start without the database (scripts/start.js api, worker)', () => {
  // Its own queue prefix: the processes reach Redis before they give up on PostgreSQL, and wrote their queues'
  // keys under the default prefix of a deployment sharing this Redis.
  const prefix = `frt_nodb_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  // Side by side: each mostly waits for its connection's retries.
  it.concurrent.each(['api', 'worker'])('`%s` logs JSON lines only and exits 1', async (mode) => {
    const failure = await startJs(
      mode,
      // A port nothing listens on: the database is down or not there yet.
      {
        PATH: process.env.PATH,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
        FR_MIGRATE_ON_START: 'false',
        PORT: '0',
        FR_WORKER_METRICS_PORT: 'off',
        QUEUE_PREFIX: prefix,
      },
      30000,
    );
    expect(failure.status).toBe(1);
    const lines = `${failure.stdout}\n${failure.stderr}`.split('\n').filter((l) => l.trim() !== '');
    const notJson = lines.filter((l) => {
      try {
        return typeof (JSON.parse(l) as { level?: unknown }).level !== 'number';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    expect(lines.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 60)).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/could not start/) as unknown }),
    ]);
  });
});

/** The engine's log lines of a command's output (every one of them JSON: notJsonLines says otherwise). */
function jsonLines(output: string): { level: number; msg?: string; [field: string]: unknown }[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { level: number; msg?: string });
}

/** Lines of a process's output that are not the engine's JSON log lines (a level number and the service's name). */
function notJsonLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const line = JSON.parse(l) as { level?: unknown; service?: unknown };
        return typeof line.level !== 'number' || line.service !== 'feedback-router';
      } catch {
        return true;
      }
    });
}

/** The maintenance commands log as the engine's processes do: JSON lines through the root logger, never Nest's coloured text. */
describe('migrate and rebuild-facts (scripts/start.js migrate, rebuild-facts)', () => {
  const dbName = `fr_test_rebuild_${randomBytes(4).toString('hex')}`;
  const run = async (mode: string, databaseUrl: string) => {
    const { status, stdout, stderr } = await startJs(
      mode,
      { PATH: process.env.PATH, NODE_ENV: 'development', DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', FR_WORKER_METRICS_PORT: 'off' },
      120000,
    );
    // What execFileSync gave: stdout alone on success, both on a failure.
    return { status, output: status === 0 ? stdout : `${stdout}\n${stderr}` };
  };
  let migrated: { status: number | null; output: string };
  beforeAll(async () => {
    migrated = await run('migrate', testDatabaseUrl(dbName));
    expect(migrated.status).toBe(0);
  }, 180000);
  afterAll(async () => {
    const admin = new Client({ connectionString: ADMIN_DB });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('`migrate` logs JSON lines only: what it applied, then that a second run had nothing to do', async () => {
    expect(notJsonLines(migrated.output)).toEqual([]);
    const first = jsonLines(migrated.output);
    expect(first.filter((l) => l.msg === 'database migrated')).toEqual([
      expect.objectContaining({ level: 30, migrations: expect.arrayContaining(['InitialSchema1764400000000']) as unknown }),
    ]);
    const again = await run('migrate', testDatabaseUrl(dbName));
    expect(again.status).toBe(0);
    expect(notJsonLines(again.output)).toEqual([]);
    expect(jsonLines(again.output).filter((l) => l.level === 30)).toEqual([expect.objectContaining({ msg: 'database is up to date', migrations: [] })]);
  }, 120000);

  // The next three side by side (two of them wait for their connection's retries); after the second migrate,
  // which is alone on the database.
  it.concurrent(
    "`migrate` says a failure in the log's JSON too, and exits 1",
    async () => {
      const failed = await run('migrate', 'postgres://postgres@127.0.0.1:1/nowhere');
      expect(failed.status).toBe(1);
      expect(notJsonLines(failed.output)).toEqual([]);
      expect(jsonLines(failed.output).filter((l) => l.level >= 60)).toEqual([expect.objectContaining({ msg: 'database could not be migrated' })]);
    },
    120000,
  );

  it.concurrent(
    'logs JSON lines only, one saying how many cases it rebuilt from and how long it took',
    async () => {
      const rebuilt = await run('rebuild-facts', testDatabaseUrl(dbName));
      expect(rebuilt.status).toBe(0);
      expect(notJsonLines(rebuilt.output)).toEqual([]);
      expect(jsonLines(rebuilt.output).filter((l) => l.msg === 'daily facts rebuilt')).toEqual([
        expect.objectContaining({ level: 30, cases: 0, durationMs: expect.any(Number) as unknown }),
      ]);
    },
    120000,
  );

  it.concurrent(
    "says a failure in the log's JSON too, and exits 1",
    async () => {
      // A port nothing listens on: the database is down.
      const failed = await run('rebuild-facts', 'postgres://postgres@127.0.0.1:1/nowhere');
      expect(failed.status).toBe(1);
      expect(notJsonLines(failed.output)).toEqual([]);
      expect(jsonLines(failed.output).filter((l) => l.level >= 60)).toEqual([expect.objectContaining({ msg: 'daily facts could not be rebuilt' })]);
    },
    120000,
  );
});

/** What whoever runs the engine sees when its configuration is refused: the problems, not a stack trace. */
describe('a refused configuration (scripts/start.js)', () => {
  it.concurrent.each(['all', 'migrate', 'rebuild-facts'])('`%s` lists every problem and exits 2', async (mode) => {
    // Production with none of its secrets: what the compose file's `migrate` meets when ./secrets/ is missing a file.
    const failure = await startJs(mode, { PATH: process.env.PATH, NODE_ENV: 'production' }, 30000);
    expect(failure.status).toBe(2);
    expect(failure.stderr).toMatch(/^invalid configuration:\n {2}- FR_ADMIN_PASSWORD is required in production\n/);
    expect(failure.stderr).toContain('DATABASE_URL is required in production');
    expect(failure.stderr).not.toMatch(/^\s+at /m);
  });
});
