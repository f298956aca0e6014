import { appendFileSync, existsSync } from 'node:fs';
import { Pool } from 'pg';
import { channelKey } from '@fr/config';
import { HttpClient } from './http-client';
import { BenchContext, percentiles, runPool, sleep } from './support';
import { AreaRef, CategoryRef, feedbackGenerator, GeneratedEvent } from './texts';

const MAX_RETRIES = 3;
/** How often the paced sender wakes up to send what has fallen due. */
const PACED_TICK_MS = 2;

/** What a load run sent and how the server answered; shared by the engine and the HTTP substrate runs. */
export interface SendStats {
  created: number;
  duplicate: number;
  retries: number;
  failed: number;
  failures: Map<string, number>;
  /** Per request: answered - sent (closed loop) or answered - scheduled (paced), ms. */
  httpMs: Float64Array;
  firstSentAt: number;
  lastAnsweredAt: number;
  /** Paced runs: the scheduled send time of each request (epoch ms), by external id. */
  scheduledAt: Map<string, number>;
  /** Paced runs: the external ids of the requests that failed (never accepted). */
  failedIds: Set<string>;
  /** Paced runs: how far behind its schedule the sender sent a request, at most (ms). */
  maxSendDelayMs: number;
}

function newStats(n: number): SendStats {
  return {
    created: 0,
    duplicate: 0,
    retries: 0,
    failed: 0,
    failures: new Map(),
    httpMs: new Float64Array(n),
    firstSentAt: Date.now(),
    lastAnsweredAt: 0,
    scheduledAt: new Map(),
    failedIds: new Set(),
    maxSendDelayMs: 0,
  };
}

function fail(stats: SendStats, what: string): void {
  stats.failed++;
  stats.failures.set(what, (stats.failures.get(what) ?? 0) + 1);
}

function describeFailure(status: number, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return `${status} ${typeof message === 'string' ? message.slice(0, 160) : JSON.stringify(message ?? body).slice(0, 160)}`;
}

/**
 * Closed loop: n events with `ctx.concurrency` requests in flight, each sent when one is answered
 * (the throughput runs). Retries 5xx and network errors with the same externalId, which the engine
 * answers 200 with the stored case.
 */
export async function sendClosed(
  ctx: BenchContext,
  client: HttpClient,
  keys: Map<string, string>,
  n: number,
  gen: (i: number) => GeneratedEvent,
  onEvent: (i: number, ev: GeneratedEvent) => void = () => undefined,
): Promise<SendStats> {
  const stats = newStats(n);
  await runPool(
    n,
    ctx.concurrency,
    async (i) => {
      const ev = gen(i);
      onEvent(i, ev);
      const headers = { 'x-api-key': keys.get(ev.channel) ?? '' };
      const started = performance.now();
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await client.request('POST', '/v1/feedback', headers, ev.body);
          if (res.status === 202 || res.status === 200) {
            if (res.status === 202) stats.created++;
            else stats.duplicate++;
            break;
          }
          if (res.status >= 500 && attempt < MAX_RETRIES) {
            stats.retries++;
            await sleep(100 * (attempt + 1));
            continue;
          }
          fail(stats, describeFailure(res.status, res.body));
          break;
        } catch (e) {
          if (attempt < MAX_RETRIES) {
            stats.retries++;
            await sleep(100 * (attempt + 1));
            continue;
          }
          fail(stats, `network: ${(e as Error).message}`);
          break;
        }
      }
      stats.httpMs[i] = performance.now() - started;
    },
    () => ctx.aborted,
  );
  stats.lastAnsweredAt = Date.now();
  return stats;
}

/**
 * Open loop: `rate` events a second for `durationS` seconds, request i sent at start + i / rate
 * whatever the server has answered so far, so a slow server meets the same arrivals (no coordinated
 * omission). Latencies count from the scheduled time, so a sender that falls behind shows up in them
 * too. No retries: a failed request is counted as failed.
 */
export async function sendPaced(
  ctx: BenchContext,
  client: HttpClient,
  keys: Map<string, string>,
  rate: number,
  durationS: number,
  gen: (i: number) => GeneratedEvent,
  stop: () => boolean = () => false,
): Promise<SendStats> {
  const n = Math.max(1, Math.round(rate * durationS));
  const stats = newStats(n);
  const intervalMs = 1000 / rate;
  const startPerf = performance.now();
  const startEpoch = Date.now();
  stats.firstSentAt = startEpoch;
  const inFlight = new Set<Promise<void>>();

  const fire = (i: number, ev: GeneratedEvent, scheduledPerf: number) => {
    const headers = { 'x-api-key': keys.get(ev.channel) ?? '' };
    const p = client
      .request('POST', '/v1/feedback', headers, ev.body)
      .then(
        (res) => {
          if (res.status === 202) stats.created++;
          else if (res.status === 200) stats.duplicate++;
          else {
            fail(stats, describeFailure(res.status, res.body));
            stats.failedIds.add(ev.body.externalId);
          }
        },
        (e) => {
          fail(stats, `network: ${(e as Error).message}`);
          stats.failedIds.add(ev.body.externalId);
        },
      )
      .then(() => {
        stats.httpMs[i] = performance.now() - scheduledPerf;
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  let next = 0;
  while (next < n) {
    if (ctx.aborted || stop()) throw new Error('interrupted');
    const now = performance.now();
    while (next < n && startPerf + next * intervalMs <= now) {
      const scheduledPerf = startPerf + next * intervalMs;
      const ev = gen(next);
      stats.scheduledAt.set(ev.body.externalId, startEpoch + next * intervalMs);
      stats.maxSendDelayMs = Math.max(stats.maxSendDelayMs, performance.now() - scheduledPerf);
      fire(next, ev, scheduledPerf);
      next++;
    }
    if (next < n) await sleep(Math.max(0, Math.min(PACED_TICK_MS, startPerf + next * intervalMs - performance.now())));
  }
  while (inFlight.size) await Promise.all([...inFlight]);
  stats.lastAnsweredAt = Date.now();
  return stats;
}

export interface LoadInputs {
  categories: CategoryRef[];
  areas: AreaRef[];
  channels: string[];
  /** API key by channel code. */
  keys: Map<string, string>;
}

/** What the generator draws from, read once from the bench database, so the engine and the substrates get the same texts. */
export async function loadInputs(ctx: BenchContext, db: Pool): Promise<LoadInputs> {
  const categories = (await db.query<CategoryRef>(`SELECT code, name FROM categories WHERE active AND accepted ORDER BY code`)).rows;
  // The areas of today's map: after a reorganisation the citizen apps send the new wards, and intake
  // resolves an old code to its successor, so an old code's "intended" area would be ambiguous.
  const areas = (await db.query<AreaRef>(`SELECT code, name FROM areas WHERE active ORDER BY name`)).rows;
  const channels = (await db.query<{ code: string }>(`SELECT code FROM channels WHERE active ORDER BY code`)).rows.map((r) => r.code);
  const keys = new Map<string, string>();
  for (const ch of channels) {
    const key = channelKey(ctx.config, ch);
    if (!key) throw new Error(`no API key for channel '${ch}' (set FR_KEY_${ch.toUpperCase()})`);
    keys.set(ch, key);
  }
  return { categories, areas, channels, keys };
}

export function generator(inputs: LoadInputs, seed: number, externalIdPrefix: string): (i: number) => GeneratedEvent {
  return feedbackGenerator(inputs.categories, inputs.areas, { seed, externalIdPrefix, channels: inputs.channels });
}

/**
 * Latency percentiles (p50, p95, p99, max) of a paced run's accepted requests: `doneAtMs` (epoch ms,
 * by external id) minus each one's scheduled send time; `missing` counts accepted ones not done.
 * Failed requests are left out here: callers report them (and fail the goal) separately.
 * With BENCH_PACED_LOG set, every request of the run is appended to that CSV file under `who`.
 */
export function pacedLatency(s: SendStats, doneAtMs: Map<string, number>, who: string): { p: number[]; missing: number } {
  const logFile = process.env.BENCH_PACED_LOG;
  const lat: number[] = [];
  const rows: string[] = [];
  let missing = 0;
  let i = 0;
  for (const [externalId, at] of s.scheduledAt) {
    const done = doneAtMs.get(externalId);
    const failed = s.failedIds.has(externalId);
    if (logFile) rows.push(`${who},${at},${failed ? 'failed' : done === undefined ? '' : done - at},${s.httpMs[i].toFixed(2)}`);
    i++;
    if (failed) continue;
    if (done === undefined) missing++;
    else lat.push(done - at);
  }
  if (logFile) appendPacedLog(logFile, rows);
  return { p: percentiles(lat, [0.5, 0.95, 0.99, 1]), missing };
}

/**
 * The request-by-request record of the paced runs, to see when the slow ones came (percentiles of
 * 6,000 requests hide whether the slowest percent was spread out or a few stalls that held every
 * request of their 50-100 ms: measured 2026-12-07, default bench, both kinds in the engine's and the
 * HTTP substrate's runs).
 */
function appendPacedLog(file: string, rows: string[]): void {
  const header = existsSync(file) ? '' : 'run,scheduled_at_epoch_ms,send_to_done_ms,http_ms\n';
  appendFileSync(file, header + rows.join('\n') + '\n');
}
