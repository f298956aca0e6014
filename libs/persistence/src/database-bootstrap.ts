import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '@fr/config';
import { ADVISORY_LOCK, advisoryLock, advisoryUnlock } from './advisory-locks';
import { dataSourceOptions } from './data-source-options';
import { grantEnginePrivileges, provisionDatabase } from './database-roles';
import { withMigrationSecrets } from './migration-secrets';

type BootstrapConfig = Pick<AppConfig, 'databaseUrl' | 'databaseOwnerUrl' | 'databaseAdminUrl' | 'dbPoolSize' | 'privacyKey'>;

/** Creates the database named in DATABASE_URL when it does not exist yet (a fresh machine). */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const probe = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return;
  } catch (e) {
    if ((e as { code?: string }).code !== '3D000') throw e;
  } finally {
    await probe.end().catch(() => undefined);
  }
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    // Another process created it first.
    if ((e as { code?: string }).code !== '42P04') throw e;
  } finally {
    await admin.end();
  }
}

/** Work that needs the current schema and must run once, before any process serves (loading config/). */
export type DatabaseSeed = (ds: DataSource) => Promise<unknown>;

/**
 * What every process does before it serves: creates the roles and the database if needed (through
 * DATABASE_ADMIN_URL when given), runs pending migrations as the owner role, then the seeds in order (libs/directory's organisationSeed loads config/ on the first
 * start), under one advisory lock so that an API and workers starting together neither race the
 * migrations nor seed twice, and last grants the engine's role its rights on what the migrations made. Returns the
 * names of the migrations it ran.
 */
export async function migrateDatabase(config: BootstrapConfig, seeds: readonly DatabaseSeed[] = []): Promise<string[]> {
  if (config.databaseAdminUrl) await provisionDatabase({ ...config, databaseAdminUrl: config.databaseAdminUrl });
  else await ensureDatabaseExists(config.databaseOwnerUrl);
  const ds = new DataSource({ ...dataSourceOptions({ databaseUrl: config.databaseOwnerUrl, dbPoolSize: 2 }), logging: false });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await advisoryLock(runner, ADVISORY_LOCK.bootstrap);
    try {
      // A migration that converts stored values to keyed hashes needs the deployment's key (migration-secrets.ts).
      const ran = await withMigrationSecrets({ privacyKey: config.privacyKey }, () => ds.runMigrations({ transaction: 'each' }));
      for (const seed of seeds) await seed(ds);
      await grantEnginePrivileges(ds, config);
      return ran.map((m) => m.name);
    } catch (e) {
      throw ownerRefused(e, config);
    } finally {
      await advisoryUnlock(runner, ADVISORY_LOCK.bootstrap);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}

/**
 * PostgreSQL's refusal names the object, not the setting to fix: DATABASE_URL set to the engine's role without
 * DATABASE_OWNER_URL (which then defaults to it) stopped a start at "permission denied for schema public".
 */
function ownerRefused(e: unknown, config: BootstrapConfig): unknown {
  if ((e as { code?: string }).code !== '42501') return e;
  let role = '';
  try {
    role = decodeURIComponent(new URL(config.databaseOwnerUrl).username);
  } catch {
    // the configuration's own check has said what is wrong with the URL
  }
  const who = role ? `the role '${role}'` : 'the role';
  const from = config.databaseOwnerUrl === config.databaseUrl ? "DATABASE_OWNER_URL (here DATABASE_URL's: DATABASE_OWNER_URL is unset)" : 'DATABASE_OWNER_URL';
  return new Error(
    `${(e as Error).message}: migrations run as ${who} of ${from}, which must own the database's schema; ` +
      `set DATABASE_OWNER_URL to the owner's URL (fr_owner's on a database npm start created), or leave DATABASE_URL unset for the development roles (README, "The database roles")`,
    { cause: e },
  );
}
