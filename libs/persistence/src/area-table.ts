import type { AreaRef } from '@fr/domain';
import { selectRow, Sql } from './sql';

/**
 * Every area as an address is matched against it (resolveArea's AreaRef), one JSON array: routing
 * reads it to route a case, intake to place a report where routing will, so that the next report at
 * the same address finds it before it is routed.
 */
export const AREA_REFS_SQL = `(SELECT COALESCE(json_agg(json_build_object('code', code, 'name', name, 'unitCode', unit_code, 'match', match,
                                                  'active', active, 'streets', streets, 'successors', successors)), '[]') FROM areas)`;

/** The district's name from config/organisation.yaml (`district`), when the load stored one (jsonb: a JSON string). */
export const DISTRICT_SQL = `(SELECT value FROM system_state WHERE key = 'district')`;

export interface AreaTable {
  areas: AreaRef[];
  district: string | null;
}

/** The areas and the district, in one statement. */
export async function readAreaTable(db: Sql): Promise<AreaTable> {
  const row = await selectRow<AreaTable>(db, `SELECT ${AREA_REFS_SQL} AS areas, ${DISTRICT_SQL} AS district`);
  return { areas: row?.areas ?? [], district: row?.district ?? null };
}
