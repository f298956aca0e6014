import { selectRows, Sql } from './sql';

/**
 * Who stands in for an officer at `now`: the cover of an absence in force then (not cancelled,
 * started, not ended), if the cover can still do the officer's work then: active, of the officer's
 * unit and role, and not away themselves. Recording an absence checks all of this, but a cover may
 * change afterwards (moved, given another role, away in turn, or so recorded before these were
 * refused); a cover who no longer qualifies is no cover, and the officer is treated as having none.
 * Absences end by themselves: nothing is written when one ends, every reader judges by its own
 * clock. Routing reads covers by the same rule in the database function routing_units (migration
 * CoversWhoQualify writes it out).
 */
export async function coversAt(m: Sql, officerIds: readonly string[], now: Date): Promise<Map<string, string>> {
  if (officerIds.length === 0) return new Map();
  const rows = await selectRows<{ officer_id: string; cover_id: string | null }>(
    m,
    `SELECT x.id::text AS officer_id, ${coverOfSql('x.id', '$2')}::text AS cover_id FROM unnest($1::uuid[]) AS x(id)`,
    [[...new Set(officerIds.map((id) => id.toLowerCase()))], now],
  );
  return new Map(rows.flatMap((r) => (r.cover_id === null ? [] : [[r.officer_id, r.cover_id] as [string, string]])));
}

/**
 * SQL: the cover of the officer whose id is `officer` at `at` (coversAt's rule), or NULL; a scalar
 * subquery, so that a statement can put a notice to the cover itself (writeDuplicateNotifications).
 */
export function coverOfSql(officer: string, at: string): string {
  return `(SELECT a.cover_id FROM officer_absences a JOIN officers p ON p.id = a.officer_id JOIN officers o ON o.id = a.cover_id
            WHERE a.officer_id = ${officer} AND a.cancelled_at IS NULL AND a.starts_at <= ${at} AND a.ends_at > ${at}
              AND ${coverQualifiesSql('o', 'p', at)}
            ORDER BY a.starts_at DESC LIMIT 1)`;
}

/**
 * SQL: the cover (officers row `cover`) can do the absent officer's (officers row `absent`) work at
 * `at`: active, the same unit and role, not away then.
 */
export function coverQualifiesSql(cover: string, absent: string, at: string): string {
  return `${cover}.active AND ${cover}.unit_code IS NOT DISTINCT FROM ${absent}.unit_code AND ${cover}.role = ${absent}.role
        AND NOT EXISTS (SELECT 1 FROM officer_absences b
                         WHERE b.officer_id = ${cover}.id AND b.cancelled_at IS NULL AND b.starts_at <= ${at} AND b.ends_at > ${at})`;
}

/** The officers `coverId` stands in for at `now` (SQL for a WHERE clause; `$now` and `$cover` are parameter references). */
export function coveredBySql(cover: string, now: string): string {
  return `(SELECT a.officer_id FROM officer_absences a
            WHERE a.cover_id = ${cover} AND a.cancelled_at IS NULL AND a.starts_at <= ${now} AND a.ends_at > ${now})`;
}

/**
 * The first absence (by start) that `coverId` covers, not cancelled, overlapping [from, to) (`to`
 * null: any that has not ended by `from`), with the absent officer's username: an officer who covers
 * someone then can be neither away nor moved.
 */
export async function absenceCoveredBy(
  m: Sql,
  coverId: string,
  from: Date,
  to: Date | null,
): Promise<{ id: string; username: string; ends_at: Date } | undefined> {
  const [row] = await selectRows<{ id: string; username: string; ends_at: Date }>(
    m,
    `SELECT a.id::text AS id, o.username, a.ends_at FROM officer_absences a JOIN officers o ON o.id = a.officer_id
      WHERE a.cover_id = $1 AND a.cancelled_at IS NULL AND a.ends_at > $2 AND ($3::timestamptz IS NULL OR a.starts_at < $3)
      ORDER BY a.starts_at LIMIT 1`,
    [coverId, from, to],
  );
  return row;
}
