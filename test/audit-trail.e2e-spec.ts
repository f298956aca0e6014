import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditChainWalker, CheckpointStore, VerifyAuditTrail, WriteAuditCheckpoint } from '@fr/audit';
import { loadConfig } from '@fr/config';
import { dataSourceOptions, MIGRATIONS } from '@fr/persistence';
import { adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** A whole event row, occurred_at as text so that putting it back keeps its microseconds. */
const ROW = `id, case_id, actor, action, from_state, to_state, reason, data, occurred_at::text AS occurred_at, prev_hash, hash`;

describe('the tamper-evident audit trail', () => {
  let engine: TestEngine;
  let auditor: string;
  let handler: string;

  beforeAll(async () => {
    // Enough connections for the concurrent writers to really contend for the chain head.
    engine = await TestEngine.start({ env: { FR_DB_POOL_SIZE: '25' } });
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
      ids.push(res.body.id);
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
    return res.body as { ok: boolean; checked: number; firstBrokenEventId: string | null; reason: string | null };
  };
  const eventCount = async () => (await engine.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events`))[0].n;

  /** What an attacker with superuser rights does: switch the append-only triggers off, tamper, switch them on. */
  async function asAttacker(sql: string, params: unknown[] = []) {
    await engine.query('BEGIN');
    try {
      await engine.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await engine.query('ALTER TABLE audit_chain_head DISABLE TRIGGER ALL');
      await engine.query(sql, params);
      await engine.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
      await engine.query('ALTER TABLE audit_chain_head ENABLE TRIGGER ALL');
      await engine.query('COMMIT');
    } catch (e) {
      await engine.query('ROLLBACK');
      throw e;
    }
  }

  it('an untouched trail verifies, whole or in a range, and the hashes chain in id order', async () => {
    await newCases(6);
    const all = await verify();
    expect(all).toMatchObject({ ok: true, firstBrokenEventId: null, reason: null });
    expect(String(all.checked)).toBe(await eventCount());

    const [{ lo, hi }] = await engine.query<{ lo: string; hi: string }>(`SELECT min(id)::text AS lo, max(id)::text AS hi FROM audit_events`);
    const part = await verify(`?fromId=${Number(lo) + 1}&toId=${Number(hi) - 1}`);
    expect(part).toMatchObject({ ok: true, checked: Number(hi) - Number(lo) - 1 });
    // A range starting at 11 must link to event 10 (numerically before it, not '9' as text would sort).
    expect(Number(hi)).toBeGreaterThan(11);
    expect(await verify(`?fromId=11&toId=${hi}`)).toMatchObject({ ok: true, checked: Number(hi) - 10 });
    expect((await engine.http().get('/v1/audits/verify?fromId=5&toId=4').set(bearer(auditor))).status).toBe(400);

    const links = await engine.query<{ broken: number }>(
      `SELECT count(*)::int AS broken FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY id) AS before, id FROM audit_events) x
        WHERE before IS NOT NULL AND prev_hash <> before`,
    );
    expect(links[0].broken).toBe(0);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE of audit events, with a clear error', async () => {
    await expect(engine.query(`UPDATE audit_events SET reason = 'x' WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(
      /audit_events is append-only: UPDATE refused/,
    );
    await expect(engine.query(`DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(
      /audit_events is append-only: DELETE refused/,
    );
    await expect(engine.query(`TRUNCATE audit_events CASCADE`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(engine.query(`DELETE FROM audit_chain_head`)).rejects.toThrow(/append-only/);
  });

  it('50 cases acted on at once never fork the chain', async () => {
    const ids = await newCases(50);
    const before = Number(await eventCount());
    const versions = await engine.query<{ id: string; version: number }>(`SELECT id, version FROM cases WHERE id = ANY($1)`, [ids]);
    const results = await Promise.all(
      versions.map((c) =>
        engine.http().post(`/v1/cases/${c.id}/acknowledge`).set(bearer(handler)).send({ expectedVersion: c.version, severity: 'normal' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(Number(await eventCount())).toBeGreaterThanOrEqual(before + 50);

    const [shape] = await engine.query<{ n: number; prevs: number }>(`SELECT count(*)::int AS n, count(DISTINCT prev_hash)::int AS prevs FROM audit_events`);
    expect(shape.prevs).toBe(shape.n); // no two events hang off the same predecessor
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a changed event is detected and named', async () => {
    const [victim] = await engine.query<{ id: string; reason: string | null }>(`SELECT id::text, reason FROM audit_events WHERE action = 'route' ORDER BY id LIMIT 1`);
    await asAttacker(`UPDATE audit_events SET reason = 'quy tắc khác' WHERE id = $1`, [victim.id]);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: victim.id });
    expect(res.reason).toMatch(/content was changed/);

    await asAttacker(`UPDATE audit_events SET reason = $2 WHERE id = $1`, [victim.id, victim.reason]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a deleted event is detected: the event after the gap is named', async () => {
    const [victim] = await engine.query<Record<string, unknown>>(`SELECT ${ROW} FROM audit_events WHERE action = 'acknowledge' ORDER BY id LIMIT 1`);
    const [next] = await engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE id > $1 ORDER BY id LIMIT 1`, [victim.id]);
    await asAttacker(`DELETE FROM audit_events WHERE id = $1`, [victim.id]);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: next.id });
    expect(res.reason).toMatch(new RegExp(`ids ${victim.id}\\.\\.${victim.id} are absent`));

    await asAttacker(`INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1)`, [JSON.stringify(serialisable(victim))]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('reordered events are detected and the first one named', async () => {
    const [a, b] = await engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE action = 'acknowledge' ORDER BY id LIMIT 2`);
    const swap = `UPDATE audit_events SET id = -1 WHERE id = ${a.id}; UPDATE audit_events SET id = ${a.id} WHERE id = ${b.id};
                  UPDATE audit_events SET id = ${b.id} WHERE id = -1`;
    await asAttacker(swap);
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: a.id });

    await asAttacker(swap);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a cut-off tail is detected against the checkpoint kept outside the database, even with the chain head forged', async () => {
    const checkpoint = engine.worker!.get(WriteAuditCheckpoint);
    const written = await checkpoint.runOnce();
    expect(written.kind).toBe('written');
    const store = engine.worker!.get(CheckpointStore);
    const cp = (await store.read())!;
    expect(cp.lastId).toBe((await engine.query<{ id: string }>(`SELECT max(id)::text AS id FROM audit_events`))[0].id);
    expect(cp.count).toBe(await eventCount());

    const tail = await engine.query<Record<string, unknown>>(`SELECT ${ROW} FROM audit_events ORDER BY id DESC LIMIT 3`);
    const [head] = await engine.query<Record<string, unknown>>(`SELECT * FROM audit_chain_head`);
    await asAttacker(`DELETE FROM audit_events WHERE id >= $1`, [tail[2].id]);
    // The attacker also moves the chain head back, so the database alone looks consistent.
    await asAttacker(
      `UPDATE audit_chain_head SET last_id = e.id, last_hash = e.hash, event_count = event_count - 3
         FROM (SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1) e`,
    );
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: cp.lastId });
    expect(res.reason).toMatch(/checkpointed event .* missing|beyond the chain head/);
    // The sweep does not move the checkpoint past a break.
    expect((await checkpoint.runOnce()).kind).toBe('broken');
    expect((await store.read())!.lastId).toBe(cp.lastId);

    for (const row of [...tail].reverse()) {
      await asAttacker(`INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1)`, [JSON.stringify(serialisable(row))]);
    }
    await asAttacker(`UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3`, [head.last_id, head.last_hash, head.event_count]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a trail rewritten consistently after a deletion still fails against the checkpoint', async () => {
    const checkpoint = engine.worker!.get(WriteAuditCheckpoint);
    await checkpoint.runOnce();
    const cp = (await engine.worker!.get(CheckpointStore).read())!;
    const saved = await engine.query<{ id: string; prev_hash: Buffer; hash: Buffer }>(`SELECT id::text, prev_hash, hash FROM audit_events ORDER BY id`);
    const [victim] = await engine.query<Record<string, unknown>>(`SELECT ${ROW} FROM audit_events WHERE action = 'route' ORDER BY id DESC LIMIT 1`);
    const [head] = await engine.query<Record<string, unknown>>(`SELECT * FROM audit_chain_head`);

    // Delete one event, re-chain everything after it with the database's own functions, fix the head.
    await asAttacker(`DELETE FROM audit_events WHERE id = $1`, [victim.id]);
    await asAttacker(rechain);
    await asAttacker(
      `UPDATE audit_chain_head SET last_id = e.id, last_hash = e.hash, event_count = event_count - 1
         FROM (SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1) e`,
    );
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBrokenEventId: cp.lastId });
    expect(res.reason).toMatch(/differs from the checkpoint/);

    await asAttacker(`INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1)`, [JSON.stringify(serialisable(victim))]);
    await asAttacker(
      `UPDATE audit_events e SET prev_hash = s.prev_hash, hash = s.hash
         FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS s(id, prev_hash, hash) WHERE e.id = s.id`,
      [saved.map((r) => r.id), saved.map((r) => r.prev_hash), saved.map((r) => r.hash)],
    );
    await asAttacker(`UPDATE audit_chain_head SET last_id = $1, last_hash = $2, event_count = $3`, [head.last_id, head.last_hash, head.event_count]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('HANDLER and LEADER may not verify the trail', async () => {
    const res = await engine.http().get('/v1/audits/verify').set(bearer(handler));
    expect(res.status).toBe(403);
  });
});

const rechain = `
  WITH chained AS (
    SELECT id, audit_chain(audit_event_canonical(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at),
                           '\\x${'00'.repeat(32)}'::bytea) OVER (ORDER BY id) AS hash FROM audit_events),
  linked AS (SELECT id, hash, COALESCE(lag(hash) OVER (ORDER BY id), '\\x${'00'.repeat(32)}'::bytea) AS prev_hash FROM chained)
  UPDATE audit_events e SET hash = l.hash, prev_hash = l.prev_hash FROM linked l WHERE e.id = l.id`;

/** A row read by node-pg, as json_populate_record takes it back (bytea as \x hex, dates as ISO). */
function serialisable(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v instanceof Date ? v.toISOString() : v]),
  );
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
      const sut = new VerifyAuditTrail(ds, new AuditChainWalker(ds), new CheckpointStore(config));
      expect(await sut.execute()).toMatchObject({ ok: true, checked: 3, firstBrokenEventId: null });
      const [head] = await ds.query(`SELECT last_id::int AS last_id, event_count::int AS n FROM audit_chain_head`);
      expect(head).toEqual({ last_id: 3, n: 3 });

      // The writer continues the same chain.
      const { writeAuditEvent } = await import('@fr/persistence');
      const id = await ds.transaction((m) => writeAuditEvent(m, { caseId: null, actor: 'system', action: 'check', data: { n: 1.5, s: 'Vĩnh Tuy' } }));
      expect(id).toBe('4');
      expect(await sut.execute()).toMatchObject({ ok: true, checked: 4 });
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
