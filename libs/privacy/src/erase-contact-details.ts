import { EntityManager } from 'typeorm';
import { ErasableText, RetentionPolicy } from '@fr/config';
import { execute, selectRows, writeAuditEvents } from '@fr/persistence';

/** Why contact details were erased: the retention period ran out, or the citizen asked (a deletion request). */
export type ErasureCause = { kind: 'retention'; afterCloseDays: number } | { kind: 'subject_request'; requestId: string };

/** The case columns each erasable text clears (NOT NULL columns get an empty value). */
const CASE_COLUMNS: Partial<Record<ErasableText, string>> = {
  description: `description = ''`,
  title: `title = NULL`,
  address: `address = NULL`,
  ratingComment: `rating_comment = NULL`,
  answer: `answer = NULL`,
  whereToGo: `where_to_go = NULL`,
  attachments: `attachments = '[]'`,
};

/**
 * Erases the citizen's contact details of the given cases, and the free text the policy lists, from
 * every table that holds them: the case, its thread, the texts kept outside the audit chain, the case
 * states frozen for webhooks. The case, its counts, deadlines and trail stay. Each erased case gets a
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
  if (caseIds.length === 0) return [];
  const own = policy.freeText.map((f) => CASE_COLUMNS[f]).filter((c): c is string => c !== undefined);
  const erased = await selectRows<{ id: string; status: string }>(
    m,
    `UPDATE cases SET citizen_name = NULL, citizen_phone = NULL, citizen_email = NULL, contact_erased_at = $2${own.map((c) => `, ${c}`).join('')}
      WHERE id = ANY($1::uuid[]) AND contact_erased_at IS NULL
      RETURNING id::text AS id, status`,
    [caseIds, now],
  );
  if (erased.length === 0) return [];
  const ids = erased.map((r) => r.id);
  const text = new Set(policy.freeText);
  if (text.has('messages')) await execute(m, `UPDATE case_messages SET body = '', attachments = '[]' WHERE case_id = ANY($1::uuid[])`, [ids]);
  if (text.has('auditTexts')) {
    await execute(
      m,
      `UPDATE audit_event_texts t SET body = NULL, salt = NULL, erased_at = $2
         FROM audit_events e WHERE e.id = t.event_id AND e.case_id = ANY($1::uuid[]) AND t.body IS NOT NULL`,
      [ids, now],
    );
  }
  if (text.has('answer')) {
    await execute(m, `UPDATE case_event_states f SET answer = NULL FROM audit_events e WHERE e.id = f.event_id AND e.case_id = ANY($1::uuid[])`, [ids]);
  }
  const fields = ['name', 'phone', 'email', ...policy.freeText];
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
