import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { appendAuditEventsInBulk } from '@fr/persistence';
import { SLA_ACTOR } from './fire-escalation.usecase';



/**
 * Appends the escalations that fired since the last call to the audit trail, in one chained batch.
 * FireEscalation records the escalation and tells people without touching the chain's head, whose
 * lock serialises every writer; this puts the `escalate` events on the chain a moment later, each
 * with the time the level fired. Run by a worker loop twice a second; safe in several workers
 * (SKIP LOCKED), and nothing is lost if it stops: the rows wait with audit_event_id NULL.
 */
@Injectable()
export class AuditEscalations {
  constructor(private readonly ds: DataSource) {}

  async runOnce(limit = 2000): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows: { id: string }[] = await m.query(
        `SELECT id FROM escalations WHERE audit_event_id IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      // In id order, as selected: the escalation numbered n below gets the audit event firstId + n - 1.
      const ids = rows.map((r) => r.id);
      const { count, firstId } = await appendAuditEventsInBulk(
        m,
        `SELECT row_number() OVER (ORDER BY e.id) AS n, e.case_id, '${SLA_ACTOR}'::text AS actor, 'escalate'::text AS action,
                c.status::text AS from_state, c.status::text AS to_state, NULL::text AS reason,
                jsonb_build_object('stage', e.stage, 'level', e.level,
                                   'dueAt', to_char(e.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                   'escalationId', e.id::text,
                                   'notified', (SELECT count(*) FROM notifications n WHERE n.escalation_id = e.id)) AS data,
                e.fired_at AS occurred_at
           FROM escalations e JOIN cases c ON c.id = e.case_id
          WHERE e.id = ANY($1::bigint[])`,
        [ids],
      );
      // Every locked row has its case (a foreign key); anything else would misnumber the links below.
      if (count !== ids.length) throw new Error(`appended ${count} escalate events for ${ids.length} escalations`);
      await m.query(
        `UPDATE escalations e SET audit_event_id = $2::bigint + s.n - 1
           FROM unnest($1::bigint[]) WITH ORDINALITY AS s(id, n) WHERE e.id = s.id`,
        [ids, firstId],
      );
      return ids.length;
    });
  }
}
