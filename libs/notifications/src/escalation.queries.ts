import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OfficerRole } from '@fr/domain';
import { requireKnownUnit, selectRows } from '@fr/persistence';
import { decodeIdCursor, encodeIdCursor } from './paging';

export interface EscalationFilter {
  level?: string;
  /** true: the stage run that breached still goes on; false: it has ended. */
  open?: boolean;
  unit?: string;
  cursor?: string;
  limit: number;
}

interface EscalationRow {
  id: string;
  case_id: string;
  tracking_code: string;
  status: string;
  unit_code: string | null;
  unit_name: string | null;
  stage: string;
  level: string;
  due_at: Date;
  fire_at: Date;
  fired_at: Date;
  resolved_at: Date | null;
}

export interface EscalationView {
  id: string;
  caseId: string;
  trackingCode: string;
  caseStatus: string;
  unit: { code: string; name: string } | null;
  stage: string;
  level: string;
  dueAt: string;
  fireAt: string;
  firedAt: string;
  open: boolean;
  resolvedAt: string | null;
}

function escalationView(r: EscalationRow): EscalationView {
  return {
    id: r.id,
    caseId: r.case_id,
    trackingCode: r.tracking_code,
    caseStatus: r.status,
    unit: r.unit_code ? { code: r.unit_code, name: r.unit_name! } : null,
    stage: r.stage,
    level: r.level,
    dueAt: r.due_at.toISOString(),
    fireAt: r.fire_at.toISOString(),
    firedAt: r.fired_at.toISOString(),
    open: r.resolved_at === null,
    resolvedAt: r.resolved_at ? r.resolved_at.toISOString() : null,
  };
}

/**
 * Escalations newest first. A leader sees the escalations recorded against their own unit (the unit
 * that held the case when the level fired); supervisors and auditors see every unit's.
 */
@Injectable()
export class EscalationQueries {
  constructor(private readonly ds: DataSource) {}

  async list(viewer: { role: OfficerRole; unitCode: string }, f: EscalationFilter): Promise<{ items: EscalationView[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (viewer.role === 'LEADER') where.push(`e.unit_code = ${p(viewer.unitCode)}`);
    else if (viewer.role !== 'SUPERVISOR' && viewer.role !== 'AUDITOR') return { items: [], nextCursor: null };
    if (f.unit) {
      await requireKnownUnit(this.ds, f.unit);
      where.push(`e.unit_code = ${p(f.unit)}`);
    }
    if (f.level) where.push(`e.level = ${p(f.level)}`);
    if (f.open !== undefined) where.push(f.open ? 'e.resolved_at IS NULL' : 'e.resolved_at IS NOT NULL');
    if (f.cursor) where.push(`e.id < ${p(decodeIdCursor(f.cursor))}`);
    const rows = await selectRows<EscalationRow>(
      this.ds,
      `SELECT e.id::text AS id, e.case_id, c.tracking_code, c.status, e.unit_code, u.name AS unit_name, e.stage, e.level, e.due_at, e.fire_at,
              e.fired_at, e.resolved_at
         FROM escalations e JOIN cases c ON c.id = e.case_id LEFT JOIN units u ON u.code = e.unit_code
        ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY e.id DESC LIMIT ${p(f.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, f.limit);
    return {
      items: page.map(escalationView),
      nextCursor: rows.length > f.limit ? encodeIdCursor(page[page.length - 1].id) : null,
    };
  }
}
