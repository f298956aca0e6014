import { createHmac, randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { webhookSignature } from '@fr/notifications';
import { dataSourceOptions, MIGRATIONS } from '@fr/persistence';
import { QueueName } from '@fr/queue';
import { Clock } from '@fr/sla';
import {
  adminToken,
  apiContract,
  bearer,
  createOfficer,
  DEV_KEYS,
  startWebhookReceiver,
  TestEngine,
  verifyWebhook,
  waitFor,
  WebhookReceiver,
} from '@fr/testing';
import type { ErrorDto } from '../apps/api/src/common/error.dto';
import type { ChannelWebhookViewDto, RegisteredWebhookDto, SecretRotationDto, WebhookDto } from '../apps/api/src/webhooks/webhooks.controller';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const ANSWER = 'UBND phường đã kiểm tra hiện trường, yêu cầu hộ kinh doanh thu dọn rác trong ngày; mọi thắc mắc gọi cán bộ phụ trách theo số 0912345678.';

/** Receivers verifying with `standardwebhooks`: replays, secret rotation, and payloads frozen with their event. */
describe('Standard Webhooks: replay, rotation, frozen payloads', () => {
  let engine: TestEngine;
  let admin: string;
  let handler: string;
  let rx: WebhookReceiver;
  // Each message's first attempt is answered 503 on /retry, so every delivery there is sent twice.
  const attemptsById = new Map<string, number>();

  beforeAll(async () => {
    rx = await startWebhookReceiver((path, _n, call) => {
      if (path !== '/retry') return 200;
      const id = String(call.headers['webhook-id']);
      attemptsById.set(id, (attemptsById.get(id) ?? 0) + 1);
      return attemptsById.get(id) === 1 ? 503 : 200;
    });
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'qm.handler3', role: 'HANDLER', unitCode: 'P_QUYNH_MAI' })).token;
  });
  afterAll(async () => {
    await engine?.close();
    await rx?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  const channelWebhook = (path: string) =>
    engine
      .http()
      .put('/v1/channels/ihanoi/webhook')
      .set(bearer(admin))
      .send({ url: `${rx.url}${path}` });
  const submit = async (description: string) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({ category: 'sanitation', description, location: { wardCode: 'QUYNH_MAI' } });
    expect(res.status).toBe(202);
    return res.body as { id: string; trackingCode: string };
  };
  const callsFor = (path: string, trackingCode: string) =>
    waitFor(
      async () => rx.calls.filter((c) => c.path === path && c.body.includes(trackingCode) && c.status === 200),
      (c) => c.length >= 1,
      { what: `a delivery of ${trackingCode} to ${path}` },
    );

  it('a delivery replayed after the tolerance is refused by the receiver; verified the first time', async () => {
    const set = await channelWebhook('/replay');
    expect(set.status).toBe(200);
    rx.trust('/replay', (set.body as ChannelWebhookViewDto).secret!);
    const { trackingCode } = await submit('Rác thải ùn ứ đầu ngõ 12 Hồng Mai.');
    const [call] = await callsFor('/replay', trackingCode);
    expect(call.verifiedWith).toBe(0);

    // Captured and sent again at once: the signature and timestamp still hold (receivers deduplicate on webhook-id).
    expect((await rx.replay(call)).status).toBe(200);
    // Sent again six minutes later: outside the library's five-minute tolerance.
    rx.state.laterBySeconds = 6 * 60;
    try {
      const replayed = await rx.replay(call);
      expect(replayed.status).toBe(401);
      expect(await replayed.text()).toBe('Message timestamp too old');
    } finally {
      rx.state.laterBySeconds = 0;
    }
    // Nor can the body be changed under the same headers.
    const tampered = await rx.replay({ ...call, body: call.body.replace('"to":"assigned"', '"to":"resolved"') });
    expect(tampered.status).toBe(401);
  });

  it('signs with both secrets during a rotation overlap, each verifiable alone, and with the new one only after it', async () => {
    const set = await channelWebhook('/rotate');
    expect(set.status).toBe(200);
    // The channel already has a secret (from the test before): a new URL keeps it and shows nothing.
    expect(set.body).toEqual({ channel: 'ihanoi', url: `${rx.url}/rotate`, secret: null });
    const [{ webhook_secret: oldSecret }] = await engine.query<{ webhook_secret: string }>(`SELECT webhook_secret FROM channels WHERE code = 'ihanoi'`);

    const rotated = await engine.http().post('/v1/channels/ihanoi/webhook/rotate-secret').set(bearer(admin)).send({ overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = rotated.body as SecretRotationDto;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const overlapEnds = new Date(previousSecretExpiresAt);
    expect(overlapEnds.getTime() - Date.now()).toBeGreaterThan(3590 * 1000);

    // The receiver still knows only the old secret: it keeps verifying during the overlap.
    rx.trust('/rotate', oldSecret);
    const during = await submit('Nước thải tràn ra ngõ 5 Kim Ngưu.');
    const [a] = await callsFor('/rotate', during.trackingCode);
    expect(String(a.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => verifyWebhook(oldSecret, a)).not.toThrow();
    expect(() => verifyWebhook(newSecret, a)).not.toThrow();

    // After the overlap (the worker's clock moved past it), only the new secret signs.
    jest.spyOn(engine.worker!.get(Clock), 'now').mockReturnValue(new Date(overlapEnds.getTime() + 1000));
    rx.trust('/rotate', newSecret, oldSecret);
    const after = await submit('Rác thải ùn ứ cạnh chợ Mơ.');
    const [b] = await callsFor('/rotate', after.trackingCode);
    expect(String(b.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verifyWebhook(newSecret, b)).not.toThrow();
    expect(() => verifyWebhook(oldSecret, b)).toThrow(/No matching signature/);
  });

  it('rotates a subscription secret too, and refuses what cannot be rotated', async () => {
    const hook = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${rx.url}/sub`, events: ['escalation'] });
    expect(hook.status).toBe(201);
    const registered = hook.body as RegisteredWebhookDto;
    const rotated = await engine.http().post(`/v1/webhooks/${registered.id}/rotate-secret`).set(bearer(admin)).send({});
    expect(rotated.status).toBe(200);
    expect((rotated.body as SecretRotationDto).secret).not.toBe(registered.secret);
    const listed = ((await engine.http().get('/v1/webhooks').set(bearer(admin))).body as WebhookDto[]).find((w) => w.id === registered.id);
    // The default overlap is a day.
    expect(new Date(listed!.previousSecretExpiresAt!).getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(JSON.stringify(listed)).not.toContain('whsec_');

    const [{ webhook_url }] = await engine.query<{ webhook_url: string | null }>(`SELECT webhook_url FROM channels WHERE code = 'hotline_1022'`);
    expect(webhook_url).toBeNull();
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      ['/v1/channels/hotline_1022/webhook/rotate-secret', {}, 422, /has no webhook/],
      ['/v1/channels/no_such_channel/webhook/rotate-secret', {}, 404, /channel 'no_such_channel' not found/],
      [`/v1/webhooks/${registered.id}/rotate-secret`, { overlapSeconds: 8 * 24 * 3600 }, 400, /overlapSeconds must not be greater than 604800/],
      ['/v1/webhooks/00000000-0000-4000-8000-000000000000/rotate-secret', {}, 404, /not found/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await engine.http().post(path).set(bearer(admin)).send(body);
      expect([path, res.status]).toEqual([path, status]);
      expect((res.body as ErrorDto).message).toMatch(message);
    }
    const handlerTry = await engine.http().post(`/v1/webhooks/${registered.id}/rotate-secret`).set(bearer(handler)).send({});
    expect(handlerTry.status).toBe(403);
  });

  it('sends what each event showed when it happened, identically on every attempt, however late the fan-out', async () => {
    const set = await channelWebhook('/retry');
    expect(set.status).toBe(200);
    const [{ webhook_secret }] = await engine.query<{ webhook_secret: string }>(`SELECT webhook_secret FROM channels WHERE code = 'ihanoi'`);
    rx.trust('/retry', webhook_secret);
    // The fan-out waits (its queue paused) while the case moves on: routed, acknowledged, resolved.
    const events = new Queue(QueueName.CaseEvents, { connection: engine.redis.options, prefix: engine.config.queuePrefix });
    await events.pause();
    let c: { id: string; trackingCode: string };
    const due: Record<string, string> = {};
    try {
      c = await submit('Rác thải ùn ứ trước số 40 phố Quỳnh Mai, bốc mùi.');
      const routed = await waitFor(
        () => engine.query<{ status: string; due_at: Date; version: number }>(`SELECT status, due_at, version FROM cases WHERE id = $1`, [c.id]),
        (r) => r[0].status === 'assigned',
        { what: 'routing' },
      );
      due.assigned = routed[0].due_at.toISOString();
      const ack = await engine
        .http()
        .post(`/v1/cases/${c.id}/acknowledge`)
        .set(bearer(handler))
        .send({ expectedVersion: routed[0].version, severity: 'normal' });
      expect(ack.status).toBe(200);
      const [acked] = await engine.query<{ due_at: Date; version: number }>(`SELECT due_at, version FROM cases WHERE id = $1`, [c.id]);
      due.in_progress = acked.due_at.toISOString();
      expect(due.in_progress).not.toBe(due.assigned);
      const resolved = await engine.http().post(`/v1/cases/${c.id}/resolve`).set(bearer(handler)).send({ expectedVersion: acked.version, answer: ANSWER });
      expect(resolved.status).toBe(200);
    } finally {
      await events.resume();
      await events.close();
    }
    const delivered = await waitFor(
      async () => rx.calls.filter((x) => x.path === '/retry' && x.body.includes(c.trackingCode)),
      (calls) => calls.filter((x) => x.status === 200).length === 3,
      { timeoutMs: 20000, what: 'three events delivered after a refused first attempt each' },
    );
    const byId = new Map<string, typeof delivered>();
    for (const call of delivered) byId.set(String(call.headers['webhook-id']), [...(byId.get(String(call.headers['webhook-id'])) ?? []), call]);
    expect(byId.size).toBe(3);
    const seen: Record<string, unknown>[] = [];
    for (const attempts of byId.values()) {
      expect(attempts.map((x) => x.status)).toEqual([503, 200]);
      expect(attempts.every((x) => x.verifiedWith === 0)).toBe(true);
      expect(attempts[1].body).toBe(attempts[0].body);
      seen.push(JSON.parse(attempts[0].body) as Record<string, unknown>);
    }
    const byAction = Object.fromEntries(seen.map((p) => [p.action as string, p]));
    expect(byAction.route).toMatchObject({ to: 'assigned', status: 'assigned', dueAt: due.assigned, answer: null });
    expect(byAction.acknowledge).toMatchObject({ to: 'in_progress', status: 'in_progress', dueAt: due.in_progress, answer: null });
    expect(byAction.resolve).toMatchObject({ to: 'resolved', status: 'resolved' });
    // The answer as the citizen's channel may carry it: contact details written into it are masked.
    expect(byAction.resolve.answer).toContain('09******78');
    expect(JSON.stringify(seen)).not.toContain('0912345678');
    // Frozen states are copied into the deliveries and then removed.
    expect(await engine.query(`SELECT event_id FROM case_event_states`)).toEqual([]);
  });

  it("sends every call as the document's webhooks describe it (body, fields and Standard Webhooks headers)", () => {
    const made = rx.calls.filter((c) => c.verifiedWith !== null);
    expect(made.length).toBeGreaterThan(3);
    const contract = apiContract(engine.api);
    expect(made.flatMap((c) => contract.webhookProblems(c))).toEqual([]);
    // The checker does catch a field the document does not describe.
    const [one] = made;
    const widened = JSON.stringify({ ...(JSON.parse(one.body) as object), citizenPhone: '0912345678' });
    expect(contract.webhookProblems({ ...one, body: widened }).join()).toMatch(/must NOT have additional properties 'citizenPhone'/);
  });

  it("keeps a first-version secret's key across the migration: whsec_ + base64 of its bytes, verified by the library", async () => {
    const legacy = 'kenh-ihanoi-bi-mat-2026, có dấu, và dài hơn 57 byte để base64 của PostgreSQL xuống dòng';
    const admin = new Client({ connectionString: engine.superuserUrl });
    await admin.connect();
    const name = `fr_test_mig_${randomBytes(4).toString('hex')}`;
    const url = new URL(engine.superuserUrl);
    url.pathname = `/${name}`;
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const upTo = (last: number) => MIGRATIONS.filter((m) => Number(/(\d{13})$/.exec(m.name)![1]) <= last);
      let ds = new DataSource({ ...dataSourceOptions({ databaseUrl: url.toString(), dbPoolSize: 1 }), migrations: upTo(1765549999999) });
      await ds.initialize();
      await ds.runMigrations();
      await ds.query(`INSERT INTO channels (code, name, webhook_url, webhook_secret) VALUES ('old', 'Old', 'http://example.org/', $1)`, [legacy]);
      await ds.destroy();
      ds = new DataSource({ ...dataSourceOptions({ databaseUrl: url.toString(), dbPoolSize: 1 }), migrations: upTo(1765550000000) });
      await ds.initialize();
      await ds.runMigrations();
      const [{ webhook_secret }] = await ds.query<{ webhook_secret: string }[]>(`SELECT webhook_secret FROM channels WHERE code = 'old'`);
      await ds.destroy();
      expect(webhook_secret).toBe(`whsec_${Buffer.from(legacy, 'utf8').toString('base64')}`);
      const ts = Math.floor(Date.now() / 1000);
      const body = '{"event":"case.status"}';
      const signature = webhookSignature([webhook_secret], 'msg_1', ts, body);
      expect(signature).toBe(`v1,${createHmac('sha256', legacy).update(`msg_1.${ts}.${body}`).digest('base64')}`);
      expect(() =>
        verifyWebhook(webhook_secret, { headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature }, body }),
      ).not.toThrow();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
