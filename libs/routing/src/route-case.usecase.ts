import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AreaRef, decideRoute, resolveArea, RoutingDecision, RoutingRule, transition, UnitRef } from '@fr/domain';
import { writeAuditEvent } from '@fr/persistence';

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
  constructor(private readonly ds: DataSource) {}

  execute(caseId: string): Promise<RouteCaseResult> {
    return this.ds.transaction(async (m) => {
      const [c] = await m.query(
        `SELECT id, status, category_code, ward_code, address FROM cases WHERE id = $1 FOR UPDATE`,
        [caseId],
      );
      if (!c || c.status !== 'received') return { caseId, changed: false, decision: null };

      const areas = await this.areas(m);
      const area = resolveArea({ wardCode: c.ward_code, address: c.address }, areas);
      const rules = await this.rules(m);
      const units = await this.units(m);
      const decision = decideRoute({ category: c.category_code, areaCode: area.areaCode, areaProblem: area.problem }, rules, {
        area: (code) => areas.find((a) => a.code === code),
        unit: (code) => units.get(code),
      });

      const triageUnit = await this.triageUnit(m);
      const to = transition('received', decision.kind === 'assign' ? 'route' : 'route_to_triage', 'SYSTEM');
      const unitCode = decision.kind === 'assign' ? decision.unitCode : triageUnit;
      const handlerId = decision.kind === 'assign' ? decision.handlerId : null;
      const leaderId = decision.kind === 'assign' ? decision.leaderId : null;
      await m.query(
        `UPDATE cases SET status = $2, unit_code = $3, handler_id = $4, leader_id = $5, area_code = $6,
                routing_rule_id = $7, triage_reason = $8, routed_at = now(), updated_at = now(), version = version + 1
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
        ],
      );
      await m.query(
        `INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, rule_id) VALUES ($1, $2, $3, $4, $5, $6)`,
        [caseId, unitCode, handlerId, leaderId, decision.kind === 'assign' ? 'route' : 'triage', decision.ruleId],
      );
      await writeAuditEvent(m, {
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
      return { caseId, changed: true, decision };
    });
  }

  private async areas(m: EntityManager): Promise<AreaRef[]> {
    const rows = await m.query(`SELECT code, name, unit_code, match FROM areas`);
    return rows.map((r: { code: string; name: string; unit_code: string; match: string[] }) => ({
      code: r.code,
      name: r.name,
      unitCode: r.unit_code,
      match: r.match,
    }));
  }

  private async rules(m: EntityManager): Promise<RoutingRule[]> {
    const rows = await m.query(
      `SELECT id, category_code, area_codes, unit_code, to_ward, inform FROM routing_rules WHERE active ORDER BY position`,
    );
    return rows.map(
      (r: { id: string; category_code: string | null; area_codes: string[] | null; unit_code: string | null; to_ward: boolean; inform: string[] }) => ({
        id: r.id,
        category: r.category_code,
        areas: r.area_codes,
        unit: r.unit_code,
        toWard: r.to_ward,
        inform: r.inform,
      }),
    );
  }

  private async units(m: EntityManager): Promise<Map<string, UnitRef>> {
    const rows = await m.query(`SELECT code, active, handler_id, leader_id FROM units`);
    return new Map(
      rows.map((r: { code: string; active: boolean; handler_id: string | null; leader_id: string | null }) => [
        r.code,
        { code: r.code, active: r.active, handlerId: r.handler_id, leaderId: r.leader_id },
      ]),
    );
  }

  private async triageUnit(m: EntityManager): Promise<string> {
    const [row] = await m.query(`SELECT value FROM system_state WHERE key = 'triage_unit'`);
    if (!row) throw new Error('no triage unit configured (organisation not loaded)');
    return row.value as string;
  }
}
