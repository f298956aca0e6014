import type { EntityManager } from 'typeorm';

/**
 * Told, inside the transaction that records escalations and their inbox notifications, which were
 * recorded: where deliveries beyond the inbox (e-mail, webhooks) plug in. Optional; a module that
 * provides it (`{ provide: ESCALATION_RECORDED, useExisting: Deliveries }`) is handed to
 * SlaEscalationModule.register({ notify }).
 */
export const ESCALATION_RECORDED = 'ESCALATION_RECORDED';

export interface EscalationRecordedListener {
  /** Called once per firing batch; `escalationIds` are the escalations it recorded, never empty. */
  escalationsRecorded(m: EntityManager, escalationIds: readonly string[]): Promise<void>;
}
