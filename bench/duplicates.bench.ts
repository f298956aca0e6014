import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { findDuplicateCandidates, Sql } from '@fr/persistence';
import { seedOpenCases } from '../libs/testing/src/seed-open-cases';
import { BenchContext, fmtInt, fmtMs, met, percentiles } from './support';

const CATEGORIES = ['sidewalk_encroachment', 'sanitation', 'roads_lighting', 'public_order', 'illegal_construction'];
const WARDS = ['BACH_KHOA', 'BACH_MAI', 'PHO_HUE', 'THANH_NHAN', 'VINH_TUY', 'MINH_KHAI'];
const GOAL_P99_MS = 10;
const DAY_MS = 86_400_000;

interface Probe {
  id: string;
  category_code: string;
  lat: number;
  lng: number;
  area_code: string;
  address_key: string;
}

/**
 * `BENCH_SCENARIOS=duplicates` (issue 14): BENCH_DUPLICATE_CASES open cases (default 100,000) over
 * Hanoi, five categories, the last 20 days; then BENCH_DUPLICATE_SEARCHES candidate searches
 * (default 2,000), one at a time, each exactly the one routing makes for a new case (coordinates
 * within FR_DUPLICATE_RADIUS_M, or the same address key and area, within FR_DUPLICATE_WINDOW_DAYS,
 * older than the case). Prints p50/p99/max of one search, the goal p99 < 10 ms, and the plan's indexes.
 */
export async function runDuplicatesScenario(ctx: BenchContext): Promise<string[]> {
  const count = positive('BENCH_DUPLICATE_CASES', process.env.BENCH_DUPLICATE_CASES, 100_000);
  const searches = positive('BENCH_DUPLICATE_SEARCHES', process.env.BENCH_DUPLICATE_SEARCHES, 2_000);
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
  ctx.defer('close duplicates pool', () => pool.end());
  const run = async (text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as unknown[];
  const db = { query: run } as unknown as Sql;
  const { radiusM, windowDays } = ctx.config.duplicates;
  const lines: string[] = [];

  ctx.log(`duplicates: seeding ${fmtInt(count)} open cases`);
  let t = performance.now();
  await seedOpenCases(run, { count, categories: CATEGORIES, wards: WARDS, days: 20, prefix: 'B' });
  lines.push(`seed: ${fmtInt(count)} open cases (${CATEGORIES.length} categories, ${WARDS.length} wards, 16 x 16 km) in ${fmtMs(performance.now() - t)}`);

  const probes = (await run(`SELECT id, category_code, lat, lng, area_code, address_key FROM cases TABLESAMPLE BERNOULLI (10) LIMIT $1`, [
    searches,
  ])) as Probe[];
  const search = (p: Probe) =>
    findDuplicateCandidates(db, {
      category: p.category_code,
      point: { lat: p.lat, lng: p.lng },
      radiusM,
      addressKey: p.address_key,
      areaCode: p.area_code,
      since: new Date(Date.now() - windowDays * DAY_MS),
      before: { id: p.id },
      limit: 1,
    });
  // Warm the connection and the plan cache as a running worker would have them.
  for (const p of probes.slice(0, 50)) await search(p);

  ctx.log(`duplicates: ${fmtInt(probes.length)} candidate searches, one at a time`);
  const ms = new Float64Array(probes.length);
  let found = 0;
  for (let i = 0; i < probes.length; i++) {
    if (ctx.aborted) throw new Error('interrupted');
    t = performance.now();
    const rows = await search(probes[i]);
    ms[i] = performance.now() - t;
    if (rows.length) found++;
  }
  const [p50, p99, max] = percentiles(ms, [0.5, 0.99, 1]);
  lines.push(
    `candidate search (radius ${radiusM} m or same address and area, window ${windowDays} days), ${fmtInt(probes.length)} searches: ` +
      `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${fmtMs(max)}; ${fmtInt(found)} found a candidate original`,
  );
  lines.push(`goal: candidate search p99 < ${GOAL_P99_MS} ms at ${fmtInt(count)} open cases: ${met(p99 < GOAL_P99_MS)}`);

  // The same searches timed by the server (planning + execution, EXPLAIN ANALYZE): the database's
  // share, without the round trip and the scheduling of a shared machine.
  const server: number[] = [];
  const timed = {
    query: async (text: string, params: unknown[]) => {
      const [row] = (await run(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${text}`, params)) as {
        'QUERY PLAN': { 'Planning Time': number; 'Execution Time': number }[];
      }[];
      const plan = row['QUERY PLAN'][0];
      server.push(plan['Planning Time'] + plan['Execution Time']);
      return [];
    },
  } as unknown as Sql;
  for (const p of probes.slice(0, 500)) {
    await findDuplicateCandidates(timed, {
      category: p.category_code,
      point: { lat: p.lat, lng: p.lng },
      radiusM,
      addressKey: p.address_key,
      areaCode: p.area_code,
      since: new Date(Date.now() - windowDays * DAY_MS),
      before: { id: p.id },
      limit: 1,
    });
  }
  const [s50, s99] = percentiles(server, [0.5, 0.99]);
  lines.push(`server-side (planning + execution), ${fmtInt(server.length)} of the searches: p50 ${s50.toFixed(2)} ms, p99 ${s99.toFixed(2)} ms`);

  const plan: string[] = [];
  await findDuplicateCandidates(
    { query: async (text: string, params: unknown[]) => plan.push(JSON.stringify(await run(`EXPLAIN (FORMAT JSON) ${text}`, params))) } as unknown as Sql,
    {
      category: probes[0].category_code,
      point: { lat: probes[0].lat, lng: probes[0].lng },
      radiusM,
      addressKey: probes[0].address_key,
      areaCode: probes[0].area_code,
      since: new Date(Date.now() - windowDays * DAY_MS),
      before: { id: probes[0].id },
      limit: 1,
    },
  );
  if (process.env.BENCH_DUPLICATE_EXPLAIN === '1') {
    const probe = probes[1];
    await findDuplicateCandidates(
      {
        query: async (text: string, params: unknown[]) => {
          const rows = (await run(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params)) as { 'QUERY PLAN': string }[];
          ctx.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
          return [];
        },
      } as unknown as Sql,
      {
        category: probe.category_code,
        point: { lat: probe.lat, lng: probe.lng },
        radiusM,
        addressKey: probe.address_key,
        areaCode: probe.area_code,
        since: new Date(Date.now() - windowDays * DAY_MS),
        before: { id: probe.id },
        limit: 1,
      },
    );
  }
  const indexes = [...new Set(plan.join('').match(/cases_[a-z_]+_idx|cases_pkey/g) ?? [])];
  lines.push(`plan: ${indexes.join(', ') || 'no index'}${plan.join('').includes('Seq Scan') ? ' (and a Seq Scan!)' : ', no sequential scan'}`);
  return lines;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}
