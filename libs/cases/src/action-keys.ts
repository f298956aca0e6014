import { createHash, createHmac } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CaseAction, RequestUnderWayError, UnprocessableError } from '@fr/domain';
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
/**
 * How long the claim waits on the row of a request with the same key that has not ended. The draft answers
 * a retry sent "before the original request completed" with 409, not after a wait: PostgreSQL has no NOWAIT
 * for an insert, so the insert's lock_timeout is this moment instead. Not 1 ms: a first request ending within
 * it is answered as done (better than a 409), and the row may be locked for a moment by the sweep deleting it
 * once expired (a key reused a day later); that case, as rare, is told 409 too, and its retry goes through.
 */
const UNDER_WAY_WAIT_MS = 100;
/** Seconds a retry is asked to wait when the first request with its key is still under way (most end in ms). */
const UNDER_WAY_RETRY_AFTER_S = 1;
/** PostgreSQL's lock_not_available: a lock_timeout ended a wait. */
const PG_LOCK_NOT_AVAILABLE = '55P03';
/** The domain of the fingerprints in the HMAC under FR_PRIVACY_KEY, which keys other hashes too. */
const FINGERPRINT_DOMAIN = 'case-action-request:';

/**
 * Fields an action reads as a set: the merge takes its duplicateIds in any order, letter case or
 * repetition (libs/cases/src/actions/duplicates.ts lower-cases, de-duplicates and sorts them), so a retry
 * listing them otherwise is the same request. A list whose order the action keeps (a resolution's
 * attachments, shown to the citizen as sent) stays a list.
 */
const SET_FIELDS: Partial<Record<CaseAction, readonly string[]>> = { merge: ['duplicateIds'] };

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

/** The canonical body with the action's SET_FIELDS as the action reads them: ids lower-cased, once each, sorted. */
function canonicalFor(action: CaseAction, body: unknown): unknown {
  const c = canonical(body ?? null);
  const sets = SET_FIELDS[action];
  if (!sets || c === null || typeof c !== 'object' || Array.isArray(c)) return c;
  const out = { ...(c as Record<string, unknown>) };
  for (const field of sets) {
    const v = out[field];
    // Validated as a list of ids before this runs; anything else is left as sent.
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[field] = [...new Set(v.map((x) => x.toLowerCase()))].sort();
  }
  return out;
}

/**
 * The request the key stands for: the action, its case and the body. The case id in lower case: the API
 * takes it in any case as the same case. Keyed (HMAC-SHA256 under FR_PRIVACY_KEY, as the other hashes of a
 * citizen's or an officer's words): a note or a reason may hold a citizen's name or number, and an unkeyed
 * hash of a short text is found by hashing guesses, from a copy of the table or a backup.
 */
export function fingerprintOf(secret: string, action: CaseAction, caseId: string, body: unknown): Buffer {
  return createHmac('sha256', secret)
    .update(FINGERPRINT_DOMAIN + JSON.stringify([action, caseId.toLowerCase(), canonicalFor(action, body)]), 'utf8')
    .digest();
}

/**
 * The fingerprint rows written before the keyed one hold: SHA-256, unkeyed, of the body with every list as
 * sent. Compared too, so a retry of a request recorded before the deploy is still answered as done within its
 * 24 hours, rather than refused as another request (422) and left to the client to wonder whether it acted.
 * Nothing is written with it; it may go once every API has run the keyed fingerprint for a day. The other way
 * round is not covered: during a rolling deploy an API still on the older code compares only the plain hash,
 * so a retry it takes of a request a newer API recorded is a 422 (nothing is done twice; the window is the
 * deploy's). A changed FR_PRIVACY_KEY does the same to the keys of the last day.
 */
function unkeyedFingerprintOf(action: CaseAction, caseId: string, body: unknown): Buffer {
  return sha256(JSON.stringify([action, caseId.toLowerCase(), canonical(body ?? null)]));
}

/**
 * Records the key in the action's transaction, before anything of the case is locked. A second request with
 * the key meets the first's row on the unique index: committed, it is found ('done', or 422 when it is another
 * request's, as the draft says); not committed yet, the first is still under way, and the second is answered
 * 409 with Retry-After after UNDER_WAY_WAIT_MS (the draft's concurrent request), not held for the API's
 * lock timeout; rolled back within that moment, the second claims the key itself. A row older than
 * ACTION_KEY_TTL_MS is taken over. `secret` keys the fingerprint (fingerprintOf).
 */
export async function claimActionKey(m: EntityManager, k: ActionKey, action: CaseAction, caseId: string, now: Date, secret: string): Promise<ActionKeyClaim> {
  const keyHash = sha256(k.key);
  const fingerprint = fingerprintOf(secret, action, caseId, k.body);
  const expired = new Date(now.getTime() - ACTION_KEY_TTL_MS);
  // For this statement only: SET LOCAL ... TO DEFAULT below gives the rest of the transaction (the unit's and
  // the case's locks) the session's own lock_timeout back, the API's 5 s.
  await m.query(`SET LOCAL lock_timeout = '${UNDER_WAY_WAIT_MS}ms'`);
  const claimed = await selectRow<{ claimed: boolean }>(
    m,
    `INSERT INTO case_action_keys (officer_id, key_hash, fingerprint, case_id, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (officer_id, key_hash) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, case_id = EXCLUDED.case_id, created_at = EXCLUDED.created_at
      WHERE case_action_keys.created_at <= $6
     RETURNING true AS claimed`,
    [k.officerId, keyHash, fingerprint, caseId, now, expired],
  ).catch((e: unknown) => {
    if (pgCode(e) !== PG_LOCK_NOT_AVAILABLE) throw e;
    throw new RequestUnderWayError(
      `a request with this Idempotency-Key is still under way: send it again in ${UNDER_WAY_RETRY_AFTER_S} s, unchanged (it is answered as done once the first is)`,
      UNDER_WAY_RETRY_AFTER_S,
      { cause: e },
    );
  });
  await m.query(`SET LOCAL lock_timeout TO DEFAULT`);
  if (claimed) return 'claimed';
  // The conflicting row was committed (the insert waited for it) and is live: this statement's snapshot sees it.
  const found = await selectRow<{ fingerprint: Buffer }>(m, `SELECT fingerprint FROM case_action_keys WHERE officer_id = $1 AND key_hash = $2`, [
    k.officerId,
    keyHash,
  ]);
  if (found && (found.fingerprint.equals(fingerprint) || found.fingerprint.equals(unkeyedFingerprintOf(action, caseId, k.body)))) return 'done';
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
