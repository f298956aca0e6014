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
  /** When the unit began and ended (null: before the engine's history, or still there). */
  validFrom: Date | null;
  validTo: Date | null;
  /** The units that took over its work when it ended. */
  successors: string[];
  /** The units whose work it took over. */
  predecessors: string[];
  /** Other names it goes by. */
  aliases: string[];
  handler: DesigneeView | null;
  leader: DesigneeView | null;
}

/** Which units: those active at `at` (default now), or every unit with `includeInactive`. */
export interface UnitFilter {
  at?: Date | null;
  includeInactive?: boolean;
}

interface UnitRow {
  code: string;
  name: string;
  kind: string;
  active: boolean;
  valid_from: Date | null;
  valid_to: Date | null;
  successors: string[];
  predecessors: string[];
  aliases: string[];
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

/**
 * Units with their designees; one unit when `code` is given. With `at`, `active` says whether the
 * unit existed then (by its dates); without, whether it exists now.
 */
export async function selectUnits(db: Sql, code?: string, filter: UnitFilter = { includeInactive: true }): Promise<UnitView[]> {
  const rows = await selectRows<UnitRow>(
    db,
    `SELECT * FROM (
     SELECT u.code, u.name, u.kind,
            CASE WHEN $2::timestamptz IS NULL THEN u.active
                 ELSE (u.valid_from IS NULL OR u.valid_from <= $2) AND (u.valid_to IS NULL OR u.valid_to > $2) END AS active,
            u.valid_from, u.valid_to, u.successors, u.aliases,
            ARRAY(SELECT p.code FROM units p WHERE u.code = ANY(p.successors) ORDER BY p.code) AS predecessors,
            h.id AS h_id, h.username AS h_username, h.full_name AS h_full_name, h.active AS h_active,
            l.id AS l_id, l.username AS l_username, l.full_name AS l_full_name, l.active AS l_active
       FROM units u
       LEFT JOIN officers h ON h.id = u.handler_id
       LEFT JOIN officers l ON l.id = u.leader_id
      WHERE $1::varchar IS NULL OR u.code = $1) x
      WHERE $3 OR x.active
      ORDER BY x.code`,
    [code ?? null, filter.at ?? null, filter.includeInactive === true],
  );
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    kind: r.kind,
    active: r.active,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    successors: r.successors,
    predecessors: r.predecessors,
    aliases: r.aliases,
    handler: designee(r.h_id, r.h_username, r.h_full_name, r.h_active),
    leader: designee(r.l_id, r.l_username, r.l_full_name, r.l_active),
  }));
}
