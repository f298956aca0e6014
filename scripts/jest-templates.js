// The migrated database templates of Jest runs (libs/testing/src/template-database.ts). Each run lists the
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

/** Starts the run's list: its Jest process, no template yet. */
function startList(path) {
  writeFileSync(path, `pid ${process.pid}\n`);
}

/** The templates a list names. */
function listed(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((n) => TEMPLATE.test(n));
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
    rmSync(path, { force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

module.exports = { startList, listed, dropTemplates, dropEndedRuns };
