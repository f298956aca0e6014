import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The three statements of a routing pass that were planned anew on every pass, as functions whose
 * plan is made once per connection, like routing_units (1766950000000):
 * - routing_cases: the batch's cases still received, locked in id order (route-case.usecase.ts);
 * - write_routed_cases: routing's decisions and the first assignments (writeRoutedCases);
 * - write_case_event_outbox: outbox rows and the frozen states of the events' fan-outs
 *   (writeOutboxWithCaseEventStates), also used by officers' actions.
 * Measured at a paced 200 events/s (pg_stat_statements, 2026-12-05, about 90 passes a second of two
 * or three cases): planning took 0.17, 0.27 and 0.42 ms of them on every pass, 0.86 ms a pass in all,
 * against 0.05, 0.82 and 0.14 ms of execution. Prepared statements did not help (sql.ts): a generic
 * plan takes an unnest of unknown length for 100 rows and chose to scan `cases`. Here the plan is made
 * without sequential scans, hash or merge joins, so every read of cases, units and officers is by key
 * whatever the tables held when the connection first called the function; checked with EXPLAIN on a
 * freshly migrated database (case_event_receivers still scans the small webhooks and channels tables).
 * Without hash joins, no statement here joins two lists to each other: the assignments take their
 * columns from the update's RETURNING, not from a join of the update with its input (a nested loop of
 * 500 x 500 rows in a backlog's batch), and the outbox's filter is a hashed subplan.
 * JIT is off in them, and in what they call (case_event_receivers): a sequential scan the planner
 * cannot avoid (webhooks has no index to read instead) is costed at the penalty that enable_seqscan =
 * off adds, far above jit_above_cost, and PostgreSQL then compiled the statement on every call: 67 ms
 * a call of case_event_receivers' read in the first bench run of this function, against 0.02 ms.
 * Their parameters are named p_*, so a column never stands for one (and `#variable_conflict use_column`
 * says which wins if one ever did).
 */
export class RoutingPassPlans1766960000000 implements MigrationInterface {
  name = 'RoutingPassPlans1766960000000';

  async up(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
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
    // The units path is appended as unitsPathAppended (case-writes.ts) writes it: concat_ws(' > ', ...).
    await q.query(`
      CREATE FUNCTION write_routed_cases(p_ids uuid[], p_status text[], p_unit text[], p_handler uuid[], p_leader uuid[], p_area text[],
                                         p_rule text[], p_triage text[], p_stage_minutes int[], p_due timestamptz[], p_warn timestamptz[],
                                         p_reason text[], p_routed_at timestamptz)
      RETURNS void
      LANGUAGE plpgsql VOLATILE ${planOnce}
      AS $$
      #variable_conflict use_column
      BEGIN
        WITH r AS (
          SELECT * FROM unnest(p_ids, p_status, p_unit, p_handler, p_leader, p_area, p_rule, p_triage, p_stage_minutes, p_due, p_warn, p_reason)
            AS r(id, status, unit_code, handler_id, leader_id, area_code, rule_id, triage_reason, stage_minutes, due_at, warn_at, reason)),
        upd AS (
          UPDATE cases c SET status = r.status, unit_code = r.unit_code, handler_id = r.handler_id, leader_id = r.leader_id,
                 area_code = r.area_code, routing_rule_id = r.rule_id, triage_reason = r.triage_reason, routed_at = p_routed_at,
                 units_path = concat_ws(' > ', c.units_path, r.unit_code),
                 updated_at = now(), version = c.version + 1, stage = 'receive', stage_started_at = c.received_at,
                 stage_minutes = r.stage_minutes, extension_minutes = 0, resolve_from = c.received_at, due_at = r.due_at, warn_at = r.warn_at
            FROM r WHERE c.id = r.id RETURNING c.id, r.unit_code, r.handler_id, r.leader_id, r.reason, r.rule_id)
        INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason, rule_id, started_at)
        SELECT id, unit_code, handler_id, leader_id, reason, rule_id, p_routed_at FROM upd;
      END $$`);
    await q.query(`
      CREATE FUNCTION write_case_event_outbox(p_queues text[], p_names text[], p_job_ids text[], p_payloads jsonb[], p_delays int[],
                                              p_event_ids bigint[], p_case_ids uuid[], p_lock_key bigint, p_event text, p_row_events bigint[])
      RETURNS int
      LANGUAGE plpgsql VOLATILE ${planOnce}
      AS $$
      #variable_conflict use_column
      DECLARE
        n int;
      BEGIN
        WITH receivers AS MATERIALIZED (SELECT * FROM case_event_receivers(p_lock_key, p_event)),
             announced AS MATERIALIZED (
               SELECT ev.event_id, c.status, c.unit_code, u.name AS unit_name, c.due_at, c.answer
                 FROM unnest(p_event_ids, p_case_ids) AS ev(event_id, case_id)
                 JOIN cases c ON c.id = ev.case_id LEFT JOIN units u ON u.code = c.unit_code, receivers r
                WHERE r.any_webhook OR c.channel_code = ANY (r.hooked_channels)),
             states AS (
               INSERT INTO case_event_states (event_id, status, unit_code, unit_name, due_at, answer)
               SELECT * FROM announced ON CONFLICT (event_id) DO NOTHING),
             written AS (
               INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
               SELECT o.queue, o.job_name, o.job_id, o.payload, o.delay_ms
                 FROM unnest(p_queues, p_names, p_job_ids, p_payloads, p_delays, p_row_events) AS o(queue, job_name, job_id, payload, delay_ms, event_id)
                WHERE o.event_id IS NULL OR o.event_id IN (SELECT event_id FROM announced)
               RETURNING 1)
        SELECT count(*)::int INTO n FROM written;
        RETURN n;
      END $$`);
    // The same for routing_units, which had been made without it.
    await q.query(`ALTER FUNCTION routing_units(text[], timestamptz) SET jit = off`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION routing_units(text[], timestamptz) RESET jit`);
    await q.query(`DROP FUNCTION IF EXISTS write_case_event_outbox(text[], text[], text[], jsonb[], int[], bigint[], uuid[], bigint, text, bigint[])`);
    await q.query(
      `DROP FUNCTION IF EXISTS write_routed_cases(uuid[], text[], text[], uuid[], uuid[], text[], text[], text[], int[], timestamptz[], timestamptz[], text[], timestamptz)`,
    );
    await q.query(`DROP FUNCTION IF EXISTS routing_cases(uuid[])`);
  }
}
