// The migrated database templates of Jest runs, and what the test engines of killed runs left behind (libs/testing/src/template-database.ts). Each run lists the
// ones it makes in a file of its own, FR_TEST_TEMPLATES, whose first line names the run's Jest process, and
// its teardown drops them. Jest skips the teardown of a run interrupted (Ctrl+C), killed or bailing out:
// the next run's setup drops the templates of every listed run whose process has ended.
'use strict';
const { readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Client } = require('pg');

const ADMIN_URL = process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMPLATE = /^fr_tpl_[a-z0-9_]+$/;
const LIST = /^fr_tpl_[a-z0-9]+\.list$/;
/** A test engine's id (libs/testing/src/test-engine.ts): its Jest worker's pid and a random part. */
const ENGINE_DB = /^fr_test_(\d+)_[0-9a-f]{8}$/;

/** Starts the run's list: its Jest process, no template yet. */
function startList(path) {
  writeFileSync(path, `pid ${process.pid}\n`);
}

/** The databases a list names: the run's templates, and its engines' databases once closed (libs/testing/src/test-engine.ts). */
function listed(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((n) => TEMPLATE.test(n) || ENGINE_DB.test(n));
}

/** Drops the databases; PostgreSQL is not asked anything when there are none. */
async function dropTemplates(names) {
  if (names.length === 0) return;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Drops the templates of the runs listed in `dir` (other than `own`) whose Jest process has ended, and
 * their lists. A list naming no process is left alone: whose it is, and whether it still runs, is unknown.
 */
async function dropEndedRuns(dir, own) {
  for (const file of readdirSync(dir).filter((f) => LIST.test(f))) {
    const path = join(dir, file);
    if (path === own) continue;
    let pid;
    try {
      pid = Number(/^pid (\d+)$/m.exec(readFileSync(path, 'utf8'))?.[1]);
    } catch {
      continue; // dropped meanwhile by its run's teardown, or another run's setup
    }
    if (!pid || alive(pid)) continue;
    await dropTemplates(listed(path));
    rmSync(contractOf(path), { force: true });
    rmSync(path, { force: true });
  }
}

/** The run's OpenAPI document, beside its list (libs/testing/src/test-engine.ts, contractFile). */
function contractOf(list) {
  return list.replace(/\.list$/, '.openapi.json');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const REDIS_URL = process.env.FR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ENGINE_KEY = /^\{frt_(\d+_[0-9a-f]{8})\}/;
const ENGINE_DIR = /^fr_test_(\d+_[0-9a-f]{8})_checkpoints$/;
/** A database younger than this is left: see dropEndedEngines. */
const ENGINE_MIN_AGE_S = 600;

/**
 * Drops what the test engines of ended runs left: their databases (fr_test_<pid>_<random>), their queue
 * keys ({frt_<same id>}...) and their checkpoint directories in `dir`. An engine's close() removes them;
 * a run killed or interrupted leaves them, one database a test, for good. An engine counts as ended when
 * its Jest worker's pid names no process here, and its database is dropped only when nobody is connected
 * to it and it is older than ten minutes: a PostgreSQL server shared with another machine may hold a live
 * engine whose pid means nothing here, and such an engine is connected, or was made a moment ago. Its
 * keys and directory go once its database is gone. Nothing is asked of a server that cannot be reached:
 * a unit run needs neither.
 */
async function dropEndedEngines(dir, { minAgeS = ENGINE_MIN_AGE_S } = {}) {
  const ended = (id) => !alive(Number(id.split('_')[0]));
  const admin = new Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (e) {
    if (unreachable(e)) return;
    throw e;
  }
  let left;
  try {
    const { rows } = await admin.query(
      `SELECT d.datname,
              EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) AS connected,
              -- missing_ok: a database being dropped has lost its files before its catalog row; NULL counts
              -- as too young, and the database is gone by the next run.
              extract(epoch FROM now() - (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification) AS age_s
         FROM pg_database d WHERE d.datname LIKE 'fr\\_test\\_%'`,
    );
    for (const row of rows) {
      const match = ENGINE_DB.exec(row.datname);
      if (!match || row.connected || row.age_s === null || Number(row.age_s) < minAgeS || !ended(match[1])) continue;
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${row.datname}"`);
      } catch {
        // Connected to since it was read: in use after all.
      }
    }
    left = new Set((await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'fr\\_test\\_%'`)).rows.map((r) => r.datname));
  } finally {
    await admin.end();
  }
  const gone = (id) => ended(id) && !left.has(`fr_test_${id}`);

  for (const name of readdirSync(dir)) {
    const match = ENGINE_DIR.exec(name);
    if (match && gone(match[1])) rmSync(join(dir, name), { recursive: true, force: true });
  }

  const Redis = require('ioredis');
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    if (unreachable(e)) return;
    throw e;
  }
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '{frt_*', 'COUNT', 1000);
      cursor = next;
      const doomed = keys.filter((key) => {
        const match = ENGINE_KEY.exec(key);
        return match && gone(match[1]);
      });
      if (doomed.length > 0) await redis.unlink(...doomed);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function unreachable(e) {
  return ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(e?.code) || /ECONNREFUSED|ENOTFOUND/.test(String(e?.message));
}

module.exports = { startList, listed, contractOf, dropTemplates, dropEndedRuns, dropEndedEngines };
