import { randomBytes } from 'node:crypto';
import { auditTextHash } from '@fr/domain';
import { execute, Sql } from './sql';

/**
 * Free text that belongs to an audit event (a transfer's reason, where a citizen was told to go, a
 * reviewer's comment) is kept outside the chain, in audit_event_texts, one row per event and field.
 * The event carries only `data.texts[field]`, the hex sha256 of a random per-row salt followed by the
 * text's UTF-8 bytes: the chain covers the text through that hash, so changing a kept text is
 * detected, while erasing it (body and salt set to NULL) leaves the chain whole. The salt is what
 * stops anyone from confirming an erased text by hashing guesses ("bà Lan, 0912...").
 * Why not the event's own `reason` column: whatever enters a chained column can never leave it
 * (Law 91/2025/QH15, art. 14 on deletion; DOMAIN.md "Personal data").
 */
export const AUDIT_TEXT_SALT_BYTES = 16;

export interface AuditTextAside {
  field: string;
  salt: Buffer;
  body: string;
  hash: string;
}

/** Each text in NFC with a fresh salt and its hash, in field order. */
export function putAside(texts: Record<string, string>): AuditTextAside[] {
  return Object.keys(texts)
    .sort()
    .map((field) => {
      const body = texts[field].normalize('NFC');
      const salt = randomBytes(AUDIT_TEXT_SALT_BYTES);
      return { field, salt, body, hash: auditTextHash(salt, body) };
    });
}

/**
 * The fields kept aside that are the citizen's contact as much as their name and number: the channel's
 * own id of the feedback (the `receive` event's `externalId`), which integrators make of the caller's
 * number. Erased with the contact details whatever retention.yaml's `freeText` lists.
 */
export const CONTACT_AUDIT_TEXTS: readonly string[] = ['externalId'];

/**
 * Erases the texts kept aside of the cases' events (body and salt), every field or only `fields`: the
 * chain still verifies, and the erasure is dated. The audit aggregate's write, called by privacy's erasure.
 */
export async function eraseAuditTextsOfCases(m: Sql, caseIds: readonly string[], now: Date, fields?: readonly string[]): Promise<void> {
  await execute(
    m,
    `UPDATE audit_event_texts t SET body = NULL, salt = NULL, erased_at = $2
       FROM audit_events e WHERE e.id = t.event_id AND e.case_id = ANY($1::uuid[]) AND t.body IS NOT NULL
        AND ($3::text[] IS NULL OR t.field = ANY($3::text[]))`,
    [caseIds, now, fields ?? null],
  );
}
