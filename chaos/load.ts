import { HttpClient } from '../bench/http-client';
import { GeneratedEvent } from '../bench/texts';
import { sleep } from '../bench/support';

/** One HTTP exchange of the chaos load: an attempt to deliver one event. */
export interface Attempt {
  event: number;
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when the connection failed (refused, reset, timed out). */
  status: number;
  error?: string;
}

/** What became of one event: the client retries it with the same externalId until a 2xx or it gives up. */
export interface EventRecord {
  externalId: string;
  scheduledAt: number;
  /** When the 2xx came (epoch ms), its status (202 created, 200 already known) and the case id it named. */
  acceptedAt: number | null;
  acceptedStatus: number | null;
  caseId: string | null;
  attempts: number;
  /** A 4xx (final) or the retry budget spent without a 2xx. */
  gaveUp: boolean;
  lastStatus: number;
}

export interface ChaosLoad {
  events: EventRecord[];
  attempts: Attempt[];
  maxSendDelayMs: number;
}

export interface LoadOptions {
  rate: number;
  events: number;
  /** Give an event up this long after its scheduled time without a 2xx. */
  giveUpMs: number;
  /** Longest wait between retries, whatever Retry-After says. */
  maxBackoffMs: number;
  stop: () => boolean;
}

const PACED_TICK_MS = 2;

/**
 * Open loop, as bench/load.ts's sendPaced: event i is first sent at start + i / rate whatever has been
 * answered. Unlike the bench, a client that meets a connection error or a 5xx sends the same event
 * again (same externalId, the engine's idempotency key) after Retry-After or a short backoff, as a
 * channel integrator would; every exchange is recorded with its times and status.
 */
export async function sendChaosLoad(client: HttpClient, keys: Map<string, string>, gen: (i: number) => GeneratedEvent, opts: LoadOptions): Promise<ChaosLoad> {
  const load: ChaosLoad = { events: [], attempts: [], maxSendDelayMs: 0 };
  const intervalMs = 1000 / opts.rate;
  const startPerf = performance.now();
  const startEpoch = Date.now();
  const inFlight = new Set<Promise<void>>();

  const deliver = async (i: number, ev: GeneratedEvent, record: EventRecord) => {
    const headers = { 'x-api-key': keys.get(ev.channel) ?? '' };
    for (let attempt = 0; ; attempt++) {
      const sentAt = Date.now();
      let status = 0;
      let retryAfterS: number | null = null;
      let error: string | undefined;
      let body: unknown = null;
      try {
        const res = await client.request('POST', '/v1/feedback', headers, ev.body);
        status = res.status;
        body = res.body;
        const ra = Number(res.headers['retry-after']);
        retryAfterS = Number.isFinite(ra) && ra >= 0 ? ra : null;
      } catch (e) {
        error = (e as Error).message;
      }
      const answeredAt = Date.now();
      load.attempts.push({ event: i, sentAt, answeredAt, status, ...(error ? { error } : {}) });
      record.attempts++;
      record.lastStatus = status;
      if (status >= 200 && status < 300) {
        record.acceptedAt = answeredAt;
        record.acceptedStatus = status;
        record.caseId = (body as { id?: string } | null)?.id ?? null;
        return;
      }
      const retryable = status === 0 || status >= 500;
      const backoff = Math.min(opts.maxBackoffMs, retryAfterS !== null ? retryAfterS * 1000 : 250 * 2 ** Math.min(attempt, 4));
      const wait = backoff * (0.75 + Math.random() * 0.5);
      if (!retryable || opts.stop() || Date.now() + wait > record.scheduledAt + opts.giveUpMs) {
        record.gaveUp = true;
        return;
      }
      await sleep(wait);
    }
  };

  let next = 0;
  while (next < opts.events) {
    if (opts.stop()) throw new Error('interrupted');
    const now = performance.now();
    while (next < opts.events && startPerf + next * intervalMs <= now) {
      const scheduledPerf = startPerf + next * intervalMs;
      const ev = gen(next);
      const record: EventRecord = {
        externalId: ev.body.externalId,
        scheduledAt: startEpoch + next * intervalMs,
        acceptedAt: null,
        acceptedStatus: null,
        caseId: null,
        attempts: 0,
        gaveUp: false,
        lastStatus: 0,
      };
      load.events.push(record);
      load.maxSendDelayMs = Math.max(load.maxSendDelayMs, performance.now() - scheduledPerf);
      const p: Promise<void> = deliver(next, ev, record).finally(() => inFlight.delete(p));
      inFlight.add(p);
      next++;
    }
    if (next < opts.events) await sleep(Math.max(0, Math.min(PACED_TICK_MS, startPerf + next * intervalMs - performance.now())));
  }
  while (inFlight.size) await Promise.all([...inFlight]);
  return load;
}
