import { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns unit_day_totals sums over a day's facts rows that are not `grouped`; the report's counts, in its order. */
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
  // SATISFIED_RATING of libs/audit/src/unit-metrics.ts; the facts-equal-raw tests fail if the two part.
  ['satisfied', '(rating IS NOT NULL AND rating >= 4)::int'],
];

/** The rollup statements of one transition table (`rows`), each row counted `sign` times. */
function rollup(rows: string, sign: 1 | -1): string {
  const s = sign === 1 ? '' : '-';
  return `
    INSERT INTO unit_day_totals (unit_code, day, ${COUNTS.map(([c]) => c).join(', ')})
    SELECT unit_code, day, ${COUNTS.map(([, e]) => `${s}sum(${e})`).join(', ')}
      FROM ${rows} WHERE NOT grouped GROUP BY unit_code, day ORDER BY unit_code, day
    ON CONFLICT (unit_code, day) DO UPDATE SET ${COUNTS.map(([c]) => `${c} = unit_day_totals.${c} + EXCLUDED.${c}`).join(', ')};
    INSERT INTO unit_day_minutes (unit_code, day, minutes, n)
    SELECT unit_code, day, resolve_minutes, ${s}count(*)
      FROM ${rows} WHERE NOT grouped AND resolve_minutes IS NOT NULL GROUP BY unit_code, day, resolve_minutes ORDER BY unit_code, day, resolve_minutes
    ON CONFLICT (unit_code, day, minutes) DO UPDATE SET n = unit_day_minutes.n + EXCLUDED.n;`;
}

/**
 * Per unit and day totals of the daily facts (issue 18's quarterly report in under 2 s at a million
 * cases). unit_case_facts keeps one row per case, unit and day, so that a changed case is recomputed
 * whole; a quarter of it is about 700,000 rows at a million cases a year, and summing them was
 * 1.6-3.6 s of the report. These two tables hold the same sums per unit and day (about 3,000 rows a
 * quarter) and the working minutes to resolve as counts per value (exact median and p90, error bound
 * 0, as before), for the rows that are not `grouped` (most of them; the report still groups the few
 * others per case).
 *
 * Kept by statement triggers over the facts' transition tables: the updater replaces a case's rows
 * by one DELETE and one INSERT, so each batch of 200 cases adds its rows' sums once and takes away the
 * old ones once, in the same transaction, whatever code writes the facts. Upserts go in (unit, day)
 * order so that two drains touching the same days wait for each other instead of deadlocking. Rows
 * whose sums fall back to zero stay (a recomputed case takes its rows away and puts them back): the
 * report reads `rows > 0` and `n > 0`, and a rebuild empties both tables after the facts.
 */
export class UnitDayTotals1766800000000 implements MigrationInterface {
  name = 'UnitDayTotals1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE unit_day_totals (
        unit_code varchar(40) NOT NULL,
        day date NOT NULL,
        ${COUNTS.map(([c]) => `${c} bigint NOT NULL`).join(',\n        ')},
        PRIMARY KEY (day, unit_code)
      )`);
    await q.query(`
      CREATE TABLE unit_day_minutes (
        unit_code varchar(40) NOT NULL,
        day date NOT NULL,
        minutes integer NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (day, unit_code, minutes)
      )`);
    await q.query(`
      CREATE FUNCTION unit_day_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${rollup('new_facts', 1)}
        ELSE ${rollup('old_facts', -1)}
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER unit_day_rollup_insert AFTER INSERT ON unit_case_facts REFERENCING NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION unit_day_rollup()`,
    );
    await q.query(
      `CREATE TRIGGER unit_day_rollup_delete AFTER DELETE ON unit_case_facts REFERENCING OLD TABLE AS old_facts FOR EACH STATEMENT EXECUTE FUNCTION unit_day_rollup()`,
    );
    // The report still groups the `grouped` rows per case: about 3% of a quarter's facts rows, which
    // the day index found only by reading all of them (330 ms of the report's 940, Q2 at 1,000,000
    // cases, shared machine); a partial index finds them directly (100 ms).
    await q.query(`CREATE INDEX unit_case_facts_grouped_idx ON unit_case_facts (day, unit_code) WHERE grouped`);
    // The facts already computed, summed once.
    await q.query(rollup('unit_case_facts', 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS unit_day_rollup_delete ON unit_case_facts`);
    await q.query(`DROP TRIGGER IF EXISTS unit_day_rollup_insert ON unit_case_facts`);
    await q.query(`DROP FUNCTION IF EXISTS unit_day_rollup()`);
    await q.query(`DROP INDEX IF EXISTS unit_case_facts_grouped_idx`);
    await q.query(`DROP TABLE IF EXISTS unit_day_minutes`);
    await q.query(`DROP TABLE IF EXISTS unit_day_totals`);
  }
}
