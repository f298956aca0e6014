import { DataSource } from 'typeorm';
import { Deliveries, DeliveriesReconciler } from '@fr/notifications';
import { writeAuditEvent, writeOutboxWithCaseEventStates } from '@fr/persistence';
import { caseEventMessage } from '@fr/queue';
import { adminToken, ApiSchema, bearer, DEV_KEYS, startWebhookReceiver, TestEngine, waitFor, WebhookReceiver } from '@fr/testing';

/**
 * A case event nobody can receive is not fanned out at all (case-event-states.ts); a webhook receives
 * every case event that commits after it is registered, however its registration and the writers of
 * events interleave.
 */
describe('case events and the receivers that exist when they commit', () => {
  let engine: TestEngine;
  let rx: WebhookReceiver;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    engine = await TestEngine.start({ env: { FR_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
    admin = await adminToken(engine);
  });
  afterAll(async () => {
    // Every delivery the engine made verified.
    expect(rx.calls.filter((c) => c.verifiedWith === null).map((c) => `${c.path}: ${c.refusal}`)).toEqual([]);
    await engine?.close();
    await rx?.close();
  });

  async function routedCase(): Promise<{ id: string; trackingCode: string; routeEvent: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        externalId: `receivers-${++n}`,
        category: 'sanitation',
        description: 'Rác thải ùn ứ đầu ngõ 40 Tạ Quang Bửu.',
        location: { wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const { id, trackingCode } = res.body as ApiSchema<'FeedbackAcceptedDto'>;
    const [route] = await waitFor(
      () => engine.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE case_id = $1 AND action = 'route'`, [id]),
      (rows) => rows.length === 1,
      { what: 'the case to be routed' },
    );
    return { id, trackingCode, routeEvent: route.id };
  }
  /** What a fan-out leaves of an event: its frozen state, its outbox row, its fan-out row. */
  const traces = async (eventId: string) => ({
    frozen: (await engine.query(`SELECT 1 FROM case_event_states WHERE event_id = $1`, [eventId])).length,
    queued: (await engine.query(`SELECT 1 FROM outbox WHERE job_name = 'case-event' AND payload->>'eventId' = $1`, [eventId])).length,
    fannedOut: (await engine.query(`SELECT 1 FROM case_event_fanouts WHERE event_id = $1`, [eventId])).length,
  });
  const nothing = { frozen: 0, queued: 0, fannedOut: 0 };
  const register = (path: string, events = ['case.status']) =>
    engine
      .http()
      .post('/v1/webhooks')
      .set(bearer(admin))
      .send({ url: `${rx.url}${path}`, events });
  /** A backend of this test's database waiting for the receivers' lock in a statement like `query`. */
  const waiting = (query: string) =>
    waitFor(
      () =>
        engine.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE $1`,
          [query],
        ),
      (rows) => rows.length === 1,
      { what: `a backend waiting for the receivers' lock in ${query}` },
    );
  const trust = (path: string, res: { status: number; body: unknown }) => {
    expect(res.status).toBe(201);
    const hook = res.body as ApiSchema<'RegisteredWebhookDto'>;
    rx.trust(path, hook.secret!);
    return hook.id;
  };
  const disable = async (id: string) =>
    expect((await engine.http().put(`/v1/webhooks/${id}/state`).set(bearer(admin)).send({ active: false })).status).toBe(204);
  const deliveredTo = (path: string, trackingCode: string) => rx.calls.filter((c) => c.path === path && c.body.includes(trackingCode));

  it('fans out nothing while nobody subscribes, and delivers the events that commit after a webhook is registered', async () => {
    const before = await routedCase();
    expect(await traces(before.routeEvent)).toEqual(nothing);

    const hook = trust('/later', await register('/later'));
    const after = await routedCase();
    await waitFor(
      async () => deliveredTo('/later', after.trackingCode),
      (calls) => calls.length === 1,
      { what: 'the delivery of the event after the registration' },
    );
    expect(await traces(after.routeEvent)).toEqual({ frozen: 0, queued: 0, fannedOut: 1 });
    expect(deliveredTo('/later', before.trackingCode)).toEqual([]);

    // The reconciler does not take the skipped event for one whose fan-out job was lost.
    await engine.sealAuditTrail();
    const pass = await waitFor(
      () => engine.worker!.get(DeliveriesReconciler).runOnce(0),
      (r) => r !== null,
      { what: 'a deliveries reconcile pass' },
    );
    expect(pass!.fanouts).toBe(0);
    expect(await traces(before.routeEvent)).toEqual(nothing);
    await disable(hook);
  });

  it('gives a webhook registered while writers are mid-transaction every event that commits after it', async () => {
    const ds = engine.api.get(DataSource);
    const [a, b] = [await routedCase(), await routedCase()];
    /** The engine's writer of case events, in a transaction that stays open until `commit` resolves. */
    const writer = (caseId: string, commit: Promise<void>) => {
      let written!: (eventId: string) => void;
      const eventId = new Promise<string>((resolve) => (written = resolve));
      const done = ds.transaction(async (m) => {
        const id = await writeAuditEvent(m, { caseId, actor: 'system:test', action: 'extend', fromState: 'assigned', toState: 'assigned' });
        await writeOutboxWithCaseEventStates(m, [], [{ caseId, eventId: id, fanOut: caseEventMessage(caseId, id) }]);
        written(id);
        await commit;
        return id;
      });
      return { eventId, done };
    };

    // 1. A writer finds nobody to receive its event, skips the fan-out, and has not committed yet.
    let commitFirst!: () => void;
    const first = writer(a.id, new Promise((resolve) => (commitFirst = resolve)));
    const firstEvent = await first.eventId;
    // 2. A registration begins: it waits for that writer, which may have skipped for lack of it.
    // then(): supertest sends the request only when asked for its outcome.
    const registration = register('/racing').then((res) => res);
    await waiting('%pg_advisory_xact_lock(%');
    // 3. A second writer comes while the registration waits: it queues behind the registration.
    const second = writer(b.id, Promise.resolve());
    // The writer's statement is the function write_case_event_outbox, which takes the lock through case_event_receivers.
    await waiting('%write_case_event_outbox(%');
    // 4. The first commits, then the registration, then the second, which sees the new webhook.
    commitFirst();
    expect(await first.done).toBe(firstEvent);
    const hook = trust('/racing', await registration);
    const secondEvent = await second.done;

    await waitFor(
      async () => deliveredTo('/racing', b.trackingCode),
      (calls) => calls.length === 1,
      { what: 'the delivery of the event that committed after the registration' },
    );
    expect(JSON.parse(deliveredTo('/racing', b.trackingCode)[0].body)).toMatchObject({ event: 'case.status', trackingCode: b.trackingCode });
    expect(await traces(secondEvent)).toEqual({ frozen: 0, queued: 0, fannedOut: 1 });
    const deliveries = await engine.query<{ event_key: string }>(`SELECT event_key FROM deliveries WHERE kind = 'webhook' AND target = $1`, [hook]);
    expect(deliveries).toEqual([{ event_key: `case-event.${secondEvent}` }]);
    // The first committed before the webhook existed: not fanned out, and not owed to it.
    expect(await traces(firstEvent)).toEqual(nothing);
    expect(deliveredTo('/racing', a.trackingCode)).toEqual([]);
    await disable(hook);
  });

  it('gives a webhook registered while an announcement is mid-transaction every announcement that commits after it', async () => {
    const ds = engine.api.get(DataSource);
    const deliveries = engine.api.get(Deliveries);
    deliveries.registerPayload('racetest', async (id) => ({ event: 'notice', title: `Thông báo ${id}`, body: `Lịch tiếp công dân, số ${id}.` }));
    /** An announcement of a notice in a transaction that stays open until `commit` resolves: the deliveries it made. */
    const announcer = (id: string, commit: Promise<void>) => {
      let announced!: (made: number) => void;
      const made = new Promise<number>((resolve) => (announced = resolve));
      const done = ds.transaction(async (m) => {
        announced(await deliveries.announce(m, { event: 'notice', key: `racetest.${id}` }));
        await commit;
      });
      return { made, done };
    };

    // 1. An announcement finds no subscriber and has not committed yet; 2. a registration waits for it;
    // 3. a second announcement comes while the registration waits, and queues behind it.
    let commitFirst!: () => void;
    const first = announcer('1', new Promise((resolve) => (commitFirst = resolve)));
    expect(await first.made).toBe(0);
    const registration = register('/announced', ['notice']).then((res) => res);
    await waiting('%pg_advisory_xact_lock(%');
    const second = announcer('2', Promise.resolve());
    await waiting('%webhook_subscribers%');
    // 4. The first commits, then the registration, then the second, which owes the new webhook its delivery.
    commitFirst();
    await first.done;
    const hook = trust('/announced', await registration);
    expect(await second.made).toBe(1);
    await second.done;

    await waitFor(
      async () => rx.calls.filter((c) => c.path === '/announced'),
      (calls) => calls.length === 1,
      { what: 'the delivery of the announcement that committed after the registration' },
    );
    expect(JSON.parse(rx.calls.find((c) => c.path === '/announced')!.body)).toMatchObject({ event: 'notice', title: 'Thông báo 2' });
    const made = await engine.query<{ event_key: string }>(`SELECT event_key FROM deliveries WHERE kind = 'webhook' AND target = $1`, [hook]);
    expect(made).toEqual([{ event_key: 'racetest.2' }]);
    await disable(hook);
  });
});
