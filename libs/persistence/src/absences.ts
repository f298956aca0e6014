import { selectRows, Sql } from './sql';

/**
 * Who stands in for an officer at `now`: the cover of an absence in force then (not cancelled,
 * started, not ended), if the cover is still active. Absences end by themselves: nothing is written
 * when one ends, every reader judges by its own clock. Routing reads covers by the same rule in the
 * database function routing_units (migration RoutingUnits).
 */
export async function coversAt(m: Sql, officerIds: readonly string[], now: Date): Promise<Map<string, string>> {
  if (officerIds.length === 0) return new Map();
  const rows = await selectRows<{ officer_id: string; cover_id: string }>(
    m,
    `SELECT DISTINCT ON (a.officer_id) a.officer_id, a.cover_id
       FROM officer_absences a JOIN officers o ON o.id = a.cover_id AND o.active
      WHERE a.officer_id = ANY($1::uuid[]) AND a.cancelled_at IS NULL AND a.starts_at <= $2 AND a.ends_at > $2
      ORDER BY a.officer_id, a.starts_at DESC`,
    [[...new Set(officerIds.map((id) => id.toLowerCase()))], now],
  );
  return new Map(rows.map((r) => [r.officer_id, r.cover_id]));
}

/** The officers `coverId` stands in for at `now` (SQL for a WHERE clause; `$now` and `$cover` are parameter references). */
export function coveredBySql(cover: string, now: string): string {
  return `(SELECT a.officer_id FROM officer_absences a
            WHERE a.cover_id = ${cover} AND a.cancelled_at IS NULL AND a.starts_at <= ${now} AND a.ends_at > ${now})`;
}
