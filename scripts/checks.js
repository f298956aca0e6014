#!/usr/bin/env node
// The checks `npm test` runs before Jest: typecheck, lint, format:check, lint:api and build, two at a time.
// Each is one mostly single-threaded process (tsc, eslint, prettier, redocly), so one after another they left
// a core idle: 84 s in a row on the 2-core machine (lint 37, build 18, typecheck 17, format:check 11, lint:api
// 1.4 s; 78 s of CPU), so about 45 s two at a time when nothing else runs. Every check still runs, each as
// `npm run <name>` runs it, all of them even when one fails; their output is printed whole when each ends (not
// interleaved), and the exit code is 1 when any failed, naming them. FR_CHECKS_PARALLEL sets how many run at
// once (1: one after another).
'use strict';
const { spawn } = require('node:child_process');

// Longest first, so the short ones fill the gaps at the end.
const CHECKS = ['lint', 'build', 'typecheck', 'format:check', 'lint:api'];
const parallel = Math.max(1, Number(process.env.FR_CHECKS_PARALLEL ?? 2) || 1);
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
      process.stdout.write(`\n> ${name}: ${ok ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (text.trim()) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      resolve({ name, ok });
    });
  });
}

async function main() {
  const started = Date.now();
  const queue = [...CHECKS];
  const results = [];
  const lane = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) results.push(await run(name));
  };
  await Promise.all(Array.from({ length: Math.min(parallel, CHECKS.length) }, lane));
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  process.stdout.write(`\nchecks ${failed.length ? `FAILED: ${failed.join(', ')}` : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exitCode = failed.length ? 1 : 0;
}

void main();
