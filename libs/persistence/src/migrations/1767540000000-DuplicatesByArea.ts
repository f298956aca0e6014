import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two reports at one address meet within the area the case lies in (`area_code`), not within the
 * `wardCode` the channel sent. Only cases whose channel sent a wardCode were ever compared by address:
 * "12 Hòa Mã" typed twice on the hotline (operators type addresses; no code, no point), or once with
 * the code and once with "phường Hai Bà Trưng" in the address, were never linked; nor were codes sent
 * in another letter case ("bach_khoa", which intake and routing accept) or an ended ward's code beside
 * its successor's. Intake now places each case in its area as routing will (resolveArea), so a report
 * not yet routed is found too; routing writes the area it decides, and reorganisations and merges move
 * it. The partial index on (category, ward, address key) gives way to one on (category, area, address
 * key), and routing_cases (RoutingReadsAfterLocks1767000000000) compares areas. Routed cases already
 * hold their area: nothing to fill in.
 */
export class DuplicatesByArea1767540000000 implements MigrationInterface {
  name = 'DuplicatesByArea1767540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX cases_dup_area_address_idx ON cases (category_code, area_code, address_key)
       WHERE status NOT IN ('resolved', 'merged', 'closed') AND duplicate_of IS NULL AND address_key IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS cases_dup_address_idx`);
    await q.query(routingCasesSql('area_code'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(routingCasesSql('ward_code'));
    await q.query(`
      CREATE INDEX cases_dup_address_idx ON cases (category_code, ward_code, address_key)
       WHERE status NOT IN ('resolved', 'merged', 'closed') AND duplicate_of IS NULL AND address_key IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS cases_dup_area_address_idx`);
  }
}

const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;

/**
 * routing_cases as RoutingReadsAfterLocks1767000000000 made it (locks first, then reads), its address
 * branch comparing `place` (ward_code before, area_code now).
 */
function routingCasesSql(place: 'ward_code' | 'area_code'): string {
  // Metres per degree of latitude on the mean Earth radius (IUGG), as boundingBox takes it.
  const dLat = `(p_radius_m / (pi() * 6371008.8 / 180))`;
  const distance = `CASE WHEN l.lat IS NULL OR l.lng IS NULL OR x.lat IS NULL OR x.lng IS NULL THEN NULL
            ELSE (2 * 6371008.8 * asin(least(1, sqrt(
                power(sin(radians(x.lat - l.lat) / 2), 2) +
                cos(radians(l.lat)) * cos(radians(x.lat)) * power(sin(radians(x.lng - l.lng) / 2), 2))))) END`;
  const cols = `x.id, x.tracking_code::text AS tracking_code, x.status::text AS status, x.handler_id, x.received_at, ${distance}::float8 AS distance_m`;
  const open = `x.status NOT IN ('resolved', 'merged', 'closed') AND x.duplicate_of IS NULL`;
  return `
      CREATE OR REPLACE FUNCTION routing_cases(p_ids uuid[], p_radius_m float8, p_window_s float8)
      RETURNS TABLE (id uuid, tracking_code text, category_code text, ward_code text, address text, address_key text,
                     lat double precision, lng double precision, received_at timestamptz,
                     dup_id uuid, dup_tracking_code text, dup_status text, dup_handler_id uuid, dup_distance_m double precision)
      LANGUAGE plpgsql VOLATILE ROWS 10 ${planOnce}
      AS $$
      #variable_conflict use_column
      DECLARE
        v_ids uuid[];
      BEGIN
        SELECT array_agg(s.id) INTO v_ids
          FROM (SELECT c.id FROM cases c WHERE c.id = ANY (p_ids) AND (c.status = 'received') IS TRUE ORDER BY c.id FOR UPDATE OF c) s;
        RETURN QUERY
        WITH l AS MATERIALIZED (
          SELECT c.id, c.tracking_code::text AS tracking_code, c.category_code::text AS category_code, c.ward_code::text AS ward_code,
                 c.address::text AS address, c.address_key::text AS address_key, c.lat::float8 AS lat, c.lng::float8 AS lng, c.received_at${
                   place === 'area_code' ? `,\n                 c.area_code::text AS area_code` : ''
                 }
            FROM cases c
           WHERE c.id = ANY (v_ids))
        SELECT l.id, l.tracking_code, l.category_code, l.ward_code, l.address, l.address_key, l.lat, l.lng, l.received_at,
               d.id, d.tracking_code, d.status, d.handler_id, d.distance_m
          FROM l
          LEFT JOIN LATERAL (
            SELECT * FROM (
              SELECT * FROM (
                SELECT ${cols} FROM cases x
                 WHERE l.lat IS NOT NULL AND l.lng IS NOT NULL
                   AND x.category_code = l.category_code AND ${open} AND x.lat IS NOT NULL AND x.lng IS NOT NULL
                   AND x.lat BETWEEN l.lat - ${dLat} AND l.lat + ${dLat}
                   AND x.lng BETWEEN l.lng - ${dLat} / greatest(cos(radians(l.lat)), 0.01) AND l.lng + ${dLat} / greatest(cos(radians(l.lat)), 0.01)
                   AND x.received_at >= l.received_at - make_interval(secs => p_window_s)) near
               WHERE near.distance_m <= p_radius_m
              UNION
              SELECT ${cols} FROM cases x
               WHERE l.address_key IS NOT NULL AND l.${place} IS NOT NULL
                 AND x.category_code = l.category_code AND ${open} AND x.address_key IS NOT NULL
                 AND x.${place} = l.${place} AND x.address_key = l.address_key
                 AND x.received_at >= l.received_at - make_interval(secs => p_window_s)
              OFFSET 0) x
             WHERE (x.received_at, x.id) < (l.received_at, l.id)
             ORDER BY x.received_at, x.distance_m NULLS LAST, x.id
             LIMIT 1) d ON true
         ORDER BY l.id;
      END $$`;
}
