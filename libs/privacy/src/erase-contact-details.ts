import { EntityManager } from 'typeorm';
import { RetentionPolicy } from '@fr/config';
import {
  CONTACT_AUDIT_TEXTS,
  eraseAnswerCopiesOfDuplicates,
  eraseAuditTextsOfCases,
  eraseCaseContact,
  eraseFrozenAnswersOfCases,
  eraseFrozenExternalIdsOfCases,
  eraseFrozenTextsOfCases,
  lockCasesForErasure,
  writeAuditEvents,
} from '@fr/persistence';

/** Why contact details were erased: the retention period ran out, or the citizen asked (a deletion request). */
export type ErasureCause = { kind: 'retention'; afterCloseDays: number } | { kind: 'subject_request'; requestId: string };

/**
 * What an erasure removes whatever `freeText` lists, as named in its records (the `contact_erased`
 * event, a deletion request's `fields`): the contact details, and the channel's externalId, which
 * integrators make of the caller's number.
 */
export const ERASED_CONTACT_FIELDS: readonly string[] = ['name', 'phone', 'email', 'externalId'];

/**
 * Erases the citizen's contact details of the given cases, and the free text the policy lists, from
 * every table that holds them: the case, its thread, the texts kept outside the audit chain, the case
 * states frozen for webhooks, the deliveries' payloads, the answer its merged duplicates closed with. The
 * channel's externalId, maybe the caller's number, goes always: from the case, the `receive` event's text
 * kept aside and the deliveries' payloads. The case, its counts, deadlines and trail stay. Each erased case gets a
 * `contact_erased` audit event naming what was erased, never the values. Cases already erased are
 * skipped, so running twice changes nothing. Returns the ids erased now.
 */
export async function eraseContactDetails(
  m: EntityManager,
  caseIds: readonly string[],
  policy: Pick<RetentionPolicy, 'freeText'>,
  actor: string,
  cause: ErasureCause,
  now: Date,
): Promise<string[]> {
  // Before anything is read or erased: a fan-out of the cases' events reading them now would store
  // what this erases in deliveries made after the ones cleaned below (case-erasure-locks.ts).
  await lockCasesForErasure(m, caseIds);
  const erased = await eraseCaseContact(m, caseIds, policy.freeText, now);
  if (erased.length === 0) return [];
  const ids = erased.map((r) => r.id);
  const text = new Set(policy.freeText);
  // The channel's externalId kept aside may be the caller's number: it goes with the contact in any case.
  await eraseAuditTextsOfCases(m, ids, now, text.has('auditTexts') ? undefined : CONTACT_AUDIT_TEXTS);
  await eraseFrozenExternalIdsOfCases(m, ids);
  if (text.has('answer')) await eraseFrozenAnswersOfCases(m, [...ids, ...(await eraseAnswerCopiesOfDuplicates(m, ids))]);
  if (text.has('messages') || text.has('whereToGo'))
    await eraseFrozenTextsOfCases(m, ids, { messages: text.has('messages'), whereToGo: text.has('whereToGo') });
  const fields = [...ERASED_CONTACT_FIELDS, ...policy.freeText];
  await writeAuditEvents(
    m,
    erased.map((r) => ({
      caseId: r.id,
      actor,
      action: 'contact_erased',
      fromState: r.status,
      toState: r.status,
      reason: cause.kind,
      data: { fields, ...(cause.kind === 'retention' ? { afterCloseDays: cause.afterCloseDays } : { requestId: cause.requestId }) },
    })),
  );
  return ids;
}
