/** Seconds a client is asked to wait before retrying while a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

/** What is down, as far as the error tells: a bare socket error does not say which service it was. */
export type Dependency = 'database' | 'queue' | 'a backing service';

/**
 * SQLSTATEs that say PostgreSQL is unreachable, overloaded or shutting down, not that the query was
 * wrong: connection exceptions (08), insufficient resources (53: too many connections, out of
 * memory, disk full), operator intervention (57P01-57P03 shutdown, 57014 statement timeout), a lock
 * not granted in time, a database that refuses connections (ALLOW_CONNECTIONS false) or is gone.
 */
const PG_UNAVAILABLE = /^(08|53|57P0[1-3]$|57014$|55P03$|3D000$|40P01$|40001$)/;
/**
 * A deadlock PostgreSQL broke, or a serialization failure: the request's transaction was undone because
 * it met another at the same rows; nothing is wrong with either, and sent again it goes through. A
 * crossed pair of merges answered 500 for both, and for every action queued behind them.
 */
const PG_TRANSIENT = /^(40P01|40001)$/;
const PG_NOT_ACCEPTING = /is not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/;
const PG_CLIENT_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Connection terminated due to connection timeout)/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const REDIS_MESSAGES = /^(Connection is closed\.|Stream isn't writeable and enableOfflineQueue options is false|Reached the max retries per request limit)/;

/**
 * Which dependency an error says is unavailable, or null for any other error. One classification
 * for the whole API: the error filter turns these into 503 with Retry-After, so a client can tell an
 * outage (retry later) from a bug (do not). TypeORM wraps driver errors (`driverError`), Node wraps
 * both address families' refusals in an AggregateError, so causes are followed a few levels down.
 */
export function unavailableDependency(e: unknown, depth = 0): Dependency | null {
  if (!e || typeof e !== 'object' || depth > 4) return null;
  const err = e as { name?: unknown; code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown; severity?: unknown };
  const name = typeof err.name === 'string' ? err.name : '';
  const message = typeof err.message === 'string' ? err.message : '';
  const code = typeof err.code === 'string' ? err.code : '';
  const isRedis = name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.test(message);
  if (isRedis) return 'queue';
  // A pg DatabaseError carries `severity`; TypeORM's QueryFailedError copies the driver's fields.
  if ((err.severity !== undefined || name === 'QueryFailedError' || err.driverError) && PG_UNAVAILABLE.test(code)) return 'database';
  if (PG_NOT_ACCEPTING.test(message) || PG_CLIENT_MESSAGES.test(message)) return 'database';
  if (name === 'CannotExecuteNotConnectedError' || name === 'ConnectionIsNotSetError') return 'database';
  if (SOCKET_CODES.has(code)) return 'a backing service';
  for (const inner of [err.driverError, err.cause, ...(Array.isArray(err.errors) ? (err.errors as unknown[]) : [])]) {
    const found = unavailableDependency(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Whether PostgreSQL undid the request's transaction for meeting another (a deadlock, a serialization failure). */
export function transactionCollided(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 4) return false;
  const err = e as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof err.code === 'string' && PG_TRANSIENT.test(err.code)) return true;
  return [err.driverError, err.cause].some((inner) => transactionCollided(inner, depth + 1));
}

/** node-postgres' pool, when no connection of its own came free within its connectionTimeoutMillis. */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * Whether the error is the pool's wait for a connection running out: every connection of this process
 * was in use (or stuck), which is not the same as PostgreSQL being away. Followed a few causes down, as
 * unavailableDependency does.
 */
export function poolWaitTimedOut(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 4) return false;
  const err = e as { message?: unknown; driverError?: unknown; cause?: unknown };
  if (err.message === POOL_WAIT_TIMEOUT) return true;
  return [err.driverError, err.cause].some((inner) => poolWaitTimedOut(inner, depth + 1));
}
