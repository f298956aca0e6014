import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApplyReorganisation } from '@fr/directory';
import { Metrics } from '@fr/metrics';
import { Clock, FireEscalation, SlaService } from '@fr/sla';
import {
  adminToken,
  bearer,
  createOfficer,
  DEV_KEYS,
  holdRows,
  holdTable,
  settle,
  submitRouted,
  TestEngine,
  untilSettledOrWaiting,
  untilWaitingForTable,
} from '@fr/testing';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * A reorganisation applied while an officer's action or the SLA escalation sweep works on a case of a unit
 * it ends, each held by a lock of the test's own at the point where it holds its locks until the other runs
 * into them. The plan locks the units it ends, then their open cases; whatever gives a case to a unit must
 * not hold the case while it waits for that unit, nor give it to a unit the plan has just ended, and
 * whatever reads a case after waiting for it must read where the plan left it.
 */
describe('a reorganisation and the actions and sweeps on the cases it moves, at the same moment', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
  });
  afterAll(() => engine?.close());

  /** A case routed to the ward of `ward`, assigned; the worker is stopped afterwards, so no job applies a plan behind the test's back. */
  async function routedTo(ward: string, n: number): Promise<{ id: string; trackingCode: string }> {
    if (!engine.worker) await engine.startWorker();
    const c = await submitRouted(engine, KEY, {
      category: 'sidewalk_encroachment',
      description: `Quán nước lấn chiếm vỉa hè số ${n} phố trong phường, người đi bộ phải xuống lòng đường.`,
      location: { wardCode: ward },
    });
    await engine.stopWorker();
    return c;
  }

  async function schedule(plan: Record<string, unknown>): Promise<string> {
    const res = await engine
      .http()
      .post('/v1/reorganisations')
      .set(bearer(admin))
      .send({ effectiveAt: new Date().toISOString(), ...plan });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }
  const apply = (id: string) => engine.api.get(ApplyReorganisation).execute(id);

  /** Backends of this database waiting for a lock. */
  const untilWaiting = (n: number, what: string, ...sides: { done: () => boolean }[]) => untilSettledOrWaiting(engine, n, what, ...sides);
  const hold = (sql: string, params: unknown[] = []) => holdRows(engine, sql, params);
  /** A connection of the test's own, for holdTable. */
  async function client(): Promise<Client> {
    const c = new Client({ connectionString: engine.superuserUrl });
    await c.connect();
    return c;
  }

  async function act(token: string, id: string, action: string, body: Record<string, unknown>) {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    return engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(token))
      .send({ expectedVersion: version, ...body });
  }
  const caseRow = async (id: string) =>
    (
      await engine.query<{ unit_code: string; status: string; handler_id: string | null; unit_active: boolean }>(
        `SELECT c.unit_code, c.status, c.handler_id::text, u.active AS unit_active FROM cases c JOIN units u ON u.code = c.unit_code WHERE c.id = $1`,
        [id],
      )
    )[0];
  const officerId = async (username: string) => (await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = $1`, [username]))[0].id;

  it('a transfer between two units the plan ends, the plan holding the target unit when the transfer holds the case: neither is undone', async () => {
    const officer = await createOfficer(engine, admin, { username: 'lo.bach.khoa', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });
    const x = await routedTo('BACH_KHOA', 1);
    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'P_BACH_KHOA', status: 'assigned' });
    const plan = await schedule({
      name: 'Sáp nhập Bách Khoa và Bạch Mai vào Bạch Đằng',
      merges: [{ into: 'P_BACH_DANG', from: ['P_BACH_KHOA', 'P_BACH_MAI'] }],
    });

    // The plan locks P_BACH_KHOA and waits for P_BACH_MAI (held here); the transfer comes after it.
    const held = await hold(`SELECT code FROM units WHERE code = 'P_BACH_MAI' FOR NO KEY UPDATE`);
    const applying = settle(apply(plan));
    let transferring: ReturnType<typeof settle<{ status: number; body: unknown }>> | undefined;
    try {
      await untilWaiting(1, 'the plan waiting for P_BACH_MAI', applying);
      transferring = settle(act(officer.token, x.id, 'transfer', { unitCode: 'P_BACH_MAI', reason: 'Thuộc địa bàn phường Bạch Mai' }));
      await untilWaiting(2, 'the transfer waiting too', applying, transferring);
    } finally {
      await held.release();
    }
    const [applied, transferred] = await Promise.allSettled([applying.promise, transferring!.promise]);

    // The plan is applied by this run, not undone as a deadlock's victim.
    expect(applied).toEqual({ status: 'fulfilled', value: true });
    // The officer hears that the case left the unit (or that the target unit ended), not that the server failed.
    expect(transferred.status).toBe('fulfilled');
    const answer = (transferred as PromiseFulfilledResult<{ status: number; body: unknown }>).value;
    expect([409, 422]).toContain(answer.status);
    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'P_BACH_DANG', status: 'assigned', unit_active: true });
    const moved = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = 'reorganise'`, [x.id]);
    expect(moved[0].n).toBe(1);
  });

  it('a return to triage while the plan ends the office that holds triage: the case goes to the new office, not the ended one', async () => {
    const officer = await createOfficer(engine, admin, { username: 'lo.cau.den', role: 'HANDLER', unitCode: 'P_CAU_DEN' });
    const x = await routedTo('CAU_DEN', 2);
    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'P_CAU_DEN', status: 'assigned' });
    const plan = await schedule({
      name: 'Văn phòng mới nhận việc tiếp nhận',
      newUnits: [
        {
          code: 'VP_MOI',
          name: 'Văn phòng UBND (mới)',
          kind: 'office',
          handler: { username: 'vp.moi.handler', fullName: 'Nguyễn Văn Tiếp' },
          leader: { username: 'vp.moi.leader', fullName: 'Trần Thị Nhận' },
        },
      ],
      merges: [{ into: 'VP_MOI', from: ['VP'] }],
      triageUnit: 'VP_MOI',
    });

    // The return has written the case to the triage unit it read (VP) and waits here before it commits.
    const texts = await client();
    const held = await holdTable(texts, 'audit_event_texts');
    let returning: ReturnType<typeof settle<{ status: number; body: unknown }>> | undefined;
    let applying: ReturnType<typeof settle<boolean>> | undefined;
    try {
      returning = settle(act(officer.token, x.id, 'return', { reason: 'Không thuộc thẩm quyền của phường' }));
      await untilWaitingForTable(engine, 'audit_event_texts');
      // The plan runs meanwhile: to its end, or until it waits for what the return holds.
      applying = settle(apply(plan));
      await untilWaiting(2, 'the plan finished or waiting', returning, applying);
    } finally {
      await held.release();
      await texts.end();
    }
    expect((await returning!.promise).status).toBe(200);
    expect(await applying!.promise).toBe(true);

    // In triage at the office that holds triage now; not at VP, which ended.
    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'VP_MOI', status: 'triage', unit_active: true });
  });

  it('an escalation that waited for the case while the plan moved it tells the handler and leader who hold it now', async () => {
    const x = await routedTo('DONG_MAC', 3);
    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'P_DONG_MAC', status: 'assigned' });
    // The receive stage's deadline passed an hour ago: level 1 is due (handler and leader).
    const [c] = await engine.query<{ stage: 'receive'; stage_started_at: Date; due_at: Date }>(
      `UPDATE cases SET due_at = now() - interval '1 hour', warn_at = NULL WHERE id = $1 RETURNING stage, stage_started_at, due_at`,
      [x.id],
    );
    const plan = await schedule({ name: 'Sáp nhập Đống Mác vào Đồng Nhân', merges: [{ into: 'P_DONG_NHAN', from: ['P_DONG_MAC'] }] });

    // The plan has locked the case and reads the areas (held here); the escalation waits for the case.
    const areas = await client();
    const held = await holdTable(areas, 'areas');
    let applying: ReturnType<typeof settle<boolean>> | undefined;
    let firing: ReturnType<typeof settle<unknown>> | undefined;
    try {
      applying = settle(apply(plan));
      await untilWaitingForTable(engine, 'areas');
      // As the worker's sweep fires it (the worker is stopped: its sweeps would apply the plan themselves).
      const fire = new FireEscalation(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.api.get(Metrics));
      firing = settle(fire.execute({ caseId: x.id, stage: c.stage, stageStartedAt: new Date(c.stage_started_at), dueAt: new Date(c.due_at), level: '1' }));
      await untilWaiting(2, 'the escalation waiting for the case', applying, firing);
    } finally {
      await held.release();
      await areas.end();
    }
    expect(await applying!.promise).toBe(true);
    expect(await firing!.promise).toMatchObject({ outcome: 'fired', recipients: 2 });

    expect(await caseRow(x.id)).toMatchObject({ unit_code: 'P_DONG_NHAN', handler_id: await officerId('p.dong.nhan.handler') });
    const told = await engine.query<{ officer_id: string; body: string }>(
      `SELECT n.officer_id::text, n.body FROM notifications n JOIN escalations e ON e.id = n.escalation_id WHERE e.case_id = $1 ORDER BY n.officer_id`,
      [x.id],
    );
    expect(told.map((n) => n.officer_id).sort()).toEqual([await officerId('p.dong.nhan.handler'), await officerId('p.dong.nhan.leader')].sort());
    const [unit] = await engine.query<{ name: string }>(`SELECT name FROM units WHERE code = 'P_DONG_NHAN'`);
    for (const n of told) expect(n.body).toContain(unit.name);
  });
});
