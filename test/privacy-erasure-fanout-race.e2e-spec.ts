import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { RetentionPolicy } from '@fr/config';
import { Deliveries } from '@fr/notifications';
import { eraseContactDetails, RETENTION_POLICY } from '@fr/privacy';
import { QueueName, QueueRegistry } from '@fr/queue';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, settle, TestEngine, waitFor } from '@fr/testing';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa: roads_lighting goes to QLDT. */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const ANSWER = 'Phòng Quản lý đô thị đã thay bóng đèn cột số 12 trên phố Trần Đại Nghĩa ngày 04/03.';

/**
 * A case event's fan-out reads the case and stores the deliveries' payloads (the answer, the externalId,
 * what the unit asked, where to turn) in one transaction; an erasure blanks the case and the payloads of
 * the deliveries stored before it. A fan-out that read the case before an erasure committed, and committed
 * its deliveries after the erasure cleaned the stored ones, kept the erased data in the deliveries table,
 * to be sent. Each test holds one side open at the point the race needs (a second connection's lock, or
 * the test's own transaction) and lets the other run into it.
 */
describe('an erasure and a case event fanned out at the same moment', () => {
  let engine: TestEngine;
  let configDir: string;
  let deliveries: Deliveries;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    // The policy erases the answer too, with its copies (duplicates, frozen states, payloads).
    configDir = mkdtempSync(join(tmpdir(), 'fr-erasure-fanout-'));
    cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
    const retention = join(configDir, 'retention.yaml');
    const yaml = readFileSync(retention, 'utf8');
    const withAnswer = yaml.replace(/^(\s*freeText: \[)/m, '$1answer, ');
    expect(withAnswer).not.toBe(yaml);
    writeFileSync(retention, withAnswer);
    engine = await TestEngine.start({ env: { FR_CONFIG_DIR: configDir, FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    const admin = await adminToken(engine);
    tokens.qldt = (await createOfficer(engine, admin, { username: 'race.qldt', role: 'HANDLER', unitCode: 'QLDT' })).token;
    // The channel's status webhook: every case event has a receiver, its deliveries a stored payload.
    await engine.query(`UPDATE channels SET webhook_url = 'https://hooks.ihanoi.example/status' WHERE code = 'ihanoi'`);
    deliveries = engine.worker!.get(Deliveries);
    // The tests fan the events out themselves, at the moment each needs.
    await engine.worker!.get(QueueRegistry).get(QueueName.CaseEvents).pause();
  });
  afterAll(async () => {
    if (engine?.worker) await engine.worker.get(QueueRegistry).get(QueueName.CaseEvents).resume();
    await engine?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  let n = 0;
  /** Cases of different tests 1 km apart (no duplicates of each other); `north` in degrees. */
  async function report(phone: string, north = ++n / 100) {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `1022-${phone}-0803`,
        category: 'roads_lighting',
        description: `Đèn đường trên phố Trần Đại Nghĩa không sáng, gần cột số ${phone.slice(-3)}.`,
        location: { lat: LIGHT.lat + north, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Thị Lan', phone },
      });
    expect(res.status).toBe(202);
    const c = res.body as { id: string; trackingCode: string };
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [c.id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return c;
  }
  const act = (id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(tokens.qldt), id, action, body);

  /** Answered and closed by the citizen's rating; its events wait for their fan-out (the queue is paused). */
  async function closedCase(phone: string) {
    const c = await report(phone);
    await act(c.id, 'acknowledge', { severity: 'normal' });
    await act(c.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(200);
    return c;
  }
  /** The cases' events not fanned out yet (their frozen state is still there), as their fan-out jobs name them. */
  const waitingEvents = (caseIds: string[]) =>
    engine.query<{ caseId: string; eventId: string }>(
      `SELECT e.case_id::text AS "caseId", e.id::text AS "eventId" FROM case_event_states f JOIN audit_events e ON e.id = f.event_id
        WHERE e.case_id = ANY($1::uuid[]) ORDER BY e.id`,
      [caseIds],
    );
  /** What the cases' stored deliveries would send of what an erasure erases. */
  const storedPayloads = (caseIds: string[]) =>
    engine.query<{ action: string; external_id: string | null; answer: string | null }>(
      `SELECT e.action, d.payload->>'externalId' AS external_id, d.payload->>'answer' AS answer
         FROM deliveries d JOIN audit_events e ON d.event_key = 'case-event.' || e.id
        WHERE e.case_id = ANY($1::uuid[]) ORDER BY e.id`,
      [caseIds],
    );
  /** Backends of this database waiting for a lock, but for those running a statement like `except`. */
  const lockWaiters = (except = '') =>
    engine.query<{ wait_event: string; query: string }>(
      `SELECT wait_event, query FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND ($1 = '' OR query NOT ILIKE $1)`,
      [except],
    );
  const erasing = () => {
    const ds = engine.worker!.get(DataSource);
    const policy = engine.worker!.get<symbol, RetentionPolicy>(RETENTION_POLICY);
    return { ds, policy };
  };

  /**
   * Fans `events` out while an erasure of `caseIds` has done its work and not committed: the fan-out reads
   * before, or waits for, the commit. The ids the erasure erased.
   */
  async function fanOutBesideOpenErasure(caseIds: string[], events: { caseId: string; eventId: string }[]): Promise<string[]> {
    const { ds, policy } = erasing();
    let erased!: () => void;
    const erasedNow = new Promise<void>((r) => (erased = r));
    let commit!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    const erasure = settle(
      ds.transaction(async (m) => {
        const ids = await eraseContactDetails(m, caseIds, policy, 'test', { kind: 'retention', afterCloseDays: 730 }, new Date());
        erased();
        await gate;
        return ids;
      }),
    );
    await erasedNow;
    const fanOut = settle(deliveries.caseEvents(events));
    await waitFor(async () => fanOut.done() || (await lockWaiters()).length > 0, Boolean, { what: 'the fan-out done or waiting' });
    commit();
    const ids = await erasure.promise;
    await fanOut.promise;
    return ids;
  }

  it('a fan-out that read the case before the erasure and stores its deliveries after the erasure cleaned them: nothing erased is stored', async () => {
    const phone = '0913000101';
    const c = await closedCase(phone);
    const events = await waitingEvents([c.id]);
    expect(events.length).toBeGreaterThanOrEqual(3);

    // A second connection holds the key of the last event's delivery: the fan-out reads the case, then waits to store it.
    const blocker = await engine.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO deliveries (kind, target, event_key) VALUES ('channel', 'ihanoi', $1)`, [`case-event.${events.at(-1)!.eventId}`]);
      const fanOut = settle(deliveries.caseEvents(events));
      await waitFor(async () => fanOut.done() || (await lockWaiters()).some((w) => /INSERT INTO deliveries/i.test(w.query)), Boolean, {
        what: 'the fan-out waiting to store its deliveries',
      });
      expect(fanOut.done()).toBe(false);
      // The citizen's deletion request comes now: it erases the case, or waits for the fan-out.
      const erasure = settle(engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone }));
      await waitFor(async () => erasure.done() || (await lockWaiters('%INSERT INTO deliveries%')).length > 0, Boolean, {
        what: 'the erasure done or waiting',
      });
      await blocker.query('ROLLBACK');
      await fanOut.promise;
      expect((await erasure.promise).status).toBe(201);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }

    expect((await engine.query<{ external_id: string | null }>(`SELECT external_id FROM cases WHERE id = $1`, [c.id]))[0].external_id).toBeNull();
    const stored = await storedPayloads([c.id]);
    expect(stored.length).toBeGreaterThanOrEqual(events.length);
    expect(stored.filter((d) => d.external_id !== null || d.answer !== null)).toEqual([]);
  });

  it('an erasure not committed yet when the fan-out reads the case: the fan-out stores what the erasure left', async () => {
    const c = await closedCase('0913000102');
    const events = await waitingEvents([c.id]);
    expect(await fanOutBesideOpenErasure([c.id], events)).toEqual([c.id]);

    const stored = await storedPayloads([c.id]);
    expect(stored.length).toBeGreaterThanOrEqual(events.length);
    expect(stored.filter((d) => d.external_id !== null || d.answer !== null)).toEqual([]);
  });

  it("a merged duplicate's events fanned out while its original's answer is erased: the copy of the answer is not stored", async () => {
    const original = await report('0913000103', 0.05);
    const duplicate = await report('0913000104', 0.050001);
    expect((await engine.query<{ duplicate_of: string }>(`SELECT duplicate_of::text FROM cases WHERE id = $1`, [duplicate.id]))[0].duplicate_of).toBe(
      original.id,
    );
    await act(original.id, 'merge', { duplicateIds: [duplicate.id] });
    await act(original.id, 'acknowledge', { severity: 'normal' });
    await act(original.id, 'resolve', { answer: ANSWER });
    // The duplicate closed with the original's answer: its event's frozen state holds the copy.
    const events = await waitingEvents([duplicate.id]);
    expect(
      await engine.query(`SELECT f.answer FROM case_event_states f WHERE f.event_id = ANY($1::bigint[]) AND f.answer IS NOT NULL`, [
        events.map((e) => e.eventId),
      ]),
    ).not.toEqual([]);

    expect(await fanOutBesideOpenErasure([original.id], events)).toEqual([original.id]);

    const stored = await storedPayloads([duplicate.id]);
    expect(stored.length).toBeGreaterThanOrEqual(events.length);
    expect(stored.filter((d) => d.answer !== null)).toEqual([]);
    // The duplicate's citizen asked nothing: the externalId of their own report stays.
    expect(stored.some((d) => d.external_id !== null)).toBe(true);
  });
});
