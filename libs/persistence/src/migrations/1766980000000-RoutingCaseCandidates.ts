import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * routing_cases (1766960000000) also finds each case's likely original: the duplicate search that
 * routing made after its write, one statement per case with an address or a point, now in the
 * statement that locks the batch. The relay is the path of every case and, in a paced 200/s run,
 * busy nearly all the time (2 cores, 2026-12-05: 98-99% of the run in passes of 6.5-9.8 ms, medians),
 * so each round trip of a pass is waited for by the cases that arrive meanwhile; 5,272 of 6,600
 * cases of that run were searched, 27 linked.
 *
 * The search is findDuplicateCandidates' (duplicate-candidates.ts), word for word where it matters to
 * the planner: the predicates of the two partial indexes, the box around the point (boundingBox,
 * domain/duplicates.ts), the haversine distance, oldest first, then nearest, then by id. It runs
 * before the batch is written, so a candidate that is itself in the batch is left to the search
 * after the write (linkDuplicates), which sees whether that case was linked meanwhile. Any other
 * answer is the one the later search would give: the write changes no case outside the batch, and a
 * case of the batch only leaves the candidates (by being linked).
 * Planned once per connection, without sequential scans or hash and merge joins (see
 * RoutingPassPlans1766960000000): the search is a nested loop over the locked cases, each branch an
 * index scan of its partial index (checked with auto_explain's nested statements on a migrated
 * database).
 */
export class RoutingCaseCandidates1766980000000 implements MigrationInterface {
  name = 'RoutingCaseCandidates1766980000000';

  async up(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
    // Metres per degree of latitude on the mean Earth radius (IUGG), as boundingBox takes it.
    const dLat = `(p_radius_m / (pi() * 6371008.8 / 180))`;
    const distance = `CASE WHEN l.lat IS NULL OR l.lng IS NULL OR x.lat IS NULL OR x.lng IS NULL THEN NULL
                      ELSE (2 * 6371008.8 * asin(least(1, sqrt(
                              power(sin(radians(x.lat - l.lat) / 2), 2) +
                              cos(radians(l.lat)) * cos(radians(x.lat)) * power(sin(radians(x.lng - l.lng) / 2), 2))))) END`;
    const cols = `x.id, x.tracking_code::text AS tracking_code, x.status::text AS status, x.handler_id, x.received_at, ${distance}::float8 AS distance_m`;
    const open = `x.status NOT IN ('resolved', 'merged', 'closed') AND x.duplicate_of IS NULL`;
    await q.query(`DROP FUNCTION routing_cases(uuid[])`);
    await q.query(`
      CREATE FUNCTION routing_cases(p_ids uuid[], p_radius_m float8, p_window_s float8)
      RETURNS TABLE (id uuid, tracking_code text, category_code text, ward_code text, address text, address_key text,
                     lat double precision, lng double precision, received_at timestamptz,
                     dup_id uuid, dup_tracking_code text, dup_status text, dup_handler_id uuid, dup_distance_m double precision)
      LANGUAGE plpgsql VOLATILE ROWS 10 ${planOnce}
      AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        WITH l AS MATERIALIZED (
          SELECT c.id, c.tracking_code::text AS tracking_code, c.category_code::text AS category_code, c.ward_code::text AS ward_code,
                 c.address::text AS address, c.address_key::text AS address_key, c.lat::float8 AS lat, c.lng::float8 AS lng, c.received_at
            FROM cases c
           WHERE c.id = ANY (p_ids) AND (c.status = 'received') IS TRUE
           ORDER BY c.id
             FOR UPDATE OF c)
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
               WHERE l.address_key IS NOT NULL AND l.ward_code IS NOT NULL
                 AND x.category_code = l.category_code AND ${open} AND x.address_key IS NOT NULL
                 AND x.ward_code = l.ward_code AND x.address_key = l.address_key
                 AND x.received_at >= l.received_at - make_interval(secs => p_window_s)
              OFFSET 0) x
             WHERE (x.received_at, x.id) < (l.received_at, l.id)
             ORDER BY x.received_at, x.distance_m NULLS LAST, x.id
             LIMIT 1) d ON true
         ORDER BY l.id;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
    await q.query(`DROP FUNCTION IF EXISTS routing_cases(uuid[], float8, float8)`);
    // As RoutingPassPlans1766960000000 made it.
    await q.query(`
      CREATE FUNCTION routing_cases(p_ids uuid[])
      RETURNS TABLE (id uuid, tracking_code text, category_code text, ward_code text, address text, address_key text,
                     lat double precision, lng double precision, received_at timestamptz)
      LANGUAGE plpgsql VOLATILE ROWS 10 ${planOnce}
      AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        SELECT c.id, c.tracking_code::text, c.category_code::text, c.ward_code::text, c.address::text, c.address_key::text,
               c.lat::float8, c.lng::float8, c.received_at
          FROM cases c
         WHERE c.id = ANY (p_ids) AND (c.status = 'received') IS TRUE
         ORDER BY c.id
           FOR UPDATE OF c;
      END $$`);
  }
}
