import { Client } from 'pg';
import { organisationSeed } from '@fr/directory';
import { migrateDatabase } from '@fr/persistence';
import { DEV_KEYS, TEST_ROLES, TestEngine, waitFor } from '@fr/testing';

/** Issue 17 item 4: the engine's own role can add to the trail and never undo it. */
describe("the engine's database role", () => {
  let engine: TestEngine;
  let asEngine: Client;
  let asOwner: Client;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    asEngine = new Client({ connectionString: engine.config.databaseUrl });
    asOwner = new Client({ connectionString: engine.config.databaseOwnerUrl });
    await Promise.all([asEngine.connect(), asOwner.connect()]);
    // The API, as the engine's role, writes the case and its `receive` event.
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        category: 'roads_lighting',
        description: 'Đèn đường ngõ 120 Trần Đại Nghĩa tắt cả tuần nay.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Nguyễn Văn An', phone: '0912345678' },
      });
    expect(res.status).toBe(202);
    await waitFor(
      () => engine.query(`SELECT 1 FROM audit_events`),
      (r) => r.length > 0,
      { what: 'the receive event' },
    );
  });
  afterAll(async () => {
    await asEngine?.end();
    await asOwner?.end();
    await engine?.close();
  });

  it('is a plain role of its own, owning nothing', async () => {
    const [me] = (
      await asEngine.query<{ who: string; su: boolean; owns: number }>(
        `SELECT current_user AS who, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owns`,
      )
    ).rows;
    expect(me).toEqual({ who: TEST_ROLES.app, su: false, owns: 0 });
    const [owner] = (await asOwner.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user`))
      .rows;
    expect(owner.n).toBe(0);
  });

  it.each(['audit_events', 'audit_seals', 'audit_reviews', 'case_state_log'])(
    'cannot switch off the triggers of %s, nor update, delete or truncate it',
    async (table) => {
      await expect(asEngine.query(`ALTER TABLE ${table} DISABLE TRIGGER ALL`)).rejects.toThrow(/must be owner/);
      await expect(
        asEngine.query(
          `UPDATE ${table} SET ${table === 'audit_seals' ? 'seq = seq' : table === 'audit_reviews' || table === 'case_state_log' ? 'case_id = case_id' : 'reason = reason'}`,
        ),
      ).rejects.toThrow(/permission denied/);
      await expect(asEngine.query(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
      await expect(asEngine.query(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/permission denied/);
    },
  );

  it('cannot go around the triggers another way: replication mode, a trigger of its own, dropping the table', async () => {
    await expect(asEngine.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`)).rejects.toThrow(/must be owner/);
    await expect(asEngine.query(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
    await expect(asEngine.query(`CREATE TRIGGER t BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asEngine.query(`DROP TABLE audit_events CASCADE`)).rejects.toThrow(/must be owner/);
    await expect(asEngine.query(`DELETE FROM audit_chain_head`)).rejects.toThrow(/permission denied/);
    // Reference data loaded from config/ is the seed's (the owner's) to write.
    await expect(asEngine.query(`UPDATE categories SET code = code`)).rejects.toThrow(/permission denied/);
    await expect(asEngine.query(`SELECT count(*) FROM migrations`)).rejects.toThrow(/permission denied/);
  });

  it('gets row access to a table a later migration creates, never TRUNCATE; a restart re-applies the grants', async () => {
    await asOwner.query(`CREATE TABLE later_feature (id int PRIMARY KEY)`);
    await asEngine.query(`INSERT INTO later_feature VALUES (1)`);
    expect((await asEngine.query(`SELECT id FROM later_feature`)).rows).toEqual([{ id: 1 }]);
    await expect(asEngine.query(`TRUNCATE later_feature`)).rejects.toThrow(/permission denied/);
    expect(await migrateDatabase(engine.config, [organisationSeed(engine.config)])).toEqual([]);
    await expect(asEngine.query(`UPDATE audit_events SET reason = reason`)).rejects.toThrow(/permission denied/);
    await asEngine.query(`DELETE FROM later_feature`);
  });

  it("says which URL to fix when migrations are run as the engine's role (DATABASE_URL set, DATABASE_OWNER_URL not)", async () => {
    // PostgreSQL alone says "permission denied for schema public": TypeORM, not seeing the migrations table, tries to create it.
    const asEngineRole = { ...engine.config, databaseOwnerUrl: engine.config.databaseUrl, databaseAdminUrl: null };
    await expect(migrateDatabase(asEngineRole, [])).rejects.toThrow(
      new RegExp(`^permission denied for schema public: migrations run as the role '${TEST_ROLES.app}' of DATABASE_OWNER_URL \\(here DATABASE_URL's`),
    );
  });

  it('takes over what a single-role installation left owned by someone else', async () => {
    await engine.query(`CREATE TABLE left_by_superuser (id serial PRIMARY KEY)`);
    await engine.query(`CREATE FUNCTION left_by_superuser_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
    await migrateDatabase(engine.config, []);
    const owners = await engine.query<{ owner: string }>(
      `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'left_by_superuser'
       UNION ALL SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'left_by_superuser_fn'`,
    );
    expect(owners).toEqual([{ owner: TEST_ROLES.owner }, { owner: TEST_ROLES.owner }]);
    await asEngine.query(`INSERT INTO left_by_superuser DEFAULT VALUES`);
  });
});
