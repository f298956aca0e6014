// Two tiers: unit tests (no database, Redis or network; some read config/ files) and e2e/integration tests
// against real PostgreSQL and Redis.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const base = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  testEnvironment: 'node',
};

module.exports = {
  // A full run once stayed alive after every test had passed (an open handle not found yet; each file
  // alone exits, see the session note): CI must end with the tests' verdict, not hang.
  forceExit: true,
  // More than one test file at a time (Jest's default on 2 cores is one: cores - 1). An e2e file mostly waits on
  // PostgreSQL, Redis and its child processes, so one file at a time left a core idle: 552 s of Jest on the
  // fresh-clone CI run. Files share no state: each engine has its own database, queue prefix, checkpoint
  // directory and ports (libs/testing, FR_WORKER_METRICS_PORT=0), the waits that read pg_stat_activity keep
  // to their own database, and two files' connections stay far below max_connections (100).
  // Measured on the shared 2-core machine (3 December 2026, other sessions holding a load average of 9-12): two
  // files ran side by side 97% of the run (2,336 s of file time in 1,204 s), at most 37 connections on the whole
  // cluster; the only failures were the chaos run (below) and a test timed by the unsealed bound (fixed).
  // Three files at a time since: the files wait on PostgreSQL's disk flushes and on child processes more than
  // they use the cores. Fresh-clone CI runs on an AMD EPYC machine (7 December 2026, nothing else running,
  // 3,338 tests): main Jest run 543 s with two files at a time, 468 s with three, both green.
  // One file runs on its own, after the others (`npm test` runs it apart): the short chaos run
  // (test/chaos.e2e-spec.ts) schedules its faults by the wall clock (the API it kills at 6 s must be up again
  // before PostgreSQL goes away at 14 s); beside another file its restarted API was still booting at the
  // outage and exited, failing the run.
  maxWorkers: 3,
  // A run's name and its migrated database templates, which its test engines copy (libs/testing/src/template-database.ts).
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup-e2e.ts'],
    },
  ],
};
