import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { Store, storage as loggerStorage } from 'nestjs-pino/storage';
import { holdsContact, holdsPlainName } from './contact-in-value';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a caller may send as X-Request-Id: a proxy's or client's correlation id (UUIDs, hex, the
 * usual trace ids). Anything else is replaced, so the id can go into logs and job payloads as is.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Not one holding a phone number: integrators and hotline desks make their ids of the caller's number
 * ('1022-0912345678'), as they make externalIds, and a request id goes whole into every log line and job
 * payload of the request. Dots and colons separate an id's parts, so a number after one is a number too.
 * Nor one holding the caller's name: written with its diacritics it is no id (REQUEST_ID), written without
 * them ('hotline-Nguyen-Thi-Minh-Nguyet') it went into the logs whole (holdsPlainName).
 */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value) && !holdsContact(value.replace(/[.:]/g, '-')) && !holdsPlainName(value);
}

const context = new AsyncLocalStorage<{ requestId: string | undefined }>();

/** The id of the request (or of the request behind the job) this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/** The id a request goes by: the incoming X-Request-Id when it is a valid one, a new UUID otherwise. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const incoming = Array.isArray(header) ? header[0] : header;
  return isRequestId(incoming) ? incoming : randomUUID();
}

/**
 * The request a batch of work runs for: the one all its items share, or none. A batch must not pass the
 * id of whichever item came first on to the others' work.
 */
export function sharedRequestId(ids: readonly unknown[]): string | undefined {
  const first = ids[0];
  return isRequestId(first) && ids.every((id) => id === first) ? first : undefined;
}

/** Runs `fn` on behalf of `requestId` (none: on behalf of no request), e.g. the outbox rows it writes carry it. */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return context.run({ requestId }, fn);
}

/**
 * Runs a queue job's work on behalf of the request that caused it: the id goes to the outbox rows
 * the job writes (so it travels on to the jobs those cause) and into every log line of the job.
 */
export function withJobContext<T>(job: { id?: string; queueName: string; data: unknown }, root: Logger, fn: () => T): T {
  const carried = (job.data as { requestId?: unknown } | null)?.requestId;
  const requestId = isRequestId(carried) ? carried : undefined;
  // The request id is not bound here: the root logger's mixin reads it from the context set below.
  const logger = root.child({ jobId: job.id, queue: job.queueName });
  return withRequestId(requestId, () => loggerStorage.run(new Store(logger), fn));
}
