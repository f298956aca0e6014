import { adminToken, bearer, createOfficer, DEFAULT_TEST_PASSWORD, login, TestEngine } from '@fr/testing';
import type { ErrorDto } from '../apps/api/src/common/error.dto';

/** An attack run had two administrators disable each other at the same moment: both succeeded and none was left. */
describe('the last active administrator', () => {
  let engine: TestEngine;
  let admin: { id: string; token: string };
  let second: { id: string; token: string };

  beforeAll(async () => {
    engine = await TestEngine.start();
    const token = await adminToken(engine);
    const [me] = await engine.query<{ id: string }>(`SELECT id FROM officers WHERE username = 'admin'`);
    admin = { id: me.id, token };
    second = await createOfficer(engine, token, { username: 'la.admin2', role: 'ADMIN', unitCode: 'VP' });
  });
  afterAll(() => engine?.close());

  const activeAdmins = async () => (await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM officers WHERE role = 'ADMIN' AND active`))[0].n;

  it('stays: of two administrators disabling or demoting each other at once, one succeeds and the other is refused', async () => {
    for (let round = 0; round < 6; round++) {
      const change = round % 2 === 0 ? { active: false } : { role: 'AUDITOR' };
      const results = await Promise.all([
        engine.http().patch(`/v1/officers/${second.id}`).set(bearer(admin.token)).send(change),
        engine.http().patch(`/v1/officers/${admin.id}`).set(bearer(second.token)).send(change),
      ]);
      const statuses = results.map((r) => r.status);
      // The loser is refused by the rule or, its account changed a moment before, by authentication or its role.
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 422 || s === 401 || s === 403)).toHaveLength(1);
      const refused = results.find((r) => r.status === 422);
      if (refused)
        expect((refused.body as ErrorDto).message).toBe('at least one active administrator must remain: enable or appoint another administrator first');
      expect(await activeAdmins()).toBe(1);
      // Back to two for the next round, fresh tokens (disabling revokes them).
      await engine.query(`UPDATE officers SET active = true, role = 'ADMIN' WHERE username IN ('admin', 'la.admin2')`);
      admin.token = await login(engine, 'admin', 'admin');
      second.token = await login(engine, 'la.admin2', DEFAULT_TEST_PASSWORD);
    }
  });
});
