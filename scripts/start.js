#!/usr/bin/env node
// Runs the compiled engine: `all` (the API and N worker processes), `api`, `worker`, `migrate`, `bench`, `chaos`,
// `rebuild-facts` (the audit report's daily facts from the raw data).
// `all` runs FR_WORKERS worker processes (default 1), or as many as `--workers N` says:
//   FR_WORKERS=3 npm start      npm start -- --workers 3
'use strict';
const path = require('node:path');
const { execFileSync, fork } = require('node:child_process');
require('./register-paths');
const dist = (p) => path.join(__dirname, '..', 'dist', p);

const mode = process.argv[2] || 'all';

/**
 * Started by a supervisor over IPC (`all` below, the bench): when the supervisor dies, even by SIGKILL,
 * the channel closes, and the process stops as on SIGTERM (draining its work) rather than run on
 * unsupervised, holding the port and the queues a restart of `npm start` needs.
 */
function stopWithSupervisor() {
  if (process.send) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

switch (mode) {
  case 'api':
    stopWithSupervisor();
    require(dist('apps/api/src/main.js'));
    break;
  case 'worker':
    stopWithSupervisor();
    require(dist('apps/worker/src/main.js'));
    break;
  case 'bench':
    require(dist('bench/main.js'));
    break;
  case 'rebuild-facts':
    // Logs JSON lines through the engine's root logger, as the API and workers do (a refused configuration
    // excepted: there is no log level to read yet).
    require(dist('apps/worker/src/rebuild-facts.js')).rebuildFactsCommand(configOrExit());
    break;
  case 'chaos':
    require(dist('chaos/main.js'));
    break;
  case 'migrate': {
    const { migrateDatabase } = require(dist('libs/persistence/src'));
    const { organisationSeed, reorganisationsSeed } = require(dist('libs/directory/src'));
    const config = configOrExit();
    // JSON lines through the root logger, as the engine's processes log: the compose file's one-shot `migrate`
    // service writes to the same collector as they do.
    const log = require(dist('libs/config/src')).rootLogger(config);
    migrateDatabase(config, [organisationSeed(config), reorganisationsSeed(config)]).then(
      (ran) => log.info({ migrations: ran }, ran.length ? 'database migrated' : 'database is up to date'),
      (e) => migrationFailed(log, e),
    );
    break;
  }
  case 'all': {
    // Run by `npm start`, the supervisor's parent is npm's shell (see the watch below). Taken now, before
    // the migration: npm killed while it runs (a long one on an upgrade, or one waiting for another
    // instance's) left the supervisor orphaned already, and a parent read afterwards was its new one.
    const npmParent = process.env.npm_lifecycle_event ? process.ppid : null;
    const npm = npmParent === null ? null : npmAbove(npmParent);
    const npmGone = () => process.ppid !== npmParent || (npm !== null && !alive(npm));
    const { loadConfig } = require(dist('libs/config/src'));
    const { migrateDatabase } = require(dist('libs/persistence/src'));
    const { organisationSeed, reorganisationsSeed } = require(dist('libs/directory/src'));
    let config;
    let workers;
    try {
      config = loadConfig();
      workers = workersArg(process.argv.slice(3)) ?? config.workers;
    } catch (e) {
      console.error(e.message || e);
      process.exit(2);
    }
    // Migrate once here so the processes start on a ready schema.
    migrateDatabase(config, [organisationSeed(config), reorganisationsSeed(config)]).then(
      (ran) => {
        // An upgrade's migrations were seen nowhere but in `npm run migrate`: the log says what this start applied.
        if (ran.length) require(dist('libs/config/src')).rootLogger(config).info({ migrations: ran }, 'database migrated');
        if (npmParent !== null && npmGone()) {
          console.error('npm, which ran the engine, was stopped while the database was migrated: not starting the engine');
          process.exit(1);
        }
        const modes = ['api', ...Array.from({ length: workers }, () => 'worker')];
        // Each worker serves its metrics on its own port: FR_WORKER_METRICS_PORT, the next one, and so on.
        const metricsPort = config.workerMetrics.port;
        const envOf = (m, i) => (m === 'worker' && metricsPort ? { ...process.env, FR_WORKER_METRICS_PORT: String(metricsPort + i - 1) } : process.env);
        const children = modes.map((m, i) => fork(__filename, [m], { stdio: 'inherit', env: envOf(m, i) }));
        let stopping = false;
        const stop = (signal) => {
          if (stopping) return;
          stopping = true;
          for (const c of children) if (c.exitCode === null) c.kill(signal);
        };
        children.forEach((c, i) => {
          // Named as an operator finds it in ps and the logs: "worker 2 (pid 4242) was killed by SIGKILL".
          const who = modes[i] === 'api' ? `the API (pid ${c.pid})` : `worker ${i} (pid ${c.pid})`;
          c.on('exit', (code, signal) => {
            if (!stopping) {
              console.error(`${who} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the others`);
              process.exitCode = code || 1;
            } else if (code) {
              // A process that had to be cut short while stopping (FR_SHUTDOWN_TIMEOUT_SECONDS) says so in the code.
              process.exitCode = code;
            }
            stop('SIGTERM');
          });
        });
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        // Run by `npm start`, the supervisor's parent is npm's shell. npm killed with SIGTERM (a process
        // manager stopping it) ends that shell and passes nothing on: the engine served on with nobody to
        // stop it, and the next `npm start` found the port taken. Its parent gone, it stops as on SIGTERM.
        // npm killed with SIGKILL takes nothing with it: its shell lives on, waiting for the supervisor, whose
        // parent never changes, so npm itself is watched too (npmAbove).
        // Started on its own (nohup, systemd), an orphaned supervisor is left to run.
        if (npmParent !== null) setInterval(() => npmGone() && stop('SIGTERM'), 1000).unref();
      },
      (e) => migrationFailed(require(dist('libs/config/src')).rootLogger(config), e),
    );
    break;
  }
  default:
    console.error(`unknown mode '${mode}': use all, api, worker, migrate, bench or chaos`);
    process.exit(2);
}

/** The process of `pid` and its parent's: `[ppid, comm]`, or null where it is gone or `ps` cannot tell. */
function processInfo(pid) {
  try {
    const m = /^\s*(\d+)\s+(.*)$/.exec(
      execFileSync('ps', ['-o', 'ppid=,comm=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return m ? [Number(m[1]), m[2].trim()] : null;
  } catch {
    return null;
  }
}

/**
 * npm's own process when the supervisor's parent is the shell npm runs scripts through (`sh -c`), else null
 * (a shell that exec'd node leaves npm as the parent, which the parent check watches already).
 */
function npmAbove(parent) {
  const shell = processInfo(parent);
  if (!shell || !/^(sh|dash|bash|ash|zsh|ksh|mksh|busybox)$/.test(shell[1])) return null;
  const above = processInfo(shell[0]);
  return above && /^(npm|node)\b/.test(above[1]) ? shell[0] : null;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** A migration that failed, said in the log's JSON (the message, not a stack trace), and exit 1. */
function migrationFailed(log, e) {
  // process.stdout is written synchronously to a file or pipe on Linux: the line is out before the exit.
  log.fatal({ err: e instanceof Error ? { message: e.message, type: e.name } : { message: String(e) } }, 'database could not be migrated');
  process.exit(1);
}

/**
 * The configuration, or the list of its problems and exit code 2, as `all` does: a refused start
 * (production without its secrets, say) is a message for whoever runs `migrate`, not a stack trace.
 */
function configOrExit() {
  const { loadConfig } = require(dist('libs/config/src'));
  try {
    return loadConfig();
  } catch (e) {
    console.error(e.message || e);
    process.exit(2);
  }
}

/** `--workers N` or `--workers=N`: worker processes of `all` (1-64); undefined when not given. */
function workersArg(argv) {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] === '--workers' ? argv[i + 1] : argv[i].startsWith('--workers=') ? argv[i].slice(10) : undefined;
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers must be an integer from 1 to 64, got '${raw}'`);
    return n;
  }
  return undefined;
}
