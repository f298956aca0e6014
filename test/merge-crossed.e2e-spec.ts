import { adminToken, bearer, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

/**
 * Two officers of a unit merging at the same moment, one of them the wrong way round: B into A on the
 * original and A into B on its duplicate. The wrong one is refused (422, A is not linked to B) and the
 * right one merges; neither is a 500. Each used to lock its own case and then wait for the other's, a
 * deadlock PostgreSQL broke by failing both, and every action queued on either case with them.
 */

jest.setTimeout(120_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** Trần Đại Nghĩa at Bách Khoa (roads_lighting goes to QLDT). */
const LIGHT = { lat: 21.0031, lng: 105.8459 };

describe('merges crossed on a pair of linked cases', () => {
  let engine: TestEngine;
  let handler: string;
  let leader: string;
  let n = 0;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_DUPLICATE_RADIUS_M: '150', FR_DUPLICATE_WINDOW_DAYS: '30' } });
    const admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'mx.qldt.handler', role: 'HANDLER', unitCode: 'QLDT' })).token;
    leader = (await createOfficer(engine, admin, { username: 'mx.qldt.leader', role: 'LEADER', unitCode: 'QLDT' })).token;
  });
  afterAll(() => engine?.close());

  const act = (token: string, id: string, body: Record<string, unknown>) => engine.http().post(`/v1/cases/${id}/merge`).set(bearer(token)).send(body);

  /** A report at the round's own place, 500 m from the others': a group of its own. */
  async function report(round: number): Promise<string> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        externalId: `merge-crossed-${++n}`,
        category: 'roads_lighting',
        description: `Phản ánh số ${n}: đèn chiếu sáng hỏng trên phố Trần Đại Nghĩa.`,
        location: { lat: LIGHT.lat + round * 0.005, lng: LIGHT.lng, wardCode: 'BACH_KHOA' },
      });
    expect(res.status).toBe(202);
    const id = (res.body as { id: string }).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (rows) => rows[0]?.status !== 'received',
      { what: 'routing' },
    );
    return id;
  }

  it('refuses the wrong-way merge with 422 and merges the other, with no 500, however often they cross', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 8; round++) {
      const original = await report(round);
      const duplicate = await report(round);
      const [link] = await engine.query<{ duplicate_of: string }>(`SELECT duplicate_of::text FROM cases WHERE id = $1`, [duplicate]);
      expect(link.duplicate_of).toBe(original);
      const [o] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [original]);
      const [d] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [duplicate]);
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2
            ? act(i % 4 === 1 ? handler : leader, duplicate, { expectedVersion: d.version, duplicateIds: [original] })
            : act(i % 4 === 0 ? handler : leader, original, { expectedVersion: o.version, duplicateIds: [duplicate] }),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
      const [after] = await engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [duplicate]);
      expect(after.status).toBe('merged');
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(8);
  });
});
