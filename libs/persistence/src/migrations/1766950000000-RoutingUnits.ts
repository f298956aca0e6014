import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The units that decide a routing batch, share-locked, with their designees' state and covers at `p_at`
 * (route-case.usecase.ts; the covers by the rule of coversAt in absences.ts). In a function so that its
 * plan is made once per connection instead of on every routing pass: as an unnamed statement its
 * planning was 0.28 ms of its 0.32 ms (pg_stat_statements, paced 200/s, 2026-12-05), and prepared,
 * PostgreSQL kept choosing custom plans for it (a generic plan counts an array parameter as ten
 * elements, so it always looked dearer). The plan is kept for the connection's life, so it is made
 * without sequential scans, hash or merge joins: a plan made while the tables are nearly empty could
 * otherwise scan them, and keep scanning as they grow. Checked with EXPLAIN on a freshly migrated
 * database (the worst case, no absence at all): units by units_pkey, each designee by officers_pkey,
 * each cover by officer_absences_officer_idx and officers_pkey.
 */
export class RoutingUnits1766950000000 implements MigrationInterface {
  name = 'RoutingUnits1766950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION routing_units(p_codes text[], p_at timestamptz)
      RETURNS TABLE (code text, active boolean, handler_id uuid, leader_id uuid, handler_active boolean, leader_active boolean,
                     handler_cover uuid, leader_cover uuid)
      LANGUAGE plpgsql VOLATILE ROWS 5
      SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
      AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        SELECT u.code::text, u.active, u.handler_id, u.leader_id, h.active, l.active,
               (SELECT a.cover_id FROM officer_absences a JOIN officers o ON o.id = a.cover_id AND o.active
                 WHERE a.officer_id = u.handler_id AND a.cancelled_at IS NULL AND a.starts_at <= p_at AND a.ends_at > p_at
                 ORDER BY a.starts_at DESC LIMIT 1),
               (SELECT a.cover_id FROM officer_absences a JOIN officers o ON o.id = a.cover_id AND o.active
                 WHERE a.officer_id = u.leader_id AND a.cancelled_at IS NULL AND a.starts_at <= p_at AND a.ends_at > p_at
                 ORDER BY a.starts_at DESC LIMIT 1)
          FROM units u LEFT JOIN officers h ON h.id = u.handler_id LEFT JOIN officers l ON l.id = u.leader_id
         WHERE u.code = ANY (p_codes)
         ORDER BY u.code
           FOR SHARE OF u;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS routing_units(text[], timestamptz)`);
  }
}
