// Once per Jest run, before any test file: names the run, so that the test engines of its files share
// migrated database templates (libs/testing/src/template-database.ts) and its teardown drops them.
const { randomBytes } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  const run = randomBytes(5).toString('hex');
  process.env.FR_TEST_RUN = run;
  process.env.FR_TEST_TEMPLATES = join(tmpdir(), `fr_tpl_${run}.list`);
};
