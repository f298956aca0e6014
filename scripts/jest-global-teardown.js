// Once per Jest run, after every test file: drops the database templates its engines made, and any engine
// database whose drop a worker had not finished (none when no e2e file ran, and then PostgreSQL is not asked
// anything).
const { existsSync, rmSync } = require('node:fs');
const { contractOf, dropTemplates, listed } = require('./jest-templates');

module.exports = async () => {
  const list = process.env.FR_TEST_TEMPLATES;
  if (!list || !existsSync(list)) return;
  await dropTemplates(listed(list));
  rmSync(contractOf(list), { force: true });
  rmSync(list, { force: true });
};
