import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { SealedEventRow } from './audit-chain';
import { SegmentResult } from './chain-segments';
import type { SegmentReply, SegmentTask } from './verify-segment.worker';

/**
 * How a thread starts: the application's module paths (`@fr/...`) registered as scripts/start.js
 * does, so the checker may import what the main thread imports; under ts-jest (sources in
 * TypeScript) a require hook first transpiles them with the compiler already installed.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const local = require('node:module').createRequire(workerData.entry);
if (workerData.entry.endsWith('.ts')) {
  const { readFileSync } = require('node:fs');
  const ts = local('typescript');
  require.extensions['.ts'] = (m, filename) => {
    const out = ts.transpileModule(readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true },
    });
    m._compile(out.outputText, filename);
  };
}
local('tsconfig-paths').register({ baseUrl: workerData.baseUrl, paths: workerData.paths });
require(workerData.entry);
`;

/**
 * A thread holds two pages of seals (a few MB): a small heap keeps its garbage collected early rather
 * than left to grow the process's RSS. Under ts-jest the compiler itself needs more.
 */
const THREAD_HEAP_MB = 48;

function spawnWorker(): Worker {
  const js = join(__dirname, 'verify-segment.worker.js');
  const compiled = existsSync(js);
  // This file is <root>/libs/audit/src, or <root>/dist/libs/audit/src once compiled.
  const root = join(__dirname, compiled ? '../../../..' : '../../..');
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  const workerData = {
    entry: compiled ? js : join(__dirname, 'verify-segment.worker.ts'),
    baseUrl: compiled ? join(root, 'dist') : root,
    paths: compilerOptions.paths,
  };
  return new Worker(BOOTSTRAP, {
    eval: true,
    workerData,
    resourceLimits: compiled ? { maxOldGenerationSizeMb: THREAD_HEAP_MB, maxYoungGenerationSizeMb: 8 } : undefined,
  });
}

/** Buffers cross the thread boundary as plain Uint8Arrays. */
function buf(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function revive(r: SegmentResult): SegmentResult {
  const first: SealedEventRow | null = r.first ? { ...r.first, prev_hash: buf(r.first.prev_hash), hash: buf(r.first.hash) } : null;
  return { ...r, first, last: r.last ? { ...r.last, hash: buf(r.last.hash) } : null };
}

/**
 * The worker threads a full verification checks its segments in: started on first use and kept
 * (a thread costs tens of milliseconds to start, more under ts-jest), one segment each at a time;
 * they do not keep the process alive.
 */
@Injectable()
export class VerifyThreads implements OnModuleDestroy {
  private idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get size(): number {
    return this.config.auditVerifyThreads;
  }

  /** The shortest range worth splitting. */
  get minPositions(): number {
    return this.config.auditVerifyParallelMin;
  }

  /**
   * Each segment in a thread. An aborted `signal` ends the threads still busy and rejects with its
   * reason; so does a segment that fails, for the others: nobody would read their results, and they
   * would go on holding connections after the walk has given its place back.
   */
  async run(tasks: Omit<SegmentTask, 'databaseUrl'>[], signal?: AbortSignal): Promise<SegmentResult[]> {
    const walk = new AbortController();
    const follow = () => walk.abort(signal!.reason);
    if (signal?.aborted) follow();
    else signal?.addEventListener('abort', follow, { once: true });
    try {
      return await Promise.all(
        tasks.map((t) =>
          this.one({ ...t, databaseUrl: this.config.databaseUrl }, walk.signal).catch((e: unknown) => {
            walk.abort(e);
            throw e;
          }),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', follow);
    }
  }

  private async one(task: SegmentTask, signal: AbortSignal | undefined): Promise<SegmentResult> {
    signal?.throwIfAborted();
    const w = this.idle.pop() ?? this.spawn();
    // A busy thread keeps the process alive (the caller awaits it); an idle one does not.
    w.ref();
    try {
      const reply = await new Promise<SegmentReply>((resolve, reject) => {
        const off = () => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
          signal?.removeEventListener('abort', onAbort);
        };
        const onMessage = (m: SegmentReply) => {
          off();
          resolve(m);
        };
        const onError = (e: Error) => {
          off();
          reject(e);
        };
        const onExit = (code: number) => {
          off();
          reject(new Error(`the verification thread stopped (exit code ${code})`));
        };
        // A thread cannot be stopped between its pages from here: it is ended (discarded below).
        const onAbort = () => {
          off();
          reject(signal!.reason);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        signal?.addEventListener('abort', onAbort, { once: true });
        w.postMessage(task);
      });
      this.rest(w);
      // The thread's error as the cause, so the API's error filter tells a cut or refused connection (503) from a bug.
      if (!reply.ok) throw new Error(`verifying positions ${task.fromSeq}..${task.toSeq}: ${reply.error.message}`, { cause: reply.error });
      return revive(reply.result);
    } catch (e) {
      if (!this.idle.includes(w)) this.discard(w);
      throw e;
    }
  }

  /** Back to the idle threads, unless verifications running side by side have left enough there. */
  private rest(w: Worker): void {
    w.unref();
    if (this.idle.length < this.size) this.idle.push(w);
    else this.discard(w);
  }

  private spawn(): Worker {
    const w = spawnWorker();
    w.on('exit', () => this.discard(w));
    this.all.add(w);
    return w;
  }

  private discard(w: Worker): void {
    this.all.delete(w);
    this.idle = this.idle.filter((x) => x !== w);
    void w.terminate();
  }

  async onModuleDestroy(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
