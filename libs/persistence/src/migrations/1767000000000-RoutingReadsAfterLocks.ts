import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * routing_units and routing_cases lock first, then read, in two statements. Each was one statement
 * that locked its rows and read joined rows with them; when it waited for a lock, PostgreSQL re-read
 * the locked row as committed but kept the joined rows and the rest of the statement as they were
 * when it began:
 * - routing_units: a unit whose handler was being replaced (H1 -> H2) came back, after the wait, with
 *   H2 and no officer row for H2 (the left join re-checked against H1's row), so the designee looked
 *   inactive and the case went to triage as `unit_without_handler` (test/routing-batch.e2e-spec.ts,
 *   a router that reads the unit). The write's check of kept units (RoutingUnitsChecked1766990000000)
 *   calls routing_units too.
 * - routing_cases: each case's likely original was found as of the statement's start, before its lock
 *   waits, and used after the write; a candidate merged or closed, or assigned, meanwhile was seen as
 *   it was.
 * In a volatile PL/pgSQL function each statement takes a new snapshot, so the read after the locks
 * sees every change committed before they were granted. The locks are taken in the same order as
 * before (cases by id; units by code).
 */
export class RoutingReadsAfterLocks1767000000000 implements MigrationInterface {
  name = 'RoutingReadsAfterLocks1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(routingUnitsSql(true));
    await q.query(routingCasesSql(true));
  }

  async down(q: QueryRunner): Promise<void> {
    // As RoutingUnits1766950000000 (with RoutingPassPlans1766960000000's jit = off) and
    // RoutingCaseCandidates1766980000000 made them.
    await q.query(routingUnitsSql(false));
    await q.query(routingCasesSql(false));
  }
}

const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;

/** routing_units, locking and reading in one statement (before) or locking first (`lockFirst`). */
function routingUnitsSql(lockFirst: boolean): string {
  return `
      CREATE OR REPLACE FUNCTION routing_units(p_codes text[], p_at timestamptz)
      RETURNS TABLE (code text, active boolean, handler_id uuid, leader_id uuid, handler_active boolean, leader_active boolean,
                     handler_cover uuid, leader_cover uuid)
      LANGUAGE plpgsql VOLATILE ROWS 5
      SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off
      AS $$
      #variable_conflict use_column
      BEGIN
${lockFirst ? `        PERFORM 1 FROM units u WHERE u.code = ANY (p_codes) ORDER BY u.code FOR SHARE OF u;\n` : ''}        RETURN QUERY
        SELECT u.code::text, u.active, u.handler_id, u.leader_id, h.active, l.active,
               (SELECT a.cover_id FROM officer_absences a JOIN officers o ON o.id = a.cover_id AND o.active
                 WHERE a.officer_id = u.handler_id AND a.cancelled_at IS NULL AND a.starts_at <= p_at AND a.ends_at > p_at
                 ORDER BY a.starts_at DESC LIMIT 1),
               (SELECT a.cover_id FROM officer_absences a JOIN officers o ON o.id = a.cover_id AND o.active
                 WHERE a.officer_id = u.leader_id AND a.cancelled_at IS NULL AND a.starts_at <= p_at AND a.ends_at > p_at
                 ORDER BY a.starts_at DESC LIMIT 1)
          FROM units u LEFT JOIN officers h ON h.id = u.handler_id LEFT JOIN officers l ON l.id = u.leader_id
         WHERE u.code = ANY (p_codes)
         ORDER BY u.code${lockFirst ? '' : '\n           FOR SHARE OF u'};
      END $$`;
}

/** routing_cases with each case's likely original, the search in the locking statement (before) or after it (`lockFirst`). */
function routingCasesSql(lockFirst: boolean): string {
  // Metres per degree of latitude on the mean Earth radius (IUGG), as boundingBox takes it.
  const dLat = `(p_radius_m / (pi() * 6371008.8 / 180))`;
  const distance = `CASE WHEN l.lat IS NULL OR l.lng IS NULL OR x.lat IS NULL OR x.lng IS NULL THEN NULL
            ELSE (2 * 6371008.8 * asin(least(1, sqrt(
                power(sin(radians(x.lat - l.lat) / 2), 2) +
                cos(radians(l.lat)) * cos(radians(x.lat)) * power(sin(radians(x.lng - l.lng) / 2), 2))))) END`;
  const cols = `x.id, x.tracking_code::text AS tracking_code, x.status::text AS status, x.handler_id, x.received_at, ${distance}::float8 AS distance_m`;
  const open = `x.status NOT IN ('resolved', 'merged', 'closed') AND x.duplicate_of IS NULL`;
  const lock = lockFirst
    ? `      #variable_conflict use_column
      DECLARE
        v_ids uuid[];
      BEGIN
        SELECT array_agg(s.id) INTO v_ids
          FROM (SELECT c.id FROM cases c WHERE c.id = ANY (p_ids) AND (c.status = 'received') IS TRUE ORDER BY c.id FOR UPDATE OF c) s;
        RETURN QUERY
        WITH l AS MATERIALIZED (
          SELECT c.id, c.tracking_code::text AS tracking_code, c.category_code::text AS category_code, c.ward_code::text AS ward_code,
                 c.address::text AS address, c.address_key::text AS address_key, c.lat::float8 AS lat, c.lng::float8 AS lng, c.received_at
            FROM cases c
           WHERE c.id = ANY (v_ids))
`
    : `      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        WITH l AS MATERIALIZED (
          SELECT c.id, c.tracking_code::text AS tracking_code, c.category_code::text AS category_code, c.ward_code::text AS ward_code,
                 c.address::text AS address, c.address_key::text AS address_key, c.lat::float8 AS lat, c.lng::float8 AS lng, c.received_at
            FROM cases c
           WHERE c.id = ANY (p_ids) AND (c.status = 'received') IS TRUE
           ORDER BY c.id
             FOR UPDATE OF c)
`;
  return `
      CREATE OR REPLACE FUNCTION routing_cases(p_ids uuid[], p_radius_m float8, p_window_s float8)
      RETURNS TABLE (id uuid, tracking_code text, category_code text, ward_code text, address text, address_key text,
                     lat double precision, lng double precision, received_at timestamptz,
                     dup_id uuid, dup_tracking_code text, dup_status text, dup_handler_id uuid, dup_distance_m double precision)
      LANGUAGE plpgsql VOLATILE ROWS 10 ${planOnce}
      AS $$
${lock}        SELECT l.id, l.tracking_code, l.category_code, l.ward_code, l.address, l.address_key, l.lat, l.lng, l.received_at,
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
      END $$`;
}
