import { PoolClient } from 'pg';
import { AutoCloseResolved } from '@fr/cases';
import { actOnCase, adminToken, bearer, createOfficer, DEV_KEYS, settle, submitRouted, TestEngine, waitFor } from '@fr/testing';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
const ANSWER = 'UBND phường đã lập biên bản, yêu cầu hộ kinh doanh thu dọn bàn ghế và trả lại vỉa hè cho người đi bộ.';
/** As FR_AUTO_CLOSE_PER_TICK says here: a pass closes at most this many cases. */
const PER_TICK = 4;
const DAY_MS = 86_400_000;

/**
 * The auto-close sweep runs in every worker's maintenance tick. Several workers share the due cases: each
 * closes a case in a transaction of its own and leaves one another transaction holds (another worker's
 * sweep closing it, an officer acting on it) to that one or to its next pass, rather than waiting for it.
 * A pass closes at most FR_AUTO_CLOSE_PER_TICK cases, the answers given longest ago first; the rest wait
 * for the next tick.
 */
describe(AutoCloseResolved.name, () => {
  let engine: TestEngine;
  let sut: AutoCloseResolved;
  let handler: Record<string, string>;
  let phones = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_AUTO_CLOSE_PER_TICK: String(PER_TICK) } });
    const admin = await adminToken(engine);
    handler = bearer((await createOfficer(engine, admin, { username: 'autoclose.bk', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token);
    sut = engine.worker!.get(AutoCloseResolved);
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** A week and a day after now: every answer given in the test is past its rating window then. */
  const afterTheWindow = () => new Date(Date.now() + 8 * DAY_MS);

  /** `n` answered cases nobody rated, answered a minute apart in the order returned (the first longest ago). */
  async function answered(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const phone = `0915${String(++phones).padStart(6, '0')}`;
      const { id } = await submitRouted(engine, KEY, {
        category: 'sidewalk_encroachment',
        description: `Hàng quán lấn chiếm vỉa hè trước số nhà ${phones} phố Tạ Quang Bửu, người đi bộ phải xuống lòng đường.`,
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Văn Bình', phone },
      });
      await actOnCase(engine, handler, id, 'acknowledge', { severity: 'normal' });
      await actOnCase(engine, handler, id, 'resolve', { answer: ANSWER });
      ids.push(id);
    }
    await engine.query(`UPDATE cases SET resolved_at = resolved_at - make_interval(mins => 100 - array_position($1::uuid[], id)) WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    return ids;
  }
  const statuses = async (ids: string[]) =>
    (await engine.query<{ id: string; status: string }>(`SELECT id::text, status FROM cases WHERE id = ANY($1::uuid[])`, [ids])).reduce<Record<string, string>>(
      (all, r) => ({ ...all, [r.id]: r.status }),
      {},
    );
  /** How many times each case was closed (its `close` events), in the order of `ids`. */
  const closes = async (ids: string[]) => {
    const rows = await engine.query<{ id: string; n: number }>(
      `SELECT c.id::text, (SELECT count(*)::int FROM audit_events e WHERE e.case_id = c.id AND e.action = 'close') AS n FROM cases c WHERE c.id = ANY($1::uuid[])`,
      [ids],
    );
    return ids.map((id) => rows.find((r) => r.id === id)!.n);
  };
  /** Backends of this database waiting for a lock. */
  const lockWaiters = async () =>
    (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n;

  /** A second connection in a transaction, holding the case as an action or another worker's sweep closing it does. */
  async function holdCase(id: string): Promise<{ release: () => Promise<void> }> {
    const c: PoolClient = await engine.db.connect();
    await c.query('BEGIN');
    await c.query(`SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, [id]);
    return {
      release: async () => {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      },
    };
  }

  it('closes at most FR_AUTO_CLOSE_PER_TICK cases in a pass, the answers given longest ago first, and the rest at the next', async () => {
    const ids = await answered(PER_TICK + 2);

    expect(await sut.runOnce(afterTheWindow())).toBe(PER_TICK);
    const after = await statuses(ids);
    expect(ids.map((id) => after[id])).toEqual([...Array<string>(PER_TICK).fill('closed'), 'resolved', 'resolved']);

    expect(await sut.runOnce(afterTheWindow())).toBe(2);
    expect(await sut.runOnce(afterTheWindow())).toBe(0);
    expect(await closes(ids)).toEqual(ids.map(() => 1));
  });

  it('two passes at once close each due case once, neither waiting for a case another transaction holds; the next pass closes that one', async () => {
    const ids = await answered(PER_TICK + 1);
    const held = ids[1];
    const others = ids.filter((id) => id !== held);
    const holding = await holdCase(held);
    let passes: ReturnType<typeof settle<number>>[] = [];
    try {
      passes = [settle(sut.runOnce(afterTheWindow())), settle(sut.runOnce(afterTheWindow()))];
      // Both passes end while the case is held; one waiting for it instead shows as a backend waiting for a lock.
      await waitFor(async () => passes.every((p) => p.done()) || (await lockWaiters()) > 0, Boolean, { what: 'both passes done, or one waiting' });
      expect({ done: passes.map((p) => p.done()), waiting: await lockWaiters() }).toEqual({ done: [true, true], waiting: 0 });
    } finally {
      await holding.release();
    }
    const closed = await Promise.all(passes.map((p) => p.promise));
    expect(closed[0] + closed[1]).toBe(others.length);
    expect(await closes(others)).toEqual(others.map(() => 1));
    expect((await statuses([held]))[held]).toBe('resolved');

    expect(await sut.runOnce(afterTheWindow())).toBe(1);
    expect(await closes(ids)).toEqual(ids.map(() => 1));
  });
});
