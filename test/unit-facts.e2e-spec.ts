import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { GetUnitMetrics, parsePeriod, UnitFactsUpdater } from '@fr/audit';
import { ApplyReorganisation } from '@fr/directory';
import { adminToken, bearer, DEV_KEYS, exportColumnsOffDefinition, ManualClock, TestEngine, waitFor } from '@fr/testing';
import { loadYear } from '../bench/audit.bench';
import { BenchContext } from '../bench/support';

/** The bench's generated year, small: transfers, late answers, pauses, extensions, reopenings, ratings. */
const CASES = 1500;
/** Late in the generated year, when its last cases are still open: a reorganisation moves them. */
const EFFECTIVE = '2025-12-24T00:00:00+07:00';
const PLAN = {
  name: 'Sắp xếp thử nghiệm (số liệu ngày)',
  effectiveAt: EFFECTIVE,
  newUnits: [],
  merges: [
    { into: 'P_BACH_KHOA', from: ['P_CAU_DEN'] },
    { into: 'P_BACH_MAI', from: ['P_QUYNH_MAI'] },
  ],
};
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2024, 11, 20);
const LAST_DAY = Date.UTC(2026, 0, 10);
const label = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Issue 18: the report from the daily facts equals the report from the raw data (JSON, to the last
 * field: counts, and the median and p90, whose error bound is 0) for random periods of whole days,
 * periods across a reorganisation among them.
 */
describe('daily facts per unit: the report from facts equals the raw report', () => {
  const clock = new ManualClock('2025-12-23T09:00:00+07:00');
  let engine: TestEngine;
  let metrics: GetUnitMetrics;

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    // Loaded as the bench loads it (bulk SQL, as the superuser: it switches the state log's trigger off).
    const ds = await new DataSource({ type: 'postgres', url: engine.superuserUrl }).initialize();
    try {
      const quiet = { aborted: false, log: () => undefined } as unknown as BenchContext;
      await loadYear(ds, CASES, quiet);
    } finally {
      await ds.destroy();
    }
    const admin = await adminToken(engine);
    const scheduled = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(PLAN);
    expect(scheduled.status).toBe(201);
    clock.set('2025-12-24T08:00:00+07:00');
    await engine.worker!.get(ApplyReorganisation).runDue();
    metrics = engine.api.get(GetUnitMetrics);
  }, 120_000);
  afterAll(() => engine?.close());

  it('the reorganisation moved open cases: their work after it is the successors', async () => {
    const [{ n }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM assignments WHERE reason = 'reorganisation'`);
    expect(n).toBeGreaterThan(0);
    const report = await metrics.execute(parsePeriod('2025-12-20', '2025-12-31'), clock.now());
    const sum = (f: (u: (typeof report.units)[number]) => number) => report.units.reduce((s, u) => s + f(u), 0);
    expect(sum((u) => u.reorganisedIn)).toBe(n);
    expect(sum((u) => u.reorganisedOut)).toBe(n);
  });

  it("keeps the export's columns as defined: the bench's loader writes them, the reorganisation appends to the paths", async () => {
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
    const [{ paths, late }] = await engine.query<{ paths: number; late: number }>(
      `SELECT count(*) FILTER (WHERE units_path LIKE '% > %')::int AS paths, count(*) FILTER (WHERE last_resolve_on_time = false)::int AS late FROM cases`,
    );
    expect(paths).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);
  });

  it('equals the raw report for 200 random periods', async () => {
    let withWork = 0;
    // Periods whose report holds a case passed on late, and one counted once in due though it is in two of
    // resolved, passed on late and open past its deadline (the loader's late transfers and late reopenings).
    let withPassedOnLate = 0;
    let withOverlap = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: (LAST_DAY - FIRST_DAY) / DAY_MS }),
        fc.integer({ min: 0, max: 120 }),
        // A third of the periods end around the reorganisation, the rest anywhere in the year.
        fc.boolean(),
        async (start, length, nearReorganisation) => {
          const from = nearReorganisation ? Date.UTC(2025, 11, 24) - Math.min(start % 90, 89) * DAY_MS : FIRST_DAY + start * DAY_MS;
          const period = parsePeriod(label(from), label(from + length * DAY_MS));
          const now = clock.now();
          const [facts, raw] = [await metrics.execute(period, now, 'facts'), await metrics.execute(period, now, 'raw')];
          expect(facts).toEqual(raw);
          if (raw.units.some((u) => u.received > 0)) withWork++;
          if (raw.units.some((u) => u.passedOnLate > 0)) withPassedOnLate++;
          if (raw.units.some((u) => u.onTime.due < u.resolved + u.passedOnLate + u.openOverdue)) withOverlap++;
        },
      ),
      { numRuns: 200, seed: Number(process.env.FR_FACTS_SEED ?? 1218) },
    );
    // Not 200 empty periods.
    expect(withWork).toBeGreaterThan(100);
    expect(withPassedOnLate).toBeGreaterThan(50);
    expect(withOverlap).toBeGreaterThan(0);
  }, 120_000);

  it('a rebuild from the raw data gives the same facts as those kept current', async () => {
    const snapshot = () =>
      engine.query<{ rows: string }>(`SELECT md5(string_agg(f::text, ',' ORDER BY case_id, unit_code, day)) AS rows FROM unit_case_facts f`);
    await engine.api.get(UnitFactsUpdater).drain();
    const kept = await snapshot();
    expect(await rollupDrift(engine)).toEqual({ totals: 0, minutes: 0 });
    expect(await engine.api.get(UnitFactsUpdater).rebuild()).toBeGreaterThanOrEqual(CASES);
    expect(await snapshot()).toEqual(kept);
    expect(await rollupDrift(engine)).toEqual({ totals: 0, minutes: 0 });
    // The rebuild left no row of zeros behind: every totals row stands for facts rows.
    const [{ empty }] = await engine.query<{ empty: number }>(`SELECT count(*)::int AS empty FROM unit_day_totals WHERE rows = 0`);
    expect(empty).toBe(0);
  });

  it('the per unit and day totals follow cases recomputed one by one (their rows taken away and put back)', async () => {
    await engine.query(`INSERT INTO unit_facts_pending (case_id) SELECT id FROM cases ORDER BY id LIMIT 300 ON CONFLICT DO NOTHING`);
    await engine.api.get(UnitFactsUpdater).drain(7);
    expect(await rollupDrift(engine)).toEqual({ totals: 0, minutes: 0 });
  });

  it('drains running at once (reports waiting, worker ticks skipping) all finish, and the totals still match', async () => {
    await engine.query(`INSERT INTO unit_facts_pending (case_id) SELECT id FROM cases ORDER BY id DESC LIMIT 600 ON CONFLICT DO NOTHING`);
    const updater = engine.api.get(UnitFactsUpdater);
    await Promise.all([updater.drain(11, Infinity, true), updater.drain(13, Infinity, true), updater.drain(17), updater.drain(5)]);
    await updater.drain(200, Infinity, true);
    const [{ pending }] = await engine.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM unit_facts_pending`);
    expect(pending).toBe(0);
    expect(await rollupDrift(engine)).toEqual({ totals: 0, minutes: 0 });
  });

  it('a drain never makes a writer wait: a case changed while a drain works on it is recomputed by the next drain', async () => {
    const updater = engine.api.get(UnitFactsUpdater);
    await updater.drain(200, Infinity, true);
    const [c] = await engine.query<{ id: string; rating: number }>(
      `SELECT c.id::text AS id, c.rating FROM cases c WHERE c.rated_at IS NOT NULL AND EXISTS (SELECT 1 FROM unit_case_facts f WHERE f.case_id = c.id AND f.rating IS NOT NULL) ORDER BY c.id LIMIT 1`,
    );
    const newRating = (c.rating % 5) + 1;
    await engine.query(`INSERT INTO unit_facts_pending (case_id) VALUES ($1)`, [c.id]);
    // The drain is held after it read the marks and recomputed: its write of the case's facts waits for this lock.
    const holder = await engine.db.connect();
    const writer = await engine.db.connect();
    try {
      await holder.query(`BEGIN`);
      await holder.query(`SELECT 1 FROM unit_case_facts WHERE case_id = $1 FOR UPDATE`, [c.id]);
      let drained = false;
      const draining = updater.drain(200, Infinity, true).then((n) => ((drained = true), n));
      await waitFor(
        () =>
          engine.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM unit_case_facts%'`,
          ),
        ([r]) => r.n === 1,
        { what: 'the drain to wait for the held facts rows' },
      );
      // A writer marks the same case: with the old drain (marks deleted first, held while it worked)
      // this waited for the drain, which waits for the holder: the lock timeout turns that into an error.
      await writer.query(`BEGIN`);
      await writer.query(`SET LOCAL lock_timeout = '5s'`);
      await writer.query(`UPDATE cases SET rating = $2 WHERE id = $1`, [c.id, newRating]);
      await writer.query(`COMMIT`);
      expect(drained).toBe(false);
      await holder.query(`COMMIT`);
      expect(await draining).toBeGreaterThanOrEqual(1);
    } finally {
      await holder.query(`ROLLBACK`).catch(() => undefined);
      holder.release();
      writer.release();
    }
    // The drain recomputed the case as it was before the change and left the mark the writer rewrote.
    const pendingOf = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM unit_facts_pending WHERE case_id = $1`, [c.id]))[0].n;
    const ratingOf = async () =>
      (await engine.query<{ rating: number }>(`SELECT rating FROM unit_case_facts WHERE case_id = $1 AND rating IS NOT NULL`, [c.id]))[0].rating;
    expect(await pendingOf()).toBe(1);
    expect(await ratingOf()).toBe(c.rating);
    await updater.drain(200, Infinity, true);
    expect(await pendingOf()).toBe(0);
    expect(await ratingOf()).toBe(newRating);
    expect(await rollupDrift(engine)).toEqual({ totals: 0, minutes: 0 });
  });
});

/**
 * unit_day_totals and unit_day_minutes (kept by the facts' statement triggers) against the same sums
 * taken afresh from unit_case_facts: the number of (unit, day) and (unit, day, minutes) keys that differ.
 */
async function rollupDrift(engine: TestEngine): Promise<{ totals: number; minutes: number }> {
  const [{ totals }] = await engine.query<{ totals: number }>(`
    WITH fresh AS (
      SELECT unit_code, day, count(*) AS rows, sum(received::int) AS received, sum((received AND acknowledged)::int) AS acknowledged,
             sum((received AND acknowledged_on_time)::int) AS acknowledged_on_time, sum(resolved::int) AS resolved,
             sum((resolved AND resolved_late)::int) AS resolved_late, sum(transfers_in) AS transfers_in, sum(transfers_out) AS transfers_out,
             sum(reorganised_in) AS reorganised_in, sum(reorganised_out) AS reorganised_out, sum(returns) AS returns, sum(extensions) AS extensions,
             sum(reopened::int) AS reopened, sum(merged_duplicate::int) AS merged, count(rating) AS ratings, COALESCE(sum(rating), 0) AS rating_sum,
             count(*) FILTER (WHERE rating >= 4) AS satisfied, sum(passed_on_late::int) AS passed_on_late,
             sum((resolved OR passed_on_late)::int) AS due, sum(((resolved AND resolved_late) OR passed_on_late)::int) AS late
        FROM unit_case_facts WHERE NOT grouped GROUP BY unit_code, day),
    kept AS (
      SELECT unit_code, day, rows, received, acknowledged, acknowledged_on_time, resolved, resolved_late, transfers_in, transfers_out,
             reorganised_in, reorganised_out, returns, extensions, reopened, merged, ratings, rating_sum, satisfied, passed_on_late, due, late
        FROM unit_day_totals WHERE rows > 0)
    SELECT count(*)::int AS totals FROM ((SELECT * FROM fresh EXCEPT ALL SELECT * FROM kept) UNION ALL (SELECT * FROM kept EXCEPT ALL SELECT * FROM fresh)) d`);
  const [{ minutes }] = await engine.query<{ minutes: number }>(`
    WITH fresh AS (SELECT unit_code, day, resolve_minutes AS minutes, count(*) AS n FROM unit_case_facts
                    WHERE NOT grouped AND resolve_minutes IS NOT NULL GROUP BY 1, 2, 3),
         kept AS (SELECT unit_code, day, minutes, n FROM unit_day_minutes WHERE n > 0)
    SELECT count(*)::int AS minutes FROM ((SELECT * FROM fresh EXCEPT ALL SELECT * FROM kept) UNION ALL (SELECT * FROM kept EXCEPT ALL SELECT * FROM fresh)) d`);
  return { totals, minutes };
}

describe('daily facts: the worker recomputes changed cases on its own period (FR_FACTS_INTERVAL_MS)', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_FACTS_INTERVAL_MS: '100' } });
  }, 60_000);
  afterAll(() => engine?.close());

  it('a case received and routed gets its facts without a report or a sweep asking', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước số 12 Lê Thanh Nghị, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const id = (res.body as { id: string }).id;
    const [facts] = await waitFor(
      () =>
        engine.query<{ units: string[]; pending: number }>(
          `SELECT ARRAY(SELECT unit_code FROM unit_case_facts WHERE case_id = $1 ORDER BY unit_code) AS units,
                  (SELECT count(*)::int FROM unit_facts_pending WHERE case_id = $1) AS pending
             FROM cases c WHERE c.id = $1 AND c.status = 'assigned'`,
          [id],
        ),
      (rows) => rows.length === 1 && rows[0].pending === 0 && rows[0].units.length > 0,
      { what: "the routed case's daily facts" },
    );
    const [{ unit }] = await engine.query<{ unit: string }>(`SELECT unit_code AS unit FROM cases WHERE id = $1`, [id]);
    expect(facts.units).toEqual([unit]);
  });
});
