import { DeliveriesReconciler } from '@fr/notifications';
import { adminToken, apiContract, bearer, createOfficer, DEV_KEYS, errorOf, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { NoticeDto } from '../apps/api/src/compliance/compliance.dto';
import type { ChannelWebhookViewDto, RegisteredWebhookDto } from '../apps/api/src/webhooks/webhooks.controller';

describe('notices: published by a ward, delivered once to subscribed channels, listed for citizens', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  const tokens: Record<string, string> = {};
  const as = (who: string) => bearer(tokens[who]);
  const CONTACT = 'ông Nguyễn Văn Bình, 0987 654 321';

  beforeAll(async () => {
    // Every call is verified with the Standard Webhooks library against the secret of its path.
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    tokens.admin = await adminToken(engine);
    for (const [username, role, unitCode] of [
      ['bk.lanhdao', 'LEADER', 'P_BACH_KHOA'],
      ['nv.kiemtra', 'AUDITOR', 'NOI_VU'],
    ] as const) {
      tokens[username] = (await createOfficer(engine, tokens.admin, { username, role, unitCode })).token;
    }
    // iHaNoi subscribes to notices at its status webhook; the hotline has a webhook but does not subscribe.
    for (const channel of ['ihanoi', 'hotline_1022']) {
      const set = await engine
        .http()
        .put(`/v1/channels/${channel}/webhook`)
        .set(as('admin'))
        .send({ url: `${rx.url}/${channel}` });
      expect(set.status).toBe(200);
      rx.trust(`/${channel}`, (set.body as ChannelWebhookViewDto).secret!);
    }
    const sub = await engine.http().put('/v1/channels/ihanoi/notices').set(as('admin')).send({ subscribed: true });
    expect(sub.status).toBe(200);
    expect(sub.body).toEqual({ channel: 'ihanoi', subscribed: true, webhook: true });
    expect((await engine.http().put('/v1/channels/nope/notices').set(as('admin')).send({ subscribed: true })).status).toBe(404);
    expect((await engine.http().put('/v1/channels/ihanoi/notices').set(as('bk.lanhdao')).send({ subscribed: false })).status).toBe(403);
    // An integrator's webhook subscribed to the `notice` event.
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(as('admin'))
      .send({ url: `${rx.url}/ops`, events: ['notice'] });
    expect(hook.status).toBe(201);
    rx.trust('/ops', (hook.body as RegisteredWebhookDto).secret!);
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });

  const publish = (who: string, body: Record<string, unknown>) => engine.http().post('/v1/notices').set(as(who)).send(body);

  it("refuses what is not a notice of the caller's unit, saying why", async () => {
    const auditor = await publish('nv.kiemtra', { title: 'Tin', body: 'Nội dung', kind: 'information' });
    expect(auditor.status).toBe(403);
    const kind = await publish('bk.lanhdao', { title: 'Tin', body: 'Nội dung', kind: 'rumour' });
    expect(kind.status).toBe(400);
    expect((kind.body as ErrorDto).message).toMatch(/kind must be one of warning, information/);
    const blank = await publish('bk.lanhdao', { title: '   ', body: 'Nội dung', kind: 'information' });
    expect(blank.status).toBe(400);
    expect((blank.body as ErrorDto).message).toMatch(/title must not be blank/);
    // A title is one line: channels put it in headers and SMS, where a line break would start something else.
    const twoLines = await publish('bk.lanhdao', { title: 'Cắt điện\r\nX-Evil: 1', body: 'Nội dung', kind: 'information' });
    expect(twoLines.status).toBe(400);
    expect((twoLines.body as ErrorDto).message).toMatch(/title must be one line/);
    const area = await publish('bk.lanhdao', { title: 'Tin', body: 'Nội dung', kind: 'information', areaCodes: ['ATLANTIS'] });
    expect(area.status).toBe(422);
    expect((area.body as ErrorDto).message).toMatch(/areaCodes has unknown area\(s\) ATLANTIS/);
    // A ward's leader speaks for the ward's own areas, not its neighbour's.
    const neighbour = await publish('bk.lanhdao', { title: 'Tin', body: 'Nội dung', kind: 'warning', areaCodes: ['BACH_KHOA', 'THANH_LUONG'] });
    expect(neighbour.status).toBe(422);
    expect((neighbour.body as ErrorDto).message).toBe("areaCodes: THANH_LUONG is not an area of your unit 'P_BACH_KHOA' (its areas: BACH_KHOA)");
    expect((await engine.query(`SELECT 1 FROM notices`)).length).toBe(0);
  });

  it('reaches the subscribed channel and the notice webhook once each, signed, is listed for citizens, and leaves no words in the trail', async () => {
    const before = new Date().toISOString();
    const res = await publish('bk.lanhdao', {
      title: 'Cảnh báo ngập úng phố Tạ Quang Bửu',
      body: `Mưa lớn từ 15 giờ, đề nghị người dân không đi qua đoạn ngập. Cần hỗ trợ liên hệ ${CONTACT}.`,
      kind: 'warning',
      urgent: true,
      areaCodes: ['BACH_KHOA'],
    });
    expect(res.status).toBe(201);
    const notice = res.body as { id: string; unit: { code: string }; publishedAt: string };
    expect(res.body).toMatchObject({ unit: { code: 'P_BACH_KHOA', name: 'Phường Bách Khoa' }, kind: 'warning', urgent: true, areaCodes: ['BACH_KHOA'] });

    const forNotice = (path: string) => rx.calls.filter((c) => c.path === path && c.body.includes(notice.id));
    await waitFor(
      async () => [forNotice('/ihanoi').length, forNotice('/ops').length],
      ([a, b]) => a >= 1 && b >= 1,
      { what: 'both notice deliveries' },
    );
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM deliveries WHERE event_key = $1`, [`notice.${notice.id}`]),
      (rows) => rows.length === 2 && rows.every((r) => r.status === 'delivered'),
      { what: 'the deliveries to be marked delivered' },
    );
    // A reconcile pass re-sends nothing that was delivered.
    await waitFor(
      () => engine.worker!.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null,
      { what: 'a deliveries reconcile pass' },
    );
    const [call] = forNotice('/ihanoi');
    expect(forNotice('/ihanoi')).toHaveLength(1);
    expect(forNotice('/ops')).toHaveLength(1);
    expect(rx.calls.filter((c) => c.path === '/hotline_1022')).toHaveLength(0);
    // Each call as the document's webhooks describe a notice, headers and fields.
    expect([...forNotice('/ihanoi'), ...forNotice('/ops')].flatMap((c) => apiContract(engine.api).webhookProblems(c))).toEqual([]);
    // Signed per Standard Webhooks: the receiver verified both with the secrets it was given.
    expect([call.verifiedWith, forNotice('/ops')[0].verifiedWith]).toEqual([0, 0]);
    expect(call.headers['webhook-id']).not.toBe(forNotice('/ops')[0].headers['webhook-id']);
    expect(JSON.parse(call.body)).toMatchObject({
      event: 'notice',
      noticeId: notice.id,
      unit: { code: 'P_BACH_KHOA' },
      title: 'Cảnh báo ngập úng phố Tạ Quang Bửu',
      kind: 'warning',
      urgent: true,
      areaCodes: ['BACH_KHOA'],
      publishedAt: notice.publishedAt,
    });

    const listed = await engine
      .http()
      .get(`/v1/public/notices?since=${encodeURIComponent(before)}`)
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(listed.status).toBe(200);
    expect((listed.body as NoticeDto[]).map((n) => n.id)).toEqual([notice.id]);
    expect(
      (
        await engine
          .http()
          .get(`/v1/public/notices?since=${encodeURIComponent(notice.publishedAt)}`)
          .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      ).body,
    ).toEqual([]);
    expect((await engine.http().get('/v1/public/notices')).status).toBe(401);
    const officers = await engine.http().get('/v1/notices?unit=P_BACH_KHOA').set(as('nv.kiemtra'));
    expect((officers.body as NoticeDto[]).map((n) => n.id)).toEqual([notice.id]);
    const reversed = await engine.http().get('/v1/notices?from=2026-12-31T00:00:00Z&to=2026-12-01T00:00:00Z').set(as('nv.kiemtra'));
    expect(reversed.status).toBe(400);
    expect((reversed.body as { message: string }).message).toMatch(/^to \(2026-12-01T00:00:00Z\) is before from/);
    const typo = await engine.http().get('/v1/notices?unit=P_BACH_KHAO').set(as('nv.kiemtra'));
    expect(typo.status).toBe(422);
    expect((typo.body as { message: string }).message).toBe("unit 'P_BACH_KHAO' does not exist; GET /v1/units lists the units");

    const trail = await engine.query<{ action: string; data: Record<string, unknown>; reason: string | null }>(
      `SELECT action, data, reason FROM audit_events WHERE data->>'noticeId' = $1 OR action LIKE 'notice%'`,
      [notice.id],
    );
    expect(trail.map((e) => e.action)).toEqual(['notice_published']);
    expect(trail[0].data).toMatchObject({ noticeId: notice.id, unitCode: 'P_BACH_KHOA', kind: 'warning', urgent: true, deliveries: 2 });
    const text = JSON.stringify(trail);
    for (const words of ['Nguyễn Văn Bình', '0987 654 321', 'Mưa lớn', 'Tạ Quang Bửu']) expect(text).not.toContain(words);
  });

  it('takes a date for from, to and since as a day in Hanoi: from its local midnight, to through its end', async () => {
    const [leader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.lanhdao'`);
    const at = async (published: string) =>
      (
        await engine.query<{ id: string }>(
          `INSERT INTO notices (unit_code, title, body, kind, published_by, published_at) VALUES ('P_BACH_KHOA', 'Tin', 'Nội dung', 'information', $1, $2) RETURNING id::text`,
          [leader.id, published],
        )
      )[0].id;
    // The edges of December 2020 in Hanoi, a millisecond either side.
    const nov30 = await at('2020-11-30T23:59:59.999+07:00');
    const dec1 = await at('2020-12-01T00:00:00+07:00');
    const dec31 = await at('2020-12-31T23:59:59.999+07:00');
    const jan1 = await at('2021-01-01T00:00:00+07:00');
    const mine = [nov30, dec1, dec31, jan1];
    const listed = async (query: string) => {
      const res = await engine.http().get(`/v1/notices${query}`).set(as('nv.kiemtra'));
      expect(res.status).toBe(200);
      return (res.body as NoticeDto[]).map((n) => n.id).filter((id) => mine.includes(id));
    };
    expect(await listed('?from=2020-12-01&to=2020-12-31')).toEqual([dec31, dec1]);
    expect(await listed('?from=2020-12-01&to=2020-12-01')).toEqual([dec1]);
    expect(await listed('?from=2020-12-31')).toEqual([jan1, dec31]);
    expect(await listed('?to=2020-11-30')).toEqual([nov30]);
    // Date-times as before: to is exclusive.
    expect(await listed(`?from=${encodeURIComponent('2020-12-01T00:00:00+07:00')}&to=${encodeURIComponent('2021-01-01T00:00:00+07:00')}`)).toEqual([
      dec31,
      dec1,
    ]);
    // A period whose last day is before its first is refused, also when both edges meet at a midnight.
    for (const query of ['?from=2020-12-31&to=2020-12-01', '?from=2020-12-02&to=2020-12-01']) {
      const reversed = await engine.http().get(`/v1/notices${query}`).set(as('nv.kiemtra'));
      expect(reversed.status).toBe(400);
      expect(errorOf(reversed).message).toMatch(/^to \(2020-12-01\) is before from \(2020-12-\d\d\)/);
    }
    const bad = await engine.http().get('/v1/notices?from=2020-12').set(as('nv.kiemtra'));
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toBe(
      'from must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00',
    );

    const since = async (query: string) => {
      const res = await engine.http().get(`/v1/public/notices${query}`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
      expect(res.status).toBe(200);
      return (res.body as NoticeDto[]).map((n) => n.id).filter((id) => mine.includes(id));
    };
    // A date is the whole day on: a notice at its very midnight is listed.
    expect(await since('?since=2020-12-01')).toEqual([dec1, dec31, jan1]);
    // A date-time is the last one seen, as before: strictly after it.
    expect(await since(`?since=${encodeURIComponent('2020-12-01T00:00:00+07:00')}`)).toEqual([dec31, jan1]);
    const badSince = await engine.http().get('/v1/public/notices?since=01/12/2020').set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(badSince.status).toBe(400);
    expect(errorOf(badSince).message).toMatch(/^since must be a date \(YYYY-MM-DD, a day in Asia\/Ho_Chi_Minh\) or an ISO 8601 date-time with its offset/);
    await engine.query(`DELETE FROM notices WHERE id = ANY($1::uuid[])`, [mine]);
  });

  it('pages the public notices by the last one seen, its time and id: two published in the same millisecond are both delivered', async () => {
    const [leader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.lanhdao'`);
    const mine = await engine.query<{ id: string }>(
      `INSERT INTO notices (unit_code, title, body, kind, published_by, published_at)
       SELECT 'P_BACH_KHOA', 'Tin ' || g, 'Nội dung', 'information', $1, '2019-06-01T09:00:00.123+07:00' FROM generate_series(1, 3) g RETURNING id::text`,
      [leader.id],
    );
    const page = async (query: string) => {
      const res = await engine.http().get(`/v1/public/notices?limit=1&${query}`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
      expect(res.status).toBe(200);
      return res.body as NoticeDto[];
    };
    const seen: string[] = [];
    let last = (await page('since=2019-06-01'))[0];
    while (last && mine.some((m) => m.id === last.id)) {
      seen.push(last.id);
      last = (await page(`since=${encodeURIComponent(last.publishedAt)}&afterId=${last.id}`))[0];
    }
    expect(seen.sort()).toEqual(mine.map((m) => m.id).sort());
    const alone = await engine.http().get(`/v1/public/notices?afterId=${mine[0].id}`).set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(alone.status).toBe(400);
    expect(errorOf(alone).message).toBe("afterId goes with since: the last notice's publishedAt and id");
    await engine.query(`DELETE FROM notices WHERE id = ANY($1::uuid[])`, [mine.map((m) => m.id)]);
  });

  it("pages the officers' list by an opaque cursor (X-Next-Cursor), newest first then by id; without one, the list as before", async () => {
    const [leader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.lanhdao'`);
    // Three in one millisecond, one a few microseconds into it (a row written by SQL, not by the engine), and
    // others around them: a page that ends inside the millisecond must lose none and repeat none.
    const times = [
      '2018-05-01T09:00:00.123+07:00',
      '2018-05-01T09:00:00.123+07:00',
      '2018-05-01T09:00:00.123+07:00',
      '2018-05-01T09:00:00.123456+07:00',
      '2018-05-02T08:00:00+07:00',
      '2018-04-30T17:00:00+07:00',
      '2018-05-03T10:00:00+07:00',
    ];
    const mine: string[] = [];
    for (const at of times) {
      const [row] = await engine.query<{ id: string }>(
        `INSERT INTO notices (unit_code, title, body, kind, published_by, published_at) VALUES ('P_BACH_KHOA', 'Tin', 'Nội dung', 'information', $1, $2) RETURNING id::text`,
        [leader.id, at],
      );
      mine.push(row.id);
    }
    const period = 'unit=P_BACH_KHOA&from=2018-01-01&to=2018-12-31';
    // An old client: no cursor, the whole period in one array as before, newest first then by id.
    const whole = await engine.http().get(`/v1/notices?${period}`).set(as('nv.kiemtra'));
    expect(whole.status).toBe(200);
    expect(Array.isArray(whole.body)).toBe(true);
    const all = (whole.body as NoticeDto[]).map((n) => n.id);
    expect(all.sort()).toEqual([...mine].sort());
    const expected = await engine.query<{ id: string }>(`SELECT id::text FROM notices WHERE id = ANY($1::uuid[]) ORDER BY published_at DESC, id`, [mine]);
    expect((whole.body as NoticeDto[]).map((n) => n.id)).toEqual(expected.map((r) => r.id));
    expect(whole.headers['x-next-cursor']).toBeUndefined();

    // Pages of two, following the header until it is absent.
    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await engine
        .http()
        .get(`/v1/notices?${period}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .set(as('nv.kiemtra'));
      expect(res.status).toBe(200);
      const items = res.body as NoticeDto[];
      expect(items.length).toBeLessThanOrEqual(2);
      paged.push(...items.map((n) => n.id));
      cursor = res.headers['x-next-cursor'] as string | undefined;
      if (cursor !== undefined) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(paged).toEqual(expected.map((r) => r.id));
    expect(pages).toBe(4);
    // A full last page has no next one when nothing follows it.
    const exact = await engine.http().get(`/v1/notices?${period}&limit=7`).set(as('nv.kiemtra'));
    expect(exact.headers['x-next-cursor']).toBeUndefined();
    const short = await engine.http().get(`/v1/notices?${period}&limit=6`).set(as('nv.kiemtra'));
    expect(short.headers['x-next-cursor']).toEqual(expect.any(String));

    // Cursors this API did not return: 400 with the same message as the engine's other lists, never a 500.
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const U = '00000000-0000-4000-8000-000000000000';
    const inboxCursor = b64(['id', '42']);
    for (const hostile of [
      '!!!not-base64***',
      b64('["2018-05-01T02:00:00.123000Z","' + U + '"'),
      inboxCursor,
      b64(['infinity', U]),
      b64(['0000-01-01T00:00:00.000000Z', U]),
      b64(['+275760-09-13T00:00:00.000000Z', U]),
      b64(['2018-02-30T00:00:00.000000Z', U]),
      b64(['2018-05-01T02:00:00.123000Z', 'not-a-uuid']),
      b64(['2018-05-01T02:00:00.123000Z\u0000', U]),
      b64(['2018-05-01T02:00:00.123000Z', U, 1]),
      b64(null),
      b64({ 0: '2018-05-01T02:00:00.123000Z', 1: U }),
      'x'.repeat(201),
    ]) {
      const res = await engine
        .http()
        .get(`/v1/notices?cursor=${encodeURIComponent(hostile)}`)
        .set(as('nv.kiemtra'));
      expect({ hostile, status: res.status }).toEqual({ hostile, status: 400 });
      expect(errorOf(res).message).toMatch(/^cursor /);
    }
    const two = await engine.http().get(`/v1/notices?cursor=a&cursor=b`).set(as('nv.kiemtra'));
    expect(two.status).toBe(400);
    await engine.query(`DELETE FROM notices WHERE id = ANY($1::uuid[])`, [mine]);
  });
});
