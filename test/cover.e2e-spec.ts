import { SlaReconciler, SlaReconcileResult } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, ManualClock, TestEngine, waitFor } from '@fr/testing';

// Boot and six officers (argon2) take longer than Jest's 5 s default.
jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Monday 2 March 2026, 08:00 in Hanoi: a working day. */
const MONDAY_8AM = '2026-03-02T08:00:00+07:00';
const MONDAY_1030 = '2026-03-02T10:30:00+07:00';
const ABSENCE_ENDS = '2026-03-04T08:00:00+07:00';

/** Issue 14 item 2: an absent officer's work reaches whoever covers; a designee who leaves without cover is flagged at once. */
describe('cover for absent officers', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let engine: TestEngine;
  let admin = '';
  const t: Record<string, string> = {};
  const id: Record<string, string> = {};

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    admin = await adminToken(engine);
    const officers: [string, 'HANDLER' | 'LEADER' | 'SUPERVISOR', string][] = [
      ['away', 'HANDLER', 'P_BACH_KHOA'],
      ['cover', 'HANDLER', 'P_BACH_KHOA'],
      ['cover2', 'HANDLER', 'P_BACH_KHOA'],
      ['leader', 'LEADER', 'P_BACH_KHOA'],
      ['elsewhere', 'HANDLER', 'P_THANH_NHAN'],
      ['sup', 'SUPERVISOR', 'VP'],
    ];
    for (const [who, role, unitCode] of officers) {
      const o = await createOfficer(engine, admin, { username: `cover.${who}`, role, unitCode, fullName: `Cán bộ ${who}` });
      t[who] = o.token;
      id[who] = o.id;
    }
    const put = await engine.http().put('/v1/units/P_BACH_KHOA/designation').set(bearer(admin)).send({ handlerId: id.away, leaderId: id.leader });
    expect(put.status).toBe(200);
  });
  afterAll(() => engine?.close());

  const row = async (caseId: string) =>
    (
      await engine.query<{ status: string; version: number; handler_id: string | null; triage_reason: string | null }>(
        `SELECT status, version, handler_id, triage_reason FROM cases WHERE id = $1`,
        [caseId],
      )
    )[0];
  const newCase = async (): Promise<string> => {
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
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    await waitFor(
      () => row(id),
      (r) => r.status !== 'received',
      { what: 'routing' },
    );
    return id;
  };
  const mine = async (who: string): Promise<string[]> =>
    ((await engine.http().get('/v1/cases?assignee=me&limit=100').set(bearer(t[who]))).body as ApiSchema<'CasePageDto'>).items.map((c) => c.id);
  const absence = (who: string, officer: string, body: Record<string, unknown>) =>
    engine
      .http()
      .post(`/v1/officers/${id[officer]}/absences`)
      .set(bearer(who === 'admin' ? admin : t[who]))
      .send(body);

  /** Runs the SLA sweep at the clock's time, then waits for `count` level-1 notifications of the cases. */
  const levelOneNotices = async (caseIds: string[], count: number) => {
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce(),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'the SLA sweep' },
    );
    return waitFor(
      () =>
        engine.query<{ case_id: string; officer_id: string }>(
          `SELECT n.case_id, n.officer_id FROM notifications n JOIN escalations e ON e.id = n.escalation_id
            WHERE e.level = '1' AND n.case_id = ANY($1::uuid[]) ORDER BY n.case_id, n.officer_id`,
          [caseIds],
        ),
      (rows) => rows.length === count,
      { what: 'level-1 notifications' },
    );
  };

  it("routes, escalates and queues the absent officer's work to the cover while the absence lasts, and back after it", async () => {
    clock.set(MONDAY_8AM);
    const acted = await newCase();
    const escalated = await newCase();
    expect((await row(acted)).handler_id).toBe(id.away);

    clock.set(MONDAY_1030);
    const period = { from: '2026-03-02T10:00:00+07:00', to: ABSENCE_ENDS };
    // The cover must be able to do the work: an active officer of the same unit with the same role.
    expect((await absence('away', 'away', { ...period, coverId: id.elsewhere })).status).toBe(422);
    expect((await absence('away', 'away', { ...period, coverId: id.leader })).status).toBe(422);
    expect((await absence('away', 'away', { ...period, coverId: id.away })).status).toBe(422);
    // Only the officer, their unit's leader or an admin records it.
    expect((await absence('cover', 'away', { ...period, coverId: id.cover })).status).toBe(403);
    expect((await absence('away', 'away', { ...period, to: period.from, coverId: id.cover })).status).toBe(400);
    const recorded = await absence('away', 'away', { ...period, coverId: id.cover });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ officerId: id.away, cover: { id: id.cover, fullName: 'Cán bộ cover' }, current: true, cancelledAt: null });
    expect((await absence('leader', 'away', { ...period, coverId: id.cover })).status).toBe(409);
    const listed = await engine.http().get(`/v1/officers/${id.away}/absences`).set(bearer(t.leader));
    expect(listed.body).toHaveLength(1);

    // The coverage report shows who is away and who covers.
    const coverage = await engine.http().get('/v1/units/coverage').set(bearer(t.sup));
    expect((coverage.body as ApiSchema<'CoverageGapDto'>[]).find((u) => u.code === 'P_BACH_KHOA')).toMatchObject({
      missing: [],
      absences: [{ officer: { id: id.away }, designation: 'handler', cover: { id: id.cover }, current: true }],
    });

    // A new case goes to the cover; the absent officer's cases are in the cover's queue, and the cover acts on them.
    const during = await newCase();
    expect((await row(during)).handler_id).toBe(id.cover);
    expect(await mine('cover')).toEqual(expect.arrayContaining([acted, escalated, during]));
    const ack = await engine
      .http()
      .post(`/v1/cases/${acted}/acknowledge`)
      .set(bearer(t.cover))
      .send({ expectedVersion: (await row(acted)).version, severity: 'normal' });
    expect(ack.status).toBe(200);

    // Tuesday 11:00, still away: level 1 of the new case and of the absent officer's own case reach the cover, not them.
    clock.set('2026-03-03T11:00:00+07:00');
    const told = await levelOneNotices([escalated, during], 4);
    expect(told).toEqual(
      expect.arrayContaining([
        { case_id: escalated, officer_id: id.cover },
        { case_id: during, officer_id: id.cover },
        { case_id: escalated, officer_id: id.leader },
      ]),
    );
    expect(told.map((n) => n.officer_id)).not.toContain(id.away);

    // Wednesday 08:30: the absence has ended by itself; new cases go back, the cover's queue is their own again.
    clock.set('2026-03-04T08:30:00+07:00');
    const after = await newCase();
    expect((await row(after)).handler_id).toBe(id.away);
    const coversNow = await mine('cover');
    expect(coversNow).toContain(during);
    expect(coversNow).not.toContain(escalated);
    expect(((await engine.http().get(`/v1/officers/${id.away}/absences`).set(bearer(t.away))).body as ApiSchema<'AbsenceDto'>[])[0]).toMatchObject({
      current: false,
    });
  });

  it('a cover must qualify while covering: not away then, not moved; one who no longer qualifies (recorded before) is skipped', async () => {
    clock.set('2026-03-04T08:40:00+07:00');
    const period = { from: '2026-03-04T08:35:00+07:00', to: '2026-03-06T08:00:00+07:00' };
    const recorded = await absence('away', 'away', { ...period, coverId: id.cover });
    expect(recorded.status).toBe(201);
    const absenceId = (recorded.body as ApiSchema<'AbsenceDto'>).id;

    // The cover cannot be away while covering, nor be moved or given another role.
    const awayToo = await absence('cover', 'cover', { from: '2026-03-05T08:00:00+07:00', to: '2026-03-05T17:00:00+07:00', coverId: id.cover2 });
    expect(awayToo.status).toBe(409);
    expect((awayToo.body as { message: string }).message).toBe(
      `officer 'cover.cover' covers the absence of 'cover.away' in this period (absence ${absenceId}); cancel that absence and record it with another cover first`,
    );
    const moved = await engine.http().patch(`/v1/officers/${id.cover}`).set(bearer(admin)).send({ unitCode: 'P_THANH_NHAN' });
    expect(moved.status).toBe(409);
    expect((moved.body as { message: string }).message).toContain(`covers the absence of 'cover.away' until 2026-03-06T01:00:00.000Z (absence ${absenceId})`);
    expect((await engine.http().patch(`/v1/officers/${id.cover}`).set(bearer(admin)).send({ role: 'LEADER' })).status).toBe(409);
    expect((await newCase().then(row)).handler_id).toBe(id.cover);

    // Absences recorded before these checks: the cover moved, then away. Routing no longer names them;
    // the designee keeps the cases as if no cover had been named.
    await engine.query(`UPDATE officers SET unit_code = 'P_THANH_NHAN' WHERE id = $1`, [id.cover]);
    expect((await newCase().then(row)).handler_id).toBe(id.away);
    await engine.query(`UPDATE officers SET unit_code = 'P_BACH_KHOA' WHERE id = $1`, [id.cover]);
    expect((await newCase().then(row)).handler_id).toBe(id.cover);
    await engine.query(`INSERT INTO officer_absences (officer_id, cover_id, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $1)`, [
      id.cover,
      id.cover2,
      '2026-03-04T08:38:00+07:00',
      '2026-03-04T17:00:00+07:00',
    ]);
    expect((await newCase().then(row)).handler_id).toBe(id.away);

    expect((await engine.http().delete(`/v1/officers/${id.away}/absences/${absenceId}`).set(bearer(admin))).status).toBe(204);
    // Sent again (a retry after a lost answer): done already, and recorded once.
    expect((await engine.http().delete(`/v1/officers/${id.away}/absences/${absenceId}`).set(bearer(admin))).status).toBe(204);
    expect(
      await engine.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'absence_cancelled' AND data->>'absenceId' = $1`, [String(absenceId)]),
    ).toEqual([{ n: 1 }]);
    expect((await engine.http().delete(`/v1/officers/${id.away}/absences/999999`).set(bearer(admin))).status).toBe(404);
    await engine.query(`UPDATE officer_absences SET cancelled_at = now() WHERE officer_id = $1`, [id.cover]);
  });

  it('disabling a designated handler without cover sends new cases to triage and tells the supervisors at once', async () => {
    clock.set('2026-03-04T09:00:00+07:00');
    const off = await engine.http().patch(`/v1/officers/${id.away}`).set(bearer(admin)).send({ active: false });
    expect(off.status).toBe(200);
    const inbox = await engine.http().get('/v1/notifications?unread=true').set(bearer(t.sup));
    expect(inbox.status).toBe(200);
    expect((inbox.body as ApiSchema<'NotificationPageDto'>).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'coverage.lost', caseId: null, title: expect.stringContaining('Phường Bách Khoa') as unknown })]),
    );
    const next = await newCase();
    expect(await row(next)).toMatchObject({ status: 'triage', triage_reason: 'unit_without_handler' });
    const coverage = await engine.http().get('/v1/units/coverage').set(bearer(t.sup));
    expect((coverage.body as ApiSchema<'CoverageGapDto'>[]).find((u) => u.code === 'P_BACH_KHOA')).toMatchObject({ missing: ['handler'] });
  });

  it("a level reaches the unit's handler, not a former cover who still holds the case but has moved to another unit", async () => {
    clock.set('2026-03-04T09:10:00+07:00');
    expect((await engine.http().patch(`/v1/officers/${id.away}`).set(bearer(admin)).send({ active: true })).status).toBe(200);
    const recorded = await absence('admin', 'away', { from: '2026-03-04T09:05:00+07:00', to: '2026-03-06T08:00:00+07:00', coverId: id.cover2 });
    expect(recorded.status).toBe(201);
    const held = await newCase();
    expect((await row(held)).handler_id).toBe(id.cover2);
    // The absence is cancelled; the cover, still holding the case, moves to another unit, where the case is out of their reach.
    const absenceId = (recorded.body as ApiSchema<'AbsenceDto'>).id;
    expect((await engine.http().delete(`/v1/officers/${id.away}/absences/${absenceId}`).set(bearer(admin))).status).toBe(204);
    expect((await engine.http().patch(`/v1/officers/${id.cover2}`).set(bearer(admin)).send({ unitCode: 'P_THANH_NHAN' })).status).toBe(200);

    // Friday: the receive deadline has passed; level 1 goes to the unit's handler and leader.
    clock.set('2026-03-06T11:00:00+07:00');
    const told = await levelOneNotices([held], 2);
    expect(told.map((n) => n.officer_id).sort()).toEqual([id.away, id.leader].sort());
  });

  it("a possible duplicate of an absent handler's case is put to the cover, who holds the case now", async () => {
    clock.set('2026-03-06T11:30:00+07:00');
    const report = async (externalId: string) => {
      const res = await engine
        .http()
        .post('/v1/feedback')
        .set(KEY)
        .send({
          externalId,
          category: 'sidewalk_encroachment',
          description: 'Quán nước lấn chiếm vỉa hè trước số 1 Đại Cồ Việt, người đi bộ phải xuống lòng đường.',
          location: { wardCode: 'BACH_KHOA', address: 'Số 1 Đại Cồ Việt', lat: 21.0069, lng: 105.8431 },
        });
      expect(res.status).toBe(202);
      const { id: caseId } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
      await waitFor(
        () => row(caseId),
        (r) => r.status !== 'received',
        { what: 'routing' },
      );
      return caseId;
    };
    const original = await report(`cover-dup-1-${Date.now()}`);
    expect((await row(original)).handler_id).toBe(id.away);
    const recorded = await absence('admin', 'away', { from: '2026-03-06T11:35:00+07:00', to: '2026-03-10T08:00:00+07:00', coverId: id.cover });
    expect(recorded.status).toBe(201);
    clock.set('2026-03-06T11:40:00+07:00');
    const second = await report(`cover-dup-2-${Date.now()}`);
    const notices = await waitFor(
      () => engine.query<{ officer_id: string }>(`SELECT officer_id FROM notifications WHERE kind = 'duplicate' AND case_id = $1`, [original]),
      (rows) => rows.length > 0,
      { what: 'the duplicate notice' },
    );
    expect(notices).toEqual([{ officer_id: id.cover }]);
    expect(await engine.query(`SELECT duplicate_of FROM cases WHERE id = $1`, [second])).toEqual([{ duplicate_of: original }]);
  });

  it("a level reaches the unit's handler, not a former cover who still holds the case but whose account was disabled", async () => {
    clock.set('2026-03-16T09:10:00+07:00');
    const cover3 = await createOfficer(engine, admin, { username: 'cover.cover3', role: 'HANDLER', unitCode: 'P_BACH_KHOA', fullName: 'Cán bộ cover3' });
    const recorded = await absence('admin', 'away', { from: '2026-03-16T09:05:00+07:00', to: '2026-03-18T08:00:00+07:00', coverId: cover3.id });
    expect(recorded.status).toBe(201);
    const held = await newCase();
    expect((await row(held)).handler_id).toBe(cover3.id);
    // The absence is cancelled; the cover, still holding the case, leaves: the account is disabled.
    const absenceId = (recorded.body as ApiSchema<'AbsenceDto'>).id;
    expect((await engine.http().delete(`/v1/officers/${id.away}/absences/${absenceId}`).set(bearer(admin))).status).toBe(204);
    expect((await engine.http().patch(`/v1/officers/${cover3.id}`).set(bearer(admin)).send({ active: false })).status).toBe(200);

    // Wednesday: the receive deadline has passed; level 1 goes to the unit's handler and leader (it went to the leader alone).
    clock.set('2026-03-18T11:00:00+07:00');
    await waitFor(
      () => engine.worker!.get(SlaReconciler).runOnce(),
      (r): r is SlaReconcileResult => r !== null,
      { what: 'the SLA sweep' },
    );
    const told = await waitFor(
      () =>
        engine.query<{ officer_id: string }>(
          `SELECT n.officer_id FROM notifications n JOIN escalations e ON e.id = n.escalation_id
            WHERE e.level = '1' AND n.case_id = $1 ORDER BY n.officer_id`,
          [held],
        ),
      (rows) => rows.length >= 1,
      { what: 'level-1 notifications' },
    );
    expect(told.map((n) => n.officer_id).sort()).toEqual([id.away, id.leader].sort());
  });

  it("an officer disabled or moved away hands the open cases they hold to the unit's designee, with the move on each case's timeline", async () => {
    clock.set('2026-03-23T09:10:00+07:00');
    const holder = async (username: string) => {
      const o = await createOfficer(engine, admin, { username, role: 'HANDLER', unitCode: 'P_BACH_KHOA', fullName: `Cán bộ ${username}` });
      const recorded = await absence('admin', 'away', { from: '2026-03-23T09:05:00+07:00', to: '2026-03-25T08:00:00+07:00', coverId: o.id });
      expect(recorded.status).toBe(201);
      const held = await newCase();
      expect((await row(held)).handler_id).toBe(o.id);
      const absenceId = (recorded.body as ApiSchema<'AbsenceDto'>).id;
      expect((await engine.http().delete(`/v1/officers/${id.away}/absences/${absenceId}`).set(bearer(admin))).status).toBe(204);
      return { officer: o, held };
    };
    const moved = await holder('cover.moved');
    expect((await engine.http().patch(`/v1/officers/${moved.officer.id}`).set(bearer(admin)).send({ unitCode: 'P_THANH_NHAN' })).status).toBe(200);
    const disabled = await holder('cover.disabled');
    expect((await engine.http().patch(`/v1/officers/${disabled.officer.id}`).set(bearer(admin)).send({ active: false })).status).toBe(200);

    for (const { officer, held } of [moved, disabled]) {
      expect((await row(held)).handler_id).toBe(id.away);
      const [event] = await engine.query<{ actor: string; data: Record<string, unknown> }>(
        `SELECT actor, data FROM audit_events WHERE case_id = $1 AND action = 'reassign' ORDER BY id DESC LIMIT 1`,
        [held],
      );
      expect(event.data).toMatchObject({ fromHandlerId: officer.id, toHandlerId: id.away, reason: 'holder left the unit' });
      const open = await engine.query<{ handler_id: string }>(`SELECT handler_id FROM assignments WHERE case_id = $1 AND ended_at IS NULL`, [held]);
      expect(open).toEqual([{ handler_id: id.away }]);
    }
    // The units a case went through are still one.
    const [path] = await engine.query<{ n: number }>(
      `SELECT count(DISTINCT unit_code)::int AS n FROM assignments WHERE case_id = $1 AND reason <> 'designation'`,
      [moved.held],
    );
    expect(path.n).toBe(1);
  });

  it("answers an officer of another unit about an officer's absences as about an unknown id (404), without naming the unit", async () => {
    const read = (who: string, officerId: string) => engine.http().get(`/v1/officers/${officerId}/absences`).set(bearer(t[who]));
    const stranger = await read('elsewhere', id.away);
    const unknown = await read('elsewhere', '00000000-0000-4000-8000-000000000000');
    expect([stranger.status, unknown.status]).toEqual([404, 404]);
    const message = (res: { body: unknown }) => (res.body as { message: string }).message;
    expect(message(stranger).replace(id.away, '<id>')).toBe(message(unknown).replace('00000000-0000-4000-8000-000000000000', '<id>'));
    expect(message(stranger)).not.toContain('P_BACH_KHOA');
    const record = await absence('elsewhere', 'away', { from: '2026-04-01T08:00:00+07:00', to: '2026-04-02T08:00:00+07:00', coverId: id.cover });
    expect(record.status).toBe(404);
    // A colleague of the same unit may know the officer: told why not (403).
    expect((await read('cover', id.away)).status).toBe(403);
  });

  it("an absent leader's cover hears of the unit's late cases while the absence lasts; the cases stay the leader's, who hears of them once back", async () => {
    // Monday 6 April 2026: the leader is away until Wednesday 08:00, another leader of the unit covering.
    clock.set('2026-04-06T09:00:00+07:00');
    const stand = await createOfficer(engine, admin, { username: 'cover.leader2', role: 'LEADER', unitCode: 'P_BACH_KHOA', fullName: 'Lãnh đạo thay' });
    const recorded = await absence('admin', 'leader', { from: '2026-04-06T09:00:00+07:00', to: '2026-04-08T08:00:00+07:00', coverId: stand.id });
    expect(recorded.status).toBe(201);
    const leaderOf = async (caseId: string) =>
      (await engine.query<{ leader_id: string | null }>(`SELECT leader_id FROM cases WHERE id = $1`, [caseId]))[0].leader_id;
    const monday = await newCase();
    // Tuesday 09:00: one more routed, and one given to the unit by the office (a transfer or an assignment from triage).
    clock.set('2026-04-07T09:00:00+07:00');
    const tuesday = await newCase();
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè phố Thanh Nhàn, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'THANH_NHAN' },
      });
    expect(res.status).toBe(202);
    const given = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    const routed = await waitFor(
      () => engine.query<{ status: string; version: number }>(`SELECT status, version FROM cases WHERE id = $1`, [given]),
      ([r]) => r.status !== 'received',
      { what: 'routing' },
    );
    const move = await engine
      .http()
      .post(`/v1/cases/${given}/${routed[0].status === 'triage' ? 'assign' : 'transfer'}`)
      .set(bearer(t.sup))
      .send({ expectedVersion: routed[0].version, unitCode: 'P_BACH_KHOA', reason: 'Vỉa hè thuộc địa bàn phường Bách Khoa' });
    expect(move.status).toBe(200);
    // The leader the unit designated answers for them: the absence only sends the notices to the cover while it lasts.
    expect([await leaderOf(monday), await leaderOf(tuesday), await leaderOf(given)]).toEqual([id.leader, id.leader, id.leader]);

    // Tuesday 11:00, still away: Monday's case is late, and the cover is told.
    clock.set('2026-04-07T11:00:00+07:00');
    expect((await levelOneNotices([monday], 2)).map((n) => n.officer_id).sort()).toEqual([id.away, stand.id].sort());
    // Wednesday 11:00, back: Tuesday's cases are late, and the leader is told, not the cover any more.
    clock.set('2026-04-08T11:00:00+07:00');
    const told = await levelOneNotices([tuesday, given], 4);
    expect(told.filter((n) => n.officer_id !== id.away).map((n) => n.officer_id)).toEqual([id.leader, id.leader]);
  });

  it('takes dates for an absence as whole days in Hanoi: 1 to 5 December is from the midnight of the 1st through the end of the 5th', async () => {
    clock.set('2026-11-20T09:00:00+07:00');
    const recorded = await absence('leader', 'away', { from: '2026-12-01', to: '2026-12-05', coverId: id.cover });
    expect(recorded.status).toBe(201);
    const a = recorded.body as ApiSchema<'AbsenceDto'>;
    expect([a.from, a.to]).toEqual(['2026-11-30T17:00:00.000Z', '2026-12-05T17:00:00.000Z']);
    const current = async () =>
      ((await engine.http().get(`/v1/officers/${id.away}/absences`).set(bearer(admin))).body as ApiSchema<'AbsenceDto'>[]).find((x) => x.id === a.id)!.current;
    clock.set('2026-12-01T00:00:00+07:00');
    expect(await current()).toBe(true);
    // The last minute of the 5th: a new case still goes to the cover.
    clock.set('2026-12-05T23:59:00+07:00');
    expect(await current()).toBe(true);
    expect((await row(await newCase())).handler_id).toBe(id.cover);
    clock.set('2026-12-06T00:00:00+07:00');
    expect(await current()).toBe(false);
    expect((await row(await newCase())).handler_id).toBe(id.away);

    // A date-time and a date together; a day that does not exist is named.
    clock.set('2026-11-20T09:00:00+07:00');
    const mixed = await absence('leader', 'away', { from: '2027-01-04T13:30:00+07:00', to: '2027-01-04', coverId: id.cover });
    expect(mixed.status).toBe(201);
    expect((mixed.body as ApiSchema<'AbsenceDto'>).to).toBe('2027-01-04T17:00:00.000Z');
    const unreal = await absence('leader', 'away', { from: '2027-02-29', to: '2027-03-02', coverId: id.cover });
    expect(unreal.status).toBe(400);
    expect((unreal.body as { message: string }).message).toContain("from '2027-02-29' is not a real date");
    const reversed = await absence('leader', 'away', { from: '2027-03-06', to: '2027-03-05', coverId: id.cover });
    expect(reversed.status).toBe(400);
    expect((reversed.body as { message: string }).message).toBe('to must be later than from');
    // A year at most: "2099" for "2029" would have handed the officer's cases to their cover for seventy years.
    const typo = await absence('leader', 'away', { from: '2027-03-01', to: '2099-03-05', coverId: id.cover });
    expect(typo.status).toBe(400);
    expect((typo.body as { message: string }).message).toBe(
      'an absence lasts at most 366 days (from 2027-02-28T17:00:00.000Z to 2099-03-05T17:00:00.000Z); record a longer one in parts',
    );
    expect((await absence('leader', 'away', { from: '2027-03-01', to: '2028-02-28', coverId: id.cover })).status).toBe(201);
  });
});
