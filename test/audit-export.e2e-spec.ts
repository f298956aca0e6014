import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { get as httpGet, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'pg';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { EXPORT_SPILL_PREFIX, ExportCases, parsePeriod } from '@fr/audit';
import { ReadDatabase } from '@fr/persistence';
import { adminToken, bearer, createOfficer, exportColumnsOffDefinition, TestEngine, waitFor } from '@fr/testing';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CASES = 200_000;
const CITIZEN_NAME = 'Nguyễn Thị Thanh Xuân';
const CITIZEN_PHONE = '0912345678';
const CITIZEN_EMAIL = 'xuan.nguyen@example.vn';
const MB = 1024 * 1024;

describe('the case export', () => {
  let engine: TestEngine;
  let auditor: string;
  let port: number;
  // This file's own directory for the export's spill files (FR_EXPORT_SPILL_DIR).
  const spillRoot = mkdtempSync(join(tmpdir(), 'audit-export-spec-'));

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false, env: { FR_EXPORT_SPILL_DIR: spillRoot } });
    const admin = await adminToken(engine);
    auditor = (await createOfficer(engine, admin, { username: 'nv.export', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    // 200,000 cases over January 2025, spread over the wards, each with its assignment (and its units path, as routing writes it).
    // One connection, its row triggers off (session_replication_role; the engine's own superuser
    // connection): they keep the state log and the daily facts, which the export never reads, and were
    // most of this set-up's minute. Ids time-ordered as the engine makes them (newCaseId, UUID version 7:
    // the millisecond of receipt first), so every index led by the id takes each case at its right-hand
    // end: the column's default, random ids, cost about 5 s more of the backend's CPU (9 to 11 s against
    // 16 to 19 s for the insert, load average 8, measured apart). The wards are read once, not once a case.
    await engine.query(`
      SET session_replication_role = replica;
      INSERT INTO cases (id, tracking_code, channel_code, category_code, description, title, address, citizen_name, citizen_phone, citizen_email,
                         status, severity, unit_code, handler_id, submitted_at, received_at, routed_at, acknowledged_at, resolved_at,
                         closed_at, rating, answer, units_path)
      SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '70008' || lpad(to_hex(g), 15, '0'))::uuid,
             'E' || lpad(g::text, 10, '0'), 'ihanoi', 'sidewalk_encroachment',
             'Hàng quán lấn chiếm vỉa hè, liên hệ ${CITIZEN_NAME} ${CITIZEN_PHONE}', 'Vỉa hè ${CITIZEN_NAME}', 'Số ' || g || ' Tạ Quang Bửu',
             '${CITIZEN_NAME}', '${CITIZEN_PHONE}', '${CITIZEN_EMAIL}',
             'closed', 'normal', u.code, u.handler_id, t, t, t, t + interval '1 hour', t + interval '1 day', t + interval '2 days',
             1 + g % 5, 'Đã trả lời ${CITIZEN_NAME} qua số ${CITIZEN_PHONE}', u.code
        FROM (SELECT array_agg(code ORDER BY code) AS codes, array_agg(handler_id ORDER BY code) AS handlers FROM units WHERE kind = 'ward') w,
             generate_series(1, ${CASES}) g
        CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 08:00+07' + (g * interval '13 seconds') AS t) ts
        CROSS JOIN LATERAL (SELECT w.codes[1 + g % 18] AS code, w.handlers[1 + g % 18] AS handler_id) u;
      INSERT INTO assignments (case_id, unit_code, handler_id, reason, started_at) SELECT id, unit_code, handler_id, 'route', received_at FROM cases;
      SET session_replication_role = origin`);
    const app = engine.api.getHttpServer() as Server;
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    port = (app.address() as AddressInfo).port;
  }, 300_000); // 200,000 cases: well under the default minute alone, not always beside other suites on two shared cores
  afterAll(async () => {
    await engine?.close();
    rmSync(spillRoot, { recursive: true, force: true });
  });

  /**
   * The spill files this process holds open: unlinked as soon as they are open, they exist only as
   * descriptors (/proc/self/fd links to '<path> (deleted)'); and whatever is left in their directory.
   */
  const spillsHeld = () =>
    readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return ''; // closed meanwhile (the directory's own descriptor)
        }
      })
      .filter((link) => link.startsWith(join(spillRoot, EXPORT_SPILL_PREFIX)));
  /** Waits, by polling, until no spill file is held open by the export nor left on disk. */
  const noSpillLeft = () =>
    waitFor(
      () => Promise.resolve([...spillsHeld(), ...readdirSync(spillRoot)]),
      (left) => left.length === 0,
      { what: 'no spill file held or left' },
    );

  it('streams 200,000 cases in bounded memory, as UTF-8 with BOM, Vietnamese intact, without names or phone numbers', async () => {
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    // What the export holds, not the garbage it leaves: collect, then sample, every 2 MB the client
    // reads. Tied to the bytes, not to a timer: a timer's count depends on how fast the export runs and
    // its collections, on a loaded machine, starved the stream; these only slow the reader, which is
    // what backpressure must absorb without buffering.
    let samples = 0;
    let nextSampleAt = 0;
    const collect = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      samples++;
    };

    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet({ port, host: '127.0.0.1', path: '/v1/audits/cases?from=2025-01-01&to=2025-01-31&format=csv', headers: bearer(auditor) }, resolve).on(
        'error',
        reject,
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');

    // Read it the way a spreadsheet would, without keeping it: count rows, look for what must not be there.
    const decoder = new StringDecoder('utf8');
    let first: Buffer | null = null;
    let tail = '';
    let lines = 0;
    let bytes = 0;
    let header = '';
    let sample = '';
    const leaks = new Set<string>();
    for await (const chunk of res as AsyncIterable<Buffer>) {
      first ??= chunk.subarray(0, 3);
      bytes += chunk.length;
      if (bytes >= nextSampleAt) {
        collect();
        nextSampleAt = bytes + 2 * MB;
      }
      const text = tail + decoder.write(chunk);
      for (const secret of [CITIZEN_NAME, CITIZEN_PHONE, CITIZEN_EMAIL, 'Thanh Xuân', '09******78', 'Tạ Quang Bửu'])
        if (text.includes(secret)) leaks.add(secret);
      const parts = text.split('\r\n');
      tail = parts.pop()!;
      if (!header) header = parts[0];
      if (!sample && parts.length > 2) sample = parts[2];
      lines += parts.length;
    }

    expect([...first!]).toEqual([0xef, 0xbb, 0xbf]);
    expect(tail).toBe('');
    expect(lines).toBe(CASES + 1);
    expect(leaks).toEqual(new Set());
    expect(header.replace('\uFEFF', '').split(',')).toEqual(
      expect.arrayContaining(['case_id', 'tracking_code', 'received_at', 'unit', 'handler_account', 'due_at', 'outcome']),
    );
    expect(header).not.toMatch(/citizen|phone|email|name|description|address/);
    expect(sample).toMatch(/,Phường [^,]+,/); // unit names in Vietnamese, intact
    expect(sample).toMatch(/Lấn chiếm vỉa hè|vỉa hè/i);
    expect(sample).toMatch(/,2025-01-01T08:00:\d\d\+07:00,/);
    const growth = (peak - baseline) / MB;
    console.log(`export: ${CASES} rows, ${(bytes / MB).toFixed(1)} MB streamed, peak heap ${growth.toFixed(1)} MB over baseline (${samples} samples after GC)`);
    expect(bytes / MB).toBeGreaterThan(40); // far more than the bound below: a buffered export could not pass
    expect(samples).toBeGreaterThan(30);
    expect(growth).toBeLessThan(50);
  }, 180_000); // 200,000 rows with a full GC every 2 MB read: about 20 s alone on 2 cores, more beside other suites

  it('filters by a unit that owned the case, and quotes fields per RFC 4180', async () => {
    await engine.query(`UPDATE categories SET name = 'Lấn chiếm vỉa hè, lòng đường "trái phép"' WHERE code = 'sidewalk_encroachment'`);
    const res = await engine
      .http()
      .get('/v1/audits/cases?from=2025-01-01T08:00:00%2B07:00&to=2025-01-01T09:00:00%2B07:00&unit=P_BACH_KHOA')
      .set(bearer(auditor))
      .buffer(true)
      .parse((r, cb) => {
        let s = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (s += c));
        r.on('end', () => cb(null, s));
      });
    expect(res.status).toBe(200);
    const rows = (res.body as string).slice(1).split('\r\n').filter(Boolean);
    // One case every 13 s, one ward in 18: 276 cases in the hour, 15 or 16 of them Bách Khoa's.
    expect(rows.length - 1).toBeGreaterThanOrEqual(15);
    expect(rows.length - 1).toBeLessThanOrEqual(16);
    expect(rows[1]).toContain(',"Lấn chiếm vỉa hè, lòng đường ""trái phép""",');
    expect(rows[1]).toContain(',P_BACH_KHOA,Phường Bách Khoa,P_BACH_KHOA,p.bach.khoa.handler,');
    expect((await engine.http().get('/v1/audits/cases?from=2025-01-01&to=2025-01-31&unit=NOPE').set(bearer(auditor))).status).toBe(404);
  });

  it('gives the bytes the row-by-row export gave: formula cells, quotes, line breaks, empty cells and every outcome', async () => {
    await engine.query(`UPDATE categories SET name = E'=Lấn chiếm, "vỉa hè"\\nxuống dòng \\\\ gạch' WHERE code = 'sidewalk_encroachment'`);
    await engine.query(`
      INSERT INTO cases (tracking_code, channel_code, category_code, description, status, severity, unit_code, handler_id, area_code,
                         submitted_at, received_at, routed_at, acknowledged_at, resolved_at, closed_at, stage, due_at, transfer_count, rating)
      SELECT v.code, 'ihanoi', 'sidewalk_encroachment', 'x', v.status, 'normal', v.unit, u.handler_id, NULL,
             t, t, t, CASE WHEN v.status <> 'assigned' THEN t + interval '1 hour' END, CASE WHEN v.status = 'resolved' THEN t + interval '1 day' END, NULL,
             v.stage, v.due, v.n, NULL
        FROM (VALUES ('=1+2', 'in_progress', 'P_BACH_KHOA', 'resolve', timestamptz '2025-02-03 10:00:00.123456+07', 1),
                     ('-5,"a"', 'in_progress', 'P_BACH_KHOA', 'resolve', timestamptz '2999-01-01 00:00+07', 2),
                     ('@x', 'assigned', NULL, 'receive', NULL, 0),
                     ('old', 'in_progress', 'P_BACH_KHOA', 'resolve', timestamptz '1969-12-31 23:59:59.999999+07', 0),
                     (E'tab\\there', 'resolved', 'P_BACH_KHOA', NULL, NULL, 0),
                     (E'\\tplain', 'resolved', 'P_BACH_KHOA', NULL, NULL, 0)) AS v(code, status, unit, stage, due, n)
        CROSS JOIN LATERAL (SELECT timestamptz '2025-02-01 08:00:00.999999+07' + (length(v.code) * interval '1 minute') AS t) ts
        LEFT JOIN units u ON u.code = v.unit`);
    await engine.query(
      `INSERT INTO audit_events (case_id, actor, action, data) SELECT id, 'officer:x', 'resolve', '{"onTime": false}' FROM cases WHERE tracking_code = E'tab\\there'`,
    );
    // A path of two units (a designation change between them is not in it); the resolve event's flag.
    // Inserted as raw rows, so the case columns are set here as the write paths set them.
    await engine.query(
      `INSERT INTO assignments (case_id, unit_code, reason, started_at)
       SELECT c.id, v.unit, v.reason, c.received_at FROM cases c,
              (VALUES (1, 'P_BACH_KHOA', 'route'), (2, 'P_BACH_KHOA', 'designation'), (3, 'P_THANH_NHAN', 'transfer')) AS v(n, unit, reason)
        WHERE c.tracking_code = '=1+2' ORDER BY v.n`,
    );
    await engine.query(`UPDATE cases SET units_path = 'P_BACH_KHOA > P_THANH_NHAN' WHERE tracking_code = '=1+2'`);
    await engine.query(`UPDATE cases SET last_resolve_on_time = false WHERE tracking_code = E'tab\\there'`);
    // Cases the unit never answered: two duplicates (merged; closed with the original's answer) and one sent to another track.
    await engine.query(`
      INSERT INTO cases (tracking_code, channel_code, category_code, description, status, severity, unit_code, submitted_at, received_at,
                         routed_at, closed_at, closed_as, duplicate_of)
      SELECT v.code, 'ihanoi', 'sidewalk_encroachment', 'x', v.status, 'normal', 'P_BACH_KHOA', t, t, t, v.closed, v.closed_as,
             CASE WHEN v.dup THEN (SELECT id FROM cases WHERE tracking_code = '=1+2') END
        FROM (VALUES ('dup-merged', 'merged', NULL::timestamptz, NULL, true),
                     ('dup-closed', 'closed', timestamptz '2025-02-02 08:00+07', 'duplicate', true),
                     ('other-track', 'closed', timestamptz '2025-02-02 08:00+07', 'other_track', false)) AS v(code, status, closed, closed_as, dup)
        CROSS JOIN LATERAL (SELECT timestamptz '2025-02-01 09:00+07' + (length(v.code) * interval '1 minute') AS t) ts`);
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
    const period = parsePeriod('2025-02-01', '2025-02-01');
    let reference = '';
    await engine.api.get(ExportCases).executeByRows({ period }, { write: (t) => Promise.resolve(((reference += t), true)) });
    const res = await engine
      .http()
      .get('/v1/audits/cases?from=2025-02-01&to=2025-02-01')
      .set(bearer(auditor))
      .buffer(true)
      .parse((r, cb) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => cb(null, body));
      });
    expect(res.status).toBe(200);
    expect(reference.split('\r\n').length).toBe(11);
    // Neither a merged duplicate nor a case sent to another track counts as resolved or open.
    // A record ends at CRLF (the category's own line break is a bare LF, inside quotes).
    const rest = (code: string) => reference.slice(reference.indexOf(`,${code},`)).split('\r\n')[0];
    expect(rest('dup-merged')).toMatch(/,merged,$/);
    expect(rest('dup-closed')).toMatch(/,merged,$/);
    expect(rest('other-track')).toMatch(/,other_track,$/);
    // Hanoi times cut to the second, before 1970 and far ahead too.
    for (const time of [',1969-12-31T23:59:59+07:00,', ',2999-01-01T00:00:00+07:00,', ',2025-02-03T10:00:00+07:00,']) expect(reference).toContain(time);
    expect(reference).toMatch(/open_overdue.*\r\n.*open,/s);
    expect(reference).toContain(',P_BACH_KHOA > P_THANH_NHAN,');
    expect(reference).toContain(',resolved_late,');
    for (const cell of [",'\tplain,", ",'=1+2,", `,"'-5,""a""",`, ",'@x,", `,"'=Lấn chiếm, ""vỉa hè""\nxuống dòng \\ gạch",`]) {
      expect(reference).toContain(cell);
    }
    expect(res.body).toBe(reference);
  });

  /** The backends running an export's COPY now, each with its part (1 or 2). */
  const copying = () =>
    engine.query<{ pid: number; part: number }>(
      `SELECT pid, substring(query FROM 'part (\\d)')::int AS part FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY (/* cases export, part _ of _ */%'`,
    );
  let reading: IncomingMessage | undefined;
  // A test that fails while an export is paused must not leave it to hold the engine open.
  afterEach(() => reading?.destroy());
  /**
   * Waits, by polling, until none of these backends is connected and the read pool holds no connection
   * checked out. `done`: backends whose part was all on disk before the failure may instead be back in
   * the pool, idle (their transaction committed as soon as their part was spilled).
   */
  const freed = async (pids: number[], done: number[] = []) => {
    await waitFor(
      () =>
        engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND (state <> 'idle' OR NOT pid = ANY($2))`, [
          pids,
          done,
        ]),
      (r) => r[0].n === 0,
      { what: `the export's backends ${pids.join(', ')} gone` },
    );
    const pool = ((await engine.api.get(ReadDatabase).source()).driver as PostgresDriver).master as Pool;
    await waitFor(
      () => Promise.resolve(pool.totalCount - pool.idleCount),
      (busy) => busy === 0,
      { what: 'no read connection checked out' },
    );
    // The pool still serves exports.
    const again = await engine.http().get('/v1/audits/cases?from=2025-01-01T08:00:00%2B07:00&to=2025-01-01T08:10:00%2B07:00').set(bearer(auditor));
    expect(again.status).toBe(200);
    expect((again.text.match(/\r\n/g) ?? []).length).toBeGreaterThanOrEqual(1 + 46); // one case every 13 s
  };
  /** An export of the month, paused at its first bytes, both its COPYs running. */
  const startExport = async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet({ port, host: '127.0.0.1', path: '/v1/audits/cases?from=2025-01-01&to=2025-01-31', headers: bearer(auditor) }, resolve).on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    await new Promise((resolve) => res.once('data', resolve));
    res.pause();
    reading = res;
    // The month is split in two halves, each COPYing in its own backend from the start.
    const backends = await waitFor(copying, (r) => r.length === 2, { what: 'two COPY backends' });
    return { res, backends, pid: (part: number) => backends.find((b) => b.part === part)!.pid };
  };

  it('a client that goes away mid-export (in the first half) ends both COPYs, frees both connections and the spill file', async () => {
    const { res, backends, pid } = await startExport();
    // The second half is being written to its spill file meanwhile (its writer and reader open), or is all there (its reader).
    expect(spillsHeld().length).toBeGreaterThan(0);
    res.destroy();
    await freed(
      backends.map((b) => b.pid),
      [pid(2)],
    );
    await noSpillLeft();
  });

  it('a client that goes away in the second half, read from the spill file, frees the connections and the file', async () => {
    const { res, pid } = await startExport();
    let lines = 0;
    let held: string[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) {
      lines += chunk.toString('latin1').split('\r\n').length - 1;
      if (lines > CASES * 0.6) {
        held = spillsHeld();
        break; // destroys the response
      }
    }
    // The second half, all on disk, was being read back: its reader open (its writer closed). Both halves'
    // connections were back in the pool by then, their transactions ended: the first's as soon as it was sent.
    expect(held).toHaveLength(1);
    expect(lines).toBeLessThan(CASES);
    await freed([pid(1), pid(2)], [pid(1), pid(2)]);
    await noSpillLeft();
  });

  it.each(['pg_cancel_backend', 'pg_terminate_backend'])(
    'a half that fails (%s of its backend) cuts the download off and frees both connections',
    async (kill) => {
      const { res, backends, pid } = await startExport();
      // The second half fails while its COPY is spilled at full speed (100,000 cases take it well over the moment this takes).
      await engine.query(`SELECT ${kill}($1)`, [pid(2)]);
      let lines = 0;
      let error: unknown;
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) lines += chunk.toString('latin1').split('\r\n').length - 1;
      } catch (e) {
        error = e;
      }
      // A cut chunked response: the reader sees an error, never a well-ended shorter file.
      expect(error).toBeDefined();
      expect(lines).toBeLessThan(CASES + 1);
      // The first half's connection may be back in the pool, idle: its transaction ends as soon as its part
      // has been sent, and it can be sent whole before the second half's failure reaches the export.
      await freed(
        backends.map((b) => b.pid),
        [pid(1)],
      );
      await noSpillLeft();
    },
  );

  it('split in two backends, the second half spilled to disk, gives the bytes of the row-by-row export and of one backend, and leaves no file', async () => {
    // With statistics, the halves are cut where the planner's histogram says (estimatedCuts), not counted.
    await engine.query(`ANALYZE cases`);
    // Five days, about 31,000 cases: past the 20,000 a period needs to be split (ONE_BACKEND_UP_TO_CASES), with
    // enough of the histogram's bounds inside it to be cut by them, as the month is. The row-by-row reference
    // of the whole month took 13 to 23 s of this file alone; the bounded memory of the month's 200,000 is
    // the first test's.
    const [from, to] = ['2025-01-01', '2025-01-05'];
    const period = parsePeriod(from, to);
    const [{ n: inPeriod }] = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE received_at >= $1 AND received_at < $2`, [
      period.from,
      period.to,
    ]);
    expect(inPeriod).toBeGreaterThan(20_000);
    const reference = createHash('sha256');
    let referenceBytes = 0;
    const rows = await engine.api.get(ExportCases).executeByRows(
      { period },
      {
        write: (t) => {
          const b = Buffer.from(t);
          referenceBytes += b.length;
          reference.update(b);
          return Promise.resolve(true);
        },
      },
    );
    expect(rows).toBe(inPeriod);
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet({ port, host: '127.0.0.1', path: `/v1/audits/cases?from=${from}&to=${to}`, headers: bearer(auditor) }, resolve).on('error', reject),
    );
    const copied = createHash('sha256');
    let copiedBytes = 0;
    let backends = 0;
    let spilling = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      // Looked at until both are seen: on a loaded machine the second backend may start after the first chunk.
      if (backends < 2 || spilling === 0) {
        backends = Math.max(backends, (await copying()).length);
        spilling = Math.max(spilling, spillsHeld().length);
      }
      copiedBytes += chunk.length;
      copied.update(chunk);
    }
    expect(backends).toBe(2);
    expect(spilling).toBeGreaterThan(0);
    await noSpillLeft();
    expect(copiedBytes).toBe(referenceBytes);
    const digest = reference.digest('hex');
    expect(copied.digest('hex')).toBe(digest);

    // The same export in one backend (FR_EXPORT_PARTS=1), nothing spilled.
    const sut = new ExportCases(engine.api.get(ReadDatabase), { ...engine.api.get<AppConfig>(APP_CONFIG), exportParts: 1 });
    const one = createHash('sha256');
    const counted = await sut.execute(
      { period },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          one.update(chunk);
          done(spillsHeld().length > 0 ? new Error('a one-backend export spilled') : null);
        },
      }),
    );
    expect(counted).toBe(rows);
    expect(one.digest('hex')).toBe(digest);
  }, 180_000);
});
