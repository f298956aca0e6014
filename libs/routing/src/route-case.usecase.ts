import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AreaRef, decideRoute, resolveArea, RoutingDecision, RoutingRule, transition, UnitRef } from '@fr/domain';
import { writeAuditEvent, writeOutbox } from '@fr/persistence';
import { caseEventMessage } from '@fr/queue';
import { scheduleSlaTimers, SlaService } from '@fr/sla';

export interface RouteCaseResult {
  caseId: string;
  /** False when the case had already been routed: routing twice changes nothing. */
  changed: boolean;
  decision: RoutingDecision | null;
}

export const ROUTER_ACTOR = 'system:router';

/**
 * Routes a received case to its unit and assigns the unit's designated handler and leader, or sends
 * it to triage at the office with the reason. Runs in one transaction with the case row locked.
 */
@Injectable()
export class RouteCase {
  constructor(
    private readonly ds: DataSource,
    private readonly sla: SlaService,
  ) {}

  execute(caseId: string): Promise<RouteCaseResult> {
    return this.ds.transaction(async (m) => {
      const [c] = await m.query(
        `SELECT id, status, category_code, ward_code, address, received_at FROM cases WHERE id = $1 FOR UPDATE`,
        [caseId],
      );
      if (!c || c.status !== 'received') return { caseId, changed: false, decision: null };

      const { areas, rules, units, triageUnit } = await this.directory(m);
      const area = resolveArea({ wardCode: c.ward_code, address: c.address }, areas);
      const decide = () =>
        decideRoute({ category: c.category_code, areaCode: area.areaCode, areaProblem: area.problem }, rules, {
          area: (code) => areas.find((a) => a.code === code),
          unit: (code) => units.get(code),
        });
      let decision = decide();
      if (decision.kind === 'assign') {
        // A designation change locks the unit and moves its open cases; holding the unit row here
        // means this case either sees the new designees or is moved by that change.
        const [fresh] = await m.query(`SELECT code, active, handler_id, leader_id FROM units WHERE code = $1 FOR SHARE`, [decision.unitCode]);
        units.set(fresh.code, { code: fresh.code, active: fresh.active, handlerId: fresh.handler_id, leaderId: fresh.leader_id });
        decision = decide();
      }

      const to = transition('received', decision.kind === 'assign' ? 'route' : 'route_to_triage', 'SYSTEM');
      const unitCode = decision.kind === 'assign' ? decision.unitCode : triageUnit;
      const handlerId = decision.kind === 'assign' ? decision.handlerId : null;
      const leaderId = decision.kind === 'assign' ? decision.leaderId : null;
      // The receive clock runs from receipt, in triage too: the office must classify within it.
      const clock = this.sla.receiveClock(new Date(c.received_at), { category: c.category_code, unit: unitCode });
      const { dueAt, warnAt } = this.sla.deadlines(clock, []);
      await m.query(
        `UPDATE cases SET status = $2, unit_code = $3, handler_id = $4, leader_id = $5, area_code = $6,
                routing_rule_id = $7, triage_reason = $8, routed_at = now(), updated_at = now(), version = version + 1,
                stage = 'receive', stage_started_at = received_at, stage_minutes = $9, extension_minutes = 0,
                resolve_from = received_at, due_at = $10, warn_at = $11
          WHERE id = $1`,
        [
          caseId,
          to,
          unitCode,
          handlerId,
          leaderId,
          area.areaCode,
          decision.ruleId,
          decision.kind === 'triage' ? decision.reason : null,
          clock.minutes,
          dueAt,
          warnAt,
        ],
      );
      await scheduleSlaTimers(m, this.sla, { caseId, stage: 'receive', stageStartedAt: clock.startedAt, dueAt, warnAt, unit: unitCode, fresh: true });
      await m.query(
        `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, rule_id) VALUES ($1, $2, $3, $4, $5, $6)`,
        [caseId, unitCode, handlerId, leaderId, decision.kind === 'assign' ? 'route' : 'triage', decision.ruleId],
      );
      const eventId = await writeAuditEvent(m, {
        caseId,
        actor: ROUTER_ACTOR,
        action: decision.kind === 'assign' ? 'route' : 'route_to_triage',
        fromState: 'received',
        toState: to,
        reason: decision.kind === 'assign' ? `rule '${decision.ruleId}'` : decision.detail,
        data: {
          ruleId: decision.ruleId,
          unitCode,
          handlerId,
          leaderId,
          areaCode: area.areaCode,
          areaSource: area.source,
          ...(decision.kind === 'assign'
            ? { inform: decision.inform }
            : { triageReason: decision.reason, intendedUnit: decision.intendedUnit }),
        },
      });
      await writeOutbox(m, caseEventMessage(caseId, eventId));
      return { caseId, changed: true, decision };
    });
  }

  /**
   * The routing reference data, read inside the routing transaction so a designation change is seen
   * at once; one round trip, as every case needs it.
   */
  private async directory(m: EntityManager) {
    const [row] = await m.query(`
      SELECT
        (SELECT COALESCE(json_agg(json_build_object('code', code, 'name', name, 'unitCode', unit_code, 'match', match)), '[]') FROM areas) AS areas,
        (SELECT COALESCE(json_agg(json_build_object('id', id, 'category', category_code, 'areas', area_codes, 'unit', unit_code,
                                                    'toWard', to_ward, 'inform', inform) ORDER BY position), '[]')
           FROM routing_rules WHERE active) AS rules,
        (SELECT COALESCE(json_agg(json_build_object('code', code, 'active', active, 'handlerId', handler_id, 'leaderId', leader_id)), '[]') FROM units) AS units,
        (SELECT value FROM system_state WHERE key = 'triage_unit') AS triage_unit`);
    if (!row.triage_unit) throw new Error('no triage unit configured (organisation not loaded)');
    return {
      areas: row.areas as AreaRef[],
      rules: row.rules as RoutingRule[],
      units: new Map((row.units as UnitRef[]).map((u) => [u.code, u])),
      triageUnit: row.triage_unit as string,
    };
  }
}
