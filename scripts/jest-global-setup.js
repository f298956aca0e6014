// Once per Jest run, before any test file: names the run, so that the test engines of its files share
// migrated database templates (libs/testing/src/template-database.ts) and its teardown drops them; and
// drops those of earlier runs that ended without their teardown, with their test engines' databases, queue keys
// and checkpoint directories (scripts/jest-templates.js).
const { randomBytes } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { dropEndedEngines, dropEndedRuns, startList } = require('./jest-templates');

module.exports = async () => {
  const run = randomBytes(5).toString('hex');
  const list = join(tmpdir(), `fr_tpl_${run}.list`);
  process.env.FR_TEST_RUN = run;
  process.env.FR_TEST_TEMPLATES = list;
  startList(list);
  try {
    await dropEndedRuns(tmpdir(), list);
  } catch (e) {
    // Not this run's to fail for (a unit run needs no PostgreSQL): the next run tries again.
    console.warn(`templates of ended test runs not dropped: ${e.message}`);
  }
  try {
    await dropEndedEngines(tmpdir());
  } catch (e) {
    console.warn(`databases and queue keys of ended test runs not dropped: ${e.message}`);
  }
};
