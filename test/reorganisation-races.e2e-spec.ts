import { DataSource, QueryRunner } from 'typeorm';
import { ApplyReorganisation } from '@fr/directory';
import { adminToken, bearer, DEV_KEYS, submitRouted, TestEngine, waitFor } from '@fr/testing';

/**
 * A reorganisation applied while an officer acts on a case of a unit it ends. The officer returned the
 * case to triage (the office) while the plan was being applied: the plan must not then carry the case
 * from the ward it no longer is in to the ward's successor. It did: the plan read the open cases before
 * locking them, and wrote its move over the return, leaving a case in triage at a ward, held by nobody,
 * with a `reorganise` event naming a unit it had already left.
 */

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

describe('a reorganisation racing with an action on a case it moves', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
  });
  afterAll(() => engine?.close());

  /** Schedules the plan and applies it while `officer` holds its transaction; the officer commits once the plan waits on a lock. */
  async function applyWhileHeld(plan: Record<string, unknown>, officer: QueryRunner, what: string): Promise<void> {
    const scheduled = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(plan);
    expect(scheduled.status).toBe(201);
    const apply = engine.api.get(ApplyReorganisation).execute((scheduled.body as { id: string }).id);
    await waitFor(
      () =>
        engine.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        ),
      (rows) => rows[0].n > 0,
      { what },
    );
    await officer.commitTransaction();
    await officer.release();
    expect(await apply).toBe(true);
  }

  it('leaves a case returned to triage meanwhile at the office, and moves the others', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const accepted = await submitRouted(engine, KEY, {
        category: 'sidewalk_encroachment',
        description: `Quán nước lấn chiếm vỉa hè số ${i + 1} Trần Đại Nghĩa, người đi bộ phải xuống lòng đường.`,
        location: { wardCode: 'BACH_KHOA' },
      });
      ids.push(accepted.id);
    }
    const routed = await engine.query<{ unit_code: string; status: string }>(`SELECT unit_code, status FROM cases WHERE id = ANY($1::uuid[])`, [ids]);
    expect(routed.map((r) => `${r.unit_code}:${r.status}`)).toEqual(['P_BACH_KHOA:assigned', 'P_BACH_KHOA:assigned']);
    const [returned, moved] = ids;

    // The officer's return, as ActOnCase writes it, holding the case's row until it commits.
    const officer = engine.api.get(DataSource).createQueryRunner();
    await officer.connect();
    await officer.startTransaction();
    await officer.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [returned]);
    await officer.query(`UPDATE cases SET status = 'triage', unit_code = 'VP', handler_id = NULL, leader_id = NULL, version = version + 1 WHERE id = $1`, [
      returned,
    ]);
    await officer.query(`UPDATE assignments SET ended_at = now() WHERE case_id = $1 AND ended_at IS NULL`, [returned]);
    await officer.query(`INSERT INTO assignments (case_id, unit_code, reason) VALUES ($1, 'VP', 'return')`, [returned]);

    await engine.worker?.close();
    engine.worker = null;
    const plan = {
      name: 'Sáp nhập phường Bách Khoa vào phường Bạch Đằng',
      effectiveAt: new Date().toISOString(),
      merges: [{ into: 'P_BACH_DANG', from: ['P_BACH_KHOA'] }],
    };
    // The plan waits for the officer's row; then the officer commits.
    await applyWhileHeld(plan, officer, 'the plan waiting for the case');

    const rows = await engine.query<{ id: string; unit_code: string; status: string }>(`SELECT id, unit_code, status FROM cases WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    expect(rows.find((r) => r.id === returned)).toMatchObject({ unit_code: 'VP', status: 'triage' });
    expect(rows.find((r) => r.id === moved)).toMatchObject({ unit_code: 'P_BACH_DANG', status: 'assigned' });
    const events = await engine.query<{ case_id: string }>(`SELECT case_id::text FROM audit_events WHERE action = 'reorganise'`);
    expect(events.map((e) => e.case_id)).toEqual([moved]);
  });

  it('carries a case transferred into an ending unit meanwhile to its successor, rather than leave it in the ended unit', async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'roads_lighting', description: 'Đèn chiếu sáng hỏng trên phố Bạch Mai, tối om cả tuần nay.', location: { wardCode: 'BACH_MAI' } });
    expect(res.status).toBe(202);
    const id = (res.body as { id: string }).id;
    await engine.startWorker();
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (rows) => rows[0]?.status === 'assigned',
      { what: 'routing' },
    );
    await engine.worker?.close();
    engine.worker = null;

    // A transfer from QLDT to the ward, as ActOnCase writes it: the case locked, the unit read shared.
    const officer = engine.api.get(DataSource).createQueryRunner();
    await officer.connect();
    await officer.startTransaction();
    await officer.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [id]);
    await officer.query(`SELECT code FROM units WHERE code = 'P_BACH_MAI' AND active FOR SHARE`);
    const [ward] = await engine.query<{ handler_id: string; leader_id: string }>(
      `SELECT handler_id::text, leader_id::text FROM units WHERE code = 'P_BACH_MAI'`,
    );
    await officer.query(`UPDATE cases SET unit_code = 'P_BACH_MAI', handler_id = $2, leader_id = $3, version = version + 1 WHERE id = $1`, [
      id,
      ward.handler_id,
      ward.leader_id,
    ]);
    await officer.query(`UPDATE assignments SET ended_at = now() WHERE case_id = $1 AND ended_at IS NULL`, [id]);
    await officer.query(`INSERT INTO assignments (case_id, unit_code, handler_id, leader_id, reason) VALUES ($1, 'P_BACH_MAI', $2, $3, 'transfer')`, [
      id,
      ward.handler_id,
      ward.leader_id,
    ]);

    const plan = {
      name: 'Sáp nhập phường Bạch Mai vào phường Bạch Đằng',
      effectiveAt: new Date().toISOString(),
      merges: [{ into: 'P_BACH_DANG', from: ['P_BACH_MAI'] }],
    };
    await applyWhileHeld(plan, officer, 'the plan waiting for the unit');

    const [after] = await engine.query<{ unit_code: string; status: string }>(`SELECT unit_code, status FROM cases WHERE id = $1`, [id]);
    expect(after).toEqual({ unit_code: 'P_BACH_DANG', status: 'assigned' });
  });

  it('applies due plans in date order whichever job runs first: a later rename is the name kept', async () => {
    await engine.worker?.close();
    engine.worker = null;
    const at = Date.now();
    const post = async (name: string, unitName: string, ms: number) => {
      const res = await engine
        .http()
        .post('/v1/reorganisations')
        .set(bearer(admin))
        .send({ name, effectiveAt: new Date(at + ms).toISOString(), renames: [{ unit: 'P_DONG_TAM', name: unitName }] });
      expect(res.status).toBe(201);
      return (res.body as { id: string }).id;
    };
    const first = await post('Đổi tên lần một', 'Phường Đồng Tâm (tên tạm)', 0);
    const second = await post('Đổi tên lần hai', 'Phường Đồng Tâm mới', 1);
    await waitFor(
      async () => Date.now(),
      (now) => now > at + 1,
      { what: 'both plans due' },
    );
    // The later plan's job runs first (workers down over both dates, a queue's order): the earlier goes first.
    expect(await engine.api.get(ApplyReorganisation).execute(second)).toBe(true);
    // The earlier one's own job then finds it applied: it does not put its name back.
    expect(await engine.api.get(ApplyReorganisation).execute(first)).toBe(false);
    const [unit] = await engine.query<{ name: string }>(`SELECT name FROM units WHERE code = 'P_DONG_TAM'`);
    expect(unit.name).toBe('Phường Đồng Tâm mới');
    const states = await engine.query<{ status: string }>(`SELECT status FROM reorganisations WHERE id = ANY($1::uuid[])`, [[first, second]]);
    expect(states).toEqual([{ status: 'applied' }, { status: 'applied' }]);
  });
});
