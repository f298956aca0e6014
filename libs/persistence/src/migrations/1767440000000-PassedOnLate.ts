import { MigrationInterface, QueryRunner } from 'typeorm';

/** unit_day_totals' counts (1766800000000-UnitDayTotals), with passed_on_late, due and late added at the end. */
const COUNTS: readonly [column: string, perRow: string][] = [
  ['rows', '1'],
  ['received', 'received::int'],
  ['acknowledged', '(received AND acknowledged)::int'],
  ['acknowledged_on_time', '(received AND acknowledged_on_time)::int'],
  ['resolved', 'resolved::int'],
  ['resolved_late', '(resolved AND resolved_late)::int'],
  ['transfers_in', 'transfers_in'],
  ['transfers_out', 'transfers_out'],
  ['reorganised_in', 'reorganised_in'],
  ['reorganised_out', 'reorganised_out'],
  ['returns', 'returns'],
  ['extensions', 'extensions'],
  ['reopened', 'reopened::int'],
  ['merged', 'merged_duplicate::int'],
  ['ratings', '(rating IS NOT NULL)::int'],
  ['rating_sum', 'COALESCE(rating, 0)'],
  ['satisfied', '(rating IS NOT NULL AND rating >= 4)::int'],
  ['passed_on_late', 'passed_on_late::int'],
  // A row counts once in due and late however many of resolved and passed on late it holds (a pair on
  // two days is `grouped`, and the report groups it per case first).
  ['due', '(resolved OR passed_on_late)::int'],
  ['late', '((resolved AND resolved_late) OR passed_on_late)::int'],
];

const PREVIOUS = COUNTS.slice(0, -3);

function rollup(counts: readonly [string, string][], rows: string, sign: 1 | -1): string {
  const s = sign === 1 ? '' : '-';
  return `
    INSERT INTO unit_day_totals (unit_code, day, ${counts.map(([c]) => c).join(', ')})
    SELECT unit_code, day, ${counts.map(([, e]) => `${s}sum(${e})`).join(', ')}
      FROM ${rows} WHERE NOT grouped GROUP BY unit_code, day ORDER BY unit_code, day
    ON CONFLICT (unit_code, day) DO UPDATE SET ${counts.map(([c]) => `${c} = unit_day_totals.${c} + EXCLUDED.${c}`).join(', ')};
    INSERT INTO unit_day_minutes (unit_code, day, minutes, n)
    SELECT unit_code, day, resolve_minutes, ${s}count(*)
      FROM ${rows} WHERE NOT grouped AND resolve_minutes IS NOT NULL GROUP BY unit_code, day, resolve_minutes ORDER BY unit_code, day, resolve_minutes
    ON CONFLICT (unit_code, day, minutes) DO UPDATE SET n = unit_day_minutes.n + EXCLUDED.n;`;
}

function rollupFunction(counts: readonly [string, string][]): string {
  return `
    CREATE OR REPLACE FUNCTION unit_day_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN ${rollup(counts, 'new_facts', 1)}
      ELSE ${rollup(counts, 'old_facts', -1)}
      END IF;
      RETURN NULL;
    END $$`;
}

/**
 * A unit that let a case pass its deadline and then transferred it, or returned it to triage, had
 * dropped it from its late rate: neither resolved by it nor open in it at the period's end. Such a
 * case is now due and late for that unit in the period of the hand-over ("passed on late").
 *
 * - `assignments.passed_due_at`: on a transfer or return row, the stage deadline in force for the unit
 *   before when it passed the case on (the case's `due_at`, or the deadline it had passed when paused
 *   for the citizen), written by the hand-over itself, in the Clock's time like `started_at`. Rows
 *   from before this migration take it from the state log: the last deadline logged before the hand-over.
 * - `unit_case_facts.passed_on_late`, and per unit and day `passed_on_late`, `due` and `late` in
 *   unit_day_totals: due and late count a case once per unit (a case resolved late, reopened and open
 *   past its new deadline had counted twice in due).
 */
export class PassedOnLate1767440000000 implements MigrationInterface {
  name = 'PassedOnLate1767440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE assignments ADD COLUMN passed_due_at timestamptz NULL`);
    await q.query(`ALTER TABLE unit_case_facts ADD COLUMN passed_on_late boolean NOT NULL DEFAULT false`);
    await q.query(
      `ALTER TABLE unit_day_totals ADD COLUMN passed_on_late bigint NOT NULL DEFAULT 0, ADD COLUMN due bigint NOT NULL DEFAULT 0, ADD COLUMN late bigint NOT NULL DEFAULT 0`,
    );
    await q.query(rollupFunction(COUNTS));
    // The facts so far have no case passed on late: due is what was resolved, late what was resolved late.
    await q.query(`UPDATE unit_day_totals SET due = resolved, late = resolved_late`);
    await q.query(`
      UPDATE assignments a SET passed_due_at = (
        SELECT l.due_at FROM case_state_log l WHERE l.case_id = a.case_id AND l.at < a.started_at ORDER BY l.at DESC, l.id DESC LIMIT 1)
       WHERE a.reason IN ('transfer', 'return')`);
    // Their facts are recomputed by the facts drain (unit-facts.updater).
    await q.query(`
      INSERT INTO unit_facts_pending (case_id)
      SELECT DISTINCT case_id FROM assignments WHERE reason IN ('transfer', 'return') AND passed_due_at <= started_at
      ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(rollupFunction(PREVIOUS));
    await q.query(`ALTER TABLE unit_day_totals DROP COLUMN passed_on_late, DROP COLUMN due, DROP COLUMN late`);
    await q.query(`ALTER TABLE unit_case_facts DROP COLUMN passed_on_late`);
    await q.query(`ALTER TABLE assignments DROP COLUMN passed_due_at`);
  }
}
