/**
 * `npm run chaos`: the full chaos run (chaos/runner.ts) with the engine's own settings, and its report.
 *
 *   CHAOS_EVENTS       events of the paced load (default 6000)
 *   CHAOS_RATE         arrivals a second (default 50)
 *   CHAOS_WORKERS      worker processes beside the API (default 2)
 *   CHAOS_PG_OUTAGE    auto (default): `server` when pg_ctlcluster can stop the local cluster (root, PostgreSQL on
 *                      this machine), else `database`; `server` stops the whole PostgreSQL server, every database
 *                      on it, so use it only on a machine nobody else is using; `database` blocks the run's own
 *                      database (connections refused, open sessions terminated)
 *   CHAOS_PG_OUTAGE_S  length of the PostgreSQL outage (default 20)
 *   CHAOS_SEEDS        cases seeded to fall due during the faults (default 300)
 *   CHAOS_SETTLE_S     how long the end waits for the backlog, the sealer and the escalations (default 240)
 *   CHAOS_SEED         seed of the generated texts (default 1)
 * The faults start at 15%, 30%, 45% and 60% of the load: SIGKILL a worker, SIGKILL the API, wipe the
 * queue prefix, PostgreSQL away. Engine settings (FR_RECONCILE_INTERVAL_MS, ...) come from the
 * environment as usual; DATABASE_URL and REDIS_URL name the servers (the database name is replaced).
 */
import 'reflect-metadata';
import { localCluster, PgOutageMode } from './faults';
import { runChaos } from './runner';

function int(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

async function main(): Promise<number> {
  const events = int('CHAOS_EVENTS', 6000);
  const rate = int('CHAOS_RATE', 50);
  const outageS = int('CHAOS_PG_OUTAGE_S', 20);
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const wanted = (process.env.CHAOS_PG_OUTAGE || 'auto').toLowerCase();
  if (!['auto', 'server', 'database'].includes(wanted)) throw new Error(`CHAOS_PG_OUTAGE must be auto, server or database, got '${wanted}'`);
  const cluster = wanted === 'database' ? null : await localCluster(databaseUrl);
  if (wanted === 'server' && !cluster) throw new Error('CHAOS_PG_OUTAGE=server needs root and pg_ctlcluster for a PostgreSQL on this machine');
  const mode: PgOutageMode = cluster ? 'server' : 'database';
  const loadS = events / rate;
  if (loadS < 0.6 * loadS + outageS + 2) throw new Error(`the load (${loadS} s) is too short for a ${outageS} s outage starting at 60% of it`);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`${signal}: stopping the run and cleaning up\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await runChaos({
    events,
    rate,
    workers: int('CHAOS_WORKERS', 2),
    faults: [
      { kind: 'kill-worker', atS: Math.round(loadS * 0.15) },
      { kind: 'kill-api', atS: Math.round(loadS * 0.3) },
      { kind: 'wipe-queue', atS: Math.round(loadS * 0.45) },
      { kind: 'pg-outage', atS: Math.round(loadS * 0.6), durationS: outageS },
    ],
    pgOutage: mode,
    pgCluster: cluster,
    overdueSeeds: int('CHAOS_SEEDS', 300, 0),
    giveUpS: 120,
    maxBackoffMs: 5000,
    outageGraceS: 3,
    settleS: int('CHAOS_SETTLE_S', 240),
    engineEnv: {},
    seed: int('CHAOS_SEED', 1),
    databaseUrl,
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    echoChildLines: 5,
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
    aborted: () => interrupted,
  });
  for (const line of result.report) console.log(line);
  return interrupted ? 130 : result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
