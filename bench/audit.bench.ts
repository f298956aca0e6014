import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import {
  AuditChainWalker,
  checkpointMismatch,
  CheckpointStore,
  CheckpointWatch,
  ExportCases,
  GetUnitMetrics,
  parsePeriod,
  SEAL_BATCH,
  SealAuditEvents,
  sealAt,
  UnitFactsUpdater,
  VerifyAuditTrail,
  WalkOrigin,
  WalkResult,
  WalkStart,
} from '@fr/audit';
import { appendAuditEventsInBulk, writeAuditEvent } from '@fr/persistence';
import { createApiApp } from '../apps/api/src/bootstrap';
import { BenchContext, fmtInt, fmtMb, fmtMs, percentiles, runPool } from './support';

const EVENTS_PER_CASE = 10;
const CHUNK = 100_000;
const YEAR = 2025;

/**
 * `BENCH_SCENARIOS=audit`: BENCH_AUDIT_CASES cases (default 1,000,000) over a year, ten audit events
 * each, loaded in bulk by SQL (generate_series) through appendAuditEventsInBulk, then sealed by the
 * sealer (the database's own `audit_chain_v2` window aggregate, form 2, in batches). Then it times what Home
 * Affairs runs: a quarterly unit report, the full-year CSV export and a full verification of the
 * chain (recomputed in TypeScript), and the cost of auditing on the write path (concurrent
 * single-event transactions, with and without the sealing queue). The export and the verification
 * are timed both ways: as they were built first (rows mapped in TypeScript from a cursor; one thread)
 * and as they run now (COPY with the CSV built in SQL; segments in worker threads), plus the
 * verification from a checkpoint BENCH_AUDIT_SINCE_EVENTS (default 100,000) events behind the head.
 * The API's RSS is sampled through the timed part.
 */
export async function runAuditScenario(ctx: BenchContext): Promise<string[]> {
  const cases = positive('BENCH_AUDIT_CASES', process.env.BENCH_AUDIT_CASES, 1_000_000);
  const checkpointDir = mkdtempSync(join(tmpdir(), 'fr_bench_checkpoints_'));
  ctx.defer('remove bench checkpoints', () => rmSync(checkpointDir, { recursive: true, force: true }));
  const app: INestApplication = await createApiApp({ ...ctx.config, checkpointDir });
  ctx.defer('close API', () => app.close());
  const ds = app.get(DataSource);
  const lines: string[] = [];

  ctx.log(`audit: loading ${fmtInt(cases)} cases and ${fmtInt(cases * EVENTS_PER_CASE)} audit events over ${YEAR}`);
  const load = await loadYear(ds, cases, ctx);
  lines.push(
    `load: ${fmtInt(cases)} cases in ${fmtMs(load.casesMs)}; ${fmtInt(load.events)} audit events in ${fmtMs(load.eventsMs)} ` +
      `(${fmtInt(load.events / (load.eventsMs / 1000))} events/s); database ${fmtMb(load.dbBytes)}`,
  );
  ctx.log('audit: sealing the loaded events');
  const t0 = Date.now();
  const sealed = await app.get(SealAuditEvents).sealAll('bench');
  const sealMs = Date.now() - t0;
  lines.push(
    `sealing: ${fmtInt(sealed)} events in ${fmtMs(sealMs)} (${fmtInt(sealed / (sealMs / 1000))} events/s, batches of ${fmtInt(SEAL_BATCH)}, hashes by SQL window aggregate)`,
  );
  // As autovacuum does to a trail that grows by inserts (PostgreSQL 13+): statistics of the sealed
  // trail, not of the empty tables the load began with (with those, the count since a checkpoint
  // planned a scan of every seal, 2026-12-03).
  await ds.query(`VACUUM ANALYZE audit_unsealed, audit_seals, audit_events`);

  ctx.log('audit: the cost of the chain on the write path');
  lines.push(...(await chainCost(ds, ctx)));
  await app.get(SealAuditEvents).sealAll('bench');

  // The bulk load bypassed the write path, but its triggers marked every case pending: the facts
  // are computed here as `npm run rebuild-facts` computes them.
  ctx.log('audit: daily facts from the loaded cases');
  const tf = Date.now();
  const factCases = await app.get(UnitFactsUpdater).rebuild();
  const rebuildMs = Date.now() - tf;
  // As autovacuum would within its next minute: the rebuild left the pending queue's million rows and
  // the totals' superseded versions dead (unit_day_totals 138,125 dead to 11,267 live, the queue 80 MB
  // of dead rows that the report's drain scanned: 150-620 ms, 2026-12-03).
  await ds.query(`VACUUM ANALYZE unit_case_facts, unit_day_totals, unit_day_minutes, unit_facts_pending`);
  const [{ n: factRows }] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM unit_case_facts`);
  lines.push(`daily facts rebuilt from ${fmtInt(factCases)} cases in ${fmtMs(rebuildMs)} (${fmtInt(factRows)} case-unit-day rows)`);

  // The API runs in this process: its RSS, sampled while it reports, exports and verifies the new
  // way (first, since RSS seldom shrinks), then over the old ways too.
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  ctx.defer('stop RSS sampler', () => clearInterval(sampler));

  ctx.log('audit: quarterly unit report (Q2) from the daily facts');
  const metrics = app.get(GetUnitMetrics);
  const q2 = parsePeriod(`${YEAR}-04-01`, `${YEAR}-06-30`);
  let t = Date.now();
  const report = await metrics.execute(q2, new Date(), 'facts');
  const reportMs = Date.now() - t;
  ctx.log('audit: quarterly unit report (Q2) from the raw data');
  t = Date.now();
  const rawReport = await metrics.execute(q2, new Date(), 'raw');
  const rawReportMs = Date.now() - t;
  const sum = (f: (u: (typeof report.units)[number]) => number) => report.units.reduce((s, u) => s + f(u), 0);
  const same = JSON.stringify({ ...report, evaluatedAt: null }) === JSON.stringify({ ...rawReport, evaluatedAt: null });
  lines.push(
    `quarterly unit report (Q2 ${YEAR}, ${report.units.length} units) from the daily facts: ${fmtMs(reportMs)} (goal < 2 s at 1,000,000 cases); ` +
      `from the raw data: ${fmtMs(rawReportMs)}; ${same ? 'the same report' : 'THE REPORTS DIFFER!'}; received ${fmtInt(sum((u) => u.received))}, ` +
      `resolved ${fmtInt(sum((u) => u.resolved))} (${fmtInt(sum((u) => u.resolvedLate))} late), transfers ${fmtInt(sum((u) => u.transfersOut))}`,
  );

  const year = { period: parsePeriod(`${YEAR}-01-01`, `${YEAR}-12-31`) };
  const exporter = app.get(ExportCases);
  ctx.log('audit: full-year CSV export through COPY');
  let copyBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      copyBytes += chunk.length;
      done(ctx.aborted ? new Error('interrupted') : null);
    },
  });
  t = Date.now();
  const copyRows = await exporter.execute(year, sink);
  const copyMs = Date.now() - t;

  const config = app.get<AppConfig>(APP_CONFIG);
  ctx.log(`audit: full chain verification in ${config.auditVerifyThreads} segments`);
  t = Date.now();
  const verified = await app.get(VerifyAuditTrail).execute();
  const verifyMs = Date.now() - t;
  if (!verified.ok) throw new Error(`the loaded trail does not verify: ${verified.reason}`);

  const since = positive('BENCH_AUDIT_SINCE_EVENTS', process.env.BENCH_AUDIT_SINCE_EVENTS, 100_000);
  const headSeq = BigInt(verified.head.lastSeq);
  const cpSeq = headSeq > BigInt(since) ? headSeq - BigInt(since) : 1n;
  const seal = await sealAt(ds, cpSeq);
  if (!seal) throw new Error(`no seal at position ${cpSeq}`);
  // A checkpoint as the sealer would have left it a day's events ago.
  await app
    .get(CheckpointStore)
    .write({ lastId: seal.event_id, seq: cpSeq.toString(), hash: seal.hash.toString('hex'), count: cpSeq.toString(), writtenAt: new Date().toISOString() });
  ctx.log(`audit: verification since a checkpoint ${fmtInt(Number(headSeq - cpSeq))} events behind the head`);
  t = Date.now();
  const incremental = await app.get(VerifyAuditTrail).execute({ since: 'checkpoint' });
  const incrementalMs = Date.now() - t;
  const newPathsRss = peakRss;

  ctx.log('audit: full-year CSV export, rows mapped in TypeScript (as first built)');
  let bytes = 0;
  t = Date.now();
  const rows = await exporter.executeByRows(year, {
    write: async (text) => {
      bytes += Buffer.byteLength(text);
      return !ctx.aborted;
    },
  });
  const exportMs = Date.now() - t;

  ctx.log('audit: full chain verification in one thread, every event hashed in TypeScript (as first built)');
  const single = new VerifyAuditTrail(ds, new RowByRowWalker(ds), app.get(CheckpointStore), config);
  t = Date.now();
  const verifiedOne = await single.execute();
  const verifyOneMs = Date.now() - t;
  clearInterval(sampler);

  lines.push(
    `full CSV export, rows mapped in TypeScript (as first built): ${fmtInt(rows)} cases, ${fmtMb(bytes)} in ${fmtMs(exportMs)} (${fmtInt(rows / (exportMs / 1000))} rows/s)`,
    `full CSV export through COPY ... TO STDOUT: ${fmtInt(copyRows)} cases, ${fmtMb(copyBytes)} in ${fmtMs(copyMs)} (${fmtInt(copyRows / (copyMs / 1000))} rows/s; goal >= 150,000)` +
      (copyBytes === bytes ? ', the same bytes' : ` (${fmtInt(copyBytes - bytes)} bytes off the row-mapped export!)`),
    `full chain verification, one thread, every event hashed in TypeScript (as first built): ${fmtInt(verifiedOne.checked)} events in ${fmtMs(verifyOneMs)} ` +
      `(${fmtInt(verifiedOne.checked / (verifyOneMs / 1000))} events/s), ok=${verifiedOne.ok}`,
    `full chain verification, ${config.auditVerifyThreads} segments in worker threads, pages hashed in PostgreSQL: ${fmtInt(verified.checked)} events in ${fmtMs(verifyMs)} ` +
      `(${fmtInt(verified.checked / (verifyMs / 1000))} events/s; goal >= 400,000), ok=${verified.ok}`,
    `verification since the checkpoint: ${fmtInt(incremental.checked)} events in ${fmtMs(incrementalMs)} (goal < 1 s for 100,000), ok=${incremental.ok}` +
      (incremental.ok ? '' : ` first broken ${incremental.firstBrokenEventId}: ${incremental.reason}`),
    `API RSS: peak ${fmtMb(newPathsRss)} through the report, the COPY export and the verifications in segments and since the checkpoint (goal < 400 MB); ` +
      `${fmtMb(peakRss)} with the row-mapped export and the one-thread verification after them`,
  );
  return lines;
}

/** The verifier as first built: every seal read into TypeScript and hashed there, in one thread. */
class RowByRowWalker extends AuditChainWalker {
  override check(range: WalkStart, origin: WalkOrigin, watch: CheckpointWatch | null): Promise<WalkResult> {
    return this.walk(range, origin, (r) => checkpointMismatch(r, watch));
  }
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

/**
 * One plan row per case (its units, times and fate, drawn from hashes of its number), then cases,
 * assignments, state log, pauses and events from the plan, CHUNK cases at a time.
 */
export async function loadYear(ds: DataSource, n: number, ctx: BenchContext) {
  const start = `${YEAR}-01-01 07:00+07`;
  await ds.query(`DROP TABLE IF EXISTS bench_audit_plan`);
  await ds.query(
    `CREATE UNLOGGED TABLE bench_audit_plan AS
     WITH u AS (SELECT array_agg(code ORDER BY code) AS codes FROM units WHERE active AND handler_id IS NOT NULL AND kind <> 'office'),
     base AS (
       SELECT g, (hashint4(g)::bigint & 2147483647) % 1000 AS h, (hashint4(g + 7919)::bigint & 2147483647) AS h2,
              $2::timestamptz + (g - 1) * (interval '364 days' / $1::int) AS t0
         FROM generate_series(1, $1::int) g)
     SELECT g, gen_random_uuid() AS id, 'A' || lpad(g::text, 10, '0') AS tracking,
            u.codes[1 + h2 % array_length(u.codes, 1)] AS unit_a,
            CASE WHEN h < 80 THEN u.codes[1 + (h2 + 1) % array_length(u.codes, 1)] END AS unit_b,
            t0, h,
            h < 80 AS transferred, h % 20 = 0 AS late_ack, (h / 7) % 7 = 0 AS late_resolve, h % 33 = 1 AS extended,
            h % 50 = 2 AS reopened, h % 100 = 2 AS late_reopen, t0 > $2::timestamptz + interval '350 days' AND h % 3 = 0 AS open,
            CASE WHEN h % 10 < 6 THEN 1 + h % 5 END AS rating
       FROM base, u`,
    [n, start],
  );
  await ds.query(`
    ALTER TABLE bench_audit_plan
      ADD COLUMN transfer_at timestamptz, ADD COLUMN ack_at timestamptz, ADD COLUMN res1_at timestamptz, ADD COLUMN reopen_at timestamptz,
      ADD COLUMN res2_at timestamptz, ADD COLUMN closed_at timestamptz, ADD COLUMN unit_final varchar(40)`);
  await ds.query(`
    UPDATE bench_audit_plan SET
      -- A quarter of the transfers after the first unit's receive deadline (t0 + 1 day): passed on late.
      transfer_at = CASE WHEN transferred THEN t0 + CASE WHEN h < 20 THEN interval '30 hours' ELSE interval '2 hours' END END,
      ack_at = COALESCE(CASE WHEN transferred THEN t0 + CASE WHEN h < 20 THEN interval '30 hours' ELSE interval '2 hours' END END, t0)
               + interval '1 hour' + CASE WHEN late_ack THEN interval '2 days' ELSE interval '0' END,
      unit_final = COALESCE(unit_b, unit_a)`);
  await ds.query(`
    UPDATE bench_audit_plan SET
      res1_at = CASE WHEN NOT open THEN ack_at + CASE WHEN late_resolve THEN interval '9 days' ELSE (1 + h % 4) * interval '1 day' END END`);
  await ds.query(`
    UPDATE bench_audit_plan SET
      reopen_at = CASE WHEN reopened AND NOT open THEN res1_at + interval '1 day' END,
      res2_at = CASE WHEN reopened AND NOT open THEN res1_at + interval '2 days' END,
      closed_at = CASE WHEN NOT open AND NOT reopened THEN res1_at + interval '1 day' END`);
  await ds.query(`CREATE INDEX ON bench_audit_plan (g)`);

  // The state log is written here with the times of the plan, not by the trigger at load time.
  await ds.query(`ALTER TABLE cases DISABLE TRIGGER cases_state_log_insert`);
  let casesMs = 0;
  let eventsMs = 0;
  let events = 0;
  try {
    for (let lo = 1; lo <= n; lo += CHUNK) {
      if (ctx.aborted) throw new Error('interrupted');
      const hi = Math.min(n, lo + CHUNK - 1);
      let t = Date.now();
      await ds.query(
        `INSERT INTO cases (id, tracking_code, channel_code, category_code, description, status, severity, unit_code, handler_id, leader_id,
                            submitted_at, received_at, routed_at, acknowledged_at, resolved_at, closed_at, transfer_count, extension_count,
                            reopen_count, rating, rated_at, stage, stage_started_at, due_at, warn_at, updated_at, units_path, last_resolve_on_time)
         SELECT p.id, p.tracking, 'ihanoi', 'sidewalk_encroachment', 'Lấn chiếm vỉa hè (bench)',
                CASE WHEN p.open THEN 'in_progress' WHEN p.reopened THEN 'resolved' ELSE 'closed' END, 'normal',
                p.unit_final, u.handler_id, u.leader_id, p.t0, p.t0, p.t0, p.ack_at, COALESCE(p.res2_at, p.res1_at), p.closed_at,
                p.transferred::int, p.extended::int, p.reopened::int,
                CASE WHEN p.closed_at IS NOT NULL THEN p.rating END, CASE WHEN p.closed_at IS NOT NULL AND p.rating IS NOT NULL THEN p.closed_at END,
                CASE WHEN p.open THEN 'resolve' END, CASE WHEN p.open THEN p.ack_at END,
                CASE WHEN p.open THEN p.ack_at + interval '7 days' END, CASE WHEN p.open THEN p.ack_at + interval '5 days' END,
                COALESCE(p.closed_at, p.res2_at, p.ack_at),
                -- What the write paths keep on the case, from the assignments and resolve events loaded below
                -- (the bench's export compares its bytes with the row-mapped export, which computes them).
                p.unit_a || CASE WHEN p.transferred THEN ' > ' || p.unit_b ELSE '' END,
                CASE WHEN p.open THEN NULL WHEN p.reopened THEN NOT p.late_reopen ELSE NOT p.late_resolve END
           FROM bench_audit_plan p JOIN units u ON u.code = p.unit_final WHERE p.g BETWEEN $1 AND $2`,
        [lo, hi],
      );
      await ds.query(
        `INSERT INTO assignments (case_id, unit_code, reason, started_at, ended_at, passed_due_at)
         SELECT id, unit_a, 'route', t0, transfer_at, NULL::timestamptz FROM bench_audit_plan WHERE g BETWEEN $1 AND $2
         UNION ALL SELECT id, unit_b, 'transfer', transfer_at, NULL, t0 + interval '1 day' FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND transferred`,
        [lo, hi],
      );
      await ds.query(
        `INSERT INTO case_pauses (case_id, stage, started_at, ended_at)
         SELECT id, 'resolve', ack_at + interval '3 hours', ack_at + interval '5 hours' FROM bench_audit_plan WHERE g BETWEEN $1 AND $2`,
        [lo, hi],
      );
      await ds.query(
        `INSERT INTO case_state_log (case_id, at, status, stage, unit_code, due_at, warn_at)
         SELECT id, t0, 'assigned', 'receive', unit_a, t0 + interval '1 day', t0 + interval '6 hours' FROM bench_audit_plan WHERE g BETWEEN $1 AND $2
         UNION ALL SELECT id, transfer_at, 'assigned', 'receive', unit_b, transfer_at + interval '1 day', transfer_at + interval '6 hours'
           FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND transferred
         UNION ALL SELECT id, ack_at, 'in_progress', 'resolve', unit_final, ack_at + interval '7 days', ack_at + interval '5 days'
           FROM bench_audit_plan WHERE g BETWEEN $1 AND $2
         UNION ALL SELECT id, res1_at, 'resolved', NULL, unit_final, NULL, NULL FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND res1_at IS NOT NULL
         UNION ALL SELECT id, reopen_at, 'in_progress', 'resolve', unit_final,
                          reopen_at + CASE WHEN late_reopen THEN interval '12 hours' ELSE interval '7 days' END,
                          reopen_at + CASE WHEN late_reopen THEN interval '6 hours' ELSE interval '5 days' END
           FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND reopen_at IS NOT NULL
         UNION ALL SELECT id, res2_at, 'resolved', NULL, unit_final, NULL, NULL FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND res2_at IS NOT NULL
         UNION ALL SELECT id, closed_at, 'closed', NULL, unit_final, NULL, NULL FROM bench_audit_plan WHERE g BETWEEN $1 AND $2 AND closed_at IS NOT NULL`,
        [lo, hi],
      );
      casesMs += Date.now() - t;

      t = Date.now();
      events += await ds.transaction(
        async (m) =>
          (
            await appendAuditEventsInBulk(
              m,
              `SELECT row_number() OVER (ORDER BY p.g, k.k) AS n, p.id AS case_id, e.actor, e.action, e.from_state, e.to_state, NULL::text AS reason,
                  e.data, e.at AS occurred_at
             FROM bench_audit_plan p
             CROSS JOIN generate_series(0, ${EVENTS_PER_CASE - 1}) AS k(k)
             CROSS JOIN LATERAL (
               SELECT * FROM (VALUES
                 (0, 'channel:ihanoi', 'receive', NULL, 'received', p.t0, jsonb_build_object('category', 'sidewalk_encroachment')),
                 (1, 'system:router', 'route', 'received', 'assigned', p.t0, jsonb_build_object('unitCode', p.unit_a, 'ruleId', 'sidewalk-to-ward')),
                 (2, 'officer:bench', CASE WHEN p.transferred THEN 'transfer' ELSE 'note' END, 'assigned', 'assigned',
                     COALESCE(p.transfer_at, p.t0 + interval '30 minutes'),
                     CASE WHEN p.transferred THEN jsonb_build_object('fromUnit', p.unit_a, 'toUnit', p.unit_b) ELSE jsonb_build_object('messageId', p.g) END),
                 (3, 'officer:bench', 'acknowledge', 'assigned', 'in_progress', p.ack_at, jsonb_build_object('severity', 'normal')),
                 (4, 'officer:bench', 'request-info', 'in_progress', 'awaiting_info', p.ack_at + interval '3 hours', jsonb_build_object('paused', 'resolve')),
                 (5, 'citizen:ihanoi', 'supply-info', 'awaiting_info', 'in_progress', p.ack_at + interval '5 hours', jsonb_build_object('resumed', 'resolve')),
                 (6, 'officer:bench', CASE WHEN p.extended THEN 'extend' ELSE 'note' END, 'in_progress', 'in_progress', p.ack_at + interval '1 day',
                     CASE WHEN p.extended THEN jsonb_build_object('addedWorkingMinutes', 480) ELSE jsonb_build_object('messageId', p.g) END),
                 (7, 'officer:bench', CASE WHEN p.open THEN 'note' ELSE 'resolve' END, 'in_progress', CASE WHEN p.open THEN 'in_progress' ELSE 'resolved' END,
                     COALESCE(p.res1_at, p.ack_at + interval '2 days'), jsonb_build_object('onTime', NOT p.late_resolve, 'attachments', 1)),
                 (8, CASE WHEN p.reopened THEN 'citizen:ihanoi' ELSE 'system:rating' END,
                     CASE WHEN p.open THEN 'note' WHEN p.reopened THEN 'reopen' ELSE 'rate' END, 'resolved',
                     CASE WHEN p.reopened THEN 'in_progress' ELSE 'resolved' END,
                     COALESCE(p.reopen_at, p.closed_at, p.ack_at + interval '3 days'), jsonb_build_object('score', p.rating)),
                 (9, 'officer:bench', CASE WHEN p.open THEN 'note' WHEN p.reopened THEN 'resolve' ELSE 'close' END,
                     CASE WHEN p.reopened THEN 'in_progress' ELSE 'resolved' END, CASE WHEN p.reopened THEN 'resolved' ELSE 'closed' END,
                     COALESCE(p.res2_at, p.closed_at, p.ack_at + interval '4 days'), jsonb_build_object('onTime', NOT (p.reopened AND p.late_reopen)))
               ) AS v(k, actor, action, from_state, to_state, at, data) WHERE v.k = k.k
             ) e
            WHERE p.g BETWEEN ${lo} AND ${hi}`,
            )
          ).count,
      );
      eventsMs += Date.now() - t;
      ctx.log(`audit: ${fmtInt(hi)} cases, ${fmtInt(events)} events loaded`);
    }
  } finally {
    await ds.query(`ALTER TABLE cases ENABLE TRIGGER cases_state_log_insert`);
  }
  await ds.query(`DROP TABLE bench_audit_plan`);
  await ds.query(`ANALYZE`);
  const [{ bytes }] = await ds.query<{ bytes: number }[]>(`SELECT pg_database_size(current_database())::float8 AS bytes`);
  return { casesMs, eventsMs, events, dbBytes: bytes };
}

/**
 * Writers of one-event transactions, all at once: through writeAuditEvent (the event and its place
 * in the sealing queue) and, for comparison, a plain INSERT into a copy of the table without the queue.
 */
async function chainCost(ds: DataSource, ctx: BenchContext): Promise<string[]> {
  const writers = ctx.config.dbPoolSize;
  const perWriter = 200;
  await ds.query(`CREATE TABLE bench_audit_plain (LIKE audit_events INCLUDING DEFAULTS)`);
  await ds.query(`CREATE SEQUENCE bench_audit_plain_seq`);
  await ds.query(`ALTER TABLE bench_audit_plain ALTER COLUMN id SET DEFAULT nextval('bench_audit_plain_seq')`);
  const run = async (label: string, write: (i: number) => Promise<unknown>) => {
    const ms = new Float64Array(writers * perWriter);
    const t = Date.now();
    await runPool(
      writers * perWriter,
      writers,
      async (i) => {
        const s = performance.now();
        await write(i);
        ms[i] = performance.now() - s;
      },
      () => ctx.aborted,
    );
    const elapsed = (Date.now() - t) / 1000;
    const [p50, p95] = percentiles(ms, [0.5, 0.95]);
    return `${label}: ${fmtInt(ms.length / elapsed)} events/s, p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`;
  };
  const data = { unitCode: 'P_BACH_KHOA', note: 'Kiểm tra hiện trường' };
  const plain = await run('  plain INSERT', (i) =>
    ds.transaction((m) =>
      m.query(`INSERT INTO bench_audit_plain (case_id, actor, action, data) VALUES (NULL, $1, 'bench', $2)`, [`officer:${i}`, JSON.stringify(data)]),
    ),
  );
  const chained = await run('  writeAuditEvent (queued for the sealer)', (i) =>
    ds.transaction((m) => writeAuditEvent(m, { caseId: null, actor: `officer:${i}`, action: 'bench', data })),
  );
  await ds.query(`DROP TABLE bench_audit_plain`);
  await ds.query(`DROP SEQUENCE bench_audit_plain_seq`);
  return [`audit cost on the write path (${writers} concurrent writers x ${perWriter} one-event transactions):`, plain, chained];
}
