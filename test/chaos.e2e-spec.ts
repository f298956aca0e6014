import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosResult, runChaos } from '../chaos/runner';

const ROOT = join(__dirname, '..');

/**
 * The short chaos run (issue 10; `npm run chaos` is the full one): the compiled API and two workers as
 * processes under a paced load, with one of each fault: a worker and the API SIGKILLed, the queue
 * prefix wiped from Redis, and this run's database refusing connections for 5 s. Nothing accepted is
 * lost or stored twice, nothing stays unrouted, every due escalation fires once, the trail verifies,
 * and the only 5xx are 503s during the outage.
 */
describe('chaos run (short)', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    for (const main of ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js']) {
      if (!existsSync(join(ROOT, main))) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
    }
    result = await runChaos({
      events: 400,
      rate: 16,
      workers: 2,
      faults: [
        { kind: 'kill-worker', atS: 2 },
        { kind: 'kill-api', atS: 6 },
        { kind: 'wipe-queue', atS: 11 },
        { kind: 'pg-outage', atS: 14, durationS: 5 },
      ],
      pgOutage: 'database',
      overdueSeeds: 60,
      giveUpS: 45,
      maxBackoffMs: 2000,
      outageGraceS: 3,
      settleS: 90,
      // Recovery sweeps every 2 s, cases unrouted for 5 s re-enqueued: the engine's defaults (30 s, 60 s) would not fit a test.
      engineEnv: { FR_RECONCILE_INTERVAL_MS: '2000', FR_STUCK_AFTER_SECONDS: '5' },
      seed: 7,
      databaseUrl: process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      redisUrl: process.env.FR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      echoChildLines: 0,
      log: () => undefined,
    });
    // The figures, for whoever reads the test's output.
    process.stdout.write(`${result.report.join('\n')}\n`);
  }, 170_000);

  it('ran to the end and cleaned up', () => {
    expect(result.error).toBeNull();
    expect(result.checks.find((c) => c.name === 'cleanup')).toMatchObject({ ok: true });
  });

  it('each fault bit: the API was unreachable, the queue prefix emptied, PostgreSQL answered 503', () => {
    expect(result.faults.map((f) => f.kind)).toEqual(['kill-worker', 'kill-api', 'wipe-queue', 'pg-outage']);
    const [, , apiKill, , outage] = result.windows;
    expect(apiKill.connectionErrors).toBeGreaterThan(0);
    expect(result.faults[2].detail).not.toMatch(/^0 keys/);
    expect(outage.byCode5xx['503']).toBeGreaterThan(0);
  });

  it.each(['intake', '5xx', 'routing', 'escalations', 'sealing', 'verify', 'processes'])('%s: goal met', (name) => {
    const check = result.checks.find((c) => c.name === name);
    expect(check).toBeDefined();
    expect({ name, ok: check!.ok, text: check!.text }).toEqual({ name, ok: true, text: check!.text });
  });

  it('zero where zero is the goal, per fault', () => {
    for (const w of [...result.windows, result.total!]) {
      expect({ window: w.label, lost: w.lost, duplicated: w.duplicated, gaveUp: w.gaveUp }).toEqual({ window: w.label, lost: 0, duplicated: 0, gaveUp: 0 });
      expect(w.accepted).toBe(w.sent);
    }
    expect(result.escalations!.due).toBeGreaterThan(0);
    expect(result.escalations!.missing).toBe(0);
    expect(result.escalations!.duplicated).toBe(0);
  });
});
