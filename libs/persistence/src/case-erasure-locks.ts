import { ADVISORY_LOCK } from './advisory-locks';
import { execute, Sql } from './sql';

/**
 * The per-case lock between an erasure of personal data and the fan-out of case events, which copies
 * what the erasure erases (the answer, what the unit asked, where to turn, the channel's externalId)
 * from the case into the deliveries' stored payloads. The erasure cleans the payloads stored before it;
 * a fan-out that read the case before the erasure committed, and stored its deliveries after the
 * erasure's cleaning statements took their snapshots, kept the erased data in the deliveries table, to
 * be sent (test/privacy-erasure-fanout-race.e2e-spec.ts). The fan-out now holds the lock shared from
 * before its read to its commit, the erasure exclusive from before its first write to its commit: an
 * erasure that comes second starts its statements after the fan-out committed and cleans its
 * deliveries too; a fan-out that comes second reads what the erasure left. The fan-out takes it in a
 * statement of its own, before the read: in READ COMMITTED a statement's snapshot is taken when it
 * starts, so a lock taken inside the reading statement would leave it reading what the erasure was
 * about to change.
 *
 * Keys are the two-int form (ADVISORY_LOCK.caseErasure, hashtext of the case id as text), apart from the
 * single-bigint locks of ADVISORY_LOCK. Two cases whose ids hash alike share a key: they only wait for
 * each other. A case locks its own key and its merged group's original's: erasing an original also erases
 * the copies of its answer its duplicates closed with, and masks the names in the group's answers, so
 * the fan-out of a duplicate's event must wait for it.
 *
 * Deadlocks. The locks each side takes, in order:
 * - fan-out (Deliveries.caseEvents): (1) these keys, shared, in key order, with BEGIN; (2) the claim: the
 *   events' fan-out keys (case_event_fanouts, inserted) and their frozen states' rows (deleted); (3) the
 *   deliveries' unique keys and outbox rows (inserted). It locks no row of `cases`.
 * - erasure (eraseContactDetails): (1) every row of `cases` it will write (the cases, their originals and
 *   their groups' members, whose answers it masks or blanks), the cases linked to none (the originals among
 *   them) first, then the groups' originals linked themselves (a chain's middle case), then the linked cases
 *   others are linked to, then the rest, each part in id order (casesLockOrder's parts, the second split in
 *   two); (2) these keys, exclusive, in key order, in the same statement as (1); (3) the cases'
 *   thread, texts kept aside, the groups' frozen states and deliveries' payloads (updated), its audit
 *   events (inserted). Its caller holds some of those rows before it, in the same order: the retention
 *   sweep none (it reads its cases unlocked); a deletion request its citizen's cases with the whole groups
 *   of those it erases now (closed), every row the erasure writes, in casesLockOrder, in one statement
 *   (SubjectRequests.casesOf, which starts again when one closed while it waited for it), and its own
 *   advisory key before them; a case action the
 *   case it acts on, after the case's original when a deletion waits for it (lockCaseToAct, which asks
 *   again once it holds the case, and starts its transaction again when a deletion came meanwhile), and the
 *   duplicates that close with an original after it (the auto-close sweep closes each case so, in a
 *   transaction of its own); the merged-groups sweep an original, then its duplicates.
 * Rows of `cases`: the writers of a merged group lock its original before its other cases, and several
 * originals in id order: case actions (the original, then the duplicates that close or move with it),
 * merges, the merged-groups sweep, erasures, deletion and correction requests (which lock the citizen's
 * cases and every case of the groups whose answers they mask, in one statement, in casesLockOrder). Two
 * writers of a group meet at its original, holding nothing else of the group, and one waits there. A case
 * linked to another and with cases linked to it (a chain: routing links a report to a case whose own link
 * it read too late, and earlier releases merged originals into others, of which the merged-groups sweep
 * relinks only the merged cases) is the original of those: casesLockOrder takes it after the cases linked
 * to none and before the other linked cases. A writer of several groups takes
 * their originals before their other cases: whoever locks many cases in one statement (designation changes
 * and hand-overs, reorganisations, escalations) takes them in the erasure's order, the cases linked to no
 * original before the linked ones, a chain's middle case before the other linked ones, each part in id
 * order (casesLockOrder); the auto-close sweep closes each
 * case as a case action, in a transaction of its own, and skips a case another transaction holds rather than
 * wait for it (ActOnCase.executeIfFree); the original a deletion makes it lock first it still waits for,
 * holding nothing of the group meanwhile.
 * The erasure used to lock the group in id order alone, after the rows its caller held: the retention
 * sweep's due duplicate, a deletion request's citizen's duplicate, the duplicate a case action closed,
 * each locked before its original; and a duplicate whose random id (from before ids were time-ordered)
 * sorts before its original's. A case action or another erasure holding the original waited for that
 * duplicate, and PostgreSQL broke the cycle: a 503, or a failed sweep
 * (test/privacy-erasure-lock-order.e2e-spec.ts). So did the auto-close sweep, which locked its batch of
 * resolved cases before acting on each (a duplicate a deletion waited for, before its original) and, in
 * one transaction for the batch, held the cases it had closed while it locked the next one's original.
 * Designation changes and reorganisations locked in id order: within a group the same order for
 * time-ordered ids (a duplicate is linked to an older case), but not across groups: a case linked to one
 * group's original, its id sorting before another group's original, was held while they waited for that
 * original, which an erasure of both groups (the retention sweep's batch, a deletion request of a citizen
 * of both) held while waiting for the linked case; over random ids, a duplicate sorted before its own
 * original too. The calendar's deadline recomputation locked a case by itself before its action locked
 * the original (lockCaseToAct); it now locks it as the action does. A case action judged whether a deletion
 * waited from its statement's snapshot, taken before it waited for the case: a deletion request holding the
 * case and committing meanwhile went unseen, and the action held the case without its original when it
 * erased it; the retention sweep, given the original by that commit, waited for the case.
 * Deletion and correction requests locked their citizen's cases and those cases' originals, not the groups'
 * other cases, whose answers they mask: a correction held the citizen's case while it waited for another
 * case of the group, which a designation change held while it waited for the citizen's case; and it wrote
 * the masked copy of the answer it had read unlocked over the one an officer wrote meanwhile. They took
 * those originals first by their own reckoning, a chain's middle case among the cases linked to none,
 * which a designation change takes after those (test/privacy-request-group-lock-order.e2e-spec.ts); the
 * erasure took the groups' originals first, in id order, a chain's middle case before another group's
 * original linked to none.
 * Keys: only fan-outs and erasures wait for them, each taking all of its own in one statement in one
 * order, so their waits for keys alone form no cycle. A fan-out waiting for its keys holds nothing else;
 * once it has them it waits only for another fan-out of the same event (2, 3) or for whoever holds a frozen
 * state's row: an erasure takes those after its keys, which a fan-out holding them excludes, and
 * corrections never wait for these keys. An erasure waiting for its keys holds case rows, which no fan-out
 * waits for. Its own case rows come before its keys: after them it would wait for the row of a group member
 * that another erasure of that group holds while waiting for the first's key. After its keys it waits only
 * for rows that case actions, merges, reorganisations, deliveries' attempts and corrections hold, none of
 * which waits for these keys (a case action writing a case's thread or frozen states holds its case row
 * first, which the erasure holds already).
 */

const EVENT_ID = /^[1-9][0-9]{0,18}$/;

/**
 * The ORDER BY of a statement that locks several rows of `cases` (as `alias`), in the order an erasure
 * locks them: the cases linked to no original (the originals among them) first, then the linked cases
 * that others are linked to (the middle of a chain, the original of the cases linked to it), then the
 * other linked cases, each part in id order. The middle part is empty but for chains, which routing and
 * earlier releases leave (test/privacy-request-group-lock-order.e2e-spec.ts); it is told by the index on
 * duplicate_of, one probe per linked case.
 */
export function casesLockOrder(alias = 'cases'): string {
  return `${alias}.duplicate_of IS NOT NULL,
          ${alias}.duplicate_of IS NOT NULL AND NOT EXISTS (SELECT FROM cases linked_here WHERE linked_here.duplicate_of = ${alias}.id), ${alias}.id`;
}

/**
 * The statement a fan-out of `eventIds` takes its cases' keys with, shared (lock_fanout_cases, migration
 * 1767509875000): a literal text, for it goes with the transaction's BEGIN in one simple query, which takes
 * no parameters (no round trip added). The ids are checked to be event ids (digits) before they are
 * written into it.
 */
export function fanOutLockSql(eventIds: readonly (string | number)[]): string {
  const ids = eventIds.map(String);
  const bad = ids.find((id) => !EVENT_ID.test(id));
  if (bad !== undefined) throw new Error(`'${bad.slice(0, 30)}' is not an event id`);
  return `SELECT lock_fanout_cases(${ADVISORY_LOCK.caseErasure}, '{${ids.join(',')}}'::bigint[])`;
}

/**
 * Before an erasure of `caseIds` reads or writes any of what it erases: locks the rows of `cases` it will
 * write (the groups' originals, then the rest, each in id order), then takes the cases' keys exclusively
 * (in key order), in one statement (lock_erased_cases, migrations 1767509875000, 1767520000000 and 1767580000000).
 */
export async function lockCasesForErasure(m: Sql, caseIds: readonly string[]): Promise<void> {
  if (caseIds.length === 0) return;
  await execute(m, `SELECT lock_erased_cases($1, $2::uuid[])`, [ADVISORY_LOCK.caseErasure, caseIds]);
}
