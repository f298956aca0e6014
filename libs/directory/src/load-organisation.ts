import { DataSource, EntityManager } from 'typeorm';
import { checkPassword, hashPassword } from '@fr/auth';
import { AppConfig, loadOrganisation, OrganisationConfig } from '@fr/config';
import { insertChannels } from '@fr/notifications';
import { DatabaseSeed, execute, selectRow, Sql, writeAuditEvent } from '@fr/persistence';

const LOADED_KEY = 'organisation_loaded';
const ADMIN_USERNAME = 'admin';

/** config/ as a seed of migrateDatabase: loaded on the first start (loadOrganisationOnFirstStart). */
export function organisationSeed(config: AppConfig): DatabaseSeed {
  return (ds) => loadOrganisationOnFirstStart(ds, config);
}

/**
 * Loads config/ into the database on first start only: afterwards the database is the source of
 * truth and administrators change it over the API. Reading the files still happens at every start,
 * so a broken config is reported at boot rather than discovered on a fresh deployment.
 */
export async function loadOrganisationOnFirstStart(ds: DataSource, config: AppConfig): Promise<boolean> {
  const org = loadOrganisation(config.configDir);
  if (await organisationLoaded(ds)) {
    // Loaded before routing read the district's name (2026-12): it is taken from config/ once.
    await storeDistrict(ds, org);
    return false;
  }
  // Outside production FR_ADMIN_PASSWORD is `admin` so that a fresh clone logs in. In production the
  // first administrator's password is held to the officers' rules (a common password is the first a
  // guesser tries), here and not at every boot: once the administrator has changed it over the API,
  // the variable no longer opens anything and must not stop a start.
  if (config.production) checkBootstrapPassword(config.adminPassword);
  const adminHash = await hashPassword(config.adminPassword);
  await ds.transaction(async (m) => {
    for (const step of ORGANISATION_STEPS) await step(m, org);
    await insertAdministrator(m, org.triageUnit, adminHash);
    await recordLoaded(m, org);
  });
  return true;
}

function checkBootstrapPassword(password: string): void {
  try {
    checkPassword(password, ADMIN_USERNAME, 'FR_ADMIN_PASSWORD');
  } catch (e) {
    throw new Error(`${(e as Error).message} (the first administrator's password, read once on the first start in production)`, { cause: e });
  }
}

type Step = (db: Sql, org: OrganisationConfig) => Promise<void>;

/**
 * The parts of the organisation, in the order their rows refer to each other (officers name units,
 * units name their designated officers, areas and rules name units). One transaction runs them all.
 */
const ORGANISATION_STEPS: readonly Step[] = [
  (db, org) => insertChannels(db, org.channels),
  insertCategories,
  insertUnits,
  insertOfficers,
  designateUnitOfficers,
  insertAreas,
  insertRoutingRules,
];

async function organisationLoaded(db: Sql): Promise<boolean> {
  return (await selectRow<{ key: string }>(db, `SELECT key FROM system_state WHERE key = $1`, [LOADED_KEY])) !== undefined;
}

async function insertCategories(db: Sql, org: OrganisationConfig): Promise<void> {
  for (const c of org.categories) {
    await execute(db, `INSERT INTO categories (code, name, description, accepted, refusal, public_location) VALUES ($1, $2, $3, $4, $5, $6)`, [
      c.code,
      c.name,
      c.description,
      c.accepted,
      c.refusal,
      c.publicLocation,
    ]);
  }
}

async function insertUnits(db: Sql, org: OrganisationConfig): Promise<void> {
  for (const u of org.units) await execute(db, `INSERT INTO units (code, name, kind, aliases) VALUES ($1, $2, $3, $4)`, [u.code, u.name, u.kind, u.aliases]);
}

/** Accounts without a password until the office gives them one (PATCH /v1/officers/{id}). */
async function insertOfficers(db: Sql, org: OrganisationConfig): Promise<void> {
  for (const o of org.officers) {
    await execute(db, `INSERT INTO officers (username, full_name, role, unit_code) VALUES ($1, $2, $3, $4)`, [o.username, o.fullName, o.role, o.unit]);
  }
}

/** Each unit's designated handler and leader, by username, once both exist. */
async function designateUnitOfficers(db: Sql, org: OrganisationConfig): Promise<void> {
  for (const u of org.units) {
    await execute(
      db,
      `UPDATE units SET handler_id = (SELECT id FROM officers WHERE username = $2),
                        leader_id = (SELECT id FROM officers WHERE username = $3) WHERE code = $1`,
      [u.code, u.handler ?? null, u.leader ?? null],
    );
  }
}

async function insertAreas(db: Sql, org: OrganisationConfig): Promise<void> {
  for (const a of org.areas) {
    await execute(db, `INSERT INTO areas (code, name, unit_code, match, streets) VALUES ($1, $2, $3, $4, $5)`, [a.code, a.name, a.unit, a.match, a.streets]);
  }
}

/** Rules in file order: the first that matches a case decides (position). */
async function insertRoutingRules(db: Sql, org: OrganisationConfig): Promise<void> {
  let position = 0;
  for (const r of org.rules) {
    await execute(
      db,
      `INSERT INTO routing_rules (id, position, category_code, area_codes, unit_code, to_ward, inform)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, ++position, r.category, r.areas, r.unit, r.toWard, r.inform],
    );
  }
}

/** The bootstrap administrator (admin, FR_ADMIN_PASSWORD), in the triage unit. */
async function insertAdministrator(db: Sql, triageUnit: string, passwordHash: string): Promise<void> {
  await execute(
    db,
    `INSERT INTO officers (username, full_name, role, unit_code, password_hash) VALUES ($3, 'Quản trị hệ thống', 'ADMIN', $1, $2)
     ON CONFLICT DO NOTHING`,
    [triageUnit, passwordHash, ADMIN_USERNAME],
  );
}

/** The district's name, unless stored already. Routing reads it: an address writing it bare does not name the ward of that name. */
async function storeDistrict(db: Sql, org: OrganisationConfig): Promise<void> {
  if (org.district) {
    await execute(db, `INSERT INTO system_state (key, value) VALUES ('district', $1) ON CONFLICT (key) DO NOTHING`, [JSON.stringify(org.district)]);
  }
}

/** The triage unit, the district's name, the mark that config/ was loaded, and the load's audit event. */
async function recordLoaded(m: EntityManager, org: OrganisationConfig): Promise<void> {
  await execute(m, `INSERT INTO system_state (key, value) VALUES ('triage_unit', $1)`, [JSON.stringify(org.triageUnit)]);
  await storeDistrict(m, org);
  await execute(m, `INSERT INTO system_state (key, value) VALUES ($1, $2)`, [
    LOADED_KEY,
    JSON.stringify({ at: new Date().toISOString(), units: org.units.length, rules: org.rules.length }),
  ]);
  await writeAuditEvent(m, {
    caseId: null,
    actor: 'system',
    action: 'organisation_loaded',
    data: { units: org.units.length, officers: org.officers.length, rules: org.rules.length, triageUnit: org.triageUnit },
  });
}
