import { MigrationInterface, QueryRunner } from 'typeorm';

const PLAN_ONCE = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;

/**
 * deletion_waits_for_case: whether a deletion request waits for the case to close, as committed when it is
 * called, not as the calling statement's snapshot saw it (a VOLATILE plpgsql function reads with a snapshot
 * of its own statement). A case action calls it after it has locked the case (lockCaseToAct): a deletion
 * that committed while the action waited for the case is seen, and the action starts again with the case's
 * original locked first (case-erasure-locks.ts says why the original must come first).
 */
export class DeletionWaitsForCase1767530000000 implements MigrationInterface {
  name = 'DeletionWaitsForCase1767530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION deletion_waits_for_case(p_case uuid) RETURNS boolean
      LANGUAGE plpgsql VOLATILE ${PLAN_ONCE}
      AS $$
      BEGIN
        RETURN EXISTS (SELECT 1 FROM privacy_requests p WHERE p.status = 'waiting_for_closure' AND p.waiting_case_ids @> ARRAY[p_case]);
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS deletion_waits_for_case(uuid)`);
  }
}
