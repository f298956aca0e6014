import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { EXPORT_SPILL_PREFIX, ExportCases, parsePeriod } from '@fr/audit';
import { REPORTS_APPLICATION_NAME } from '@fr/persistence';
import { adminToken, bearer, createOfficer, DEV_KEYS, freePort, holdTable, submitRouted, TestEngine, untilWaitingForTable, waitFor } from '@fr/testing';

const ROOT = join(__dirname, '..');
/** Short here, so that the tests wait seconds for what takes FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS in production. */
const IDLE_MS = 1500;

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

const CASES = 30_000;

/**
 * The case export's COPY blocks in its backend while a slow reader drains (not idle), but once the first
 * part is sent the reader drains the spilled parts from disk: a transaction kept open meanwhile sat idle for as
 * long as the reader took, and the idle-in-transaction timeout would end it.
 */
describe('a slow reader of the case export, with the idle-in-transaction timeout short', () => {
  let engine: TestEngine;
  const spillRoot = mkdtempSync(join(tmpdir(), 'idle-export-spec-'));

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_MS), FR_EXPORT_SPILL_DIR: spillRoot } });
    // Past the 20,000 cases a period needs to be split in two backends (ONE_BACKEND_UP_TO_CASES), one every 13 s.
    await engine.query(`
      SET session_replication_role = replica;
      INSERT INTO cases (id, tracking_code, channel_code, category_code, description, title, address, citizen_name, citizen_phone,
                         status, severity, unit_code, handler_id, submitted_at, received_at, routed_at, acknowledged_at, resolved_at,
                         closed_at, rating, answer, units_path)
      SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '70008' || lpad(to_hex(g), 15, '0'))::uuid,
             'I' || lpad(g::text, 10, '0'), 'ihanoi', 'sidewalk_encroachment',
             'Hàng quán lấn chiếm vỉa hè', 'Vỉa hè', 'Số ' || g || ' Tạ Quang Bửu', 'Nguyễn Văn A', '0912345678',
             'closed', 'normal', u.code, u.handler_id, t, t, t, t + interval '1 hour', t + interval '1 day', t + interval '2 days',
             1 + g % 5, 'Đã trả lời', u.code
        FROM (SELECT array_agg(code ORDER BY code) AS codes, array_agg(handler_id ORDER BY code) AS handlers FROM units WHERE kind = 'ward') w,
             generate_series(1, ${CASES}) g
        CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 08:00+07' + (g * interval '13 seconds') AS t) ts
        CROSS JOIN LATERAL (SELECT w.codes[1 + g % 18] AS code, w.handlers[1 + g % 18] AS handler_id) u;
      INSERT INTO assignments (case_id, unit_code, handler_id, reason, started_at) SELECT id, unit_code, handler_id, 'route', received_at FROM cases;
      SET session_replication_role = origin;
      ANALYZE cases`);
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    rmSync(spillRoot, { recursive: true, force: true });
  });

  /** The spill files this process holds open (unlinked as soon as they are open: /proc/self/fd shows them). */
  const spillsHeld = () =>
    readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((link) => link.startsWith(join(spillRoot, EXPORT_SPILL_PREFIX)));

  /** The export's backends and what they do now. */
  const backends = () =>
    engine.query<{ pid: number; state: string; wait_event: string | null; part: number | null; held_ms: number }>(
      `SELECT pid, state, wait_event, substring(query FROM 'cases export, part (\\d+) of')::int AS part,
              (extract(epoch FROM now() - state_change) * 1000)::int AS held_ms
         FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [REPORTS_APPLICATION_NAME],
    );

  it('is not cut, however long it stops reading while the COPY waits for it or while it reads the spilled part', async () => {
    const period = parsePeriod('2025-01-01', '2025-01-06');
    const [{ n: inPeriod }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE received_at >= $1 AND received_at < $2`, [
      period.from,
      period.to,
    ]);
    expect(inPeriod).toBeGreaterThan(20_000);
    // The reader: it takes nothing while `paused`, and counts the lines it took.
    let paused = true;
    let lines = 0;
    let held: (() => void)[] = [];
    let stopAtLine = Infinity;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        lines += chunk.toString('latin1').split('\r\n').length - 1;
        if (lines > stopAtLine) paused = true;
        if (paused) held.push(() => done());
        else done();
      },
    });
    const resume = () => {
      paused = false;
      const waiting = held;
      held = [];
      for (const done of waiting) done();
    };
    const exported = engine.api.get(ExportCases).execute({ period }, sink);
    exported.catch(() => undefined);
    try {
      // 1. The first part's COPY blocked on the reader (active, not idle) for twice the timeout; or, when the
      // sockets' buffers took the whole part (they grow to megabytes on loopback), its COPY over and its
      // transaction idle, waiting for the reader to take the lines, as long.
      const first = await waitFor(
        async () =>
          (await backends()).find((b) => b.part === 1 && (b.wait_event === 'ClientWrite' || b.state === 'idle in transaction') && b.held_ms > 2 * IDLE_MS),
        (b) => b !== undefined,
        { timeoutMs: 30000, intervalMs: 100, what: "the first part's COPY waiting for the reader" },
      );
      // Split in two: the second part is spilled to disk (or already there), its file held open to be read back.
      expect(spillsHeld().length).toBeGreaterThan(0);

      // 2. Past the first part, in the spilled second: the first part's connection has nothing to do until
      // the reader is done, for twice the timeout.
      stopAtLine = Math.round(inPeriod * 0.75);
      resume();
      await waitFor(() => Promise.resolve(paused), Boolean, { timeoutMs: 30000, what: 'the reader to reach the spilled part' });
      const after = await waitFor(
        async () => (await backends()).find((b) => b.pid === first!.pid),
        (b) => b === undefined || (b.state !== 'active' && b.held_ms > 2 * IDLE_MS),
        { timeoutMs: 30000, intervalMs: 100, what: "the first part's connection idle for twice the timeout (or gone)" },
      );
      expect(after).toMatchObject({ pid: first!.pid });
      expect(after!.state).not.toBe('idle in transaction');

      stopAtLine = Infinity;
      resume();
      expect(await exported).toBe(inPeriod);
      expect(lines).toBe(inPeriod + 1);
    } finally {
      // A failed test must not leave the export waiting for its reader (and the engine's close for it).
      if (!sink.writableFinished) sink.destroy(new Error('the test ended'));
    }
  }, 120_000);

  it('is not cut when its COPY is over and the lines wait in the socket for a reader that stopped', async () => {
    // An hour of the seed: 277 cases, one backend, about 100 kB. The socket's buffers take all of it, so
    // the COPY ends at once and its transaction waits, idle, until the reader has read the lines and it
    // can commit. The sessions' idle-in-transaction timeout cut it there, and the export failed.
    const period = parsePeriod('2025-01-01T08:00:00+07:00', '2025-01-01T09:00:00+07:00');
    const [{ n: inPeriod }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE received_at >= $1 AND received_at < $2`, [
      period.from,
      period.to,
    ]);
    expect(inPeriod).toBeGreaterThan(200);
    let paused = true;
    let lines = 0;
    let held: (() => void)[] = [];
    const sink = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        lines += chunk.toString('latin1').split('\r\n').length - 1;
        if (paused) held.push(() => done());
        else done();
      },
    });
    const exported = engine.api.get(ExportCases).execute({ period }, sink);
    exported.catch(() => undefined);
    try {
      // Its COPY done, its transaction idle while the reader stops, for twice the timeout.
      const idle = await waitFor(
        async () => (await backends()).find((b) => b.state === 'idle in transaction' && b.held_ms > 2 * IDLE_MS),
        (b) => b !== undefined,
        { timeoutMs: 30000, intervalMs: 100, what: "the export's transaction idle for twice the timeout while its reader stops" },
      );
      expect(idle).toBeDefined();
      paused = false;
      const waiting = held;
      held = [];
      for (const done of waiting) done();
      expect(await exported).toBe(inPeriod);
      expect(lines).toBe(inPeriod + 1);
    } finally {
      if (!sink.writableFinished) sink.destroy(new Error('the test ended'));
    }
  }, 60_000);
});
