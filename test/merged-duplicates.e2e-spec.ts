import { DataSource } from 'typeorm';
import { MergedGroupsReconciler } from '@fr/cases';
import { RouteCase } from '@fr/routing';
import { Clock, SlaService } from '@fr/sla';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, exportColumnsOffDefinition, TestEngine, waitFor } from '@fr/testing';

/**
 * A merged group moves as one. Duplicates merged into an original share its unit and officers; when
 * the original is transferred, returned, assigned from triage, given to a unit's new designees or
 * carried to a successor unit, its merged duplicates follow it (each with an assignment and a
 * `follow_original` event), so the unit holding the original also holds and sees its duplicates.
 * Redirected to another legal track, the original takes its duplicates with it: each citizen is sent
 * to the same place. A duplicate's citizen who asked for their data to be erased once the case closes
 * is answered when the group closes.
 */

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa (roads_lighting goes to QLDT). */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
/** Cầu Dền (sidewalk_encroachment goes to the ward P_CAU_DEN). */
const CAU_DEN = { lat: 21.0105, lng: 105.8542 };
const ANSWER = 'Phòng Quản lý đô thị đã thay bóng đèn chiếu sáng trên phố Trần Đại Nghĩa ngày 04/03; đèn đã sáng lại.';
const WHERE = 'Thanh tra quận Hai Bà Trưng, số 30 Lê Đại Hành: nội dung tố cáo được giải quyết theo Luật Tố cáo.';

interface Group {
  original: { id: string; trackingCode: string };
  duplicates: { id: string; trackingCode: string }[];
}

describe('a merged group moves and closes as one', () => {
  let engine: TestEngine;
  let admin: string;
  const tokens: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    admin = await adminToken(engine);
    for (const [who, role, unitCode] of [
      ['qldt', 'HANDLER', 'QLDT'],
      ['bk', 'HANDLER', 'P_BACH_KHOA'],
      ['cd', 'HANDLER', 'P_CAU_DEN'],
      ['vp', 'SUPERVISOR', 'VP'],
      ['nv', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      tokens[who] = (await createOfficer(engine, admin, { username: `mg.${who}`, role, unitCode })).token;
    }
  });
  afterAll(() => engine?.close());

  async function report(category: string, at: { lat: number; lng: number }, wardCode: string, citizen?: { name: string; phone: string }) {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `merged-group-${++n}`,
        category,
        description: `Phản ánh số ${n}: sự việc tại cùng một địa điểm, người dân đã báo nhiều lần.`,
        location: { lat: at.lat + n / 1_000_000, lng: at.lng, wardCode },
        ...(citizen ? { citizen } : {}),
      });
    expect(res.status).toBe(202);
    return res.body as { id: string; trackingCode: string };
  }
  const routed = (ids: string[]) =>
    waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = ANY($1::uuid[])`, [ids]),
      (rows) => rows.length === ids.length && rows.every((r) => r.status !== 'received'),
      { what: 'routing' },
    );
  const act = (who: string, id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(tokens[who]), id, action, body);
  const holders = (ids: string[]) =>
    engine.query<{ unit_code: string; handler_id: string | null; leader_id: string | null; status: string }>(
      `SELECT unit_code, handler_id::text, leader_id::text, status FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
  /** The original's unit and officers, as each duplicate should now hold them. */
  async function expectFollowing(g: Group) {
    const [o] = await holders([g.original.id]);
    const ds = await holders(g.duplicates.map((d) => d.id));
    expect(ds).toEqual(ds.map(() => ({ unit_code: o.unit_code, handler_id: o.handler_id, leader_id: o.leader_id, status: 'merged' })));
    return o;
  }
  async function mergedGroup(
    category: string,
    at: { lat: number; lng: number },
    wardCode: string,
    who: string,
    size: number,
    citizen = { name: 'Nguyễn Thị Hằng', phone: '0912345678' },
  ): Promise<Group> {
    const original = await report(category, at, wardCode);
    await routed([original.id]);
    const duplicates: Group['duplicates'] = [];
    for (let i = 0; i < size; i++) {
      duplicates.push(await report(category, at, wardCode, i === 0 ? citizen : undefined));
    }
    await routed(duplicates.map((d) => d.id));
    const linked = await engine.query<{ duplicate_of: string }>(`SELECT duplicate_of::text FROM cases WHERE id = ANY($1::uuid[])`, [
      duplicates.map((d) => d.id),
    ]);
    expect(linked.map((l) => l.duplicate_of)).toEqual(duplicates.map(() => original.id));
    await act(who, original.id, 'merge', { duplicateIds: duplicates.map((d) => d.id) });
    return { original, duplicates };
  }

  let light: Group;

  it('transferred, the original takes its merged duplicates to the new unit, which sees them; the old unit no longer does', async () => {
    light = await mergedGroup('roads_lighting', LIGHT, 'BACH_KHOA', 'qldt', 2);
    await act('qldt', light.original.id, 'transfer', { unitCode: 'P_BACH_KHOA', reason: 'Đèn do phường quản lý' });
    expect((await expectFollowing(light)).unit_code).toBe('P_BACH_KHOA');

    const [dup] = light.duplicates;
    expect((await engine.http().get(`/v1/cases/${dup.id}`).set(bearer(tokens.bk))).status).toBe(200);
    expect((await engine.http().get(`/v1/cases/${dup.id}`).set(bearer(tokens.qldt))).status).toBe(404);
    const timeline = (await engine.http().get(`/v1/cases/${dup.id}`).set(bearer(tokens.bk))).body as { timeline: { action: string }[] };
    expect(timeline.timeline.map((e) => e.action)).toEqual(['receive', 'route', 'link', 'join_original', 'follow_original']);
    const [event] = await engine.query<{ actor: string; data: Record<string, unknown> }>(
      `SELECT actor, data FROM audit_events WHERE case_id = $1 AND action = 'follow_original'`,
      [dup.id],
    );
    expect(event.data).toMatchObject({ originalId: light.original.id, fromUnit: 'QLDT', toUnit: 'P_BACH_KHOA' });
    const reasons = await engine.query<{ reason: string; unit_code: string }>(`SELECT reason, unit_code FROM assignments WHERE case_id = $1 ORDER BY id`, [
      dup.id,
    ]);
    expect(reasons.map((r) => `${r.reason}:${r.unit_code}`)).toEqual(['route:QLDT', 'follow_original:P_BACH_KHOA']);
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('returned to triage and assigned again, the original keeps its duplicates with it', async () => {
    await act('bk', light.original.id, 'return', { reason: 'Không thuộc thẩm quyền phường' });
    expect(await expectFollowing(light)).toMatchObject({ unit_code: 'VP', handler_id: null });
    await act('vp', light.original.id, 'assign', { unitCode: 'QLDT' });
    expect((await expectFollowing(light)).unit_code).toBe('QLDT');
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it("follows the unit's new designees with the original, without adding to the units path", async () => {
    const handler = await createOfficer(engine, admin, { username: 'mg.qldt.designee', role: 'HANDLER', unitCode: 'QLDT' });
    const [unit] = await engine.query<{ leader_id: string | null }>(`SELECT leader_id::text FROM units WHERE code = 'QLDT'`);
    const res = await engine.http().put('/v1/units/QLDT/designation').set(bearer(admin)).send({ handlerId: handler.id, leaderId: unit.leader_id });
    expect(res.status).toBe(200);
    expect((await expectFollowing(light)).handler_id).toBe(handler.id);
    const reasons = await engine.query<{ reason: string }>(`SELECT reason FROM assignments WHERE case_id = $1 ORDER BY id`, [light.duplicates[0].id]);
    expect(reasons.map((r) => r.reason).slice(-1)).toEqual(['designation']);
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it("counts the duplicates for no unit they followed their original to, and closes them with the original's answer", async () => {
    // The first duplicate's citizen asked for their contact details to be erased once the case closes.
    const erase = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: '0912345678' });
    expect(erase.status).toBe(201);
    expect(erase.body).toMatchObject({ status: 'waiting_for_closure', waitingFor: [light.duplicates[0].trackingCode] });

    await act('qldt', light.original.id, 'acknowledge', { severity: 'normal' });
    await act('qldt', light.original.id, 'resolve', { answer: ANSWER });
    const closed = await engine.query<{ status: string; closed_as: string; answer: string; citizen_phone: string | null }>(
      `SELECT status, closed_as, answer, citizen_phone FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [light.duplicates.map((d) => d.id)],
    );
    expect(closed.map(({ citizen_phone: _, ...c }) => c)).toEqual(light.duplicates.map(() => ({ status: 'closed', closed_as: 'duplicate', answer: ANSWER })));
    expect(closed.map((c) => c.citizen_phone)).toEqual([null, null]);
    const after = await engine
      .http()
      .get(`/v1/privacy/requests/${(erase.body as { id: string }).id}`)
      .set(KEY);
    expect(after.body).toMatchObject({ status: 'answered', waitingFor: [] });

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const res = await engine
      .http()
      .get(`/v1/audits/units?from=${day(-1)}&to=${day(1)}`)
      .set(bearer(tokens.nv));
    expect(res.status).toBe(200);
    const units = (res.body as { units: { unitCode: string; received: number; mergedDuplicates: number }[] }).units;
    // Bách Khoa and the office received the original only (by transfer, by return); QLDT all three, where they were merged.
    expect(units.find((u) => u.unitCode === 'P_BACH_KHOA')).toMatchObject({ received: 1, mergedDuplicates: 0 });
    expect(units.find((u) => u.unitCode === 'VP')).toMatchObject({ received: 1, mergedDuplicates: 0 });
    expect(units.find((u) => u.unitCode === 'QLDT')).toMatchObject({ received: 3, mergedDuplicates: 2 });
  });

  it("redirected to another legal track, the original sends its duplicates there too, and each citizen's status view says where to go", async () => {
    const g = await mergedGroup('roads_lighting', { lat: LIGHT.lat + 0.01, lng: LIGHT.lng }, 'BACH_KHOA', 'qldt', 1);
    await act('vp', g.original.id, 'redirect-other-track', { reason: 'Nội dung là tố cáo cán bộ', whereToGo: WHERE });
    const [dup] = g.duplicates;
    const status = await engine.http().get(`/v1/feedback/${dup.trackingCode}`).set(KEY);
    expect(status.body).toMatchObject({ status: 'closed', otherTrack: { whereToGo: WHERE } });
    const [event] = await engine.query<{ id: string; action: string; data: Record<string, unknown> }>(
      `SELECT id::text, action, data FROM audit_events WHERE case_id = $1 ORDER BY id DESC LIMIT 1`,
      [dup.id],
    );
    expect(event).toMatchObject({ action: 'close_with_original', data: { originalId: g.original.id, closedAs: 'other_track' } });
    // Where the citizen is sent is an officer's words: kept beside the chain, which holds only its hash.
    expect(JSON.stringify(event.data)).not.toContain('Thanh tra');
    expect(event.data.texts).toEqual({ whereToGo: expect.any(String) as unknown });
    const aside = await engine.query<{ field: string; body: string }>(`SELECT field, body FROM audit_event_texts WHERE event_id = $1`, [event.id]);
    expect(aside).toEqual([{ field: 'whereToGo', body: WHERE }]);
  });

  it("shows no member's phone or e-mail to another through the group's where to go, in the status view, Open311 or the channel's webhook", async () => {
    const at = { lat: LIGHT.lat + 0.02, lng: LIGHT.lng };
    const original = await report('roads_lighting', at, 'BACH_KHOA', { name: 'Nguyễn Văn An', phone: '0911111111' });
    await routed([original.id]);
    const dup = await report('roads_lighting', at, 'BACH_KHOA', { name: 'Lê Thị Bình', phone: '0922222222' });
    await routed([dup.id]);
    await act('qldt', original.id, 'merge', { duplicateIds: [dup.id] });
    // The office wrote both callers' numbers beside its own: each citizen's was masked in their own view only.
    const where = 'Ông An (0911111111) và bà Bình (0922222222) gửi đơn tới Ban Tiếp công dân quận, ĐT (024) 3978 4123.';
    // The channel's webhook is told too: each delivery's payload is frozen as it is made.
    await engine.query(`UPDATE channels SET webhook_url = 'https://hooks.ihanoi.example/status' WHERE code = 'ihanoi'`);
    await act('vp', original.id, 'redirect-other-track', { reason: 'Nội dung là tố cáo cán bộ', whereToGo: where });
    const masked = 'Ông An (09******11) và bà Bình (09******22) gửi đơn tới Ban Tiếp công dân quận, ĐT (024) 3978 4123.';
    for (const c of [original, dup]) {
      const status = await engine.http().get(`/v1/feedback/${c.trackingCode}`).set(KEY);
      expect((status.body as { otherTrack: { whereToGo: string } }).otherTrack.whereToGo).toBe(masked);
      const [request] = (await engine.http().get(`/open311/v2/requests/${c.trackingCode}.json`).expect(200)).body as { status_notes: string }[];
      expect(request.status_notes).toBe(`closed: ${masked}`);
    }
    const payloads = await waitFor(
      () =>
        engine.query<{ where: string }>(
          `SELECT d.payload->'otherTrack'->>'whereToGo' AS where FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
            WHERE e.case_id = ANY($1::uuid[]) AND d.payload->'otherTrack' <> 'null'::jsonb`,
          [[original.id, dup.id]],
        ),
      (rows) => rows.length === 2,
      { what: "the group's deliveries of where to go" },
    );
    expect(payloads.map((p) => p.where)).toEqual([masked, masked]);
    await engine.query(`UPDATE channels SET webhook_url = NULL WHERE code = 'ihanoi'`);
  });

  it('carried to a successor unit by a reorganisation, the original takes its duplicates along', async () => {
    const g = await mergedGroup('sidewalk_encroachment', CAU_DEN, 'CAU_DEN', 'cd', 1);
    expect((await expectFollowing(g)).unit_code).toBe('P_CAU_DEN');
    // In force from now: the worker applies it at once.
    const plan = {
      name: 'Sắp xếp thử nghiệm (nhóm trùng)',
      effectiveAt: new Date().toISOString(),
      newUnits: [],
      merges: [{ into: 'P_BACH_KHOA', from: ['P_CAU_DEN'] }],
    };
    const scheduled = await engine.http().post('/v1/reorganisations').set(bearer(admin)).send(plan);
    expect(scheduled.status).toBe(201);
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM reorganisations WHERE id = $1`, [(scheduled.body as { id: string }).id]),
      (r) => r[0]?.status === 'applied',
      { what: 'the reorganisation applied' },
    );
    expect((await expectFollowing(g)).unit_code).toBe('P_BACH_KHOA');
    // The successor's area, as its original was given.
    const areas = await engine.query<{ area_code: string }>(`SELECT area_code FROM cases WHERE id = ANY($1::uuid[])`, [[g.original.id, g.duplicates[0].id]]);
    expect(areas).toEqual([{ area_code: 'BACH_KHOA' }, { area_code: 'BACH_KHOA' }]);
    const [event] = await engine.query<{ actor: string }>(`SELECT actor FROM audit_events WHERE case_id = $1 AND action = 'follow_original'`, [
      g.duplicates[0].id,
    ]);
    expect(event.actor).toBe('system:reorganisation');
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });

  it('puts groups that drifted apart under an earlier release back together on the maintenance sweep', async () => {
    const moved = await mergedGroup('roads_lighting', { lat: LIGHT.lat + 0.02, lng: LIGHT.lng }, 'BACH_KHOA', 'qldt', 1);
    const redirected = await mergedGroup('roads_lighting', { lat: LIGHT.lat + 0.03, lng: LIGHT.lng }, 'BACH_KHOA', 'qldt', 1, {
      name: 'Lê Văn Tâm',
      phone: '0987654321',
    });
    // What an earlier release left behind: one original transferred without its duplicates, one
    // redirected to another track with its duplicate still merged (written here as it wrote them).
    const [bk] = await engine.query<{ handler_id: string; leader_id: string }>(
      `SELECT handler_id::text, leader_id::text FROM units WHERE code = 'P_BACH_KHOA'`,
    );
    await engine.query(`UPDATE cases SET unit_code = 'P_BACH_KHOA', handler_id = $2, leader_id = $3 WHERE id = $1`, [
      moved.original.id,
      bk.handler_id,
      bk.leader_id,
    ]);
    await engine.query(`UPDATE cases SET status = 'closed', closed_as = 'other_track', where_to_go = $2, closed_at = now() WHERE id = $1`, [
      redirected.original.id,
      WHERE,
    ]);
    const erase = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: '0987654321' });
    expect(erase.body).toMatchObject({ status: 'waiting_for_closure', waitingFor: [redirected.duplicates[0].trackingCode] });

    const sweep = engine.worker!.get(MergedGroupsReconciler);
    await waitFor(
      async () => (await sweep.runOnce(), holders([moved.duplicates[0].id, redirected.duplicates[0].id])),
      () => true,
      { what: 'a sweep' },
    );
    expect((await expectFollowing(moved)).unit_code).toBe('P_BACH_KHOA');
    // Closed as its original was; where to go was erased with the contact, as the citizen asked.
    const [closed] = await engine.query<{ status: string; closed_as: string; citizen_phone: string | null }>(
      `SELECT status, closed_as, citizen_phone FROM cases WHERE id = $1`,
      [redirected.duplicates[0].id],
    );
    expect(closed).toEqual({ status: 'closed', closed_as: 'other_track', citizen_phone: null });
    const after = await engine
      .http()
      .get(`/v1/privacy/requests/${(erase.body as { id: string }).id}`)
      .set(KEY);
    expect(after.body).toMatchObject({ status: 'answered', waitingFor: [] });
    const events = await engine.query<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_events WHERE case_id = ANY($1::uuid[]) AND actor = 'system:merged-groups' ORDER BY id`,
      [[moved.duplicates[0].id, redirected.duplicates[0].id]],
    );
    expect(events.map((e) => e.action).sort()).toEqual(['close_with_original', 'follow_original']);
    // Put right once: the next sweep finds nothing.
    expect(await sweep.runOnce()).toBe(0);
    // The maintenance sweep looks at each start and then every 6 hours, not on each 30 s tick.
    const later = Date.now() + 24 * 3600_000;
    await waitFor(
      () => sweep.runIfDue(later),
      (n) => n === 0,
      { what: 'a look when due' },
    );
    expect(await sweep.runIfDue(later + 3600_000)).toBeNull();
    expect(await sweep.runIfDue(later + 7 * 3600_000)).toBe(0);
    expect(await exportColumnsOffDefinition(engine)).toEqual([]);
  });
});

describe('a group whose duplicate had duplicates of its own', () => {
  let engine: TestEngine;
  let routeCase: RouteCase;
  const tokens: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    // No worker: the test routes each case itself, in the order that makes a nested group.
    engine = await TestEngine.start({ worker: false, env: { FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    routeCase = new RouteCase(engine.api.get(DataSource), engine.api.get(SlaService), engine.api.get(Clock), engine.config);
    const admin = await adminToken(engine);
    tokens.qldt = (await createOfficer(engine, admin, { username: 'mg.nested.qldt', role: 'HANDLER', unitCode: 'QLDT' })).token;
    tokens.bk = (await createOfficer(engine, admin, { username: 'mg.nested.bk', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(() => engine?.close());

  /** A lamp report `metres` north of the light. */
  async function report(metres: number) {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `nested-group-${++n}`,
        category: 'roads_lighting',
        description: `Đèn đường trên phố Trần Đại Nghĩa bị tắt, cách cổng trường khoảng ${metres} mét (phản ánh ${n}).`,
        location: { lat: LIGHT.lat + metres / 111_195, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    return res.body as { id: string; trackingCode: string };
  }
  const act = (who: string, id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(tokens[who]), id, action, body);
  const row = async (id: string) =>
    (
      await engine.query<{ status: string; duplicate_of: string | null; unit_code: string; answer: string | null }>(
        `SELECT status, duplicate_of::text, unit_code, answer FROM cases WHERE id = $1`,
        [id],
      )
    )[0];

  it("a report linked to a case still waiting to be routed joins that case's original when it is linked", async () => {
    const original = await report(0);
    await routeCase.execute(original.id);
    // Received in this order, routed the other way round: the later report links to the earlier one,
    // still unrouted (the oldest open case then), which is linked to the original only when routed.
    const middle = await report(100);
    const late = await report(200);
    await routeCase.execute(late.id);
    expect((await row(late.id)).duplicate_of).toBe(middle.id);
    await routeCase.execute(middle.id);
    expect((await row(middle.id)).duplicate_of).toBe(original.id);
    expect((await row(late.id)).duplicate_of).toBe(original.id);
    const [relink] = await engine.query<{ action: string; actor: string; data: Record<string, unknown> }>(
      `SELECT action, actor, data FROM audit_events WHERE case_id = $1 ORDER BY id DESC LIMIT 1`,
      [late.id],
    );
    expect(relink).toMatchObject({ action: 'relink', actor: 'system:duplicates', data: { originalId: original.id, fromOriginalId: middle.id } });
    // The original's handler is told of both reports, the relinked one too.
    const told = await engine.query<{ title: string }>(`SELECT title FROM notifications WHERE kind = 'duplicate' AND case_id = $1 ORDER BY id`, [original.id]);
    expect(told.map((t) => t.title)).toEqual([
      `Phản ánh trùng: ${middle.trackingCode} có thể trùng ${original.trackingCode}`,
      `Phản ánh trùng: ${late.trackingCode} có thể trùng ${original.trackingCode}`,
    ]);
    // One group: the original merges both.
    await act('qldt', original.id, 'merge', { duplicateIds: [middle.id, late.id] });
    for (const id of [middle.id, late.id]) expect(await row(id)).toMatchObject({ status: 'merged', duplicate_of: original.id });
  });

  it('a report whose likely original is being routed meanwhile waits for it, and joins the group that routing put it in', async () => {
    const original = await report(2000);
    await routeCase.execute(original.id);
    const middle = await report(2100);
    const late = await report(2200);
    // The middle report's routing in progress: linked to the original, not yet committed.
    let routed!: () => void;
    const middleRouted = new Promise<void>((r) => (routed = r));
    let commit!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    const first = engine.api.get(DataSource).transaction(async (m) => {
      await routeCase.executeManyIn(m, [middle.id]);
      routed();
      await gate;
    });
    await middleRouted;
    const second = routeCase.execute(late.id);
    await waitFor(
      () =>
        engine.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM cases WHERE id = $1 FOR SHARE%'`,
        ),
      (rows) => rows.length === 1,
      { what: "the late report's routing to wait for the middle one's" },
    );
    commit();
    await first;
    await second;
    expect((await row(middle.id)).duplicate_of).toBe(original.id);
    expect((await row(late.id)).duplicate_of).toBe(original.id);
  });

  it('merged into the original, a duplicate brings its own merged duplicates into the group, which then moves and closes as one', async () => {
    const original = await report(1000);
    await routeCase.execute(original.id);
    const middle = await report(1100);
    await routeCase.execute(middle.id);
    const late = await report(1200);
    await routeCase.execute(late.id);
    // A nested group as an earlier release could leave it (the late report linked to the middle one).
    await engine.query(`UPDATE cases SET duplicate_of = $2 WHERE id = $1`, [late.id, middle.id]);

    await act('qldt', middle.id, 'merge', { duplicateIds: [late.id] });
    await act('qldt', original.id, 'merge', { duplicateIds: [middle.id] });
    expect(await row(late.id)).toMatchObject({ status: 'merged', duplicate_of: original.id, unit_code: 'QLDT' });
    const [relink] = await engine.query<{ action: string; data: Record<string, unknown> }>(
      `SELECT action, data FROM audit_events WHERE case_id = $1 ORDER BY id DESC LIMIT 1`,
      [late.id],
    );
    expect(relink).toMatchObject({ action: 'relink', data: { originalId: original.id, fromOriginalId: middle.id } });

    await act('qldt', original.id, 'transfer', { unitCode: 'P_BACH_KHOA', reason: 'Đèn do phường quản lý' });
    expect((await row(late.id)).unit_code).toBe('P_BACH_KHOA');
    expect((await engine.http().get(`/v1/cases/${late.id}`).set(bearer(tokens.qldt))).status).toBe(404);
    expect((await engine.http().get(`/v1/cases/${late.id}`).set(bearer(tokens.bk))).status).toBe(200);

    await act('bk', original.id, 'acknowledge', { severity: 'normal' });
    await act('bk', original.id, 'resolve', { answer: ANSWER });
    for (const id of [middle.id, late.id]) expect(await row(id)).toMatchObject({ status: 'closed', answer: ANSWER });
  });
});
