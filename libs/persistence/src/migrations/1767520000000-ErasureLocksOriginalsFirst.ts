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
 * An erasure locks the originals of the groups it writes before their other cases, each part in id order
 * (case-erasure-locks.ts says why). In id order alone, a duplicate whose id sorts before its original's
 * was locked first. Never so for time-ordered ids (a duplicate is linked to an older case), but the ids of
 * cases made before were random, and the retention sweep erases those for years yet: it held such a
 * merged duplicate and waited for the original, which a case action resolving it held while it waited for
 * its merged duplicates to close them. PostgreSQL ended one of the two.
 */
export class ErasureLocksOriginalsFirst1767520000000 implements MigrationInterface {
  name = 'ErasureLocksOriginalsFirst1767520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(lockErasedCases(`c.id IN (SELECT roots.root FROM roots) DESC, c.id`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(lockErasedCases(`c.id`));
  }
}
