import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { passwordHashCost } from '@fr/auth';
import { AppConfig } from '@fr/config';
import { DatabaseSeed, migrateDatabase } from '@fr/persistence';

/**
 * Every test engine used to migrate and seed a database of its own: about 1 s of the 1.4 s an engine
 * takes to start on the 2-core machine (3.3 s against 0.26 s for a second, no-op run while other work
 * loaded it), and the suite starts well over a hundred engines. Now the first engine of a Jest run builds a
 * migrated, seeded template for its seed's inputs, and every engine after it copies that (CREATE DATABASE
 * ... TEMPLATE, 0.3-0.8 s) and gets the database's grant, without migrating again: that no-op pass (the
 * migrations table read, config/ parsed for the seed, every table's grants revoked and made again, about 130
 * statements) took 0.56 s an engine on average over 32 engines of three files at a time on the loaded
 * machine. What a test then sees is what a fresh migration makes.
 *
 * The templates live for one Jest run (FR_TEST_RUN, set by scripts/jest-global-setup.js) and are dropped
 * by its teardown, which reads their names from FR_TEST_TEMPLATES: a template made by an earlier run could
 * hold migrations since changed under the same names. A run that ended without its teardown (interrupted,
 * killed, bailing out) has them dropped by the next run's setup. Without them (a runner other than Jest's
 * config), each engine migrates its own database.
 */

/**
 * Creates `dbName`, owned by `owner`, as a copy of this run's template for `config`'s seed inputs,
 * building the template first if no engine of the run has; false when templates are off (no FR_TEST_RUN)
 * or the configuration is a production one.
 */
export async function createFromTemplate(
  adminUrl: string,
  config: AppConfig,
  seeds: readonly DatabaseSeed[],
  dbName: string,
  owner: string,
  urlOf: (dbName: string) => { databaseUrl: string; databaseOwnerUrl: string },
): Promise<boolean> {
  const run = process.env.FR_TEST_RUN;
  const list = process.env.FR_TEST_TEMPLATES;
  if (!run || !list || !/^[a-z0-9]+$/.test(run)) return false;
  // A production configuration is one a test makes for itself (its first start refused or allowed by the
  // administrator's password): no other engine would copy its template, which would cost a copy more.
  if (config.production) return false;
  const template = `fr_tpl_${run}_${templateKey(config)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Two test files start engines side by side: one builds, the other waits for it.
    await admin.query(`SELECT pg_advisory_lock(hashtext($1))`, [template]);
    try {
      if (!(await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template])).rowCount) {
        // Built under another name and renamed when whole: a file killed while building leaves no half template.
        const building = `${template}_b`;
        // Listed before either exists: a run killed from here on leaves nothing that its teardown, or the
        // next run's setup (scripts/jest-templates.js), does not drop.
        appendFileSync(list, `${template}\n${building}\n`);
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        try {
          await migrateDatabase({ ...config, ...urlOf(building) }, seeds);
        } catch (e) {
          // A seed the configuration makes fail (a production start refused): the engine fails as without templates.
          await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
          throw e;
        }
        await untilNoSessions(admin, building);
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
        await admin.query(`ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);
      }
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(hashtext($1))`, [template]);
    }
    await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE "${template}" OWNER "${owner}"`);
    // The one grant a copy does not take from its template: the database's own (pg_database.datacl), which
    // grantEnginePrivileges gives the engine's role; the rest (tables, sequences, functions, default
    // privileges) lives in the copied catalog.
    const app = new URL(urlOf(dbName).databaseUrl).username;
    if (app && app !== owner) await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE "${dbName}" TO "${decodeURIComponent(app)}"`);
    return true;
  } finally {
    await admin.end();
  }
}

/**
 * What the migrations and the seed read, hashed: a template per combination. config/'s files by their
 * content, as a test may write a directory of its own, or change one between two engines.
 */
export function templateKey(config: Pick<AppConfig, 'adminPassword' | 'production' | 'privacyKey' | 'configDir'>): string {
  const inputs = createHash('sha256').update(JSON.stringify([config.adminPassword, config.production, config.privacyKey, passwordHashCost()]));
  for (const file of filesUnder(config.configDir)) inputs.update(`\0${file}\0`).update(readFileSync(join(config.configDir, file)));
  return inputs.digest('hex').slice(0, 12);
}

/** Every file under `dir`, relative to it, in a stable order. */
function filesUnder(dir: string): string[] {
  return (
    readdirSync(dir, { recursive: true, withFileTypes: true })
      // A link as the file it links to, which the seed reads through it: skipped, two directories whose
      // organisation.yaml linked to different files shared one template.
      .filter((e) => e.isFile() || (e.isSymbolicLink() && statSync(join(e.parentPath, e.name), { throwIfNoEntry: false })?.isFile()))
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort()
  );
}

/** The migration's connections are closed, but their server processes may not have ended yet. */
async function untilNoSessions(admin: Client, dbName: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [dbName]);
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sessions on ${dbName} did not end`);
}
