import { selectRows, Sql } from '@fr/persistence';

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

interface UnitRow {
  code: string;
  name: string;
  kind: string;
  active: boolean;
  h_id: string | null;
  h_username: string | null;
  h_full_name: string | null;
  h_active: boolean | null;
  l_id: string | null;
  l_username: string | null;
  l_full_name: string | null;
  l_active: boolean | null;
}

/** The designee columns of a LEFT JOINed officer: all NULL when the unit has none. */
function designee(id: string | null, username: string | null, fullName: string | null, active: boolean | null): DesigneeView | null {
  return id ? { id, username: username!, fullName: fullName!, active: active! } : null;
}

/** Units with their designees; one unit when `code` is given. */
export async function selectUnits(db: Sql, code?: string): Promise<UnitView[]> {
  const rows = await selectRows<UnitRow>(
    db,
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
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    active: r.active,
    handler: designee(r.h_id, r.h_username, r.h_full_name, r.h_active),
    leader: designee(r.l_id, r.l_username, r.l_full_name, r.l_active),
  }));
}
