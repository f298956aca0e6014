import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-case locks between an erasure and the fan-out of case events (case-erasure-locks.ts says what
 * they order and why they cannot deadlock), as functions planned once per connection, made as the routing
 * pass's are (1766960000000): by key, whatever the tables held at the first call, JIT off. The fan-out
 * calls its one with its BEGIN on every batch: planned anew each time, its statement took 0.31 ms of the
 * backend's time for one event, the function 0.035 ms (5,000 calls in a loop on this 2-core machine,
 * 100,000 cases, 2026-12).
 * - lock_fanout_cases: the keys of the events' cases and of their groups' originals, shared;
 * - lock_erased_cases: the rows of `cases` an erasure writes (the cases, their originals and their groups'
 *   members), in id order, then the keys of the cases and of their originals, exclusive. The sort of the
 *   keys reads every locked row before the first key is taken.
 * A key is (p_class, hashtext of the case id as text), p_class being ADVISORY_LOCK.caseErasure.
 */
export class CaseErasureLocks1767509875000 implements MigrationInterface {
  name = 'CaseErasureLocks1767509875000';

  async up(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
    await q.query(`
      CREATE FUNCTION lock_fanout_cases(p_class int, p_event_ids bigint[]) RETURNS void
      LANGUAGE plpgsql VOLATILE ${planOnce}
      AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(p_class, s.k)
           FROM (SELECT DISTINCT hashtext(v.x::text) AS k
                   FROM audit_events a JOIN cases c ON c.id = a.case_id
                  CROSS JOIN LATERAL (VALUES (c.id), (COALESCE(c.duplicate_of, c.id))) v(x)
                  WHERE a.id = ANY (p_event_ids)) s
          ORDER BY s.k;
      END $$`);
    await q.query(`
      CREATE FUNCTION lock_erased_cases(p_class int, p_case_ids uuid[]) RETURNS void
      LANGUAGE plpgsql VOLATILE ${planOnce}
      AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(p_class, s.k)
           FROM (WITH roots AS (SELECT COALESCE(r.duplicate_of, r.id) AS root FROM cases r WHERE r.id = ANY (p_case_ids)),
                      locked AS (SELECT c.id, COALESCE(c.duplicate_of, c.id) AS root FROM cases c
                                  WHERE c.id IN (SELECT unnest(p_case_ids) UNION SELECT roots.root FROM roots
                                                 UNION SELECT g.id FROM cases g JOIN roots ON g.duplicate_of = roots.root)
                                  ORDER BY c.id FOR NO KEY UPDATE OF c)
                 SELECT DISTINCT hashtext(v.x::text) AS k
                   FROM locked l CROSS JOIN LATERAL (VALUES (l.id), (l.root)) v(x)
                  WHERE l.id = ANY (p_case_ids)) s
          ORDER BY s.k;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS lock_erased_cases(int, uuid[])`);
    await q.query(`DROP FUNCTION IF EXISTS lock_fanout_cases(int, bigint[])`);
  }
}
