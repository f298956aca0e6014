import { EntityManager } from 'typeorm';

export interface DesigneeView {
  id: string;
  username: string;
  fullName: string;
  active: boolean;
}

/** A unit with its focal points (công chức đầu mối, lãnh đạo đầu mối). */
export interface UnitView {
  code: string;
  name: string;
  kind: string;
  active: boolean;
  handler: DesigneeView | null;
  leader: DesigneeView | null;
}

type Querier = Pick<EntityManager, 'query'>;

/** Units with their designees; one unit when `code` is given. */
export async function selectUnits(q: Querier, code?: string): Promise<UnitView[]> {
  const rows = await q.query(
    `SELECT u.code, u.name, u.kind, u.active,
            h.id AS h_id, h.username AS h_username, h.full_name AS h_full_name, h.active AS h_active,
            l.id AS l_id, l.username AS l_username, l.full_name AS l_full_name, l.active AS l_active
       FROM units u
       LEFT JOIN officers h ON h.id = u.handler_id
       LEFT JOIN officers l ON l.id = u.leader_id
      WHERE $1::varchar IS NULL OR u.code = $1
      ORDER BY u.code`,
    [code ?? null],
  );
  return rows.map((r: Record<string, any>) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    active: r.active,
    handler: r.h_id ? { id: r.h_id, username: r.h_username, fullName: r.h_full_name, active: r.h_active } : null,
    leader: r.l_id ? { id: r.l_id, username: r.l_username, fullName: r.l_full_name, active: r.l_active } : null,
  }));
}
