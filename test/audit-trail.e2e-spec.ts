import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditChainWalker, CheckpointStore, SealAuditEvents, VerifyAuditTrail, WriteAuditCheckpoint } from '@fr/audit';
import { loadConfig } from '@fr/config';
import { dataSourceOptions, MIGRATIONS, selectRows } from '@fr/persistence';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** A whole event row, occurred_at as text so that putting it back keeps its microseconds. */
const ROW = `id, case_id, actor, action, from_state, to_state, reason, data, occurred_at::text AS occurred_at`;
const SEAL = `seq, event_id, prev_hash, hash, sealed_at::text AS sealed_at, form`;

describe('the tamper-evident audit trail', () => {
  let engine: TestEngine;
  let auditor: string;
  let handler: string;

  beforeAll(async () => {
    // Enough connections for the concurrent writers to really run side by side.
    // Every verification below splits the chain across three threads: the tamper tests go over segment joins.
    engine = await TestEngine.start({ env: { FR_DB_POOL_SIZE: '25', FR_AUDIT_VERIFY_THREADS: '3', FR_AUDIT_VERIFY_PARALLEL_MIN: '2' } });
    const admin = await adminToken(engine);
    auditor = (await createOfficer(engine, admin, { username: 'nv.audit.trail', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    handler = (await createOfficer(engine, admin, { username: 'bk.trail.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(() => engine?.close());

  async function newCases(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({
          category: 'sidewalk_encroachment',
          description: `Hàng quán lấn chiếm vỉa hè số ${i + 1} Tạ Quang Bửu, người đi bộ phải xuống lòng đường.`,
          location: { wardCode: 'BACH_KHOA' },
          citizen: { name: 'Phạm Văn Bình', phone: '0987654321' },
        });
      expect(res.status).toBe(202);
      ids.push((res.body as ApiSchema<'FeedbackAcceptedDto'>).id);
    }
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE id = ANY($1) AND status = 'assigned'`, [ids]),
      (r) => r[0].n === n,
      { what: `${n} cases routed`, timeoutMs: 30000 },
    );
    return ids;
  }

  const verify = async (query = '') => {
    const res = await engine.http().get(`/v1/audits/verify${query}`).set(bearer(auditor));
    expect(res.status).toBe(200);
    return res.body as {
      ok: boolean;
      checked: number;
      firstBrokenEventId: string | null;
      reason: string | null;
      unsealed: { count: number; oldestAgeMs: number; boundSeconds: number };
      head: { lastSeq: string; sealer: string | null };
    };
  };
  const eventCount = async () => (await engine.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events`))[0].n;
  /** Seals what is committed, then verifies: the tamper tests work on sealed events. */
  const sealedVerify = async (query = '') => {
    await engine.sealAuditTrail();
    return verify(query);
  };

  const asAttacker = (sql: string, params: unknown[] = []) => engine.asAttacker(sql, params);

  it('an untouched trail verifies, whole or in a range, and the seals chain in seal order', async () => {
    await newCases(6);
    const all = await sealedVerify();
    expect(all).toMatchObject({ ok: true, firstBrokenEventId: null, reason: null });
    expect(String(all.checked)).toBe(await eventCount());
    expect(all.unsealed.count).toBe(0);

    const hi = Number(all.head.lastSeq);
    const part = await verify(`?fromSeq=2&toSeq=${hi - 1}`);
    expect(part).toMatchObject({ ok: true, checked: hi - 2 });
    // A range starting at 11 must link to position 10 (numerically before it, not '9' as text would sort).
    expect(hi).toBeGreaterThan(11);
    expect(await verify(`?fromSeq=11&toSeq=${hi}`)).toMatchObject({ ok: true, checked: hi - 10 });
    // Event ids are accepted too, as the positions they were sealed at.
    const [ev] = await engine.query<{ event_id: string }>(`SELECT event_id::text FROM audit_seals WHERE seq = 11`);
    expect(await verify(`?fromId=${ev.event_id}`)).toMatchObject({ ok: true, checked: hi - 10 });
    expect((await engine.http().get('/v1/audits/verify?fromSeq=5&toSeq=4').set(bearer(auditor))).status).toBe(400);
    // A range past the last position ends there (an 18-digit toSeq paged through empty positions for
    // hours); one that starts past it is refused.
    expect(await verify('?fromSeq=11&toSeq=999999999999999999')).toMatchObject({ ok: true, checked: hi - 10, toSeq: String(hi) });
    const past = await engine
      .http()
      .get(`/v1/audits/verify?fromSeq=${hi + 1000}`)
      .set(bearer(auditor));
    expect(past.status).toBe(400);
    expect((past.body as { message: string }).message).toBe(`fromSeq ${hi + 1000} is past the chain's last position (${hi})`);
    // One way per end: both was answered with one of them, silently.
    const both = await engine.http().get(`/v1/audits/verify?fromSeq=11&fromId=${ev.event_id}`).set(bearer(auditor));
    expect(both.status).toBe(400);
    expect((both.body as { message: string }).message).toBe('give fromSeq or fromId, not both');
    const long = await engine.http().get('/v1/audits/verify?fromId=9223372036854775807').set(bearer(auditor));
    expect((long.body as { message: string }).message).toBe('fromId must be a positive event id of at most 18 digits');

    const links = await engine.query<{ broken: number; gaps: number }>(
      `SELECT count(*) FILTER (WHERE before IS NOT NULL AND prev_hash <> before)::int AS broken,
              count(*) FILTER (WHERE seq <> rn)::int AS gaps
         FROM (SELECT seq, prev_hash, lag(hash) OVER (ORDER BY seq) AS before, row_number() OVER (ORDER BY seq) AS rn FROM audit_seals) x`,
    );
    expect(links[0]).toEqual({ broken: 0, gaps: 0 });
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE of audit events and seals, with a clear error', async () => {
    await engine.sealAuditTrail();
    await expect(engine.query(`UPDATE audit_events SET reason = 'x' WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(
      /audit_events is append-only: UPDATE refused/,
    );
    await expect(engine.query(`DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(
      /audit_events is append-only: DELETE refused/,
    );
    await expect(engine.query(`TRUNCATE audit_events CASCADE`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(engine.query(`UPDATE audit_seals SET event_id = event_id WHERE seq = 1`)).rejects.toThrow(/audit_seals is append-only: UPDATE refused/);
    await expect(engine.query(`DELETE FROM audit_seals WHERE seq = 1`)).rejects.toThrow(/audit_seals is append-only: DELETE refused/);
    await expect(engine.query(`DELETE FROM audit_chain_head`)).rejects.toThrow(/append-only/);
  });

  it('50 cases acted on at once: every event sealed exactly once, the chain never forks', async () => {
    const ids = await newCases(50);
    const before = Number(await eventCount());
    const versions = await engine.query<{ id: string; version: number }>(`SELECT id, version FROM cases WHERE id = ANY($1)`, [ids]);
    const results = await Promise.all(
      versions.map((c) => engine.http().post(`/v1/cases/${c.id}/acknowledge`).set(bearer(handler)).send({ expectedVersion: c.version, severity: 'normal' })),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(Number(await eventCount())).toBeGreaterThanOrEqual(before + 50);

    // The worker's sealer gets there by itself, within its interval.
    await waitFor(
      () => engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_unsealed`),
      (r) => r[0].n === 0,
      { what: 'every event sealed' },
    );
    const [shape] = await engine.query<{ events: number; seals: number; sealed_events: number; prevs: number }>(
      `SELECT (SELECT count(*) FROM audit_events)::int AS events, count(*)::int AS seals, count(DISTINCT event_id)::int AS sealed_events,
              count(DISTINCT prev_hash)::int AS prevs FROM audit_seals`,
    );
    expect(shape.seals).toBe(shape.events);
    expect(shape.sealed_events).toBe(shape.events);
    expect(shape.prevs).toBe(shape.seals); // no two seals hang off the same predecessor
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('an event whose transaction commits after later events were sealed is sealed once, after them', async () => {
    const slow = await engine.db.connect();
    try {
      await slow.query('BEGIN');
      const [{ id: early }] = (
        await slow.query<{ id: string }>(`INSERT INTO audit_events (case_id, actor, action) VALUES (NULL, 'system', 'late_committer') RETURNING id::text`)
      ).rows;
      const [{ id: later }] = await engine.query<{ id: string }>(
        `INSERT INTO audit_events (case_id, actor, action) VALUES (NULL, 'system', 'early_committer') RETURNING id::text`,
      );
      expect(BigInt(later)).toBeGreaterThan(BigInt(early));
      await engine.sealAuditTrail();
      const sealedFirst = await engine.query<{ event_id: string }>(`SELECT event_id::text FROM audit_seals WHERE event_id IN ($1, $2)`, [early, later]);
      expect(sealedFirst).toEqual([{ event_id: later }]);
      await slow.query('COMMIT');
      await engine.sealAuditTrail();
      const seals = await engine.query<{ event_id: string; seq: string }>(
        `SELECT event_id::text, seq::text FROM audit_seals WHERE event_id IN ($1, $2) ORDER BY seq`,
        [early, later],
      );
      expect(seals.map((s) => s.event_id)).toEqual([later, early]);
    } finally {
      slow.release();
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a changed event is detected and named', async () => {
    await engine.sealAuditTrail();
    const [victim] = await engine.query<{ id: string; reason: string | null }>(
      `SELECT id::text, reason FROM audit_events WHERE action = 'route' ORDER BY id LIMIT 1`,
    );
    await asAttacker(`UPDATE audit_events SET reason = 'quy tắc khác' WHERE id = $1`, [victim.id]);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
    expect(res.reason).toMatch(/content was changed/);

    await asAttacker(`UPDATE audit_events SET reason = $2 WHERE id = $1`, [victim.id, victim.reason]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it("a text kept aside that the event's sealed content does not list is detected, whichever page it is read in", async () => {
    await engine.sealAuditTrail();
    const [victim] = await engine.query<{ id: string }>(
      `SELECT s.event_id::text AS id FROM audit_seals s WHERE NOT EXISTS (SELECT 1 FROM audit_event_texts t WHERE t.event_id = s.event_id) ORDER BY s.seq DESC LIMIT 1 OFFSET 2`,
    );
    await asAttacker(`INSERT INTO audit_event_texts (event_id, field, salt, body) VALUES ($1, 'reason', '\\x00', 'thêm sau')`, [victim.id]);
    try {
      const res = await verify();
      expect(res).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
      expect(res.reason).toMatch(/added later/);
      // The texts are read per page: a page holding only the victim finds it too.
      const [{ seq }] = await engine.query<{ seq: string }>(`SELECT seq::text FROM audit_seals WHERE event_id = $1`, [victim.id]);
      expect(await verify(`?fromSeq=${seq}&toSeq=${seq}`)).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
    } finally {
      await asAttacker(`DELETE FROM audit_event_texts WHERE event_id = $1`, [victim.id]);
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a deleted event is detected and named', async () => {
    await engine.sealAuditTrail();
    const [victim] = await engine.query<Record<string, unknown>>(`SELECT ${ROW} FROM audit_events WHERE action = 'acknowledge' ORDER BY id LIMIT 1`);
    await asAttacker(`DELETE FROM audit_events WHERE id = $1`, [victim.id]);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
    expect(res.reason).toMatch(/absent from the trail: it was deleted after it was sealed/);

    await asAttacker(`INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1)`, [JSON.stringify(serialisable(victim))]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a deleted seal is detected: the event after the gap is named', async () => {
    await engine.sealAuditTrail();
    const [victim] = await engine.query<Record<string, unknown>>(`SELECT ${SEAL} FROM audit_seals WHERE seq = 5`);
    const [next] = await engine.query<{ event_id: string }>(`SELECT event_id::text FROM audit_seals WHERE seq = 6`);
    await asAttacker(`DELETE FROM audit_seals WHERE seq = 5`);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: next.event_id });
    expect(res.reason).toMatch(/positions 5\.\.5 are absent/);

    await asAttacker(`INSERT INTO audit_seals SELECT * FROM json_populate_record(NULL::audit_seals, $1)`, [JSON.stringify(serialisable(victim))]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('reordered events or seals are detected and the first one named', async () => {
    await engine.sealAuditTrail();
    const [a, b] = await engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE action = 'acknowledge' ORDER BY id LIMIT 2`);
    const swap = `UPDATE audit_events SET id = -1 WHERE id = ${a.id}; UPDATE audit_events SET id = ${a.id} WHERE id = ${b.id};
                  UPDATE audit_events SET id = ${b.id} WHERE id = -1`;
    await asAttacker(swap);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: a.id });
    await asAttacker(swap);
    expect(await verify()).toMatchObject({ ok: true });

    // The seals of two events swapped: the order of the trail changed.
    const [s1, s2] = await engine.query<{ seq: string; event_id: string }>(
      `SELECT seq::text, event_id::text FROM audit_seals WHERE seq IN (7, 8) ORDER BY seq`,
    );
    const swapSeals = (x: string, y: string) =>
      `UPDATE audit_seals SET event_id = -1 WHERE seq = 7; UPDATE audit_seals SET event_id = ${x} WHERE seq = 8; UPDATE audit_seals SET event_id = ${y} WHERE seq = 7`;
    await asAttacker(swapSeals(s1.event_id, s2.event_id));
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: s2.event_id });
    expect(res.reason).toMatch(/position 7/);
    await asAttacker(swapSeals(s2.event_id, s1.event_id));
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('an event taken off the sealing queue, or left unsealed past the bound, fails verification', async () => {
    await engine.stopWorker();
    try {
      const [{ id }] = await engine.query<{ id: string }>(
        `INSERT INTO audit_events (case_id, actor, action) VALUES (NULL, 'system', 'orphan') RETURNING id::text`,
      );
      await asAttacker(`DELETE FROM audit_unsealed WHERE event_id = $1`, [id]);
      const orphan = await verify();
      expect(orphan).toMatchObject({ ok: false, firstBrokenEventId: id });
      expect(orphan.reason).toMatch(/neither sealed nor queued/);
      await asAttacker(`INSERT INTO audit_unsealed (event_id) VALUES ($1)`, [id]);

      // An event the sealer has not reached for longer than the bound (no worker is running).
      const [{ id: old }] = await engine.query<{ id: string }>(
        `INSERT INTO audit_events (case_id, actor, action) VALUES (NULL, 'system', 'waiting') RETURNING id::text`,
      );
      await engine.query(`UPDATE audit_unsealed SET queued_at = queued_at - interval '1 hour' WHERE event_id = $1`, [old]);
      const late = await verify();
      expect(late).toMatchObject({ ok: false, firstBrokenEventId: old });
      expect(late.reason).toMatch(/waited 3\d{3}\.\d s to be sealed, beyond the bound of 30 s/);
      expect(late.unsealed.count).toBe(2);
    } finally {
      await engine.startWorker();
    }
    await waitFor(
      () => verify(),
      (r) => r.ok && r.unsealed.count === 0,
      { what: 'the restarted worker to seal the backlog' },
    );
  });

  it('a cut-off tail is detected against the checkpoint kept outside the database, even with the chain head forged', async () => {
    // No worker: its sealer must not seal or checkpoint while the attacker works.
    await engine.stopWorker();
    try {
      await engine.sealAuditTrail();
      const checkpoint = engine.api.get(WriteAuditCheckpoint);
      expect((await checkpoint.runOnce()).kind).toMatch(/written|unchanged/);
      const store = engine.api.get(CheckpointStore);
      const cp = (await store.read())!;
      const [head] = await engine.query<Record<string, unknown>>(`SELECT * FROM audit_chain_head`);
      expect(cp.lastId).toBe(String(head.last_id));
      expect(cp.count).toBe(String(head.event_count));

      const tail = await engine.query<Record<string, unknown>>(`SELECT ${SEAL} FROM audit_seals ORDER BY seq DESC LIMIT 3`);
      await asAttacker(`DELETE FROM audit_seals WHERE seq >= $1`, [tail[2].seq]);
      // The attacker also moves the chain head back, so the database alone looks consistent.
      await asAttacker(
        `UPDATE audit_chain_head SET last_id = s.event_id, last_hash = s.hash, event_count = s.seq
           FROM (SELECT seq, event_id, hash FROM audit_seals ORDER BY seq DESC LIMIT 1) s`,
      );
      const res = await verify();
      expect(res).toMatchObject({ ok: false, firstBrokenEventId: cp.lastId });
      expect(res.reason).toMatch(/beyond the chain head|neither sealed nor queued/);
      // The checkpoint does not move past a break.
      expect((await checkpoint.runOnce()).kind).toBe('broken');
      expect((await store.read())!.lastId).toBe(cp.lastId);

      for (const row of tail) {
        await asAttacker(`INSERT INTO audit_seals SELECT * FROM json_populate_record(NULL::audit_seals, $1)`, [JSON.stringify(serialisable(row))]);
      }
      await asAttacker(`UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3`, [head.last_id, head.last_hash, head.event_count]);
      expect(await verify()).toMatchObject({ ok: true });
    } finally {
      await engine.startWorker();
    }
  });

  it('a trail rewritten consistently after a deletion still fails against the checkpoint', async () => {
    await engine.stopWorker();
    try {
      await engine.sealAuditTrail();
      const checkpoint = engine.api.get(WriteAuditCheckpoint);
      expect((await checkpoint.runOnce()).kind).toMatch(/written|unchanged/);
      const cp = (await engine.api.get(CheckpointStore).read())!;
      // Events after the checkpoint, so that removing one event leaves the checkpointed position in the trail.
      await engine.query(`INSERT INTO audit_events (case_id, actor, action) SELECT NULL, 'system', 'after_checkpoint' FROM generate_series(1, 3)`);
      await engine.sealAuditTrail();
      const saved = await engine.query<Record<string, unknown>>(`SELECT ${SEAL} FROM audit_seals ORDER BY seq`);
      const [victim] = await engine.query<Record<string, unknown>>(`SELECT ${ROW} FROM audit_events WHERE action = 'route' ORDER BY id LIMIT 1`);
      const [head] = await engine.query<Record<string, unknown>>(`SELECT * FROM audit_chain_head`);

      // Delete one event and its seal, re-seal everything with the database's own functions, fix the head.
      await asAttacker(`DELETE FROM audit_events WHERE id = $1`, [victim.id]);
      await asAttacker(`DELETE FROM audit_seals`);
      await asAttacker(reseal);
      await asAttacker(
        `UPDATE audit_chain_head SET last_id = s.event_id, last_hash = s.hash, event_count = s.seq
           FROM (SELECT seq, event_id, hash FROM audit_seals ORDER BY seq DESC LIMIT 1) s`,
      );
      const res = await verify();
      expect(res).toMatchObject({ ok: false, firstBrokenEventId: expect.any(String) as unknown });
      expect(res.reason).toMatch(/differs from the checkpoint/);
      expect(cp.lastId).not.toBe(victim.id);

      await asAttacker(`INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1)`, [JSON.stringify(serialisable(victim))]);
      await asAttacker(`DELETE FROM audit_seals`);
      for (let i = 0; i < saved.length; i += 500) {
        await asAttacker(`INSERT INTO audit_seals SELECT * FROM json_populate_recordset(NULL::audit_seals, $1)`, [
          JSON.stringify(saved.slice(i, i + 500).map(serialisable)),
        ]);
      }
      await asAttacker(`UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3`, [head.last_id, head.last_hash, head.event_count]);
      expect(await verify()).toMatchObject({ ok: true });
    } finally {
      await engine.startWorker();
    }
  });

  it('since=checkpoint checks only what was sealed after the checkpoint, and still the checkpointed event and the head', async () => {
    await engine.stopWorker();
    try {
      await engine.sealAuditTrail();
      expect((await engine.api.get(WriteAuditCheckpoint).runOnce()).kind).toMatch(/written|unchanged/);
      const cp = (await engine.api.get(CheckpointStore).read())!;
      // Nothing sealed since the checkpoint: an empty range, one past the checkpoint's position to it.
      expect(await verify('?since=checkpoint')).toMatchObject({ ok: true, checked: 0, fromSeq: String(Number(cp.seq) + 1), toSeq: cp.seq });
      await engine.query(`INSERT INTO audit_events (case_id, actor, action) SELECT NULL, 'system', 'since_checkpoint' FROM generate_series(1, 7)`);
      await engine.sealAuditTrail();
      const since = await verify('?since=checkpoint');
      expect(since).toMatchObject({ ok: true, checked: 7, fromSeq: String(Number(cp.seq) + 1), checkpoint: { lastId: cp.lastId, checked: true } });

      // The checkpointed event itself changed: named, though the walk starts after it.
      await asAttacker(`UPDATE audit_events SET actor = actor || '!' WHERE id = $1`, [cp.lastId]);
      expect(await verify('?since=checkpoint')).toMatchObject({
        ok: false,
        firstBrokenEventId: cp.lastId,
        reason: expect.stringMatching(/does not match its hash/) as unknown,
      });
      await asAttacker(`UPDATE audit_events SET actor = left(actor, -1) WHERE id = $1`, [cp.lastId]);

      // A new event changed, and the last seal cut off with the head moved back: both caught from the checkpoint.
      const [mid] = await engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE action = 'since_checkpoint' ORDER BY id LIMIT 1 OFFSET 3`);
      await asAttacker(`UPDATE audit_events SET actor = 'system!' WHERE id = $1`, [mid.id]);
      expect(await verify('?since=checkpoint')).toMatchObject({ ok: false, firstBrokenEventId: mid.id });
      await asAttacker(`UPDATE audit_events SET actor = 'system' WHERE id = $1`, [mid.id]);
      const [last] = await engine.query<Record<string, unknown>>(`SELECT ${SEAL} FROM audit_seals ORDER BY seq DESC LIMIT 1`);
      const [head] = await engine.query<Record<string, unknown>>(`SELECT * FROM audit_chain_head`);
      await asAttacker(`DELETE FROM audit_seals WHERE seq = $1`, [last.seq]);
      await asAttacker(
        `UPDATE audit_chain_head SET last_id = s.event_id, last_hash = s.hash, event_count = s.seq
           FROM (SELECT seq, event_id, hash FROM audit_seals ORDER BY seq DESC LIMIT 1) s`,
      );
      expect(await verify('?since=checkpoint')).toMatchObject({
        ok: false,
        firstBrokenEventId: String(last.event_id),
        reason: expect.stringMatching(/neither sealed nor queued/) as unknown,
      });
      await asAttacker(`INSERT INTO audit_seals SELECT * FROM json_populate_record(NULL::audit_seals, $1)`, [JSON.stringify(serialisable(last))]);
      await asAttacker(`UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3`, [head.last_id, head.last_hash, head.event_count]);
      expect(await verify('?since=checkpoint')).toMatchObject({ ok: true, checked: 7 });

      for (const bad of ['?since=checkpoint&fromSeq=1', '?since=yesterday']) {
        const res = await engine.http().get(`/v1/audits/verify${bad}`).set(bearer(auditor));
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body)).toMatch(/since/);
      }
    } finally {
      await engine.startWorker();
    }
  });

  it('HANDLER and LEADER may not verify the trail', async () => {
    const res = await engine.http().get('/v1/audits/verify').set(bearer(handler));
    expect(res.status).toBe(403);
  });
});

/** Every event sealed again, in form 2 as the sealer seals (the database's own functions). */
const reseal = `
  WITH chained AS (
    SELECT id, row_number() OVER (ORDER BY id) AS seq,
           audit_chain_v2(audit_event_bytes_v2(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at),
                          '\\x${'00'.repeat(32)}'::bytea) OVER (ORDER BY id) AS hash FROM audit_events),
  linked AS (SELECT id, seq, hash, COALESCE(lag(hash) OVER (ORDER BY seq), '\\x${'00'.repeat(32)}'::bytea) AS prev_hash FROM chained)
  INSERT INTO audit_seals (seq, event_id, prev_hash, hash, form) SELECT seq, id, prev_hash, hash, 2 FROM linked`;

/** A row read by node-pg, as json_populate_record takes it back (bytea as \x hex, dates as ISO). */
function serialisable(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v instanceof Date ? v.toISOString() : v]));
}

describe('the migration chains the events written before it', () => {
  it('backfills hashes in id order that the TypeScript verifier accepts, whatever the content', async () => {
    const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    const name = `fr_test_backfill_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const dir = mkdtempSync(join(tmpdir(), 'fr_cp_'));
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`, FR_CHECKPOINT_DIR: dir });
    // The schema as it stood before the trail was chained (later migrations may build on it).
    const before = MIGRATIONS.filter((m) => Number(/(\d{13})$/.exec(m.name)![1]) < 1764700000000);
    let ds = new DataSource({ ...dataSourceOptions(config), migrations: before, logging: false });
    try {
      await ds.initialize();
      await ds.runMigrations({ transaction: 'each' });
      // Content that tests the canonical form: Vietnamese, separators, newlines, nested JSON, numbers
      // written as 1.50, microseconds, NULLs, a timestamp from another offset.
      await ds.query(
        `INSERT INTO audit_events (case_id, actor, action, from_state, to_state, reason, data, occurred_at) VALUES
          (NULL, 'system', 'organisation_loaded', NULL, NULL, NULL, '{}', '2025-01-02T08:00:00.123456+07:00'),
          (NULL, 'officer:x', 'note', 'a', 'b', E'Đã xử lý | 12:34 ; "trích dẫn"\\nxuống dòng', '{"z": [1.50, {"b": null, "a": "Phường Bạch Mai"}], "a": true}', '2025-06-30T23:59:59.999999Z'),
          (NULL, 'citizen:ihanoi', 'rate', NULL, NULL, '', '{"score": 5, "emoji": "👍", "ctl": "\\u0001"}', now())`,
      );
      await ds.destroy();
      ds = new DataSource({ ...dataSourceOptions(config), logging: false });
      await ds.initialize();
      await ds.runMigrations({ transaction: 'each' });
      const sut = new VerifyAuditTrail(ds, new AuditChainWalker(ds), new CheckpointStore(config), config);
      expect(await sut.execute()).toMatchObject({ ok: true, checked: 3, firstBrokenEventId: null });
      const [head] = await selectRows<{ last_id: number; n: number }>(ds, `SELECT last_id::int AS last_id, event_count::int AS n FROM audit_chain_head`);
      expect(head).toEqual({ last_id: 3, n: 3 });
      // Sealed in id order with the hashes chained before: the seals are the old chain.
      const seals = await selectRows<{ seq: number; event_id: number }>(ds, `SELECT seq::int AS seq, event_id::int AS event_id FROM audit_seals ORDER BY seq`);
      expect(seals).toEqual([1, 2, 3].map((n) => ({ seq: n, event_id: n })));

      // A writer's event waits in the queue; the sealer continues the same chain.
      const { writeAuditEvent } = await import('@fr/persistence');
      const id = await ds.transaction((m) => writeAuditEvent(m, { caseId: null, actor: 'system', action: 'check', data: { n: 1.5, s: 'Vĩnh Tuy' } }));
      expect(id).toBe('4');
      expect(await sut.execute()).toMatchObject({ ok: true, checked: 3, unsealed: { count: 1 } });
      expect(await new SealAuditEvents(ds).sealAll('test')).toBe(1);
      expect(await sut.execute()).toMatchObject({ ok: true, checked: 4, unsealed: { count: 0 } });
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
