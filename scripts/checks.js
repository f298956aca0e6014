#!/usr/bin/env node
// The checks: typecheck, lint, format:check, lint:api and build, two at a time. Each is one mostly
// single-threaded process (tsc, eslint, prettier, redocly), so one after another they left a core idle: 84 s
// in a row on the 2-core machine (lint 37, build 18, typecheck 17, format:check 11, lint:api 1.4 s; 78 s of
// CPU), so about 45 s two at a time when nothing else runs. Every check still runs, each as `npm run <name>`
// runs it, all of them even when one fails; their output is printed whole when each ends (not interleaved),
// and the exit code is 1 when any failed, naming them. FR_CHECKS_PARALLEL sets how many run at once (1: one
// after another). `npm test` (scripts/test.js) runs them through runChecks: the build first, the others beside
// the main Jest run.
'use strict';
const { spawn } = require('node:child_process');

// Longest first, so the short ones fill the gaps at the end.
const CHECKS = ['lint', 'build', 'typecheck', 'format:check', 'lint:api'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    child.on('error', (e) => output.push(Buffer.from(`${e.message}\n`)));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const text = Buffer.concat(output).toString();
      const report = `\n> ${name}: ${ok ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
      resolve({ name, ok, report: text.trim() ? `${report}${text.endsWith('\n') ? text : `${text}\n`}` : report });
    });
  });
}

/**
 * Runs `names`, `parallel` at a time. Each one's report is printed when it ends, or, with `hold`, kept for
 * print() (the caller prints them when it chooses); `quiet` leaves out the summary line.
 */
async function runChecks(names, { parallel = 2, hold = false, quiet = false } = {}) {
  const started = Date.now();
  const queue = [...names];
  const results = [];
  const lane = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const r = await run(name);
      results.push(r);
      if (!hold) process.stdout.write(r.report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, lane));
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  const summary = `\nchecks ${failed.length ? `FAILED: ${failed.join(', ')}` : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
  if (!quiet && !hold) process.stdout.write(summary);
  return { failed, print: () => process.stdout.write(results.map((r) => r.report).join('') + (quiet ? '' : summary)) };
}

module.exports = { runChecks };

if (require.main === module) {
  const parallel = Math.max(1, Number(process.env.FR_CHECKS_PARALLEL ?? 2) || 1);
  void runChecks(CHECKS, { parallel }).then(({ failed }) => {
    process.exitCode = failed.length ? 1 : 0;
  });
}
