import { MigrationInterface, QueryRunner } from 'typeorm';
import { RoutingReadsAfterLocks1767000000000 } from './1767000000000-RoutingReadsAfterLocks';

/**
 * routing_units gives an absent designee's cover only if the cover can do the designee's work at the
 * routing time: active (as before), of the designee's unit and role, and not away themselves. A cover
 * moved to another unit after the absence was recorded went on receiving the unit's new cases, which
 * they could then neither see nor act on; a cover recorded as away after being named took the
 * designee's cases while away. The designee is then treated as having no cover (the cases go to them),
 * as coversAt in absences.ts reads covers for escalations and moves. Recording an absence and moving
 * an officer refuse these cases now; this is the rule for absences recorded before, and for any way
 * round the checks.
 */
export class CoversWhoQualify1767110000000 implements MigrationInterface {
  name = 'CoversWhoQualify1767110000000';

  async up(q: QueryRunner): Promise<void> {
    const cover = (designee: string, row: string) => `(SELECT a.cover_id FROM officer_absences a JOIN officers o ON o.id = a.cover_id
                 WHERE a.officer_id = u.${designee} AND a.cancelled_at IS NULL AND a.starts_at <= p_at AND a.ends_at > p_at
                   AND o.active AND o.unit_code IS NOT DISTINCT FROM ${row}.unit_code AND o.role = ${row}.role
                   AND NOT EXISTS (SELECT 1 FROM officer_absences b
                                    WHERE b.officer_id = o.id AND b.cancelled_at IS NULL AND b.starts_at <= p_at AND b.ends_at > p_at)
                 ORDER BY a.starts_at DESC LIMIT 1)`;
    await q.query(`
      CREATE OR REPLACE FUNCTION routing_units(p_codes text[], p_at timestamptz)
      RETURNS TABLE (code text, active boolean, handler_id uuid, leader_id uuid, handler_active boolean, leader_active boolean,
                     handler_cover uuid, leader_cover uuid)
      LANGUAGE plpgsql VOLATILE ROWS 5
      SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off
      AS $$
      #variable_conflict use_column
      BEGIN
        PERFORM 1 FROM units u WHERE u.code = ANY (p_codes) ORDER BY u.code FOR SHARE OF u;
        RETURN QUERY
        SELECT u.code::text, u.active, u.handler_id, u.leader_id, h.active, l.active,
               ${cover('handler_id', 'h')},
               ${cover('leader_id', 'l')}
          FROM units u LEFT JOIN officers h ON h.id = u.handler_id LEFT JOIN officers l ON l.id = u.leader_id
         WHERE u.code = ANY (p_codes)
         ORDER BY u.code;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await new RoutingReadsAfterLocks1767000000000().up(q);
  }
}
