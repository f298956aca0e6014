import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A routing pass's three writes in one call (writeRoutingPass, case-writes.ts): the cases with their
 * first assignments (write_routed_cases), one audit event each, and the outbox rows, that is the SLA
 * timers and the fan-outs of the events (write_case_event_outbox, which freezes what each event shows of
 * its case). They were three round trips, the second of which had to return the events' ids before the
 * third could name them in the fan-outs' job ids; here the ids are taken in the function, and the
 * fan-out's job is named as caseEventMessage names it, from the prefix and queue the caller passes.
 * Each statement of a PL/pgSQL function sees the ones before it, so the frozen states are read from
 * the cases as routed, as before.
 * Measured with relay passes timed in a paced 200/s run (2026-12-05, 2 cores): a pass of one case
 * spent 0.43, 0.16 and 0.21 ms (medians) on the three, mostly the round trip and the wake-ups of the
 * worker and its backend on a machine where every other process wants the same two cores.
 * Planned once per connection, as the functions it calls (RoutingPassPlans1766960000000). The events
 * are numbered as appendAuditEventsInBulk numbers them, in the order given.
 */
export class RoutingPassWrite1766970000000 implements MigrationInterface {
  name = 'RoutingPassWrite1766970000000';

  async up(q: QueryRunner): Promise<void> {
    const planOnce = `SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off`;
    await q.query(`
      CREATE FUNCTION write_routing_pass(p_ids uuid[], p_status text[], p_unit text[], p_handler uuid[], p_leader uuid[], p_area text[],
                                         p_rule text[], p_triage text[], p_stage_minutes int[], p_due timestamptz[], p_warn timestamptz[],
                                         p_reason text[], p_routed_at timestamptz,
                                         p_ev_actor text[], p_ev_action text[], p_ev_from text[], p_ev_to text[], p_ev_reason text[], p_ev_data jsonb[],
                                         p_queues text[], p_names text[], p_job_ids text[], p_payloads jsonb[], p_delays int[],
                                         p_fan_out boolean[], p_fan_queue text, p_fan_name text, p_fan_job_prefix text, p_request_id text,
                                         p_lock_key bigint, p_event text)
      RETURNS TABLE (event_ids text[], outbox_rows int)
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
        RETURN QUERY SELECT ARRAY(SELECT x::text FROM unnest(v_ids) AS x), v_rows;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS write_routing_pass(uuid[], text[], text[], uuid[], uuid[], text[], text[], text[], int[], timestamptz[],
      timestamptz[], text[], timestamptz, text[], text[], text[], text[], text[], jsonb[], text[], text[], text[], jsonb[], int[], boolean[], text, text,
      text, text, bigint, text)`);
  }
}
