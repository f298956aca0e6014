import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BusyError, CaseAction, UnprocessableError } from '@fr/domain';
import { execute, selectRow } from '@fr/persistence';
import { Clock } from '@fr/sla';

/**
 * How long an Idempotency-Key of a case action is remembered: a retry within it is answered as done, one
 * after it acts anew (draft-ietf-httpapi-idempotency-key-header leaves the expiry to the resource).
 */
export const ACTION_KEY_TTL_MS = 24 * 3_600_000;
/** Rows deleted by one statement of the sweep, so that it holds few locks for little time. */
const SWEEP_BATCH = 1000;
/** Statements one sweep runs at most: the rest waits for the next tick. */
const SWEEP_BATCHES = 50;
/** Seconds a request is asked to wait when the first one with its key is still under way past the lock timeout. */
const UNDER_WAY_RETRY_AFTER_S = 5;
/** PostgreSQL's lock_not_available: the API's lock_timeout ended a wait (apps/api/src/api.module.ts). */
const PG_LOCK_NOT_AVAILABLE = '55P03';

/** A case action sent with an Idempotency-Key, as the officer sent it. */
export interface ActionKey {
  officerId: string;
  /** The key as the header carried it, unquoted (apps/api parses the header). */
  key: string;
  /** The request body as sent, before validation turned it into the action's input. */
  body: unknown;
}

/** What claimActionKey found: the key is this request's now, or a request like it already acted. */
export type ActionKeyClaim = 'claimed' | 'done';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The body as JSON means it: members in one order and those sent as null left out (null is absent in every
 * action's fields), so that a retry a client library or a proxy wrote out again is the same request. The
 * body as written (JSON.stringify of it as parsed) made a retry with its members reordered a 422.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const members = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // An object again (JSON keeps the order members were added in), so that no list reads as an object.
  return Object.fromEntries(members.map(([k, v]) => [k, canonical(v)]));
}

/**
 * The request the key stands for: the action, its case and the body (hashed: it may hold an officer's words).
 * The case id in lower case: the API takes it in any case as the same case.
 */
export function fingerprintOf(action: CaseAction, caseId: string, body: unknown): Buffer {
  return sha256(JSON.stringify([action, caseId.toLowerCase(), canonical(body ?? null)]));
}

/**
 * Records the key in the action's transaction, before anything of the case is locked: a second request
 * with the key waits here, on the unique index, holding nothing, until the first commits (then finds its
 * row: 'done') or rolls back (then claims the key itself). A row older than ACTION_KEY_TTL_MS is taken
 * over. The same key for another request is refused with 422, as the draft says.
 */
export async function claimActionKey(m: EntityManager, k: ActionKey, action: CaseAction, caseId: string, now: Date): Promise<ActionKeyClaim> {
  const keyHash = sha256(k.key);
  const fingerprint = fingerprintOf(action, caseId, k.body);
  const expired = new Date(now.getTime() - ACTION_KEY_TTL_MS);
  const claimed = await selectRow<{ claimed: boolean }>(
    m,
    `INSERT INTO case_action_keys (officer_id, key_hash, fingerprint, case_id, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (officer_id, key_hash) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, case_id = EXCLUDED.case_id, created_at = EXCLUDED.created_at
      WHERE case_action_keys.created_at <= $6
     RETURNING true AS claimed`,
    [k.officerId, keyHash, fingerprint, caseId, now, expired],
  ).catch((e: unknown) => {
    // The insert waited on a request with this key that has not ended (slow, or its process frozen) for the
    // whole lock timeout. Said as it is: answered as the database being down, it sent operators looking for
    // an outage and told the client nothing of its first request.
    if (pgCode(e) !== PG_LOCK_NOT_AVAILABLE) throw e;
    throw new BusyError(
      `a request with this Idempotency-Key is still under way; try again in ${UNDER_WAY_RETRY_AFTER_S} s (answered as done once it has been)`,
      UNDER_WAY_RETRY_AFTER_S,
      { cause: e },
    );
  });
  if (claimed) return 'claimed';
  // The conflicting row was committed (the insert waited for it) and is live: this statement's snapshot sees it.
  const found = await selectRow<{ fingerprint: Buffer }>(m, `SELECT fingerprint FROM case_action_keys WHERE officer_id = $1 AND key_hash = $2`, [
    k.officerId,
    keyHash,
  ]);
  if (found && Buffer.compare(found.fingerprint, fingerprint) === 0) return 'done';
  throw new UnprocessableError(
    'the Idempotency-Key was used for another request (another action, case or body) in the last 24 hours: send a new key for a new request',
  );
}

function pgCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = err?.code ?? err?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Deletes the keys older than ACTION_KEY_TTL_MS, a batch per statement; run by the worker's maintenance sweep. */
@Injectable()
export class ExpireActionKeys {
  private readonly logger = new Logger(ExpireActionKeys.name);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  async runOnce(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - ACTION_KEY_TTL_MS);
    let deleted = 0;
    for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
      // SKIP LOCKED: the workers sweep side by side, and a row an action is taking over is left to it.
      const n = await execute(
        this.ds,
        `DELETE FROM case_action_keys WHERE (officer_id, key_hash) IN (
           SELECT officer_id, key_hash FROM case_action_keys WHERE created_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, SWEEP_BATCH],
      );
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    if (deleted) this.logger.log(`${deleted} expired Idempotency-Key record(s) of case actions deleted`);
    return deleted;
  }
}
