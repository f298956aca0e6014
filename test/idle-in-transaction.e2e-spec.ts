import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { adminToken, bearer, createOfficer, DEV_KEYS, holdTable, submitRouted, TestEngine, untilWaitingForTable, waitFor } from '@fr/testing';

const ROOT = join(__dirname, '..');
/** Short here, so that the tests wait seconds for what takes FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS in production. */
const IDLE_MS = 1500;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * An API process frozen (SIGSTOP, or an event loop that never comes back) in the middle of a case
 * action: its transaction holds the case's row lock, and before the idle-in-transaction timeout every
 * other instance's action on the case waited for it for as long as the process lived (each answered
 * 503 after the API's 5 s lock timeout).
 */
describe('an API instance frozen inside a transaction', () => {
  let engine: TestEngine;
  let frozen: ChildProcess | undefined;
  let stopped = false;
  let said = '';
  let base: string;
  let handler: Record<string, string>;
  let checkpoints: string;
  let locker: Client;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/apps/api/src/main.js'))) throw new Error('run `npm run build` first (npm test does)');
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    handler = bearer((await createOfficer(engine, admin, { username: 'idle.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token);
    checkpoints = mkdtempSync(join(tmpdir(), 'fr-idle-checkpoints-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // A second API on the engine's database and queues, as a compiled process: the one the test freezes.
    frozen = spawn(process.execPath, ['scripts/start.js', 'api'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        // The test engine's secrets and audience, so the officer's token is good on both instances.
        NODE_ENV: 'test',
        PORT: String(port),
        DATABASE_URL: engine.config.databaseUrl,
        FR_MIGRATE_ON_START: 'false',
        REDIS_URL: engine.config.redisUrl,
        QUEUE_PREFIX: engine.config.queuePrefix,
        LOG_LEVEL: 'warn',
        FR_CHECKPOINT_DIR: checkpoints,
        FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    frozen.stdout!.on('data', (d) => (said += d));
    frozen.stderr!.on('data', (d) => (said += d));
    await waitFor(
      () =>
        fetch(`${base}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200,
      { timeoutMs: 60000, intervalMs: 200, what: `the second API to answer /health (output so far: ${said.slice(-500)})` },
    );
    locker = new Client({ connectionString: engine.superuserUrl });
    await locker.connect();
  }, 120_000);

  afterAll(async () => {
    if (frozen && frozen.exitCode === null) {
      if (stopped) frozen.kill('SIGCONT');
      frozen.kill('SIGKILL');
    }
    await locker?.end();
    await engine?.close();
    if (checkpoints) rmSync(checkpoints, { recursive: true, force: true });
  });

  it("ends the frozen instance's transaction after the timeout, so another instance's action on the case goes through", async () => {
    const { id } = await submitRouted(
      engine,
      { 'X-Api-Key': DEV_KEYS.ihanoi },
      {
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè số 12 Lê Thanh Nghị, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
      },
    );
    // Nothing else of the engine's touches the audit trail's table meanwhile (the sealer reads it).
    await engine.stopWorker();
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);

    // The frozen instance's acknowledge locks the case's row, then waits to write its audit event.
    const table = await holdTable(locker, 'audit_events');
    const stuck = fetch(`${base}/v1/cases/${id}/acknowledge`, {
      method: 'POST',
      headers: { ...handler, 'Content-Type': 'application/json' },
      body: JSON.stringify({ expectedVersion: version, severity: 'normal' }),
    }).then(
      (r) => r.status,
      () => 0,
    );
    await untilWaitingForTable(engine, 'audit_events');
    const rowLocked = await engine.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE NOWAIT`, [id]).then(
      () => false,
      (e: { code?: string }) => e.code === '55P03',
    );
    expect(rowLocked).toBe(true);
    // Frozen with the row locked; its statement finishes once the table is free (the server needs no
    // client for that), and then its session sits idle inside the transaction.
    process.kill(frozen!.pid!, 'SIGSTOP');
    stopped = true;
    await table.release();
    const freedAt = Date.now();

    // The other instance's action: each try waits for the row up to the API's 5 s lock timeout (503).
    const ack = await waitFor(
      () => engine.http().post(`/v1/cases/${id}/acknowledge`).set(handler).send({ expectedVersion: version, severity: 'urgent' }),
      (r) => r.status === 200 || Date.now() - freedAt > IDLE_MS + 10_000,
      { timeoutMs: IDLE_MS + 20_000, intervalMs: 100, what: "the healthy instance's acknowledge" },
    );
    expect(ack.status).toBe(200);
    expect(Date.now() - freedAt).toBeLessThan(IDLE_MS + 5000);
    const [c] = await engine.query<{ severity: string; version: number }>(`SELECT severity, version FROM cases WHERE id = $1`, [id]);
    expect(c).toEqual({ severity: 'urgent', version: version + 1 });

    // Woken up, the frozen instance finds its connection gone: its request fails, its pool drops the
    // connection, and it serves again.
    process.kill(frozen!.pid!, 'SIGCONT');
    stopped = false;
    expect(await stuck).toBeGreaterThanOrEqual(500);
    const note = await waitFor(
      () =>
        fetch(`${base}/v1/cases/${id}/note`, {
          method: 'POST',
          headers: { ...handler, 'Content-Type': 'application/json' },
          body: JSON.stringify({ expectedVersion: version + 1, text: 'Đã liên hệ phường Bách Khoa.' }),
        }).then((r) => r.status),
      (s) => s !== 503,
      { timeoutMs: 15000, intervalMs: 200, what: 'the woken instance to serve again' },
    );
    expect(note).toBe(200);
  }, 60_000);
});
