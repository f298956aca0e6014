import { DataSource } from 'typeorm';
import { findDuplicateCandidates, selectRows, Sql } from '@fr/persistence';
import {
  adminToken,
  ApiSchema,
  bearer,
  createOfficer,
  DEV_KEYS,
  errorOf,
  seedOpenCases,
  startWebhookReceiver,
  TestEngine,
  waitFor,
  WebhookReceiver,
} from '@fr/testing';

/**
 * Duplicates (issue 14, item 3): twenty residents report one broken street light. Intake takes every
 * report; routing links nineteen to the oldest; the unit merges them, answers once, and every citizen
 * hears the answer through their own channel; the unit's figures show one resolved case and nineteen
 * merged duplicates. A false match is unlinked and goes on by itself. The candidate search reads an
 * index, not the table.
 */

jest.setTimeout(60_000);

const CHANNELS = { ihanoi: DEV_KEYS.ihanoi, hotline_1022: DEV_KEYS.hotline } as const;
type Channel = keyof typeof CHANNELS;
/** Trần Đại Nghĩa at Bách Khoa: the light everyone reports. */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const UNIT = 'QLDT';
const ANSWER = 'Phòng Quản lý đô thị đã thay bóng đèn chiếu sáng số 12 trên phố Trần Đại Nghĩa ngày 02/12; đèn đã sáng lại, ảnh sau sửa chữa đính kèm.';

/** ~`metres` north-east of the light: every report lies within 150 m of every other. */
const near = (metres: number) => ({ lat: LIGHT.lat + metres / 111_195, lng: LIGHT.lng + metres / 103_800 });

describe('duplicate reports', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    const admin = await adminToken(engine);
    tokens.handler = (await createOfficer(engine, admin, { username: 'qldt.dup.handler', role: 'HANDLER', unitCode: UNIT })).token;
    tokens.other = (await createOfficer(engine, admin, { username: 'bk.dup.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    tokens.auditor = (await createOfficer(engine, admin, { username: 'nv.dup.auditor', role: 'AUDITOR', unitCode: 'NOI_VU' })).token;
    // Each channel's status webhook: how its citizens hear about their cases.
    for (const channel of Object.keys(CHANNELS)) {
      const res = await engine
        .http()
        .put(`/v1/channels/${channel}/webhook`)
        .set(bearer(admin))
        .send({ url: `${rx.url}/${channel}` });
      expect(res.status).toBe(200);
      rx.trust(`/${channel}`, (res.body as ApiSchema<'ChannelWebhookViewDto'>).secret!);
    }
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  async function report(channel: Channel, i: number, over: Record<string, unknown> = {}): Promise<{ id: string; trackingCode: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': CHANNELS[channel] })
      .send({
        externalId: `dup-${channel}-${i}`,
        category: 'roads_lighting',
        description: `Đèn đường trước cổng Đại học Bách Khoa trên phố Trần Đại Nghĩa bị tắt mấy đêm nay (phản ánh ${i}).`,
        location: { ...near(i * 5), wardCode: 'BACH_KHOA' },
        citizen: { name: `Người dân ${i}`, phone: `09120000${String(i).padStart(2, '0')}` },
        ...over,
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
  const version = async (id: string) => (await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]))[0].version;
  const act = async (who: string, id: string, action: string, body: Record<string, unknown> = {}) =>
    engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(tokens[who]))
      .send({ expectedVersion: await version(id), ...body });
  const detail = async (id: string) => (await engine.http().get(`/v1/cases/${id}`).set(bearer(tokens.handler))).body as CaseBody;

  interface CaseBody {
    status: string;
    dueAt: string | null;
    duplicateOf: { id: string; trackingCode: string; status: string } | null;
    duplicates: { id: string; trackingCode: string; status: string }[];
    timeline: { action: string }[];
  }

  const reports: { id: string; trackingCode: string }[] = [];
  let falseMatch: { id: string; trackingCode: string };

  it('links twenty reports of one problem within the radius to one original, and tells its handler', async () => {
    // One after another, alternating channels: the first is the oldest, hence the original.
    for (let i = 0; i < 20; i++) reports.push(await report(i % 2 ? 'hotline_1022' : 'ihanoi', i));
    // Not the same problem: another category at the same spot, the same category 2 km away.
    const otherCategory = await report('ihanoi', 90, { category: 'sanitation', description: 'Rác thải để bừa bãi trước cổng trường, bốc mùi.' });
    const farAway = await report('ihanoi', 91, { location: { lat: LIGHT.lat + 0.018, lng: LIGHT.lng, wardCode: 'BACH_KHOA' } });
    await routed([...reports, otherCategory, farAway].map((r) => r.id));

    const [original, ...rest] = reports;
    const group = await engine.query<{ id: string; duplicate_of: string | null; status: string }>(
      `SELECT id, duplicate_of, status FROM cases WHERE id = ANY($1::uuid[])`,
      [reports.map((r) => r.id)],
    );
    expect(group.filter((c) => c.duplicate_of === null).map((c) => c.id)).toEqual([original.id]);
    expect(group.filter((c) => c.duplicate_of === original.id)).toHaveLength(19);
    // Every report is kept and routed like any other: nobody is refused.
    expect(group.every((c) => c.status === 'assigned')).toBe(true);
    const unrelated = await engine.query<{ duplicate_of: string | null }>(`SELECT duplicate_of FROM cases WHERE id = ANY($1::uuid[])`, [
      [otherCategory.id, farAway.id],
    ]);
    expect(unrelated.map((c) => c.duplicate_of)).toEqual([null, null]);

    const o = await detail(original.id);
    expect(o.duplicateOf).toBeNull();
    expect(o.duplicates.map((d) => d.trackingCode)).toEqual(rest.map((r) => r.trackingCode));
    const d = await detail(rest[0].id);
    expect(d.duplicateOf).toEqual({ id: original.id, trackingCode: original.trackingCode, status: 'assigned' });
    expect(d.timeline.map((e) => e.action)).toEqual(['receive', 'route', 'link']);

    // The original's handler is told, once per linked case.
    const told = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications n JOIN cases c ON c.id = n.case_id
        WHERE n.kind = 'duplicate' AND c.id = $1 AND n.officer_id = c.handler_id`,
      [original.id],
    );
    expect(told[0].n).toBe(19);
  });

  it('shows channels the open original nearby, without personal data', async () => {
    const res = await engine.http().get(`/v1/feedback/nearby?lat=${LIGHT.lat}&lng=${LIGHT.lng}&category=roads_lighting`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(res.status).toBe(200);
    // The far-away report lies outside the radius; linked duplicates are not shown again.
    expect(res.body).toEqual([
      { trackingCode: reports[0].trackingCode, status: 'assigned', category: 'roads_lighting', distanceM: 0, submittedAt: expect.any(String) as unknown },
    ]);
    const bad = await engine.http().get(`/v1/feedback/nearby?lat=91&lng=${LIGHT.lng}&category=roads_lighting`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/lat/);
    const unknown = await engine.http().get(`/v1/feedback/nearby?lat=${LIGHT.lat}&lng=${LIGHT.lng}&category=no_such`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(unknown.status).toBe(422);
    expect((await engine.http().get(`/v1/feedback/nearby?lat=${LIGHT.lat}&lng=${LIGHT.lng}&category=roads_lighting`)).status).toBe(401);
  });

  it('unlinks a false match, which is then handled on its own', async () => {
    // A twenty-first report nearby, about a different lamp post: linked, then found to be another problem.
    falseMatch = await report('ihanoi', 21, { description: 'Cột đèn số 15 bị nghiêng sau mưa bão, có nguy cơ đổ.' });
    await routed([falseMatch.id]);
    expect((await detail(falseMatch.id)).duplicateOf?.id).toBe(reports[0].id);

    // Another unit's handler cannot touch it; the unit's handler can.
    expect((await act('other', falseMatch.id, 'unlink')).status).toBe(404);
    const res = await act('handler', falseMatch.id, 'unlink');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'assigned', duplicateOf: null });
    expect((await act('handler', falseMatch.id, 'unlink')).status).toBe(422);
    expect((await detail(reports[0].id)).duplicates.map((d) => d.id)).not.toContain(falseMatch.id);

    // On its own: its own clock, its own handling.
    const acked = await act('handler', falseMatch.id, 'acknowledge', { severity: 'normal' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: 'in_progress', dueAt: expect.any(String) as unknown });
  });

  it('merges the nineteen into the original: their clocks stop, and its answer reaches all twenty citizens through their channels', async () => {
    const [original, ...rest] = reports;
    expect((await act('handler', original.id, 'acknowledge', { severity: 'normal' })).status).toBe(200);
    // Only cases linked to this original can join it.
    const wrong = await act('handler', original.id, 'merge', { duplicateIds: [falseMatch.id] });
    expect(wrong.status).toBe(422);
    // A case that is not linked, or not there at all, gets one answer that tells nothing about it.
    const notLinked = (id: string) => `case '${id}' is not linked to this case; only cases linked to it can be merged into it`;
    expect(errorOf(wrong).message).toBe(notLinked(falseMatch.id));
    const nobody = '7d3c9a3e-2f4b-4c1e-9a57-0b1f2c3d4e5f';
    expect(errorOf(await act('handler', original.id, 'merge', { duplicateIds: [nobody] })).message).toBe(notLinked(nobody));
    const merged = await act('handler', original.id, 'merge', { duplicateIds: rest.map((r) => r.id) });
    expect(merged.status).toBe(200);
    expect((merged.body as ApiSchema<'CaseDetailDto'>).duplicates.map((d) => d.status)).toEqual(rest.map(() => 'merged'));

    // The SLA follows the original: the duplicates have no deadline or stage left for a timer to escalate.
    const clocks = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cases WHERE id = ANY($1::uuid[]) AND (due_at IS NOT NULL OR stage IS NOT NULL OR status <> 'merged')`,
      [rest.map((r) => r.id)],
    );
    expect(clocks[0].n).toBe(0);
    expect((await detail(original.id)).dueAt).toEqual(expect.any(String));
    // The citizen of a merged report is shown the case it joined, to follow it there.
    const joined = await engine.http().get(`/v1/feedback/${rest[0].trackingCode}`).set({ 'X-Api-Key': DEV_KEYS.hotline });
    expect(joined.body).toMatchObject({ status: 'merged', dueAt: null, duplicateOf: { trackingCode: original.trackingCode, status: 'in_progress' } });
    // Open311 says so too: open while the problem is, its notes naming the request that holds it.
    const [request] = (await engine.http().get(`/open311/v2/requests/${rest[0].trackingCode}.json`).expect(200)).body as {
      status: string;
      status_notes: string;
    }[];
    expect(request).toMatchObject({ status: 'open', status_notes: `merged: into ${original.trackingCode}, which holds the problem's answer` });
    const again = await act('handler', original.id, 'merge', { duplicateIds: [rest[0].id] });
    expect(again.status).toBe(409);
    expect(errorOf(again).message).toBe(`case ${rest[0].trackingCode} is 'merged': only an open case linked to this one can join it`);

    const resolved = await act('handler', original.id, 'resolve', { answer: ANSWER });
    expect(resolved.status).toBe(200);
    const after = await engine.query<{ status: string; closed_as: string | null; answer: string }>(
      `SELECT status, closed_as, answer FROM cases WHERE id = ANY($1::uuid[])`,
      [rest.map((r) => r.id)],
    );
    expect(after.every((c) => c.status === 'closed' && c.closed_as === 'duplicate' && c.answer === ANSWER)).toBe(true);
    const status = await engine.http().get(`/v1/feedback/${rest[0].trackingCode}`).set({ 'X-Api-Key': DEV_KEYS.hotline });
    expect(status.body).toMatchObject({ status: 'closed', answer: ANSWER, duplicateOf: { trackingCode: original.trackingCode, status: 'resolved' } });

    // Webhook deliveries counted: one answer per citizen, each to the channel the report came by.
    const answered = () =>
      rx.calls
        .filter((c) => c.verifiedWith !== null)
        .map((c) => ({ path: c.path, body: JSON.parse(c.body) as { trackingCode: string; answer: string | null; status: string } }))
        .filter((c) => c.body.answer === ANSWER);
    const calls = await waitFor(
      async () => answered(),
      (c) => new Set(c.map((x) => x.body.trackingCode)).size === 20,
      { what: 'the answer delivered to twenty citizens' },
    );
    const byCode = new Map(calls.map((c) => [c.body.trackingCode, c.path]));
    reports.forEach((r, i) =>
      expect({ code: r.trackingCode, path: byCode.get(r.trackingCode) }).toEqual({ code: r.trackingCode, path: i % 2 ? '/hotline_1022' : '/ihanoi' }),
    );
    expect(byCode.has(falseMatch.trackingCode)).toBe(false);
  });

  it("counts one resolved case and nineteen merged duplicates in the unit's metrics", async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const res = await engine
      .http()
      .get(`/v1/audits/units?from=${day(-1)}&to=${day(1)}`)
      .set(bearer(tokens.auditor));
    expect(res.status).toBe(200);
    const unit = (res.body as ApiSchema<'UnitMetricsReportDto'>).units.find((u) => u.unitCode === UNIT);
    // Received: the twenty, the far-away report and the false match. Open: the false match and the far-away one.
    expect(unit).toMatchObject({ received: 22, resolved: 1, mergedDuplicates: 19, open: 2 });
  });

  it('finds candidates through the partial indexes, not by scanning the cases', async () => {
    await seedOpenCases((sql, params) => engine.query(sql, params), {
      count: 10_000,
      categories: ['sanitation', 'sidewalk_encroachment', 'public_order'],
      wards: ['BACH_KHOA', 'BACH_MAI', 'PHO_HUE'],
      days: 20,
    });
    const plans: string[] = [];
    // The search's own SQL, explained: the db handed to it runs EXPLAIN in front of every statement.
    const explain = {
      query: async (text: string, params: unknown[]) => {
        const rows = await engine.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
        plans.push(JSON.stringify(rows[0]['QUERY PLAN']));
        return [];
      },
    } as unknown as Sql;
    await findDuplicateCandidates(explain, {
      category: 'sanitation',
      point: { lat: 21.02, lng: 105.85 },
      radiusM: 150,
      addressKey: '12 pho 7',
      areaCode: 'PHO_HUE',
      since: new Date(Date.now() - 30 * 86_400_000),
      limit: 1,
    });
    expect(plans).toHaveLength(1);
    expect(plans[0]).toContain('cases_dup_geo_idx');
    expect(plans[0]).toContain('cases_dup_area_address_idx');
    expect(plans[0]).not.toContain('Seq Scan');
  });

  it("routing's locking statement finds the same original for each case as the search does, window and ties included", async () => {
    // Among the 10,000 open cases seeded above (the last 20 days) and 1,500 older ones (25-45 days, so the
    // window of 30 days cuts through them): 300 received cases in a corner of the box, dense enough that
    // most have an original, some without a point, some without an address, some with neither; and 30
    // received at the same instant at one spot outside the box, whose ties the search breaks by id.
    const runner = engine.api.get(DataSource).createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query(
        `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, submitted_at, received_at, lat, lng, ward_code, area_code, address_key)
         SELECT 'O' || lpad(g::text, 10, '0'), 'ihanoi', (ARRAY['sanitation', 'sidewalk_encroachment'])[1 + g % 2], 'older open case', 'assigned', t, t,
                20.95 + random() * 0.01, 105.75 + random() * 0.01, (ARRAY['BACH_KHOA', 'BACH_MAI', 'PHO_HUE'])[1 + g % 3], (ARRAY['BACH_KHOA', 'BACH_MAI', 'PHO_HUE'])[1 + g % 3],
                (g % 400)::text || ' pho ' || (g % 53)::text
           FROM generate_series(1, 1500) g, LATERAL (SELECT now() - interval '25 days' - random() * interval '20 days' - g * interval '0' AS t) r`,
      );
      const received = await selectRows<{
        id: string;
        category_code: string;
        area_code: string;
        address_key: string | null;
        lat: number | null;
        lng: number | null;
        received_at: Date;
      }>(
        runner.manager,
        `INSERT INTO cases (tracking_code, channel_code, category_code, description, status, submitted_at, received_at, lat, lng, ward_code, area_code, address_key)
         SELECT 'R' || lpad(g::text, 10, '0'), 'ihanoi', (ARRAY['sanitation', 'sidewalk_encroachment'])[1 + g % 2], 'received case', 'received', t, t,
                CASE WHEN g % 5 = 0 THEN NULL ELSE 20.95 + random() * 0.01 END, CASE WHEN g % 5 = 0 THEN NULL ELSE 105.75 + random() * 0.01 END,
                -- Placed by intake: a third by the wardCode the channel sent, the others by their address alone.
                CASE WHEN g % 3 = 0 THEN (ARRAY['BACH_KHOA', 'BACH_MAI', 'PHO_HUE'])[1 + g % 3] END, (ARRAY['BACH_KHOA', 'BACH_MAI', 'PHO_HUE'])[1 + g % 3],
                CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 400)::text || ' pho ' || (g % 53)::text END
           FROM generate_series(1, 300) g, LATERAL (SELECT now() - random() * interval '20 days' - g * interval '0' AS t) r
         UNION ALL
         SELECT 'T' || lpad(g::text, 10, '0'), 'ihanoi', 'sanitation', 'received case, same instant', 'received', t, t, 21.2, 106.0, NULL, 'BACH_KHOA', 'ngo hoa binh'
           FROM generate_series(1, 30) g, (SELECT date_trunc('second', now()) - interval '3 days' AS t) r
         RETURNING id::text, category_code, area_code, address_key, lat, lng, received_at`,
      );
      const { radiusM, windowDays } = engine.config.duplicates;
      const locked = await selectRows<{ id: string; dup_id: string | null; dup_distance_m: number | null }>(
        runner.manager,
        `SELECT id::text, dup_id::text, dup_distance_m FROM routing_cases($1::uuid[], $2::float8, $3::float8)`,
        [received.map((c) => c.id), radiusM, windowDays * 86_400],
      );
      expect(locked).toHaveLength(330);
      const byId = new Map(locked.map((r) => [r.id, r]));
      let found = 0;
      for (const c of received) {
        const point = c.lat !== null && c.lng !== null ? { lat: c.lat, lng: c.lng } : null;
        const [original] =
          point || c.address_key
            ? await findDuplicateCandidates(runner.manager, {
                category: c.category_code,
                point,
                radiusM,
                addressKey: c.address_key,
                areaCode: c.area_code,
                since: new Date(c.received_at.getTime() - windowDays * 86_400_000),
                before: { id: c.id },
                limit: 1,
              })
            : [];
        const mine = byId.get(c.id)!;
        expect({ id: c.id, original: mine.dup_id, distanceM: mine.dup_distance_m === null ? null : Math.round(mine.dup_distance_m) }).toEqual({
          id: c.id,
          original: original?.id ?? null,
          distanceM: original?.distance_m == null ? null : Math.round(original.distance_m),
        });
        if (original) found++;
      }
      // Both kinds of match and none at all were met; in the group received at one instant, each case's
      // original is the one with the lowest id.
      expect(found).toBeGreaterThan(100);
      expect(found).toBeLessThan(330);
      const group = received.filter((c) => c.address_key === 'ngo hoa binh').map((c) => c.id);
      const lowest = [...group].sort()[0];
      expect(group.filter((id) => id !== lowest).every((id) => byId.get(id)!.dup_id === lowest)).toBe(true);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
