import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PoolClient } from 'pg';
import { VerifyAuditTrail } from '@fr/audit';
import { ApiSchema, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const ROOT = join(__dirname, '..');
const WORKERS = 3;

/**
 * The sealer across processes: three compiled worker processes (as `npm start` runs them) route and
 * seal while this process writes too; the sealer is SIGKILLed in the middle of a batch.
 */
describe('audit sealing with several worker processes', () => {
  let engine: TestEngine;
  const workers = new Map<number, { proc: ChildProcess; output: string[] }>();

  function startWorker(): void {
    const proc = spawn(process.execPath, ['scripts/start.js', 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: engine.config.databaseUrl,
        DATABASE_OWNER_URL: engine.config.databaseOwnerUrl,
        REDIS_URL: engine.config.redisUrl,
        QUEUE_PREFIX: engine.config.queuePrefix,
        FR_CHECKPOINT_DIR: engine.config.checkpointDir,
        FR_RECONCILE_INTERVAL_MS: '3600000',
        FR_DB_POOL_SIZE: '4',
        // Several workers on one machine: each on a free port.
        FR_WORKER_METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    proc.stdout!.on('data', (d) => output.push(String(d)));
    proc.stderr!.on('data', (d) => output.push(String(d)));
    workers.set(proc.pid!, { proc, output });
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/apps/worker/src/main.js'))) throw new Error('run `npm run build` first (npm test does)');
    engine = await TestEngine.start({ worker: false });
    for (let i = 0; i < WORKERS; i++) startWorker();
  });

  afterAll(async () => {
    await Promise.all(
      [...workers.values()].map(({ proc }) => {
        return new Promise((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve(undefined);
          proc.once('exit', resolve);
          proc.kill('SIGTERM');
        });
      }),
    );
    await engine?.close();
  });

  async function post(n: number, tag: string): Promise<string[]> {
    const ids = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await engine
          .http()
          .post('/v1/feedback')
          .set({ 'X-Api-Key': DEV_KEYS.hotline })
          .send({
            externalId: `${tag}-${i}`,
            category: 'roads_lighting',
            description: `Đèn đường ngõ ${i + 1} phố Bạch Mai không sáng, buổi tối rất tối và nguy hiểm.`,
            location: { wardCode: 'BACH_MAI' },
          });
        expect(res.status).toBe(202);
        return (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
      }),
    );
    return ids;
  }

  const headSealer = async () => (await engine.query<{ sealer: string | null }>(`SELECT sealer FROM audit_chain_head`))[0].sealer;

  it('a sealer killed mid-batch loses nothing, seals nothing twice, and another process takes over', async () => {
    // The workers attach; one of them becomes the sealer and seals the organisation's events.
    const first = await waitFor(headSealer, (s) => s !== null, { timeoutMs: 30000, what: 'a worker process to seal' });
    const sealerPid = Number(first!.split(':').pop());
    expect(workers.has(sealerPid)).toBe(true);

    const before = await post(60, 'seal-a');

    // Hold the sealer inside a batch: it has locked the head and waits to insert its seals.
    const blocker: PoolClient = await engine.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE audit_seals IN SHARE MODE');
      const during = post(60, 'seal-b');
      await waitFor(
        () =>
          engine.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO audit_seals%'`,
          ),
        (r) => r[0].n === 1,
        { what: 'the sealer to wait inside its batch' },
      );
      workers.get(sealerPid)!.proc.kill('SIGKILL');
      await during;
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const after = await post(60, 'seal-c');

    // Another process seals from now on.
    const next = await waitFor(headSealer, (s) => s !== null && s !== first, { timeoutMs: 15000, what: 'another worker to take over sealing' });
    expect(workers.has(Number(next!.split(':').pop()))).toBe(true);

    const cases = [...before, ...after];
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE status = 'received'`),
      (r) => r[0].n === 0,
      // Routing jobs the killed worker held come back after BullMQ's stalled-job check (30-60 s).
      { timeoutMs: 90000, intervalMs: 250, what: 'every case routed' },
    );
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_unsealed`),
      (r) => r[0].n === 0,
      {
        timeoutMs: 15000,
        what: 'every event sealed',
      },
    );

    const [counts] = await engine.query<{ events: number; seals: number; sealed: number; max_seq: number }>(
      `SELECT (SELECT count(*) FROM audit_events)::int AS events, count(*)::int AS seals, count(DISTINCT event_id)::int AS sealed,
              max(seq)::int AS max_seq FROM audit_seals`,
    );
    expect(counts.seals).toBe(counts.events);
    expect(counts.sealed).toBe(counts.events);
    expect(counts.max_seq).toBe(counts.seals);
    // Every case routed exactly once, by whichever process took it.
    const routed = await engine.query<{ events: number; assignments: number }>(
      `SELECT (SELECT count(*) FROM audit_events a WHERE a.case_id = c.id AND a.action IN ('route', 'route_to_triage'))::int AS events,
              (SELECT count(*) FROM assignments s WHERE s.case_id = c.id)::int AS assignments
         FROM cases c`,
    );
    expect(routed.length).toBeGreaterThanOrEqual(cases.length + 60);
    expect(routed.every((r) => r.events === 1 && r.assignments === 1)).toBe(true);

    const verified = await engine.api.get(VerifyAuditTrail).execute();
    expect(verified).toMatchObject({ ok: true, reason: null, unsealed: { count: 0 } });
    expect(verified.checked).toBe(counts.events);
  }, 150_000);
});
