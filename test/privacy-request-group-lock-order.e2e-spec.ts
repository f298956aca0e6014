import { EraseExpiredContactDetails } from '@fr/privacy';
import { QueueName, QueueRegistry } from '@fr/queue';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, holdRows, settle, submitRouted, TestEngine, untilSettledOrWaiting } from '@fr/testing';
import { ADVISORY_LOCK } from '@fr/persistence';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa: roads_lighting goes to QLDT. */
const LIGHT = { lat: 21.0031, lng: 105.8459 };
const ANSWER = 'Phòng Quản lý đô thị đã thay bóng đèn cột số 12 trên phố Trần Đại Nghĩa ngày 04/03.';
/** The citizen whose name a correction request corrects, and answers of other cases of their group that name them. */
const CITIZEN = 'Trần Văn Hùng';
const NAMED = 'Phòng Quản lý đô thị đã liên hệ ông Trần Văn Hùng và thay bóng đèn cột số 12 ngày 04/03.';
const NAMED_AGAIN = 'Lần hai: đã gặp ông Trần Văn Hùng tại hiện trường, đèn cột số 12 đã sáng lại ngày 09/03.';

type Answer = { status: number; body: unknown };
type Side = () => Promise<Answer | 'swept'>;

/**
 * A citizen's correction or deletion request writes the other cases of their cases' merged groups (the
 * group's answers, masked of the citizen's old name), and locks them first, in the order every writer of
 * several cases takes them in (case-erasure-locks.ts: casesLockOrder), with the citizen's own cases and
 * the groups' originals, in one statement. Each test holds one side where it holds its locks (a second
 * connection holds what it waits for next), lets the other run into it, then lets both go on: both must
 * finish, neither chosen as a deadlock's victim, and neither writing over what the other wrote.
 */
describe("a citizen's request and the other writers of their cases' groups at the same moment", () => {
  let engine: TestEngine;
  let token: string;
  let admin: string;
  let sweep: EraseExpiredContactDetails;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    admin = await adminToken(engine);
    token = (await createOfficer(engine, admin, { username: 'group.qldt', role: 'HANDLER', unitCode: 'QLDT' })).token;
    sweep = engine.worker!.get(EraseExpiredContactDetails);
    // No fan-out takes the cases' erasure keys behind the tests' backs.
    await engine.worker!.get(QueueRegistry).get(QueueName.CaseEvents).pause();
  });
  afterAll(async () => {
    if (engine?.worker) await engine.worker.get(QueueRegistry).get(QueueName.CaseEvents).resume();
    await engine?.close();
  });

  const act = (id: string, action: string, body: Record<string, unknown> = {}) => actOnCase(engine, bearer(token), id, action, body);
  const answered = (req: PromiseLike<{ status: number; body: unknown }>): Promise<Answer> =>
    Promise.resolve(req).then((r) => ({ status: r.status, body: r.body }));
  async function tryAct(id: string, action: string, body: Record<string, unknown>): Promise<Answer> {
    const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [id]);
    return answered(
      engine
        .http()
        .post(`/v1/cases/${id}/${action}`)
        .set(bearer(token))
        .send({ expectedVersion: version, ...body }),
    );
  }

  let phones = 0;
  let places = 0;
  let reports = 0;
  /** A report at `north` degrees from the light (the same place and category link a later report to the first), by a new phone or `samePhone`'s citizen. */
  async function report(north: number, name: string, samePhone?: string) {
    const phone = samePhone ?? `09150${String(++phones).padStart(5, '0')}`;
    const c = await submitRouted(engine, KEY, {
      externalId: `1207-${phone}-${++reports}`,
      category: 'roads_lighting',
      description: `Đèn đường trên phố Trần Đại Nghĩa không sáng, gần cột số ${phone.slice(-3)}.`,
      location: { lat: LIGHT.lat + north, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
      citizen: { name, phone },
    });
    return { ...c, phone };
  }
  /** A place 1 km from every other. */
  const place = () => ++places / 100;
  const duplicateOf = async (id: string) =>
    (await engine.query<{ duplicate_of: string | null }>(`SELECT duplicate_of::text FROM cases WHERE id = $1`, [id]))[0].duplicate_of;
  const answerOf = async (id: string) => (await engine.query<{ answer: string | null }>(`SELECT answer FROM cases WHERE id = $1`, [id]))[0].answer;
  /** Answered and closed by the citizen's rating. */
  async function closeOnItsOwn(c: { id: string; trackingCode: string }) {
    await act(c.id, 'acknowledge', { severity: 'normal' });
    await act(c.id, 'resolve', { answer: ANSWER });
    expect((await engine.http().post(`/v1/feedback/${c.trackingCode}/rating`).set(KEY).send({ score: 5 })).status).toBe(200);
  }

  /** Closed long enough ago for the retention sweep to erase it. */
  const expire = (id: string) => engine.query(`UPDATE cases SET closed_at = closed_at - interval '1000 days' WHERE id = $1`, [id]);
  const sweeping: Side = () => sweep.runOnce().then(() => 'swept' as const);
  let oldIds = 0;
  /**
   * A copy of the case under an id that sorts before every time-ordered one, as the random ids of cases
   * stored before ids were time-ordered may (intake makes a later case's id sort after the earlier's).
   */
  async function copyWithOldId(id: string): Promise<string> {
    const oldId = `00000000-0000-4000-8000-${String(++oldIds).padStart(12, '0')}`;
    await engine.query(
      `INSERT INTO cases SELECT (jsonb_populate_record(NULL::cases, to_jsonb(c) || jsonb_build_object('id', $2::text, 'tracking_code', $3::text, 'external_id', NULL))).*
         FROM cases c WHERE c.id = $1`,
      [id, oldId, `OLDGR-${String(oldIds).padStart(5, '0')}`],
    );
    return oldId;
  }
  /** The cases' `contact_erased` events: why, and for which request. */
  const erasures = (ids: string[]) =>
    engine.query<{ case_id: string; reason: string; request_id: string | null }>(
      `SELECT case_id::text, reason, data->>'requestId' AS request_id FROM audit_events
        WHERE action = 'contact_erased' AND case_id = ANY($1::uuid[]) ORDER BY case_id`,
      [ids],
    );
  const hold = (sql: string, params: unknown[] = []) => holdRows(engine, sql, params);
  /** Who writes a case event takes the receivers' lock shared after its case rows: held exclusive, it stops them there. */
  const holdCaseEvents = () => hold(`SELECT pg_advisory_xact_lock($1)`, [ADVISORY_LOCK.caseEventReceivers]);

  const correcting =
    (phone: string, name: string): Side =>
    () =>
      answered(engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'correct', phone, corrections: { name } }));
  const deleting =
    (phone: string): Side =>
    () =>
      answered(engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone }));
  /** The unit's cases being worked on handed to a new handler (casesLockOrder). */
  async function designating(): Promise<Side> {
    const next = await createOfficer(engine, admin, { username: `group.qldt.${++reports}`, role: 'HANDLER', unitCode: 'QLDT' });
    const [unit] = await engine.query<{ leader_id: string | null }>(`SELECT leader_id::text FROM units WHERE code = 'QLDT'`);
    return () => answered(engine.http().put('/v1/units/QLDT/designation').set(bearer(admin)).send({ handlerId: next.id, leaderId: unit.leader_id }));
  }

  /**
   * Starts the sides one after another while `held` stops the first where it holds its locks, each next one
   * when those before it wait, then releases `held`. What each ended with: its status, or the error it failed with.
   */
  async function race(held: Promise<{ release: () => Promise<void> }>, ...sides: Side[]): Promise<{ ended: (number | string)[]; bodies: unknown[] }> {
    const holding = await held;
    const running: ReturnType<typeof settle<Answer | 'swept'>>[] = [];
    try {
      for (const side of sides) {
        running.push(settle(side()));
        await untilSettledOrWaiting(engine, running.length, `${running.length} side(s) waiting`, ...running);
      }
    } finally {
      await holding.release();
    }
    const results = await Promise.allSettled(running.map((r) => r.promise));
    return {
      ended: results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value === 'swept' ? 'swept' : r.value.status)),
      bodies: results.map((r) => (r.status === 'fulfilled' && r.value !== 'swept' ? r.value.body : undefined)),
    };
  }

  describe("a correction of the citizen's name and the other cases of their group", () => {
    /**
     * An original, answered; the citizen's case linked to it; and `others` cases linked to it before theirs,
     * reported by other citizens, worked on, each holding an answer that names the citizen (a case reopened
     * keeps its answer until it is answered again).
     */
    async function groupWithNamedAnswers(others: number, beforeCitizen: () => Promise<unknown> = async () => undefined) {
      const north = place();
      const original = await report(north, 'Nguyễn Thị Lan');
      const siblings = [];
      for (let i = 0; i < others; i++) siblings.push(await report(north + 0.000001 * (i + 1), `Lê Thị Mai ${i}`));
      await beforeCitizen();
      const citizen = await report(north + 0.00001, CITIZEN);
      for (const c of [...siblings, citizen]) expect(await duplicateOf(c.id)).toBe(original.id);
      await act(original.id, 'acknowledge', { severity: 'normal' });
      await act(original.id, 'resolve', { answer: ANSWER });
      for (const s of siblings) {
        await act(s.id, 'acknowledge', { severity: 'normal' });
        await engine.query(`UPDATE cases SET answer = $2 WHERE id = $1`, [s.id, NAMED]);
      }
      return { original, siblings, citizen };
    }

    it('the sibling answered again while the correction masks the old name in its answer: the new answer is kept, masked', async () => {
      const g = await groupWithNamedAnswers(1);
      const [sibling] = g.siblings;
      // The resolve holds the sibling and waits to write its case event; the correction comes to the sibling's answer.
      const { ended } = await race(
        holdCaseEvents(),
        () => tryAct(sibling.id, 'resolve', { answer: NAMED_AGAIN }),
        correcting(g.citizen.phone, 'Trần Văn Hưng'),
      );
      expect(ended).toEqual([200, 201]);
      const answer = await answerOf(sibling.id);
      // Masked from the answer the resolve wrote, not from the one the correction read before the resolve committed.
      expect(answer).toMatch(/^Lần hai: /);
      expect(answer).not.toMatch(/Hùng/);
    });

    it("a designation change moving the sibling and the citizen's case while the correction masks the old name in the sibling's answer", async () => {
      // Another group's linked case, reported between the sibling and the citizen's case: the designation
      // change locks the unit's linked cases in id order, and waits for it (held) after the sibling.
      let between = { id: '' };
      const g = await groupWithNamedAnswers(1, async () => {
        const north = place();
        await report(north, 'Đỗ Thị Hoa');
        between = await report(north + 0.000001, 'Phạm Văn Nam');
      });
      const [sibling] = g.siblings;
      expect([sibling.id < between.id, between.id < g.citizen.id]).toEqual([true, true]);
      expect(await duplicateOf(between.id)).not.toBeNull();

      const { ended } = await race(
        hold(`SELECT 1 FROM cases WHERE id = $1 FOR KEY SHARE`, [between.id]),
        await designating(),
        correcting(g.citizen.phone, 'Trần Văn Hưng'),
      );
      expect(ended).toEqual([200, 201]);
      expect(await answerOf(sibling.id)).not.toMatch(/Hùng/);
    });
  });

  describe('a chain of links (an original, a case linked to it, a case linked to that one)', () => {
    it("a deletion request for a case linked to the chain's middle case and a designation change moving the middle case and the citizen's open original", async () => {
      // A chain: routing links a report to a case whose own link to an older case it read too late (the
      // group's original no longer open) and an earlier release merged originals into others; the
      // merged-groups sweep relinks only merged cases. Made here as they leave it.
      const north = place();
      const top = await report(north, 'Nguyễn Thị Lan');
      const middle = await report(north + 0.000001, 'Lê Thị Mai');
      const citizenLinked = await report(north + 0.000002, CITIZEN);
      const phone = citizenLinked.phone;
      // The citizen's two cases elsewhere, each an original: one closed, reported between the middle case and the other, open one.
      const closedOriginal = await report(place(), CITIZEN, phone);
      const openOriginal = await report(place(), CITIZEN, phone);
      for (const c of [middle, citizenLinked]) expect(await duplicateOf(c.id)).toBe(top.id);
      for (const c of [closedOriginal, openOriginal]) expect(await duplicateOf(c.id)).toBeNull();
      await closeOnItsOwn(citizenLinked);
      await closeOnItsOwn(closedOriginal);
      await engine.query(`UPDATE cases SET duplicate_of = $2 WHERE id = $1`, [citizenLinked.id, middle.id]);
      expect([middle.id < closedOriginal.id, closedOriginal.id < openOriginal.id]).toEqual([true, true]);

      // The deletion locks the citizen's cases and the original of the group it erases (the middle case), and
      // waits for the closed original (held); the designation change locks the open original (linked to
      // none: first) and comes to the middle case.
      // FOR UPDATE: the deletion's FOR NO KEY UPDATE would not wait for a key share.
      const { ended, bodies } = await race(hold(`SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, [closedOriginal.id]), deleting(phone), await designating());
      expect(ended).toEqual([201, 200]);
      expect((bodies[0] as { waitingFor: string[] }).waitingFor).toEqual([openOriginal.trackingCode]);
    });

    it("a deletion request for the citizen's cases linked to a chain's middle case, one of an id sorting before it, while the sweep erases another case linked to it", async () => {
      // The citizen's open case in another group, reported first: its id sorts between the old id and the middle case's.
      const elsewhere = place();
      await report(elsewhere, 'Đỗ Thị Hoa');
      const open = await report(elsewhere + 0.000001, CITIZEN);
      const north = place();
      const top = await report(north, 'Nguyễn Thị Lan');
      const middle = await report(north + 0.000001, 'Lê Thị Mai');
      const citizenLinked = await report(north + 0.000002, CITIZEN, open.phone);
      const due = await report(north + 0.000003, 'Phạm Văn Nam');
      for (const c of [open, middle, citizenLinked, due]) expect(await duplicateOf(c.id)).not.toBeNull();
      for (const c of [citizenLinked, due]) {
        await closeOnItsOwn(c);
        await engine.query(`UPDATE cases SET duplicate_of = $2 WHERE id = $1`, [c.id, middle.id]);
      }
      await expire(due.id);
      const older = await copyWithOldId(citizenLinked.id);
      expect([older < open.id, open.id < middle.id, middle.id < citizenLinked.id]).toEqual([true, true, true]);
      expect(top.id < middle.id).toBe(true);

      // The deletion locks the middle case, the original of the group it erases, before the cases linked
      // to it, then waits for the citizen's open case (held); the sweep, erasing the due case, locks the
      // middle case first. In id order alone, the deletion held the old-id case and the sweep, holding the
      // middle case, waited for it.
      const { ended, bodies } = await race(hold(`SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, [open.id]), deleting(open.phone), sweeping);
      expect(ended).toEqual([201, 'swept']);
      const requestId = (bodies[0] as { id: string }).id;
      expect(await erasures([older, citizenLinked.id, due.id, middle.id, open.id])).toEqual(
        [
          { case_id: older, reason: 'subject_request', request_id: requestId },
          { case_id: citizenLinked.id, reason: 'subject_request', request_id: requestId },
          { case_id: due.id, reason: 'retention', request_id: null },
        ].sort((a, b) => (a.case_id < b.case_id ? -1 : 1)),
      );
    });

    it("the sweep erasing a case linked to a chain's middle case and cases of two originals after it, while a designation change moves the later original and the middle case", async () => {
      const north = place();
      const top = await report(north, 'Nguyễn Thị Lan');
      const middle = await report(north + 0.000001, 'Lê Thị Mai');
      const dueInChain = await report(north + 0.000002, 'Phạm Văn Nam');
      // An original closed, due itself, reported between the middle case and the other original.
      const dueOriginal = await report(place(), 'Đỗ Thị Hoa');
      const other = place();
      const later = await report(other, 'Vũ Thị Thu');
      const dueLinked = await report(other + 0.000001, 'Bùi Thị Ngọc');
      for (const c of [middle, dueInChain]) expect(await duplicateOf(c.id)).toBe(top.id);
      expect(await duplicateOf(dueLinked.id)).toBe(later.id);
      for (const c of [dueInChain, dueOriginal, dueLinked]) {
        await closeOnItsOwn(c);
        await expire(c.id);
      }
      await engine.query(`UPDATE cases SET duplicate_of = $2 WHERE id = $1`, [dueInChain.id, middle.id]);
      expect([middle.id < dueOriginal.id, dueOriginal.id < later.id]).toEqual([true, true]);

      // The sweep locks the groups it erases and waits for the closed original (held); the designation
      // change locks the later original (linked to none: before the middle case) and comes to the middle
      // case. The sweep used to take the groups' originals first in id order: the middle case, then the
      // later original, which the designation change held while it waited for the middle case.
      const { ended } = await race(hold(`SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, [dueOriginal.id]), sweeping, await designating());
      expect(ended).toEqual(['swept', 200]);
      expect((await erasures([dueInChain.id, dueOriginal.id, dueLinked.id])).map((e) => e.reason)).toEqual(['retention', 'retention', 'retention']);
    });
  });
});
