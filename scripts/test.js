#!/usr/bin/env node
// `npm test`: the build, then the main Jest run beside the other checks (scripts/checks.js: typecheck, lint,
// format:check, lint:api, one at a time), then the short chaos run alone. The build goes first because the
// e2e files that spawn the engine (`npm start`'s processes, the chaos run) run it from dist/. The other checks
// are single-threaded and read files only, while the main Jest run (three files at a time on two cores) waits
// on PostgreSQL's disk flushes and its child processes much of the time: run before Jest, two at a time, they
// were 57-71 s of a `npm test` of about 10 min on the 2-core machine (7 December 2026, fresh clones). The chaos
// run times its faults by the wall clock, so nothing runs beside it (jest.config.js says why).
// Every step runs even when an earlier one failed, except Jest after a failed build (its spawned engines need
// dist/); the exit code is 1 when any failed, and the last line names them.
'use strict';
const { spawn } = require('node:child_process');
const { runChecks } = require('./checks');

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function jest(args) {
  return new Promise((resolve) => {
    const child = spawn(npx, ['jest', ...args], { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`${e.message}\n`);
      resolve(false);
    });
    child.on('close', (code) => resolve(code === 0));
  });
}

async function main() {
  const started = Date.now();
  const failed = [];
  const build = await runChecks(['build'], { parallel: 1, quiet: true });
  failed.push(...build.failed);
  if (build.failed.length === 0) {
    // The checks' output is held until the main run ends, so that it does not cut into Jest's.
    const [checks, mainRun] = await Promise.all([
      runChecks(['lint', 'typecheck', 'format:check', 'lint:api'], { parallel: 1, quiet: true, hold: true }),
      jest(['--testPathIgnorePatterns', '/node_modules/', 'test/chaos.e2e-spec.ts']),
    ]);
    checks.print();
    failed.push(...checks.failed);
    if (!mainRun) failed.push('jest');
    if (!(await jest(['test/chaos.e2e-spec.ts', '--selectProjects', 'e2e']))) failed.push('jest (chaos run)');
  }
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  process.stdout.write(`\nnpm test ${failed.length ? `FAILED: ${failed.join(', ')}` : 'passed'} in ${minutes} min\n`);
  process.exitCode = failed.length ? 1 : 0;
}

void main();
