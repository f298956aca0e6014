import { EntityManager } from 'typeorm';
import { AuditEventInput, writeAuditEvent } from '@fr/persistence';

/**
 * TEMPORARY, until main's writeAuditEvents (one INSERT for many events, issue 9) is merged: the same
 * signature, one writeAuditEvent per event. Removed at that merge.
 */
export async function writeAuditEvents(manager: EntityManager, inputs: readonly AuditEventInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of inputs) ids.push(await writeAuditEvent(manager, e));
  return ids;
}
