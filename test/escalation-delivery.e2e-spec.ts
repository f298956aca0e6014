import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Metrics } from '@fr/metrics';
import { JobName, jobIdFor, QueueName, QueueRegistry } from '@fr/queue';
import { Clock, FireEscalation, SlaService, Stage } from '@fr/sla';
import { adminToken, ApiSchema, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

const CITIZEN = { name: 'Hoàng Thị Lụa', phone: '0903999888' };

/** An SMTP sink started inside the test, and a webhook receiver: what leaves the engine, as it arrives. */
describe('an escalation reaches the inbox, the webhook and the mailbox, once each', () => {
  let engine: TestEngine;
  let smtp: SMTPServer;
  let hooks: Server;
  const mails: { to: string; subject: string; raw: string }[] = [];
  const calls: { body: string; signature: string }[] = [];
  let leader: { id: string; token: string };

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (d) => (raw += d));
        stream.on('end', () => {
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), subject, raw });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls.push({ body, signature: String(req.headers['x-signature']) });
        res.end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));

    engine = await TestEngine.start({
      env: {
        FR_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      },
    });
    const admin = await adminToken(engine);
    leader = await createOfficer(engine, admin, { username: 'dm.lanhdao', role: 'LEADER', unitCode: 'P_DONG_MAC' });
    const [{ handler_id }] = await engine.query<{ handler_id: string }>(`SELECT handler_id FROM units WHERE code = 'P_DONG_MAC'`);
    await engine.http().put('/v1/units/P_DONG_MAC/designation').set(bearer(admin)).send({ handlerId: handler_id, leaderId: leader.id }).expect(200);
    await engine.http().patch(`/v1/officers/${leader.id}`).set(bearer(admin)).send({ email: 'lanhdao.dongmac@hbt.gov.vn' }).expect(200);
    const reg = await engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/esc`, events: ['escalation'] });
    expect(reg.status).toBe(201);
  });
  afterAll(async () => {
    await engine?.close();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await new Promise((r) => hooks?.close(r));
  });
  afterEach(() => jest.restoreAllMocks());

  async function breachedCase() {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({ category: 'sanitation', description: 'Rác ùn ứ ở chợ Đống Mác ba ngày.', location: { wardCode: 'DONG_MAC' }, citizen: CITIZEN });
    const { id } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    const [c] = await waitFor(
      () =>
        engine.query<{ stage: Stage; stage_started_at: Date; due_at: Date; tracking_code: string }>(
          `SELECT stage, stage_started_at, due_at, tracking_code FROM cases WHERE id = $1 AND status = 'assigned'`,
          [id],
        ),
      (rows) => rows.length === 1,
      { what: 'routing' },
    );
    return {
      id,
      run: { caseId: id, stage: c.stage, stageStartedAt: new Date(c.stage_started_at), dueAt: new Date(c.due_at) },
      trackingCode: c.tracking_code,
    };
  }

  it('sends exactly one level-1 notification to each, even when the level fires twice', async () => {
    const { id, run, trackingCode } = await breachedCase();
    // After the deadline and inside office hours: the e-mail goes at once.
    const { calendar } = engine.worker!.get(SlaService);
    let now = new Date(run.dueAt.getTime() + 60_000);
    if (!calendar.isWorkingTime(now)) now = new Date(calendar.nextOpening(now).getTime() + 3600_000);
    jest.spyOn(engine.worker!.get(Clock), 'now').mockReturnValue(now);
    const fire = engine.worker!.get(FireEscalation);
    // The worker's metrics count what happens here (issue 17): deliveries by kind and outcome.
    const delivered = async (kind: string) =>
      (await engine.worker!.get(Metrics).deliveries.get()).values.find((v) => v.labels.kind === kind && v.labels.outcome === 'delivered')?.value ?? 0;
    const before = { email: await delivered('email'), webhook: await delivered('webhook') };
    expect(await fire.execute({ ...run, level: '1' })).toMatchObject({ outcome: 'fired' });
    expect(await fire.execute({ ...run, level: '1' })).toEqual({ outcome: 'duplicate' });

    await waitFor(
      async () => mails.filter((m) => m.raw.includes(trackingCode)),
      (m) => m.length >= 1,
      { what: 'the e-mail' },
    );
    await waitFor(
      async () => calls.filter((c) => c.body.includes(trackingCode)),
      (c) => c.length >= 1,
      { what: 'the webhook call' },
    );
    // Let every delivery job finish before counting, so a duplicate would have had its chance.
    const queue = engine.worker!.get(QueueRegistry).get(QueueName.Notifications);
    await waitFor(
      () => queue.getJobCounts('waiting', 'active', 'delayed'),
      (c) => c.waiting + c.active + c.delayed === 0,
      { what: 'deliveries to drain' },
    );

    const inbox = await engine.http().get('/v1/notifications').set(bearer(leader.token));
    expect((inbox.body as ApiSchema<'NotificationPageDto'>).items.filter((n) => n.caseId === id)).toHaveLength(1);
    // The worker puts the escalation on the audit chain by itself, once, a moment after it fired.
    const audited = await waitFor(
      () => engine.query<{ data: { level: string } }>(`SELECT data FROM audit_events WHERE case_id = $1 AND action = 'escalate'`, [id]),
      (rows) => rows.length >= 1,
      { what: 'the escalate audit event' },
    );
    expect(audited.map((a) => a.data.level)).toEqual(['1']);
    const mine = mails.filter((m) => m.raw.includes(trackingCode));
    expect(mine).toHaveLength(1);
    expect(mine[0].to).toBe('lanhdao.dongmac@hbt.gov.vn');
    const hooksForCase = calls.filter((c) => c.body.includes(trackingCode));
    expect(hooksForCase).toHaveLength(1);
    expect({ email: await delivered('email'), webhook: await delivered('webhook') }).toEqual({ email: before.email + 1, webhook: before.webhook + 1 });
    expect(JSON.parse(hooksForCase[0].body)).toMatchObject({ event: 'escalation', caseId: id, trackingCode, level: '1', stage: 'receive' });
    for (const text of [mine[0].raw, hooksForCase[0].body]) {
      expect(text).not.toContain(CITIZEN.phone);
      expect(text).not.toContain('0903999888');
    }
  });

  it('holds e-mail to officers outside office hours until the next opening; the inbox is told at once', async () => {
    const { id, run } = await breachedCase();
    // The first Saturday 09:00 (+07:00) after the deadline: no office hours until Monday 08:00.
    const { calendar } = engine.worker!.get(SlaService);
    let saturday = new Date(run.dueAt.getTime() + 86_400_000);
    while (new Date(saturday.getTime() + 7 * 3600_000).getUTCDay() !== 6) saturday = new Date(saturday.getTime() + 86_400_000);
    saturday = new Date(`${new Date(saturday.getTime() + 7 * 3600_000).toISOString().slice(0, 10)}T02:00:00Z`);
    const opening = calendar.nextOpening(saturday);
    jest.spyOn(engine.worker!.get(Clock), 'now').mockReturnValue(saturday);
    const firedAt = Date.now();
    expect(await engine.worker!.get(FireEscalation).execute({ ...run, level: '1' })).toMatchObject({ outcome: 'fired' });

    const [{ id: escalationId }] = await engine.query<{ id: string }>(`SELECT id FROM escalations WHERE case_id = $1 AND level = '1'`, [id]);
    const [email] = await engine.query<{ id: string; not_before: Date }>(`SELECT id, not_before FROM deliveries WHERE kind = 'email' AND event_key = $1`, [
      `escalation.${escalationId}`,
    ]);
    expect(new Date(email.not_before).toISOString()).toBe(opening.toISOString());
    expect(new Date(opening.getTime() + 7 * 3600_000).toISOString()).toMatch(/T08:00:00/);
    const queue = engine.worker!.get(QueueRegistry).get(QueueName.Notifications);
    const job = await waitFor(
      () => queue.getJob(jobIdFor(JobName.Deliver, { deliveryId: String(email.id) })),
      (j) => !!j,
      { what: 'the held e-mail job' },
    );
    expect(await job!.getState()).toBe('delayed');
    // Held for the time to the opening, less the moment the job waited in the outbox.
    expect(job!.opts.delay).toBeLessThanOrEqual(opening.getTime() - saturday.getTime());
    expect(job!.opts.delay).toBeGreaterThan(opening.getTime() - saturday.getTime() - (Date.now() - firedAt) - 1000);
    const inbox = await engine.http().get('/v1/notifications?unread=true').set(bearer(leader.token));
    expect((inbox.body as ApiSchema<'NotificationPageDto'>).items.map((n) => n.caseId)).toContain(id);
  });
});
