import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { loadConfig } from '@fr/config';
import { TestEngine, testDatabaseUrl, TEST_ROLES } from '@fr/testing';
import { createFromTemplate } from '../libs/testing/src/template-database';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- what Jest's setup runs, as plain JavaScript
const { dropEndedRuns, dropEndedEngines } = require('../scripts/jest-templates.js') as {
  dropEndedRuns: (dir: string, own: string) => Promise<void>;
  dropEndedEngines: (dir: string, opts?: { minAgeS?: number }) => Promise<void>;
};

const BASE_DB = process.env.FR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The database templates a Jest run makes for its test engines (libs/testing/src/template-database.ts) are
 * dropped by its teardown, which Jest skips when the run is interrupted (Ctrl+C), killed or bails out: the
 * next run's setup drops those of runs that have ended.
 */
describe("a Jest run's database templates", () => {
  let admin: Client;
  let dir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    admin = new Client({ connectionString: BASE_DB });
    await admin.connect();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fr_tpl_test_'));
  });
  afterEach(() => {
    // A run of the test's own in process.env: this file's engines, if any, keep to the real one.
    for (const key of ['FR_TEST_RUN', 'FR_TEST_TEMPLATES']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await admin?.end();
  });

  const databases = async (prefix: string) =>
    (await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname`, [`${prefix}%`])).rows.map(
      (r) => r.datname,
    );
  const drop = (name: string) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);

  it("are dropped by the next run's setup once the run that made them has ended without its teardown, not while it runs", async () => {
    const ended = randomBytes(5).toString('hex');
    const running = randomBytes(5).toString('hex');
    // A Jest process that has ended: its id names no process any more.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const names = { ended: [`fr_tpl_${ended}_0123456789ab`, `fr_tpl_${ended}_0123456789ab_b`], running: [`fr_tpl_${running}_0123456789ab`] };
    for (const name of [...names.ended, ...names.running]) await admin.query(`CREATE DATABASE "${name}"`);
    try {
      writeFileSync(join(dir, `fr_tpl_${ended}.list`), `pid ${gone}\n${names.ended.join('\n')}\n`);
      writeFileSync(join(dir, `fr_tpl_${running}.list`), `pid ${process.pid}\n${names.running.join('\n')}\n`);

      // What the next run's setup does in the system's temporary directory (scripts/jest-global-setup.js).
      await dropEndedRuns(dir, join(dir, 'fr_tpl_next.list'));

      expect(await databases(`fr_tpl_${ended}_`)).toEqual([]);
      expect(existsSync(join(dir, `fr_tpl_${ended}.list`))).toBe(false);
      expect(await databases(`fr_tpl_${running}_`)).toEqual(names.running);
      expect(existsSync(join(dir, `fr_tpl_${running}.list`))).toBe(true);
    } finally {
      for (const name of [...names.ended, ...names.running]) await drop(name);
    }
  });

  it("drops the OpenAPI document of an ended run (libs/testing, sharedContract) with its list, not a running run's", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const [ended, running] = [randomBytes(5).toString('hex'), randomBytes(5).toString('hex')];
    writeFileSync(join(dir, `fr_tpl_${ended}.list`), `pid ${gone}\n`);
    writeFileSync(join(dir, `fr_tpl_${ended}.openapi.json`), '{}');
    writeFileSync(join(dir, `fr_tpl_${running}.list`), `pid ${process.pid}\n`);
    writeFileSync(join(dir, `fr_tpl_${running}.openapi.json`), '{}');

    await dropEndedRuns(dir, join(dir, 'fr_tpl_next.list'));

    expect(existsSync(join(dir, `fr_tpl_${ended}.openapi.json`))).toBe(false);
    expect(existsSync(join(dir, `fr_tpl_${running}.openapi.json`))).toBe(true);
  });

  it("drops a killed run's test engines (database, queue keys, checkpoint directory) once their process has ended, none in use or just made", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const id = (pid: number) => `${pid}_${randomBytes(4).toString('hex')}`;
    const engines = { ended: id(gone), running: id(process.pid), connected: id(gone) };
    const redis = new Redis(process.env.FR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const holder = new Client({ connectionString: testDatabaseUrl(`fr_test_${engines.connected}`) });
    try {
      for (const e of Object.values(engines)) {
        await admin.query(`CREATE DATABASE "fr_test_${e}"`);
        await redis.set(`{frt_${e}}:routing:meta`, 'x');
        mkdirSync(join(dir, `fr_test_${e}_checkpoints`));
      }
      await holder.connect();
      const left = async () => ({
        databases: await databases('fr_test_'),
        keys: (await Promise.all(Object.values(engines).map((e) => redis.exists(`{frt_${e}}:routing:meta`)))).map(Boolean),
        dirs: Object.values(engines).map((e) => existsSync(join(dir, `fr_test_${e}_checkpoints`))),
      });

      // Made a moment ago: perhaps a live engine of a run on another machine that shares the server.
      await dropEndedEngines(dir);
      expect(await left()).toMatchObject({ keys: [true, true, true], dirs: [true, true, true] });
      expect((await left()).databases).toEqual(expect.arrayContaining(Object.values(engines).map((e) => `fr_test_${e}`)));

      await dropEndedEngines(dir, { minAgeS: 0 });
      const after = await left();
      expect(after.databases).not.toContain(`fr_test_${engines.ended}`);
      expect(after.databases).toEqual(expect.arrayContaining([`fr_test_${engines.running}`, `fr_test_${engines.connected}`]));
      expect(after.keys).toEqual([false, true, true]);
      expect(after.dirs).toEqual([false, true, true]);
    } finally {
      await holder.end();
      for (const e of Object.values(engines)) {
        await drop(`fr_test_${e}`);
        await redis.del(`{frt_${e}}:routing:meta`);
      }
      redis.disconnect();
    }
  });

  it("reads other engines' databases while they are being dropped (their files gone, their catalog row not yet) without failing", async () => {
    // Every engine of a running Jest run drops its database at close(), in parallel with the setup of the
    // next file's engine: DROP DATABASE removes the files before its catalog row goes, and a run's setup
    // that asked for the files' age in that moment failed the whole run.
    let churning = true;
    let cycles = 0;
    const churner = new Client({ connectionString: BASE_DB });
    await churner.connect();
    const churn = (async () => {
      while (churning || cycles < 5) {
        const name = `fr_test_${process.pid}_${randomBytes(4).toString('hex')}`;
        await churner.query(`CREATE DATABASE "${name}"`);
        await churner.query(`DROP DATABASE "${name}"`);
        cycles += 1;
      }
    })();
    try {
      const readers = Array.from({ length: 4 }, async () => {
        while (cycles < 20) await dropEndedEngines(dir, { minAgeS: 0 });
      });
      await Promise.all(readers);
    } finally {
      churning = false;
      await churn;
      await churner.end();
    }
    expect(cycles).toBeGreaterThanOrEqual(20);
  });

  it("drops the engine databases a run listed whose drop its workers had not finished: at its teardown, or by the next run's setup", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const engine = () => `fr_test_${gone}_${randomBytes(4).toString('hex')}`;
    const [atTeardown, atNextSetup] = [engine(), engine()];
    for (const name of [atTeardown, atNextSetup]) await admin.query(`CREATE DATABASE "${name}"`);
    try {
      // What TestEngine.close() lists before it starts the drop it does not wait for.
      const own = join(dir, `fr_tpl_${randomBytes(5).toString('hex')}.list`);
      writeFileSync(own, `pid ${process.pid}\n${atTeardown}\n`);
      process.env.FR_TEST_TEMPLATES = own;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- Jest's teardown, as plain JavaScript
      await (require('../scripts/jest-global-teardown.js') as () => Promise<void>)();
      expect(await databases(atTeardown)).toEqual([]);
      expect(existsSync(own)).toBe(false);

      writeFileSync(join(dir, `fr_tpl_${randomBytes(5).toString('hex')}.list`), `pid ${gone}\n${atNextSetup}\n`);
      await dropEndedRuns(dir, join(dir, 'fr_tpl_next.list'));
      expect(await databases(atNextSetup)).toEqual([]);
    } finally {
      for (const name of [atTeardown, atNextSetup]) await drop(name);
    }
  });

  it("lists a test engine's database before it is made, so that a run interrupted before the engine's close() leaves it to the next run's setup", async () => {
    const list = process.env.FR_TEST_TEMPLATES;
    expect(list).toBeDefined();
    const engine = await TestEngine.start({ worker: false });
    try {
      const dbName = new URL(engine.superuserUrl).pathname.slice(1);
      expect(readFileSync(list!, 'utf8').split('\n')).toContain(dbName);
    } finally {
      await engine.close();
    }
  });

  it('lists a template before it is built, so that a run killed while building leaves nothing undropped', async () => {
    const run = randomBytes(5).toString('hex');
    const list = join(dir, `fr_tpl_${run}.list`);
    writeFileSync(list, `pid ${process.pid}\n`);
    process.env.FR_TEST_RUN = run;
    process.env.FR_TEST_TEMPLATES = list;
    const dbName = `fr_test_tplbuild_${run}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(dbName, TEST_ROLES.app),
      DATABASE_OWNER_URL: testDatabaseUrl(dbName, TEST_ROLES.owner),
      DATABASE_ADMIN_URL: BASE_DB,
      LOG_LEVEL: 'silent',
    });
    // What a teardown, or the next run's setup, would find listed at the moment the build is cut short.
    let listedWhileBuilding = '';
    const cutShort = new Error('the build cut short');
    try {
      await expect(
        createFromTemplate(
          BASE_DB,
          config,
          [
            async () => {
              listedWhileBuilding = readFileSync(list, 'utf8');
              throw cutShort;
            },
          ],
          dbName,
          TEST_ROLES.owner,
          (name) => ({ databaseUrl: testDatabaseUrl(name, TEST_ROLES.app), databaseOwnerUrl: testDatabaseUrl(name, TEST_ROLES.owner) }),
        ),
      ).rejects.toBe(cutShort);
      expect(listedWhileBuilding).toMatch(new RegExp(`^fr_tpl_${run}_[0-9a-f]{12}_b$`, 'm'));
      expect(listedWhileBuilding).toMatch(new RegExp(`^fr_tpl_${run}_[0-9a-f]{12}$`, 'm'));
    } finally {
      for (const name of await databases(`fr_tpl_${run}_`)) await drop(name);
      await drop(dbName);
    }
  }, 120_000);
});
