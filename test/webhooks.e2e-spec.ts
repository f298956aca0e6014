import { Queue } from 'bullmq';
import { DeliveriesReconciler } from '@fr/notifications';
import { QueueName } from '@fr/queue';
import { adminToken, bearer, DEV_KEYS, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { ChannelWebhookViewDto, RegisteredWebhookDto, WebhookDeliveryDto, WebhookDto } from '../apps/api/src/webhooks/webhooks.controller';

describe('webhooks: signed deliveries, retries, and an allow-list for internal addresses', () => {
  let engine: TestEngine;
  let admin: string;
  let rx: WebhookReceiver;
  let channelSecret = '';

  beforeAll(async () => {
    // The receiver verifies every call with the Standard Webhooks library and refuses what fails.
    rx = await startWebhookReceiver((path, n) =>
      path === '/down'
        ? 503
        : (path === '/flaky' && n <= 2) || (path === '/comeback' && n <= 1)
          ? path === '/flaky'
            ? 503
            : 410
          : path === '/gone'
            ? 410
            : 200,
    );
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    admin = await adminToken(engine);
  });
  afterAll(async () => {
    // Every delivery the engine made verified, whatever the test it served.
    expect(rx.calls.filter((c) => c.verifiedWith === null).map((c) => `${c.path}: ${c.refusal}`)).toEqual([]);
    await engine?.close();
    await rx?.close();
  });

  const register = async (url: string, events = ['case.status']) => {
    const res = await engine.http().post('/v1/webhooks').set(bearer(admin)).send({ url, events });
    if (res.status === 201) rx.trust(new URL(url).pathname, (res.body as RegisteredWebhookDto).secret!);
    return res;
  };
  const outboxDrained = () =>
    waitFor(
      () => engine.query(`SELECT id FROM outbox`),
      (r) => r.length === 0,
      { what: 'the outbox to drain' },
    );
  const setChannelWebhook = async () => {
    const res = await engine
      .http()
      .put('/v1/channels/ihanoi/webhook')
      .set(bearer(admin))
      .send({ url: `${rx.url}/ihanoi` });
    expect(res.status).toBe(200);
    // Generated on the first call and shown once; later calls keep it.
    const { secret } = res.body as ChannelWebhookViewDto;
    if (secret) channelSecret = secret;
    rx.trust('/ihanoi', channelSecret);
  };

  it.each([
    ['a loopback name that is not allow-listed', 'http://localhost:8080/hook', /resolves to the internal address/],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data', /internal address 169\.254\.169\.254/],
    ['a private network address', 'https://10.0.0.7/hook', /internal address 10\.0\.0\.7/],
    ['an IPv6 loopback', 'http://[::1]:9000/', /internal address ::1/],
    // The URL parser writes these as [::ffff:7f00:1] and [::ffff:a9fe:a9fe]: judged by the IPv4 address they carry.
    ['an IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]:9000/hook', /internal address ::ffff:7f00:1/],
    ['the IPv4-mapped metadata address', 'http://[0:0:0:0:0:ffff:169.254.169.254]/latest', /internal address ::ffff:a9fe:a9fe/],
    ['an IPv4-compatible loopback', 'http://[::127.0.0.1]/hook', /internal address ::7f00:1/],
    ['a 6to4 address of a private network', 'http://[2002:a00:7::1]/hook', /internal address 2002:a00:7::1/],
    ['a non-http scheme', 'file:///etc/passwd', /must use http or https/],
    ['credentials in the URL', 'https://user:pw@example.org/', /must not carry credentials/],
    // The URL parser would drop these and store another address than the one sent.
    ['a line break in the URL', 'https://example.org/h\r\nX: y', /must not contain spaces, tabs, line breaks or control characters \(U\+000D at position 22\)/],
    ['a tab in the URL', 'https://exam\tple.org/h', /\(U\+0009 at position 13\)/],
    ['a trailing space', 'https://example.org/h ', /\(U\+0020 at position 22\)/],
  ])('refuses %s', async (_what, url, message) => {
    const res = await register(url);
    expect(res.status).toBe(422);
    expect((res.body as ErrorDto).message).toMatch(message);
  });

  it('accepts an allow-listed internal host, and only ADMIN may register', async () => {
    const res = await register(`${rx.url}/ok`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ url: `${rx.url}/ok`, events: ['case.status'], active: true });
    // A generated Standard Webhooks secret, shown this once.
    const { secret } = res.body as RegisteredWebhookDto;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify((await engine.http().get('/v1/webhooks').set(bearer(admin))).body)).not.toContain(secret);
    expect((await engine.http().post('/v1/webhooks').send({})).status).toBe(401);
  });

  it('refuses a second subscription of a URL to an event it already receives (each would be delivered twice)', async () => {
    const first = await register(`${rx.url}/twice`, ['case.status', 'escalation']);
    expect(first.status).toBe(201);
    const { id } = first.body as RegisteredWebhookDto;
    const again = await register(`${rx.url}/twice`, ['escalation']);
    expect(again.status).toBe(409);
    expect((again.body as ErrorDto).message).toBe(
      `webhook ${id} already sends escalation to this URL: each would be delivered twice; pause that subscription (PUT /v1/webhooks/${id}/state) or subscribe other events`,
    );
    const pause = async (hook: string) =>
      expect((await engine.http().put(`/v1/webhooks/${hook}/state`).set(bearer(admin)).send({ active: false })).status).toBe(204);
    const other = await register(`${rx.url}/twice`, ['privacy.request']);
    expect(other.status).toBe(201);
    await pause(id);
    const after = await register(`${rx.url}/twice`, ['escalation']);
    expect(after.status).toBe(201);
    for (const hook of [other, after]) await pause((hook.body as RegisteredWebhookDto).id);
  });

  it('takes a chosen whsec_ secret, never shows it, and refuses one that is not a Standard Webhooks secret', async () => {
    const chosen = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const ok = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${rx.url}/chosen`, events: ['escalation'], secret: chosen });
    expect(ok.status).toBe(201);
    expect((ok.body as RegisteredWebhookDto).secret).toBeUndefined();
    expect(JSON.stringify(ok.body)).not.toContain(chosen);
    for (const secret of ['a-secret-of-16-chars+', `whsec_${Buffer.alloc(8).toString('base64')}`]) {
      const res = await engine
        .http()
        .post('/v1/webhooks')
        .set(bearer(admin))
        .send({ url: `${rx.url}/chosen`, events: ['escalation'], secret });
      expect(res.status).toBe(422);
      expect((res.body as ErrorDto).message).toMatch(/whsec_ followed by the base64 of 24 to 64 random bytes/);
    }
  });

  it("delivers the changes a citizen should see to the channel's webhook, signed, without personal data", async () => {
    await setChannelWebhook();
    expect(channelSecret).toMatch(/^whsec_/);
    // An empty address is a mistake, not a removal (null removes): the webhook stays.
    for (const url of ['', '   ']) {
      const blank = await engine.http().put('/v1/channels/ihanoi/webhook').set(bearer(admin)).send({ url });
      expect(blank.status).toBe(400);
      expect((blank.body as ErrorDto).message).toBe('url is blank: give the address deliveries go to, or null to remove the webhook');
    }
    expect(await engine.query(`SELECT webhook_url FROM channels WHERE code = 'ihanoi'`)).toEqual([{ webhook_url: `${rx.url}/ihanoi` }]);
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId: 'ihn-778899',
        category: 'public_order',
        description: 'Karaoke hát to sau 23 giờ ở ngõ 7 Lạc Trung.',
        location: { address: 'ngõ 7 Lạc Trung, phường Vĩnh Tuy' },
        citizen: { name: 'Đoàn Thị Mến', phone: '0966123456' },
      });
    const { trackingCode } = res.body as FeedbackAcceptedDto;
    const calls = await waitFor(
      async () => rx.calls.filter((c) => c.path === '/ihanoi'),
      (c) => c.length >= 1,
      { what: 'the channel webhook call' },
    );
    const call = calls[0];
    expect(call.verifiedWith).toBe(0);
    expect(call.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Number(call.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(call.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(call.headers['x-signature']).toBeUndefined();
    const body = JSON.parse(call.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: 'case.status',
      trackingCode,
      externalId: 'ihn-778899',
      to: 'assigned',
      unit: { code: 'CONG_AN' },
    });
    expect(call.body).not.toMatch(/Đoàn Thị Mến|0966123456|Karaoke/);
    // Subscribers to case.status get it too, exactly once each.
    await waitFor(
      async () => rx.calls.filter((c) => c.path === '/ok' && c.body.includes(trackingCode)),
      (c) => c.length >= 1,
    );
    // The receiver may record a call before the worker has read its answer and marked the row: wait for the mark.
    const channelDeliveries = await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM deliveries WHERE kind = 'channel'`),
      (rows) => rows.some((r) => r.status === 'delivered'),
      { what: 'the channel delivery to be marked delivered' },
    );
    expect(channelDeliveries).toEqual([{ status: 'delivered' }]);
    expect(rx.calls.filter((c) => c.path === '/ihanoi' && c.body.includes(trackingCode))).toHaveLength(1);
  });

  it("gives the channel its own externalId back, and a subscriber only its masked form (integrators make it of the caller's number)", async () => {
    await setChannelWebhook();
    expect((await register(`${rx.url}/subscriber`)).status).toBe(201);
    const externalId = '1022-0966123456-b';
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId,
        category: 'sanitation',
        description: 'Rác thải ùn ứ đầu ngõ 12 Lạc Trung.',
        location: { wardCode: 'VINH_TUY' },
        citizen: { name: 'Đoàn Thị Mến', phone: '0966123456' },
      });
    expect(res.status).toBe(202);
    const { trackingCode } = res.body as FeedbackAcceptedDto;
    const first = (path: string) =>
      waitFor(
        async () => rx.calls.filter((c) => c.path === path && c.body.includes(trackingCode)),
        (c) => c.length >= 1,
        { what: `the delivery to ${path}` },
      ).then((calls) => JSON.parse(calls[0].body) as { externalId: string | null });
    // The channel correlates its own id; it knows the number already.
    expect((await first('/ihanoi')).externalId).toBe(externalId);
    // A subscriber is not the channel: it gets the id as officers outside the unit read it in the timeline.
    const subscriber = await first('/subscriber');
    expect(subscriber.externalId).toBe('1022-09******56-b');
    expect(rx.calls.filter((c) => c.path === '/subscriber' && c.body.includes(trackingCode)).map((c) => c.body)).not.toContainEqual(
      expect.stringContaining('0966123456'),
    );
    // Stored so: a redelivery sends the same bytes.
    const stored = await engine.query<{ kind: string; external_id: string }>(
      `SELECT d.kind, d.payload->>'externalId' AS external_id FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
         JOIN cases c ON c.id = e.case_id WHERE c.tracking_code = $1 ORDER BY d.kind`,
      [trackingCode],
    );
    expect(new Set(stored.map((r) => `${r.kind}: ${r.external_id}`))).toEqual(new Set([`channel: ${externalId}`, 'webhook: 1022-09******56-b']));
  });

  it('retries a failing receiver with backoff until it answers, and shows the failures meanwhile', async () => {
    const hook = await register(`${rx.url}/flaky`);
    expect(hook.status).toBe(201);
    const { id: hookId } = hook.body as RegisteredWebhookDto;
    await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.hotline })
      .send({ category: 'roads_lighting', description: 'Ổ gà lớn trên phố Kim Ngưu.', location: { wardCode: 'THANH_LUONG' } });
    const failing = await waitFor(
      async () => ((await engine.http().get('/v1/webhooks').set(bearer(admin))).body as WebhookDto[]).find((w) => w.id === hookId),
      (w) => w!.deliveries.lastError !== null,
      { what: 'a recorded failure' },
    );
    expect(failing!.deliveries.lastError).toMatch(/answered 503/);
    const [delivery] = await waitFor(
      async () => (await engine.http().get(`/v1/webhooks/${hookId}/deliveries`).set(bearer(admin))).body as WebhookDeliveryDto[],
      (d) => d.length > 0 && d[0].status === 'delivered',
      { timeoutMs: 20000, what: 'the delivery to succeed after retries' },
    );
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3 });
    const attempts = rx.calls.filter((c) => c.path === '/flaky');
    expect(attempts).toHaveLength(3);
    // One message: the same webhook-id and body on every attempt, each signed afresh and verified.
    expect(new Set(attempts.map((c) => c.headers['webhook-id']))).toEqual(new Set([delivery.messageId]));
    expect(new Set(attempts.map((c) => c.body)).size).toBe(1);
    expect(attempts.every((c) => c.verifiedWith === 0)).toBe(true);
  });

  it('stops at 410 Gone: that delivery fails at once and the subscription is disabled, so later events are not sent', async () => {
    const hook = await register(`${rx.url}/gone`);
    expect(hook.status).toBe(201);
    const { id: hookId } = hook.body as RegisteredWebhookDto;
    const submit = (description: string) =>
      engine
        .http()
        .post('/v1/feedback')
        .set({ 'X-Api-Key': DEV_KEYS.hotline })
        .send({ category: 'roads_lighting', description, location: { wardCode: 'THANH_LUONG' } });
    await submit('Đèn đường hỏng cả dãy phố Lê Thanh Nghị.');
    const [delivery] = await waitFor(
      async () => (await engine.http().get(`/v1/webhooks/${hookId}/deliveries`).set(bearer(admin))).body as WebhookDeliveryDto[],
      (d) => d.length > 0 && d[0].status === 'failed',
      { what: 'the delivery to fail on 410' },
    );
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery.lastError).toMatch(/410 Gone; the subscription was disabled/);
    const listed = ((await engine.http().get('/v1/webhooks').set(bearer(admin))).body as WebhookDto[]).find((w) => w.id === hookId)!;
    expect(listed.active).toBe(false);
    // A later event: the disabled subscription gets no delivery; an active one does.
    const other = (await register(`${rx.url}/after-gone`)).body as RegisteredWebhookDto;
    const later = (await submit('Cột đèn nghiêng trên phố Bạch Mai.')).body as FeedbackAcceptedDto;
    await waitFor(
      async () => (await engine.http().get(`/v1/webhooks/${other.id}/deliveries`).set(bearer(admin))).body as WebhookDeliveryDto[],
      (d) => d.some((x) => x.status === 'delivered'),
      { what: 'the later event to reach the active subscription' },
    );
    expect(rx.calls.some((c) => c.path === '/after-gone' && c.body.includes(later.trackingCode))).toBe(true);
    const toHook = await engine.query<{ n: string }>(`SELECT count(*)::text AS n FROM deliveries WHERE kind = 'webhook' AND target = $1`, [hookId]);
    expect(toHook).toEqual([{ n: '1' }]);
    expect(rx.calls.filter((c) => c.path === '/gone')).toHaveLength(1);
  });

  it('sends a failed or delivered delivery again on request, under the same webhook-id, once the webhook is active', async () => {
    const { id: hookId } = (await register(`${rx.url}/comeback`)).body as RegisteredWebhookDto;
    await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.hotline })
      .send({ category: 'roads_lighting', description: 'Nắp cống vỡ giữa ngõ 40 Tạ Quang Bửu, xe máy dễ sa xuống.', location: { wardCode: 'BACH_KHOA' } });
    const deliveries = () => engine.http().get(`/v1/webhooks/${hookId}/deliveries`).set(bearer(admin));
    const bogus = await engine.http().get(`/v1/webhooks/${hookId}/deliveries?status=bogus`).set(bearer(admin));
    expect(bogus.status).toBe(400);
    expect((bogus.body as { message: string }).message).toBe('status must be one of pending, delivered, failed');
    const [failed] = await waitFor(
      async () => (await deliveries()).body as WebhookDeliveryDto[],
      (d) => d.length > 0 && d[0].status === 'failed',
      { what: 'the delivery to fail on 410' },
    );
    const redeliver = (deliveryId: string, hook = hookId) => engine.http().post(`/v1/webhooks/${hook}/deliveries/${deliveryId}/redeliver`).set(bearer(admin));

    // The 410 paused the subscription: resumed first.
    const paused = await redeliver(failed.id);
    expect(paused.status).toBe(409);
    expect((paused.body as ErrorDto).message).toMatch(/the webhook is paused: resume it/);
    expect((await engine.http().put(`/v1/webhooks/${hookId}/state`).set(bearer(admin)).send({ active: true })).status).toBe(204);
    const other = ((await register(`${rx.url}/ok-other`)).body as RegisteredWebhookDto).id;
    for (const [id, hook] of [
      ['not-a-number', hookId],
      ['999999999', hookId],
      [failed.id, other],
    ]) {
      const res = await redeliver(id, hook);
      expect(res.status).toBe(404);
    }
    // One still being attempted is left to its own attempts.
    const [waiting] = await engine.query<{ id: string }>(
      `INSERT INTO deliveries (kind, target, event_key, status, not_before) VALUES ('webhook', $1, 'case-event.waiting', 'pending', now() + interval '1 day') RETURNING id::text AS id`,
      [hookId],
    );
    expect((await redeliver(waiting.id)).status).toBe(409);
    await engine.query(`DELETE FROM deliveries WHERE id = $1`, [waiting.id]);

    const again = await redeliver(failed.id);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0, lastError: null, messageId: failed.messageId });
    const delivered = await waitFor(
      async () => ((await deliveries()).body as WebhookDeliveryDto[]).find((d) => d.id === failed.id)!,
      (d) => d.status === 'delivered',
      { what: 'the delivery sent again to be delivered' },
    );
    expect(delivered.attempts).toBe(1);
    // A delivered one too (a receiver that lost it): a third call, the same message each time.
    expect((await redeliver(failed.id)).status).toBe(202);
    await waitFor(
      async () => rx.calls.filter((c) => c.path === '/comeback'),
      (calls) => calls.length === 3,
      { what: 'the third call' },
    );
    const calls = rx.calls.filter((c) => c.path === '/comeback');
    expect(new Set(calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([failed.messageId]));
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    const audit = await engine.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM audit_events WHERE action = 'webhook_redelivery' AND data->>'deliveryId' = $1`,
      [failed.id],
    );
    expect(audit).toEqual([{ n: '2' }]);
    expect((await engine.http().post(`/v1/webhooks/${hookId}/deliveries/${failed.id}/redeliver`)).status).toBe(401);
  });

  it('lists the newest deliveries first when their ids cross a power of ten', async () => {
    const hook = await register(`${rx.url}/ordered`);
    const { id: hookId } = hook.body as RegisteredWebhookDto;
    const insert = async (key: string) =>
      (
        await engine.query<{ id: string }>(
          `INSERT INTO deliveries (kind, target, event_key, status) VALUES ('webhook', $1, $2, 'failed') RETURNING id::text AS id`,
          [hookId, key],
        )
      )[0].id;
    const older = await insert('case-event.ordered-1');
    await engine.query(`SELECT setval('deliveries_id_seq', GREATEST(99999, (SELECT max(id) FROM deliveries)))`);
    const newer = await insert('case-event.ordered-2');
    expect(newer.length).toBeGreaterThan(older.length);
    const listed = (await engine.http().get(`/v1/webhooks/${hookId}/deliveries`).set(bearer(admin))).body as WebhookDeliveryDto[];
    expect(listed.map((d) => d.id)).toEqual([newer, older]);
  });

  it.each([
    ['a fan-out job', QueueName.CaseEvents],
    ['a delivery job', QueueName.Notifications],
  ])('rebuilds %s lost with a wiped Redis', async (_what, paused) => {
    await setChannelWebhook();
    // The work reaches Redis but is not run (its queue is paused); then Redis loses everything.
    await engine.stopWorker();
    const queue = new Queue(paused, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    await queue.pause();
    await engine.startWorker();
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({ category: 'sanitation', description: 'Nước thải tràn ra ngõ 12 Hồng Mai.', location: { wardCode: 'QUYNH_MAI' } });
    const accepted = res.body as FeedbackAcceptedDto;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [accepted.id]),
      (r) => r[0].status === 'assigned',
    );
    if (paused === QueueName.Notifications) {
      await waitFor(
        () => engine.query(`SELECT id FROM deliveries WHERE kind = 'channel' AND status = 'pending'`),
        (r) => r.length >= 1,
        { what: 'the pending delivery' },
      );
    }
    await outboxDrained();
    await engine.stopWorker();
    await queue.close();
    await engine.flushQueues();
    await engine.sealAuditTrail();

    const worker = await engine.startWorker();
    const repaired = await waitFor(
      () => worker.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null,
      { what: 'a reconcile pass' },
    );
    expect(repaired!.fanouts + repaired!.deliveries).toBeGreaterThanOrEqual(1);
    const calls = await waitFor(
      async () => rx.calls.filter((c) => c.path === '/ihanoi' && c.body.includes(accepted.trackingCode)),
      (c) => c.length >= 1,
      { what: 'the lost status update to be delivered' },
    );
    expect(JSON.parse(calls[0].body)).toMatchObject({ event: 'case.status', to: 'assigned' });
    // Nothing left for a second pass to repair, and nothing was sent twice.
    const again = await waitFor(
      () => worker.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null,
    );
    expect(again).toEqual({ fanouts: 0, deliveries: 0 });
    expect(rx.calls.filter((c) => c.path === '/ihanoi' && c.body.includes(accepted.trackingCode))).toHaveLength(1);
  });
  it('a running worker that sees Redis wiped re-adds a fresh delivery at once, not FR_STUCK_AFTER_SECONDS later', async () => {
    await setChannelWebhook();
    // A worker that looks for a wipe every 100 ms; the sweeps' own period is far longer here.
    await engine.stopWorker();
    const queue = new Queue(QueueName.Notifications, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    await queue.pause();
    const config = engine.config as { redisWatchMs: number };
    config.redisWatchMs = 100;
    try {
      await engine.startWorker();
      const accepted = (
        await engine
          .http()
          .post('/v1/feedback')
          .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
          .send({ category: 'sanitation', description: 'Rác chất đống trước cổng chợ Mơ.', location: { wardCode: 'QUYNH_MAI' } })
      ).body as FeedbackAcceptedDto;
      await waitFor(
        () => engine.query(`SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND d.payload::text LIKE $1`, [`%${accepted.trackingCode}%`]),
        (r) => r.length >= 1,
        { what: 'the pending delivery' },
      );
      await outboxDrained();
      // The delivery is seconds old, its job only in Redis; then Redis loses everything (the pause too).
      await queue.close();
      await engine.flushQueues();
      const calls = await waitFor(
        async () => rx.calls.filter((c) => c.path === '/ihanoi' && c.body.includes(accepted.trackingCode)),
        (c) => c.length >= 1,
        { what: 'the delivery lost with Redis to be sent' },
      );
      expect(JSON.parse(calls[0].body)).toMatchObject({ event: 'case.status', to: 'assigned' });
    } finally {
      await queue.close();
      await engine.stopWorker();
      config.redisWatchMs = 0;
      await engine.startWorker();
    }
  });

  it("goes on with a delivery's schedule and its count of attempts after a wipe, rather than start both afresh", async () => {
    const hook = (await register(`${rx.url}/down`)).body as RegisteredWebhookDto;
    const accepted = (
      await engine
        .http()
        .post('/v1/feedback')
        .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
        .send({ category: 'sanitation', description: 'Cống thoát nước ngõ 8 Lê Thanh Nghị bị tắc.', location: { wardCode: 'BACH_KHOA' } })
    ).body as FeedbackAcceptedDto;
    const row = () =>
      engine.query<{ id: string; status: string; attempts: number; wait_ms: number | null }>(
        `SELECT id::text, status, attempts, (extract(epoch FROM not_before - now()) * 1000)::int AS wait_ms FROM deliveries WHERE kind = 'webhook' AND target = $1`,
        [hook.id],
      );
    // The first attempt fails: the row keeps when the next is due (the schedule's first step, 5 s).
    const [first] = await waitFor(row, (r) => r[0]?.attempts === 1, { what: 'the first failed attempt' });
    expect(first.status).toBe('pending');
    expect(first.wait_ms).toBeGreaterThan(0);
    expect(first.wait_ms).toBeLessThanOrEqual(5_000);

    // As if it had failed seven times; then Redis loses its job.
    await engine.stopWorker();
    await engine.query(`UPDATE deliveries SET attempts = 7, not_before = now() + interval '1 second' WHERE id = $1`, [first.id]);
    await engine.flushQueues();
    const worker = await engine.startWorker();
    await waitFor(
      () => worker.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null,
      { what: 'a reconcile pass' },
    );
    // Added again, it waits for the time the row keeps, and its attempt is the eighth and last: failed for good.
    const [last] = await waitFor(row, (r) => r[0].status !== 'pending', { what: 'the last attempt' });
    expect(last).toMatchObject({ status: 'failed', attempts: 8 });
    expect(rx.calls.filter((c) => c.path === '/down' && c.body.includes(accepted.trackingCode))).toHaveLength(2);
    expect((await engine.http().put(`/v1/webhooks/${hook.id}/state`).set(bearer(admin)).send({ active: false })).status).toBe(204);
  });

  it('fans out an event whose transaction committed after later events had been swept (no id watermark)', async () => {
    // The late and the early event belong to two cases: on one case, the early writer would wait for the
    // held one (both mark the case for the daily facts, unit_facts_pending's key) whenever the worker had
    // drained the case's mark in between, and the test would wait for itself.
    const [accepted, other] = await Promise.all(
      ['Rác thải ùn ứ đầu ngõ 5 Kim Ngưu.', 'Rác thải ùn ứ cuối ngõ 7 Kim Ngưu.'].map(async (description) => {
        const res = await engine
          .http()
          .post('/v1/feedback')
          .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
          .send({ category: 'sanitation', description, location: { wardCode: 'QUYNH_MAI' } });
        const c = res.body as FeedbackAcceptedDto;
        await waitFor(
          () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [c.id]),
          (r) => r[0].status === 'assigned',
        );
        return c;
      }),
    );
    const worker = engine.worker!;
    const fanned = (eventId: string) => engine.query(`SELECT 1 FROM case_event_fanouts WHERE event_id = $1`, [eventId]);
    const slow = await engine.db.connect();
    let late = '';
    try {
      // Each event with the state its writer freezes for the fan-out, and no fan-out job (as if Redis lost it).
      const event = `WITH e AS (INSERT INTO audit_events (case_id, actor, action, from_state, to_state)
                               VALUES ($1, 'system', 'extend', 'assigned', 'assigned') RETURNING id),
                          f AS (INSERT INTO case_event_states (event_id, status) SELECT id, 'assigned' FROM e)
                     SELECT id::text FROM e`;
      await slow.query('BEGIN');
      [{ id: late }] = (await slow.query<{ id: string }>(event, [accepted.id])).rows;
      const [{ id: early }] = await engine.query<{ id: string }>(event, [other.id]);
      await engine.sealAuditTrail();
      await waitFor(
        () => worker.get(DeliveriesReconciler).runOnce(0),
        (r) => r !== null,
        { what: 'a reconcile pass' },
      );
      await waitFor(
        () => fanned(early),
        (r) => r.length === 1,
        { what: 'the committed event fanned out' },
      );
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await engine.sealAuditTrail();
    await waitFor(
      () => worker.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null && r.fanouts >= 1,
      { what: 'the late committer re-enqueued' },
    );
    await waitFor(
      () => fanned(late),
      (r) => r.length === 1,
      { what: 'the late committer fanned out' },
    );
  });
});
