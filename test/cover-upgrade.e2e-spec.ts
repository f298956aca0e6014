import type { QueryRunner } from 'typeorm';
import { MIGRATIONS } from '@fr/persistence';
import { SlaReconciler, SlaReconcileResult } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

jest.setTimeout(90_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * Before 51388de an absent leader's cover was written as the leader of the cases routed or moved to the
 * unit during the absence, and stayed so: after the absence the cover went on being told of them and
 * the leader back never was. The version that keeps the absent leader must give those cases back.
 */
describe("cases an earlier version gave an absent leader's cover", () => {
  const clock = new ManualClock('2026-03-02T08:00:00+07:00');
  let engine: TestEngine;
  const id: Record<string, string> = {};

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    for (const [who, role] of [
      ['handler', 'HANDLER'],
      ['leader', 'LEADER'],
      ['stand', 'LEADER'],
    ] as const) {
      id[who] = (await createOfficer(engine, admin, { username: `upg.${who}`, role, unitCode: 'P_BACH_KHOA', fullName: `Cán bộ ${who}` })).id;
    }
    const put = await engine.http().put('/v1/units/P_BACH_KHOA/designation').set(bearer(admin)).send({ handlerId: id.handler, leaderId: id.leader });
    expect(put.status).toBe(200);
    const away = await engine
      .http()
      .post(`/v1/officers/${id.leader}/absences`)
      .set(bearer(admin))
      .send({ from: '2026-03-02T08:00:00+07:00', to: '2026-03-03T08:00:00+07:00', coverId: id.stand });
    expect(away.status).toBe(201);
  });
  afterAll(() => engine?.close());

  it('are the leader’s again after the upgrade: the leader back is told when they go late, not the cover', async () => {
    clock.set('2026-03-02T09:00:00+07:00');
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const caseId = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [caseId]),
      ([r]) => r.status === 'assigned',
      { what: 'routing' },
    );
    // What the version before wrote: the cover as the case's leader, on the case and its assignment.
    await engine.query(`UPDATE cases SET leader_id = $2 WHERE id = $1`, [caseId, id.stand]);
    await engine.query(`UPDATE assignments SET leader_id = $2 WHERE case_id = $1 AND ended_at IS NULL`, [caseId, id.stand]);

    await upgrade();
    expect((await engine.query<{ leader_id: string }>(`SELECT leader_id FROM cases WHERE id = $1`, [caseId]))[0].leader_id).toBe(id.leader);

    // Tuesday 11:00: the absence is over and the receive deadline has passed.
    clock.set('2026-03-03T11:00:00+07:00');
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce(),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'the SLA sweep' },
    );
    const told = await waitFor(
      () =>
        engine.query<{ officer_id: string }>(
          `SELECT n.officer_id FROM notifications n JOIN escalations e ON e.id = n.escalation_id WHERE e.level = '1' AND n.case_id = $1`,
          [caseId],
        ),
      (rows) => rows.length === 2,
      { what: 'level-1 notifications' },
    );
    expect(told.map((n) => n.officer_id).sort()).toEqual([id.handler, id.leader].sort());
  });

  it('are the leader’s again when the absence was ended early (DELETE: cancelled, its end left as recorded)', async () => {
    const admin = await adminToken(engine);
    clock.set('2026-03-04T08:00:00+07:00');
    const away = await engine
      .http()
      .post(`/v1/officers/${id.leader}/absences`)
      .set(bearer(admin))
      .send({ from: '2026-03-04T08:00:00+07:00', to: '2026-03-07T08:00:00+07:00', coverId: id.stand });
    expect(away.status).toBe(201);
    clock.set('2026-03-04T09:00:00+07:00');
    const during = await routed('Quán nước lấn chiếm vỉa hè trước số 40 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.');
    // The leader came back a day early: the office ended the absence at 14:00.
    clock.set('2026-03-04T14:00:00+07:00');
    const ended = await engine
      .http()
      .delete(`/v1/officers/${id.leader}/absences/${(away.body as { id: string }).id}`)
      .set(bearer(admin));
    expect(ended.status).toBeLessThan(300);
    clock.set('2026-03-04T15:00:00+07:00');
    const after = await routed('Xe máy đỗ kín vỉa hè trước số 12 Tạ Quang Bửu từ sáng đến tối.');
    // What the version before wrote: the cover as leader of the case routed during the absence; the one
    // routed after it went to the leader, and a supervisor gave it to the cover then: that choice stays.
    for (const caseId of [during, after]) {
      await engine.query(`UPDATE cases SET leader_id = $2 WHERE id = $1`, [caseId, id.stand]);
      await engine.query(`UPDATE assignments SET leader_id = $2 WHERE case_id = $1 AND ended_at IS NULL`, [caseId, id.stand]);
    }

    await upgrade();
    const leaders = await engine.query<{ id: string; leader_id: string }>(`SELECT id::text, leader_id FROM cases WHERE id = ANY($1::uuid[])`, [
      [during, after],
    ]);
    expect(Object.fromEntries(leaders.map((r) => [r.id, r.leader_id]))).toEqual({ [during]: id.leader, [after]: id.stand });
  });

  async function routed(description: string): Promise<string> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sidewalk_encroachment', description, location: { wardCode: 'BACH_KHOA' } });
    expect(res.status).toBe(202);
    const caseId = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [caseId]),
      ([r]) => r.status === 'assigned',
      { what: 'routing' },
    );
    return caseId;
  }

  /** The migrations of this version, run again over the rows as the version before left them. */
  async function upgrade(): Promise<void> {
    // One connection, one transaction, as the migration step runs each migration.
    const client = await engine.db.connect();
    try {
      const q = { query: async (sql: string) => (await client.query<Record<string, unknown>>(sql)).rows } as unknown as QueryRunner;
      await client.query('BEGIN');
      await new (MIGRATIONS.find((m) => m.name === 'AbsentLeaderKept1767450000000')!)().up(q);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
});
