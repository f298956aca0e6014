import { MigrationInterface, QueryRunner } from 'typeorm';
import { RoutingPassWrite1766970000000 } from './1766970000000-RoutingPassWrite';

/**
 * write_routing_pass (1766970000000) also checks the units a routing pass decided on, so that the pass
 * need not read them first. Routing keeps the units' rows as routing_units last read them
 * (route-case.usecase.ts); a batch whose units are all kept is decided on those, and the write
 * share-locks the same units, reads them again as routing_units would at the routing time and
 * compares them, state by state (each row as jsonb text), with the ones the decisions used. If any
 * differs (a designation changed, a unit ended, an absence began or ended), nothing is written and
 * the function says `stale`: the caller reads the units, which are share-locked now, decides again and
 * writes again. A unit is thus decided on as it is when the pass commits, as when it was read first.
 * This takes routing_units' round trip off the pass: the relay, which routes every case, is busy nearly
 * all the time in a paced 200/s run (2 cores, 2026-12-05: 95-99% of the run), so each round trip
 * of a pass is waited for by the cases that arrive meanwhile. Planned once per connection, as before.
 */
export class RoutingUnitsChecked1766990000000 implements MigrationInterface {
  name = 'RoutingUnitsChecked1766990000000';

  async up(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
    await q.query(`DROP FUNCTION write_routing_pass(${OLD_SIGNATURE})`);
    await q.query(`
      CREATE FUNCTION write_routing_pass(p_ids uuid[], p_status text[], p_unit text[], p_handler uuid[], p_leader uuid[], p_area text[],
                                         p_rule text[], p_triage text[], p_stage_minutes int[], p_due timestamptz[], p_warn timestamptz[],
                                         p_reason text[], p_routed_at timestamptz,
                                         p_ev_actor text[], p_ev_action text[], p_ev_from text[], p_ev_to text[], p_ev_reason text[], p_ev_data jsonb[],
                                         p_queues text[], p_names text[], p_job_ids text[], p_payloads jsonb[], p_delays int[],
                                         p_fan_out boolean[], p_fan_queue text, p_fan_name text, p_fan_job_prefix text, p_request_id text,
                                         p_lock_key bigint, p_event text,
                                         p_units text[], p_unit_states text[])
      RETURNS TABLE (event_ids text[], outbox_rows int, stale boolean)
      LANGUAGE plpgsql VOLATILE ${planOnce}
      AS $$
      #variable_conflict use_column
      DECLARE
        v_ids bigint[];
        f_queues text[];
        f_names text[];
        f_job_ids text[];
        f_payloads jsonb[];
        f_event_ids bigint[];
        f_case_ids uuid[];
        v_rows int;
      BEGIN
        -- The units the caller decided on without reading them in this transaction: share-locked here
        -- and compared, as routing_units sees them now, with the states the caller had.
        IF cardinality(p_units) > 0
           AND (SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM unnest(p_unit_states) AS s)
               IS DISTINCT FROM (SELECT coalesce(array_agg(to_jsonb(r)::text ORDER BY to_jsonb(r)::text), '{}') FROM routing_units(p_units, p_routed_at) AS r) THEN
          RETURN QUERY SELECT NULL::text[], 0, true;
          RETURN;
        END IF;
        PERFORM write_routed_cases(p_ids, p_status, p_unit, p_handler, p_leader, p_area, p_rule, p_triage, p_stage_minutes,
                                   p_due, p_warn, p_reason, p_routed_at);
        WITH src AS (
               SELECT * FROM unnest(p_ids, p_ev_actor, p_ev_action, p_ev_from, p_ev_to, p_ev_reason, p_ev_data)
                 WITH ORDINALITY AS s(case_id, actor, action, from_state, to_state, reason, data, n)),
             numbered AS MATERIALIZED (SELECT src.*, nextval('audit_events_id_seq') AS id FROM (SELECT * FROM src ORDER BY n) src),
             ins AS (
               INSERT INTO audit_events (id, case_id, actor, action, from_state, to_state, reason, data, occurred_at)
               SELECT id, case_id, actor, action, from_state, to_state, reason, data, now() FROM numbered)
        SELECT array_agg(id ORDER BY n) INTO v_ids FROM numbered;
        SELECT coalesce(array_agg(p_fan_queue ORDER BY i), '{}'), coalesce(array_agg(p_fan_name ORDER BY i), '{}'),
               coalesce(array_agg(p_fan_job_prefix || v_ids[i] ORDER BY i), '{}'),
               coalesce(array_agg(jsonb_build_object('caseId', p_ids[i], 'eventId', v_ids[i]::text)
                                  || CASE WHEN p_request_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('requestId', p_request_id) END
                                  ORDER BY i), '{}'),
               coalesce(array_agg(v_ids[i] ORDER BY i), '{}'), coalesce(array_agg(p_ids[i] ORDER BY i), '{}')
          INTO f_queues, f_names, f_job_ids, f_payloads, f_event_ids, f_case_ids
          FROM generate_subscripts(p_ids, 1) AS i
         WHERE p_fan_out[i];
        IF cardinality(f_event_ids) = 0 THEN
          INSERT INTO outbox (queue, job_name, job_id, payload, delay_ms)
          SELECT * FROM unnest(p_queues, p_names, p_job_ids, p_payloads, p_delays);
          GET DIAGNOSTICS v_rows = ROW_COUNT;
        ELSE
          v_rows := write_case_event_outbox(p_queues || f_queues, p_names || f_names, p_job_ids || f_job_ids, p_payloads || f_payloads,
                                            p_delays || array_fill(0, ARRAY[cardinality(f_event_ids)]), f_event_ids, f_case_ids, p_lock_key,
                                            p_event, array_fill(NULL::bigint, ARRAY[cardinality(p_queues)]) || f_event_ids);
        END IF;
        RETURN QUERY SELECT ARRAY(SELECT x::text FROM unnest(v_ids) AS x), v_rows, false;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS write_routing_pass(${OLD_SIGNATURE}, text[], text[])`);
    await new RoutingPassWrite1766970000000().up(q);
  }
}

const OLD_SIGNATURE = `uuid[], text[], text[], uuid[], uuid[], text[], text[], text[], int[], timestamptz[], timestamptz[], text[], timestamptz,
  text[], text[], text[], text[], text[], jsonb[], text[], text[], text[], jsonb[], int[], boolean[], text, text, text, text, bigint, text`;
