#!/usr/bin/env node
// The image's HEALTHCHECK. What is checked follows the container's command (scripts/start.js MODE,
// read from /proc/1/cmdline, or `--mode MODE` here): `api` and `all` must answer GET /health with 200
// (PostgreSQL and Redis up); a `worker` must have refreshed FR_HEARTBEAT_FILE within
// FR_HEARTBEAT_MAX_AGE_SECONDS (60), which it does only while its database answers; `migrate` is a
// one-shot job and is healthy while it runs.
'use strict';
const { readFileSync, statSync } = require('node:fs');

function mode() {
  const i = process.argv.indexOf('--mode');
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1];
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const at = args.findIndex((a) => a.endsWith('scripts/start.js'));
    if (at >= 0) return args[at + 1] || 'all';
  } catch {
    // not on Linux, or no access: fall through
  }
  return 'api';
}

function fail(message) {
  console.error(`unhealthy: ${message}`);
  process.exit(1);
}

const m = mode();
if (m === 'worker') {
  const file = process.env.FR_HEARTBEAT_FILE || '/tmp/fr-worker-heartbeat';
  const maxAge = Number(process.env.FR_HEARTBEAT_MAX_AGE_SECONDS || 60) * 1000;
  let age;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    fail(`no heartbeat at ${file} yet`);
  }
  if (age > maxAge) fail(`last heartbeat ${Math.round(age / 1000)} s ago`);
  process.exit(0);
} else if (m === 'migrate') {
  process.exit(0);
} else {
  const port = process.env.PORT || 3000;
  fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) }).then(
    (res) => (res.status === 200 ? process.exit(0) : fail(`/health answered ${res.status}`)),
    (e) => fail(`/health: ${e.message}`),
  );
}
