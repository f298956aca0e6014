import { DataSource } from 'typeorm';
import { hashPassword } from '@fr/auth';
import { AppConfig, loadOrganisation, OrganisationConfig } from '@fr/config';
import { execute, selectRow, Sql, writeAuditEvent } from '@fr/persistence';

const LOADED_KEY = 'organisation_loaded';

/**
 * Loads config/ into the database on first start only: afterwards the database is the source of
 * truth and administrators change it over the API. Reading the files still happens at every start,
 * so a broken config is reported at boot rather than discovered on a fresh deployment.
 */
export async function loadOrganisationOnFirstStart(ds: DataSource, config: AppConfig): Promise<boolean> {
  const org = loadOrganisation(config.configDir);
  const state = await selectRow<{ value: unknown }>(ds, `SELECT value FROM system_state WHERE key = $1`, [LOADED_KEY]);
  if (state) return false;
  const adminHash = await hashPassword(config.adminPassword);
  await ds.transaction(async (m) => {
    await insertOrganisation(m, org);
    await execute(
      m,
      `INSERT INTO officers (username, full_name, role, unit_code, password_hash) VALUES ('admin', 'Quản trị hệ thống', 'ADMIN', $1, $2)
       ON CONFLICT DO NOTHING`,
      [org.triageUnit, adminHash],
    );
    await execute(m, `INSERT INTO system_state (key, value) VALUES ('triage_unit', $1)`, [JSON.stringify(org.triageUnit)]);
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
  });
  return true;
}

async function insertOrganisation(db: Sql, org: OrganisationConfig): Promise<void> {
  const q = (text: string, params: unknown[]) => execute(db, text, params);
  for (const c of org.channels) await q(`INSERT INTO channels (code, name) VALUES ($1, $2)`, [c.code, c.name]);
  for (const c of org.categories) {
    await q(`INSERT INTO categories (code, name, description, accepted, refusal) VALUES ($1, $2, $3, $4, $5)`, [
      c.code,
      c.name,
      c.description,
      c.accepted,
      c.refusal,
    ]);
  }
  for (const u of org.units) await q(`INSERT INTO units (code, name, kind) VALUES ($1, $2, $3)`, [u.code, u.name, u.kind]);
  for (const o of org.officers) {
    await q(`INSERT INTO officers (username, full_name, role, unit_code) VALUES ($1, $2, $3, $4)`, [
      o.username,
      o.fullName,
      o.role,
      o.unit,
    ]);
  }
  for (const u of org.units) {
    await q(
      `UPDATE units SET handler_id = (SELECT id FROM officers WHERE username = $2),
                        leader_id = (SELECT id FROM officers WHERE username = $3) WHERE code = $1`,
      [u.code, u.handler ?? null, u.leader ?? null],
    );
  }
  for (const a of org.areas) {
    await q(`INSERT INTO areas (code, name, unit_code, match) VALUES ($1, $2, $3, $4)`, [a.code, a.name, a.unit, a.match]);
  }
  let position = 0;
  for (const r of org.rules) {
    await q(
      `INSERT INTO routing_rules (id, position, category_code, area_codes, unit_code, to_ward, inform)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, ++position, r.category, r.areas, r.unit, r.toWard, r.inform],
    );
  }
}
