// Once per Jest run, after every test file: drops the database templates its engines made (none when no
// e2e file ran, and then PostgreSQL is not asked anything).
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { Client } = require('pg');

module.exports = async () => {
  const list = process.env.FR_TEST_TEMPLATES;
  if (!list || !existsSync(list)) return;
  const names = readFileSync(list, 'utf8')
    .split('\n')
    .filter((n) => /^fr_tpl_[a-z0-9_]+$/.test(n));
  const admin = new Client({ connectionString: process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  rmSync(list, { force: true });
};
