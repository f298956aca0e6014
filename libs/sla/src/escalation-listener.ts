import type { EntityManager } from 'typeorm';

/**
 * Told, inside the transaction that records an escalation and its inbox notifications, that one was
 * recorded: where deliveries beyond the inbox (e-mail, webhooks) plug in. Optional; provide it from a
 * global module: `{ provide: ESCALATION_RECORDED, useExisting: Deliveries }`.
 */
export const ESCALATION_RECORDED = 'ESCALATION_RECORDED';

export interface EscalationRecordedListener {
  escalationRecorded(m: EntityManager, escalationId: string): Promise<void>;
}
