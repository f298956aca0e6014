'use strict';
// The Node (V8) flags the engine's processes run with: `npm start` gives them to the API and the workers it
// starts, the bench to every process it starts, and the image sets them in NODE_OPTIONS (Dockerfile).
//
// --max-semi-space-size=32: the young generation's two halves may grow to 32 MB each instead of V8's 16 MB.
// A request, a routing pass or a job leaves its garbage there; at 16 MB the API collected it about five times
// a second at 200 requests/s, each time pausing every request in flight. Measured with the bench's intake
// scenario (N=3,000, then paced 200/s for 30 s; 2 cores, 7 December 2026, `--trace-gc`; every process of the
// bench with the flags, the substrates' too), two runs each, without / with this flag:
//   the API's young collections over the run 154-155 / 86-87 (their pauses 1.0 / 0.6-0.8 s in all);
//   closed-loop throughput 268-293 / 313-400 events/s; the paced run's machine 86-92% / 75-86% busy;
//   paced send -> assigned p99 63-71 / 36-51 ms; peak RSS of the API 212-213 / 231-232 MB, of the worker
//   153-176 / 247-253 MB.
// Earlier sessions' trials of 32 and 64 MB, on other machines, found the paced p99 within the run-to-run
// spread (docs/benchmark-history.md); the throughput and the CPU are what this one adds. README, "Benchmark",
// forty-first session, has the runs.
const ENGINE_NODE_FLAGS = ['--max-semi-space-size=32'];

/**
 * The flags for a process the engine starts: ours first, so that the same flag among `execArgv` (the
 * parent's own command line) wins, and none that NODE_OPTIONS sets already (the command line would win
 * over it).
 */
function engineExecArgv(execArgv = process.execArgv) {
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const name = (flag) => flag.split('=')[0];
  return [...ENGINE_NODE_FLAGS.filter((f) => !nodeOptions.includes(name(f))), ...execArgv];
}

module.exports = { ENGINE_NODE_FLAGS, engineExecArgv };
