import { AutoCloseResolved } from '@fr/cases';
import { ADVISORY_LOCK } from '@fr/persistence';
import { EraseExpiredContactDetails } from '@fr/privacy';
import { QueueName, QueueRegistry } from '@fr/queue';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, holdRows, settle, TestEngine, untilSettledOrWaiting, waitFor } from '@fr/testing';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa: roads_lighting goes to QLDT. */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const ANSWER = 'Phòng Quản lý đô thị đã thay bóng đèn cột số 12 trên phố Trần Đại Nghĩa ngày 04/03.';

type Settled<T> = ReturnType<typeof settle<T>>;
type Answer = { status: number; body: unknown };

/**
 * The order in which the writers of a merged group lock it (case-erasure-locks.ts): the original, then its
 * other cases. A case action on the original locks it, then the duplicates that close with it; an erasure
 * (the retention sweep, a deletion request, a deletion carried out as a case closes) the group's original,
 * then the group's other cases, then the cases' erasure keys; a designation change the unit's cases in the
 * same order, the originals first. Each test holds one side at a point where it holds its locks (a second
 * connection holds what it waits for next), lets the other run into it, then lets both go on: both must
 * finish, neither being chosen as a deadlock's victim.
 */
describe('erasures and case actions on one merged group at the same moment', () => {
  let engine: TestEngine;
  let sweep: EraseExpiredContactDetails;
  let autoClose: AutoCloseResolved;
  let token: string;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    admin = await adminToken(engine);
    token = (await createOfficer(engine, admin, { username: 'order.qldt', role: 'HANDLER', unitCode: 'QLDT' })).token;
    sweep = engine.worker!.get(EraseExpiredContactDetails);
    autoClose = engine.worker!.get(AutoCloseResolved);
    // No fan-out takes the cases' erasure keys behind the tests' backs.
    await engine.worker!.get(QueueRegistry).get(QueueName.CaseEvents).pause();
  });
  afterAll(async () => {
    if (engine?.worker) await engine.worker.get(QueueRegistry).get(QueueName.CaseEvents).resume();
    await engine?.close();
  });

  const act = (id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(token), id, action, body);
  /** As actOnCase, but the answer is returned, whatever it is. */
  async function tryAct(id: string, action: string, body: Record<string, unknown>): Promise<Answer> {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    const res = await engine
      .http()
      .post(`/v1/cases/${id}/${action}`)
      .set(bearer(token))
      .send({ expectedVersion: version, ...body });
    return { status: res.status, body: res.body as unknown };
  }

  let phones = 0;
  let groups = 0;
  let reports = 0;
  /**
   * A report at `north` degrees from the light; the same place and category link a later report to the first.
   * By a new phone, or by the citizen of `samePhone`.
   */
  async function report(north: number, name: string, samePhone?: string) {
    const phone = samePhone ?? `09140${String(++phones).padStart(5, '0')}`;
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `1022-${phone}-${++reports}`,
        category: 'roads_lighting',
        description: `Đèn đường trên phố Trần Đại Nghĩa không sáng, gần cột số ${phone.slice(-3)}.`,
        location: { lat: LIGHT.lat + north, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
        citizen: { name, phone },
      });
    expect(res.status).toBe(202);
    const c = res.body as { id: string; trackingCode: string };
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [c.id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return { ...c, phone };
  }
  const duplicateOf = async (id: string) =>
    (await engine.query<{ duplicate_of: string | null }>(`SELECT duplicate_of::text FROM cases WHERE id = $1`, [id]))[0].duplicate_of;
  /** Answered and closed by the citizen's rating. */
  async function closeOnItsOwn(c: { id: string; trackingCode: string }) {
    await act(c.id, 'acknowledge', { severity: 'normal' });
    await act(c.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(200);
  }
  /** Closed long enough ago for the retention sweep to erase it. */
  const expire = (id: string) => engine.query(`UPDATE cases SET closed_at = closed_at - interval '1000 days' WHERE id = $1`, [id]);

  /**
   * An original, open, with a case linked to it and closed on its own (`closed`, still of the group) and a
   * case merged into it (`merged`); each group 1 km from the others.
   */
  async function group() {
    const north = ++groups / 100;
    const original = await report(north, 'Nguyễn Thị Lan');
    const closed = await report(north + 0.000001, 'Trần Văn Hùng');
    const merged = await report(north + 0.000002, 'Lê Thị Mai');
    for (const c of [closed, merged]) expect(await duplicateOf(c.id)).toBe(original.id);
    await closeOnItsOwn(closed);
    expect(await duplicateOf(closed.id)).toBe(original.id);
    await act(original.id, 'merge', { duplicateIds: [merged.id] });
    await act(original.id, 'acknowledge', { severity: 'normal' });
    return { original, closed, merged, north };
  }

  /**
   * A copy of the case under an id that sorts before every time-ordered one, as the random ids of cases
   * stored before ids were time-ordered may (intake makes a later case's id sort after the earlier's).
   */
  async function copyWithOldId(id: string): Promise<string> {
    const oldId = `00000000-0000-4000-8000-${String(groups).padStart(12, '0')}`;
    await engine.query(
      `INSERT INTO cases SELECT (jsonb_populate_record(NULL::cases, to_jsonb(c) || jsonb_build_object('id', $2::text, 'tracking_code', $3::text, 'external_id', NULL))).*
         FROM cases c WHERE c.id = $1`,
      [id, oldId, `OLDID-${String(groups).padStart(5, '0')}`],
    );
    return oldId;
  }

  const untilWaiting = (n: number, what: string, ...settled: { done: () => boolean }[]) => untilSettledOrWaiting(engine, n, what, ...settled);
  const hold = (sql: string, params: unknown[] = []) => holdRows(engine, sql, params);
  /**
   * Who writes a case event (a case action, a request's answer to its channel) takes the receivers' lock
   * shared after its case rows: held exclusive, it stops them there.
   */
  const holdCaseEvents = () => hold(`SELECT pg_advisory_xact_lock($1)`, [ADVISORY_LOCK.caseEventReceivers]);

  /** A side of a race: an HTTP call, answered, or the sweep. */
  type Side = () => Promise<Answer | 'swept'>;
  const answered = (req: PromiseLike<{ status: number; body: unknown }>): Promise<Answer> =>
    Promise.resolve(req).then((r) => ({ status: r.status, body: r.body }));
  const sweeping: Side = () => sweep.runOnce().then(() => 'swept' as const);
  const autoClosing: Side = () => autoClose.runOnce().then(() => 'swept' as const);
  const resolving =
    (id: string, answer = ANSWER): Side =>
    () =>
      tryAct(id, 'resolve', { answer });
  const noting =
    (id: string): Side =>
    () =>
      tryAct(id, 'note', { text: 'Đã gọi lại cho đội chiếu sáng.' });
  const merging =
    (id: string, duplicateIds: string[]): Side =>
    () =>
      tryAct(id, 'merge', { duplicateIds });
  const requesting =
    (kind: 'access' | 'delete', phone: string): Side =>
    () =>
      answered(engine.http().post('/v1/privacy/requests').set(KEY).send({ kind, phone }));
  const deleting = (phone: string): Side => requesting('delete', phone);
  const rating =
    (trackingCode: string): Side =>
    () =>
      answered(engine.http().post(`/v1/feedback/${trackingCode}/rating`).set(KEY).send({ score: 5 }));

  /**
   * Starts the sides one after another while `held` stops the first where it holds its locks, each next
   * one when those before it wait, then releases `held`. What each ended with: the status it was answered
   * ('swept' for the sweep), or the error it failed with ("deadlock detected").
   */
  async function race(
    held: Promise<{ release: () => Promise<void> }>,
    ...sides: Side[]
  ): Promise<{ ended: (number | string)[]; bodies: unknown[]; doneWhileHeld: boolean[] }> {
    const holding = await held;
    const running: Settled<Answer | 'swept'>[] = [];
    const doneWhileHeld: boolean[] = [];
    try {
      for (const side of sides) {
        running.push(settle(side()));
        await untilWaiting(running.length, `${running.length} side(s) waiting`, ...running);
      }
    } finally {
      doneWhileHeld.push(...running.map((r) => r.done()));
      await holding.release();
    }
    const results = await Promise.allSettled(running.map((r) => r.promise));
    return {
      ended: results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value === 'swept' ? 'swept' : r.value.status)),
      bodies: results.map((r) => (r.status === 'fulfilled' && r.value !== 'swept' ? r.value.body : undefined)),
      doneWhileHeld,
    };
  }

  /** The cases' `contact_erased` events: why, and for which request. */
  const erasures = (ids: string[]) =>
    engine.query<{ case_id: string; reason: string; request_id: string | null }>(
      `SELECT case_id::text, reason, data->>'requestId' AS request_id FROM audit_events
        WHERE action = 'contact_erased' AND case_id = ANY($1::uuid[]) ORDER BY case_id`,
      [ids],
    );
  /** Whether the case's contact details are gone. */
  const erased = async (id: string) => {
    const [c] = await engine.query<{ citizen_phone: string | null; contact_erased_at: Date | null }>(
      `SELECT citizen_phone, contact_erased_at FROM cases WHERE id = $1`,
      [id],
    );
    return c.citizen_phone === null && c.contact_erased_at !== null;
  };
  const sorted = <T extends { case_id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.case_id < b.case_id ? -1 : 1));
  const requestStatus = async (id: string) =>
    (await engine.query<{ status: string; case_ids: string[] }>(`SELECT status, case_ids::text[] FROM privacy_requests WHERE id = $1`, [id]))[0];
  /** A deletion request made now, waiting for its citizen's case to close. */
  async function waitingDeletion(phone: string, caseId: string): Promise<string> {
    const res = await answered(engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone }));
    const body = res.body as { id: string; status: string };
    expect([res.status, body.status]).toEqual([201, 'waiting_for_closure']);
    expect(await requestStatus(body.id)).toEqual({ status: 'waiting_for_closure', case_ids: [caseId] });
    return body.id;
  }

  describe('a case action on the group and the retention sweep', () => {
    it('the original resolved, its merged duplicates closing with it, while the sweep erases the closed case of the group', async () => {
      const g = await group();
      await expire(g.closed.id);
      // A merged duplicate whose id sorts before the original's: an erasure locking the group in id order alone takes it first.
      const older = await copyWithOldId(g.merged.id);
      expect(older < g.original.id).toBe(true);

      // It is held: the action has locked the original and waits for it.
      const { ended } = await race(hold(`SELECT 1 FROM cases WHERE id = $1 FOR KEY SHARE`, [older]), resolving(g.original.id), sweeping);
      expect(ended).toEqual([200, 'swept']);

      expect(await engine.query(`SELECT status FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id`, [[older, g.merged.id]])).toEqual([
        { status: 'closed' },
        { status: 'closed' },
      ]);
      expect(await erasures([g.original.id, g.closed.id, g.merged.id, older])).toEqual([{ case_id: g.closed.id, reason: 'retention', request_id: null }]);
    });

    it('the original resolved while a deletion waits for its merged duplicate, and the sweep erases the closed case of the group', async () => {
      const g = await group();
      await expire(g.closed.id);
      const requestId = await waitingDeletion(g.merged.phone, g.merged.id);

      // The action has locked the original and its merged duplicate, closed the duplicate, and waits to
      // write the duplicate's case event; the deletion waiting for it erases it after.
      const { ended } = await race(holdCaseEvents(), resolving(g.original.id), sweeping);
      expect(ended).toEqual([200, 'swept']);

      expect([await erased(g.closed.id), await erased(g.merged.id), await erased(g.original.id)]).toEqual([true, true, false]);
      expect(await erasures([g.original.id, g.closed.id, g.merged.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: g.merged.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect((await requestStatus(requestId)).status).toBe('answered');
    });

    it("a case linked to the original closed by its citizen's rating while a deletion waits for it, and the sweep erases the closed case of the group", async () => {
      const g = await group();
      await expire(g.closed.id);
      const linked = await report(g.north + 0.000003, 'Phạm Văn Nam');
      expect(await duplicateOf(linked.id)).toBe(g.original.id);
      await act(linked.id, 'acknowledge', { severity: 'normal' });
      await act(linked.id, 'resolve', { answer: ANSWER });
      const requestId = await waitingDeletion(linked.phone, linked.id);

      // The rating closes the case and waits to write its case event; the deletion erases it after.
      const { ended } = await race(holdCaseEvents(), rating(linked.trackingCode), sweeping);
      expect(ended).toEqual([200, 'swept']);

      expect(await erasures([g.original.id, g.closed.id, g.merged.id, linked.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: linked.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect((await requestStatus(requestId)).status).toBe('answered');
    });
    it("a deletion request for a case linked to the original committing while the citizen's rating waits for that case, and the sweep erases the closed case of the group", async () => {
      const g = await group();
      await expire(g.closed.id);
      const linked = await report(g.north + 0.000003, 'Phạm Văn Nam');
      expect(await duplicateOf(linked.id)).toBe(g.original.id);
      await act(linked.id, 'acknowledge', { severity: 'normal' });
      await act(linked.id, 'resolve', { answer: ANSWER });

      // The deletion locks the case (open: not its original, which it does not write) and waits to tell its
      // channel. The rating starts before the deletion commits, so its statement sees no deletion waiting, and
      // waits for the case; the sweep takes the original and waits for the case. Released, the deletion
      // commits: the rating takes the case, finds the deletion, lets the case go and starts again from the
      // original, which it takes once the sweep is done; it closes the case, erasing it for the deletion.
      const { ended, bodies } = await race(holdCaseEvents(), deleting(linked.phone), rating(linked.trackingCode), sweeping);
      expect(ended).toEqual([201, 200, 'swept']);

      const requestId = (bodies[0] as { id: string }).id;
      expect(await erasures([g.original.id, g.closed.id, g.merged.id, linked.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: linked.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect(await requestStatus(requestId)).toEqual({ status: 'answered', case_ids: [linked.id] });
    });
    it('the auto-close sweep closing a case linked to the original while a deletion waits for it, and the sweep erases the closed case of the group', async () => {
      const g = await group();
      await expire(g.closed.id);
      const linked = await report(g.north + 0.000003, 'Phạm Văn Nam');
      expect(await duplicateOf(linked.id)).toBe(g.original.id);
      // Another case of the same rating window, resolved before it: the sweep closes it first.
      const before = await report(++groups / 100, 'Đỗ Thị Hoa');
      for (const c of [before, linked]) {
        await act(c.id, 'acknowledge', { severity: 'normal' });
        await act(c.id, 'resolve', { answer: ANSWER });
      }
      const requestId = await waitingDeletion(linked.phone, linked.id);
      await engine.query(`UPDATE cases SET resolved_at = resolved_at - interval '1000 days' WHERE id = $1`, [before.id]);
      await engine.query(`UPDATE cases SET resolved_at = resolved_at - interval '999 days' WHERE id = $1`, [linked.id]);

      // The auto-close sweep closes the first case and waits to write its case event; the retention sweep
      // then locks the group's original and comes to the linked case, which the deletion erases as it closes.
      const { ended } = await race(holdCaseEvents(), autoClosing, sweeping);
      expect(ended).toEqual(['swept', 'swept']);

      expect(await engine.query(`SELECT status FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id`, [[before.id, linked.id]])).toEqual([
        { status: 'closed' },
        { status: 'closed' },
      ]);
      expect(await erasures([g.original.id, g.closed.id, g.merged.id, linked.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: linked.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect((await requestStatus(requestId)).status).toBe('answered');
    });
  });

  describe('two erasures of one group', () => {
    /** The group with its two citizens' cases closed, the one closed on its own erasable by the sweep. */
    async function twoClosed() {
      const g = await group();
      await act(g.original.id, 'resolve', { answer: ANSWER });
      await expire(g.closed.id);
      return g;
    }
    /** Each case erased once, by the one that was to erase it; the request answered. */
    async function erasedOnce(g: Awaited<ReturnType<typeof twoClosed>>, requestId: string) {
      expect([await erased(g.closed.id), await erased(g.merged.id), await erased(g.original.id)]).toEqual([true, true, false]);
      expect(await erasures([g.original.id, g.closed.id, g.merged.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: g.merged.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect(await requestStatus(requestId)).toEqual({ status: 'answered', case_ids: [g.merged.id] });
    }

    it('a deletion request holding its case when the sweep comes for another case of the group', async () => {
      const g = await twoClosed();
      // The request has locked its citizen's case and waits to tell its channel, before it erases.
      const { ended, bodies } = await race(holdCaseEvents(), deleting(g.merged.phone), sweeping);
      expect(ended).toEqual([201, 'swept']);
      await erasedOnce(g, (bodies[0] as { id: string }).id);
    });

    it('the sweep holding the group when a deletion request comes for another case of it', async () => {
      const g = await twoClosed();
      // A fan-out of the original's events holds its erasure key: the sweep has locked the group's cases
      // and waits for the key, before it erases.
      const fanOut = hold(`SELECT pg_advisory_xact_lock_shared($1, hashtext($2::text))`, [ADVISORY_LOCK.caseErasure, g.original.id]);
      const { ended, bodies } = await race(fanOut, sweeping, deleting(g.merged.phone));
      expect(ended).toEqual(['swept', 201]);
      await erasedOnce(g, (bodies[1] as { id: string }).id);
    });

    it('two deletion requests, each holding its own case of the group', async () => {
      const g = await group();
      await act(g.original.id, 'resolve', { answer: ANSWER });
      // Both have locked their citizen's case and wait to tell their channel, before they erase.
      const { ended, bodies } = await race(holdCaseEvents(), deleting(g.merged.phone), deleting(g.closed.phone));
      expect(ended).toEqual([201, 201]);
      const [first, second] = bodies.map((b) => (b as { id: string }).id);
      expect(await erasures([g.original.id, g.closed.id, g.merged.id])).toEqual(
        sorted([
          { case_id: g.merged.id, reason: 'subject_request', request_id: first },
          { case_id: g.closed.id, reason: 'subject_request', request_id: second },
        ]),
      );
    });
  });

  describe('a designation change and the retention sweep', () => {
    it("the unit's cases moved to a new handler, among them a case linked to an answered original and a later original, while the sweep erases a closed case of each group", async () => {
      // The first group: its original answered (no longer among the unit's cases being worked on), a case
      // linked to it still worked on, and one closed on its own, erasable by the sweep.
      const north = ++groups / 100;
      const first = await report(north, 'Vũ Thị Thu');
      const worked = await report(north + 0.000001, 'Hoàng Văn Minh');
      const closed = await report(north + 0.000002, 'Bùi Thị Ngọc');
      for (const c of [worked, closed]) expect(await duplicateOf(c.id)).toBe(first.id);
      await closeOnItsOwn(closed);
      await expire(closed.id);
      await act(worked.id, 'acknowledge', { severity: 'normal' });
      await act(first.id, 'acknowledge', { severity: 'normal' });
      await act(first.id, 'resolve', { answer: ANSWER });
      // The second group, reported after: its original is worked on, and the sweep erases a case of it too.
      const g = await group();
      await expire(g.closed.id);
      // Time-ordered ids: the worked-on duplicate of the first group sorts between the two originals.
      expect([first.id < worked.id, worked.id < g.original.id]).toEqual([true, true]);

      const next = await createOfficer(engine, admin, { username: 'order.qldt.next', role: 'HANDLER', unitCode: 'QLDT' });
      const [unit] = await engine.query<{ leader_id: string | null }>(`SELECT leader_id::text FROM units WHERE code = 'QLDT'`);
      const designating: Side = () =>
        answered(engine.http().put('/v1/units/QLDT/designation').set(bearer(admin)).send({ handlerId: next.id, leaderId: unit.leader_id }));

      // It is held: the designation change waits for the second original; the sweep locks both originals,
      // then the groups' other cases.
      const { ended } = await race(hold(`SELECT 1 FROM cases WHERE id = $1 FOR KEY SHARE`, [g.original.id]), designating, sweeping);
      expect(ended).toEqual([200, 'swept']);

      expect(await engine.query(`SELECT handler_id::text FROM cases WHERE id = ANY($1::uuid[])`, [[worked.id, g.original.id]])).toEqual([
        { handler_id: next.id },
        { handler_id: next.id },
      ]);
      expect(await erasures([first.id, worked.id, closed.id, g.original.id, g.closed.id, g.merged.id])).toEqual(
        sorted([
          { case_id: closed.id, reason: 'retention', request_id: null },
          { case_id: g.closed.id, reason: 'retention', request_id: null },
        ]),
      );
    });
  });

  describe("a citizen's request and an officer acting on the original of their case, another citizen's", () => {
    /** An answer naming the citizen of the group's case closed on its own. */
    const NAMED = 'Phòng Quản lý đô thị đã liên hệ ông Trần Văn Hùng và thay bóng đèn cột số 12 ngày 04/03.';
    const answerOf = async (id: string) => (await engine.query<{ answer: string | null }>(`SELECT answer FROM cases WHERE id = $1`, [id]))[0].answer;
    /**
     * The group, and a second case of the citizen whose case was closed on its own (Trần Văn Hùng, by the
     * same phone), linked to the original and merged into it: a deletion request erases the first now and
     * waits for the second.
     */
    async function citizenOfTwo() {
      const g = await group();
      const second = await report(g.north + 0.000003, 'Trần Văn Hùng', g.closed.phone);
      expect(await duplicateOf(second.id)).toBe(g.original.id);
      await act(g.original.id, 'merge', { duplicateIds: [second.id] });
      return { ...g, second };
    }

    it("an access request reads its citizen's cases unlocked: a note on the original of their merged case goes through meanwhile", async () => {
      const g = await group();
      // The request has read the cases and waits to record its answer's delivery.
      const { ended, doneWhileHeld } = await race(holdCaseEvents(), requesting('access', g.merged.phone), noting(g.original.id));
      expect(ended).toEqual([201, 200]);
      expect(doneWhileHeld).toEqual([false, true]);
    });

    it("a deletion request waiting for its citizen's merged case leaves the original free: a note on it goes through meanwhile", async () => {
      const g = await group();
      // The request holds the case it waits for, and waits to tell its channel.
      const { ended, bodies, doneWhileHeld } = await race(holdCaseEvents(), deleting(g.merged.phone), noting(g.original.id));
      expect(ended).toEqual([201, 200]);
      expect(doneWhileHeld).toEqual([false, true]);
      expect(await requestStatus((bodies[0] as { id: string }).id)).toEqual({ status: 'waiting_for_closure', case_ids: [g.merged.id] });
    });

    it("a merge of the citizen's linked case into the original while a deletion request holds that case: the merge waits for it, and the case is erased when the original's resolve closes it", async () => {
      const g = await group();
      const linked = await report(g.north + 0.000003, 'Phạm Văn Nam');
      expect(await duplicateOf(linked.id)).toBe(g.original.id);
      // The request holds the case and waits to tell its channel; the merge holds the original and waits for the case.
      const { ended, bodies } = await race(holdCaseEvents(), deleting(linked.phone), merging(g.original.id, [linked.id]));
      expect(ended).toEqual([201, 200]);
      const requestId = (bodies[0] as { id: string }).id;
      expect(await requestStatus(requestId)).toEqual({ status: 'waiting_for_closure', case_ids: [linked.id] });

      await act(g.original.id, 'resolve', { answer: ANSWER });
      expect(await erasures([g.original.id, linked.id])).toEqual([{ case_id: linked.id, reason: 'subject_request', request_id: requestId }]);
      expect((await requestStatus(requestId)).status).toBe('answered');
    });

    it("a deletion request erasing its citizen's closed case holds the original, whose answer it may mask: the original's resolve waits for the request, then closes the citizen's merged case, erased as it closes", async () => {
      const g = await citizenOfTwo();
      // The request holds the original and the citizen's cases and waits to tell its channel, before it erases.
      const { ended, bodies, doneWhileHeld } = await race(holdCaseEvents(), deleting(g.closed.phone), resolving(g.original.id, NAMED));
      expect(ended).toEqual([201, 200]);
      expect(doneWhileHeld).toEqual([false, false]);

      const requestId = (bodies[0] as { id: string }).id;
      expect(await erasures([g.original.id, g.closed.id, g.merged.id, g.second.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'subject_request', request_id: requestId },
          { case_id: g.second.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect(await requestStatus(requestId)).toEqual({ status: 'answered', case_ids: [g.closed.id, g.second.id] });
      // The second case's erasure, as the resolve closed it, masked the citizen's name in the original's answer.
      expect(await answerOf(g.original.id)).not.toMatch(/Hùng/);
    });

    it("the original resolved with an answer naming the citizen while a deletion request comes for their cases: the request waits for the original, then erases both cases and masks the name in the original's answer", async () => {
      const g = await citizenOfTwo();
      // The resolve holds the original and its merged cases and waits to write their case events; the request waits for the original.
      const { ended, bodies } = await race(holdCaseEvents(), resolving(g.original.id, NAMED), deleting(g.closed.phone));
      expect(ended).toEqual([200, 201]);

      const requestId = (bodies[1] as { id: string }).id;
      expect(await requestStatus(requestId)).toEqual({ status: 'answered', case_ids: [g.closed.id, g.second.id] });
      expect((await erasures([g.closed.id, g.second.id])).map((e) => e.request_id)).toEqual([requestId, requestId]);
      // Written by the request: the resolve committed the name.
      expect(await answerOf(g.original.id)).not.toMatch(/Hùng/);
    });

    it("a deletion request for a merged case that the original's resolve closes while the request waits for it, and the sweep erases the closed case of the group", async () => {
      const g = await group();
      await expire(g.closed.id);
      // The resolve holds the original and its merged cases and waits to write their case events. The
      // request, which saw the merged case open, waits for it alone; the sweep waits for the original.
      // Released, the resolve commits: the sweep takes the original and waits for the merged case, which
      // the request holds, closed now, to be erased with its original locked first: it lets it go and
      // starts again, from the original.
      const { ended, bodies } = await race(holdCaseEvents(), resolving(g.original.id), deleting(g.merged.phone), sweeping);
      expect(ended).toEqual([200, 201, 'swept']);

      const requestId = (bodies[1] as { id: string }).id;
      expect(await erasures([g.original.id, g.closed.id, g.merged.id])).toEqual(
        sorted([
          { case_id: g.closed.id, reason: 'retention', request_id: null },
          { case_id: g.merged.id, reason: 'subject_request', request_id: requestId },
        ]),
      );
      expect(await requestStatus(requestId)).toEqual({ status: 'answered', case_ids: [g.merged.id] });
    });
  });
});
