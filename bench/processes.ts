import { ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { BenchContext, peakRssOf, sleep } from './support';

const ECHO_LINES = 20;

/** A child process of the bench whose output is echoed (a little) and counted. */
export class BenchChild {
  readonly proc: ChildProcess;
  private exited: Promise<number | null>;
  outputLines = 0;
  private echoed = 0;
  private stopping = false;
  /** Sees every line the child writes (stdout and stderr), e.g. to count log messages. */
  onLine: ((line: string) => void) | null = null;

  constructor(
    private readonly ctx: BenchContext,
    readonly label: string,
    script: string,
    args: string[],
    env: Record<string, string | undefined>,
    /** Lines of its output echoed to stderr before the rest is only counted. */
    private readonly echoLimit = ECHO_LINES,
  ) {
    // Every child resolves the @fr/... aliases to dist/: the substrates import engine libraries that do.
    const execArgv = ['--require', path.join(ctx.repoRoot, 'scripts', 'register-paths.js')];
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every child, written when it exits (open in Chrome's DevTools).
    if (process.env.BENCH_CPU_PROF) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${label}.cpuprofile`);
    // BENCH_NODE_ARGS: more flags for every child (e.g. --trace-gc); BENCH_CHILD_LOG=<dir>: every child's output to <dir>/<label>.log.
    if (process.env.BENCH_NODE_ARGS) execArgv.push(...process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean));
    this.proc = fork(script, args, { cwd: ctx.repoRoot, env, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const childLog = process.env.BENCH_CHILD_LOG ? createWriteStream(path.join(process.env.BENCH_CHILD_LOG, `${label}.log`), { flags: 'a' }) : null;
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (childLog) childLog.write(`${line}\n`);
        this.outputLines++;
        this.onLine?.(line);
        if (this.echoed < this.echoLimit) {
          this.echoed++;
          process.stderr.write(`[${label}] ${line.length > 600 ? `${line.slice(0, 600)}...` : line}\n`);
        } else if (this.echoed === this.echoLimit && this.echoLimit > 0) {
          this.echoed++;
          process.stderr.write(`[${label}] (further output counted, not shown)\n`);
        }
      });
    }
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    ctx.defer(`stop ${label}`, () => this.stop());
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Throws when the child died while the bench still needs it. */
  assertAlive(): void {
    if (!this.alive && !this.stopping) {
      throw new Error(`${this.label} process exited unexpectedly (code ${this.proc.exitCode}, signal ${this.proc.signalCode})`);
    }
  }

  /** Waits for an IPC message `{ type }` from the child. */
  waitForMessage(type: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.label} did not report '${type}' within ${timeoutMs / 1000} s`)), timeoutMs);
      const onMessage = (m: unknown) => {
        if (m && typeof m === 'object' && (m as { type?: string }).type === type) done(null, m);
      };
      const onExit = (code: number | null) => done(new Error(`${this.label} exited (code ${code}) before reporting '${type}'`));
      const done = (err: Error | null, value?: unknown) => {
        clearTimeout(timer);
        this.proc.off('message', onMessage);
        this.proc.off('exit', onExit);
        if (err) reject(err);
        else resolve(value);
      };
      this.proc.on('message', onMessage);
      this.proc.once('exit', onExit);
    });
  }

  /** Kills the child at once (SIGKILL, as a crash or an OOM killer would) and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Records the child's peak RSS, then stops it with SIGTERM (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    const peak = peakRssOf(this.proc.pid);
    if (peak !== null) this.ctx.childPeaks.set(this.label, Math.max(peak, this.ctx.childPeaks.get(this.label) ?? 0));
    this.proc.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(15000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      this.ctx.log(`${this.label} did not stop within 15 s of SIGTERM; killing it`);
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
