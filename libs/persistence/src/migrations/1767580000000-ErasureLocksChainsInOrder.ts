import { MigrationInterface, QueryRunner } from 'typeorm';

const PLAN_ONCE = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;

/** lock_erased_cases locking the rows it writes in `order` (an ORDER BY over `c`, the case, and `roots`). */
const lockErasedCases = (order: string) => `
  CREATE OR REPLACE FUNCTION lock_erased_cases(p_class int, p_case_ids uuid[]) RETURNS void
  LANGUAGE plpgsql VOLATILE ${PLAN_ONCE}
  AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(p_class, s.k)
       FROM (WITH roots AS (SELECT COALESCE(r.duplicate_of, r.id) AS root FROM cases r WHERE r.id = ANY (p_case_ids)),
                  locked AS (SELECT c.id, COALESCE(c.duplicate_of, c.id) AS root FROM cases c
                              WHERE c.id IN (SELECT unnest(p_case_ids) UNION SELECT roots.root FROM roots
                                             UNION SELECT g.id FROM cases g JOIN roots ON g.duplicate_of = roots.root)
                              ORDER BY ${order} FOR NO KEY UPDATE OF c)
             SELECT DISTINCT hashtext(v.x::text) AS k
               FROM locked l CROSS JOIN LATERAL (VALUES (l.id), (l.root)) v(x)
              WHERE l.id = ANY (p_case_ids)) s
      ORDER BY s.k;
  END $$`;

/**
 * An erasure locks the cases linked to none first, then the groups' originals linked themselves (a chain's
 * middle case), then the linked cases others are linked to, then the rest, each in id order: the order of
 * casesLockOrder (case-erasure-locks.ts), whose second part is split in two, the groups' originals first.
 * It took the groups' originals first, in id order: a chain's middle case (routing links a report to a case
 * whose own link it read too late) before another group's original linked to none, which a designation
 * change or an escalation takes first.
 */
export class ErasureLocksChainsInOrder1767580000000 implements MigrationInterface {
  name = 'ErasureLocksChainsInOrder1767580000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      lockErasedCases(
        `c.duplicate_of IS NOT NULL, c.id NOT IN (SELECT roots.root FROM roots),
         c.duplicate_of IS NOT NULL AND NOT EXISTS (SELECT FROM cases linked_here WHERE linked_here.duplicate_of = c.id), c.id`,
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(lockErasedCases(`c.id IN (SELECT roots.root FROM roots) DESC, c.id`));
  }
}
