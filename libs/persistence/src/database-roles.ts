import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { execute, selectRows } from './sql';

type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * What the engine's role may do to each table; the owner role (migrations, seed) holds the rest.
 * The trail is append-only to the engine: INSERT and SELECT, never UPDATE, DELETE or TRUNCATE, and
 * since the engine owns nothing it cannot ALTER a table or switch its triggers off. Reference data
 * loaded from config/ by the seed (areas, categories, routing rules) is read-only to it. A table
 * read `FOR UPDATE` or `FOR SHARE` needs UPDATE as well.
 */
export const ENGINE_TABLE_PRIVILEGES: Readonly<Record<string, readonly Privilege[]>> = {
  // the trail
  audit_events: ['SELECT', 'INSERT'],
  audit_seals: ['SELECT', 'INSERT'],
  audit_reviews: ['SELECT', 'INSERT'],
  audit_sample_cases: ['SELECT', 'INSERT'],
  case_state_log: ['SELECT', 'INSERT'],
  // the sealer moves the head forward; a DELETE trigger refuses its removal as well
  audit_chain_head: ['SELECT', 'INSERT', 'UPDATE'],
  audit_unsealed: ['SELECT', 'INSERT', 'DELETE'],
  // officers' free text of the trail's events, covered by the chain through a salted hash: retention
  // blanks it (the chain still verifies), any other change is caught by verification
  audit_event_texts: ['SELECT', 'INSERT', 'UPDATE'],
  // reference data the seed loads; a reorganisation applied at its date (by a worker) ends areas,
  // adds the new wards and points routing rules at the successors
  areas: ['SELECT', 'INSERT', 'UPDATE'],
  categories: ['SELECT'],
  routing_rules: ['SELECT', 'INSERT', 'UPDATE'],
  // a plan is marked applied or cancelled, never deleted: the history of plans stays readable
  reorganisations: ['SELECT', 'INSERT', 'UPDATE'],
  channels: ['SELECT', 'UPDATE'],
  // directory
  units: ['SELECT', 'INSERT', 'UPDATE'],
  officers: ['SELECT', 'INSERT', 'UPDATE'],
  officer_absences: ['SELECT', 'INSERT', 'UPDATE'],
  calendars: ['SELECT', 'INSERT', 'UPDATE'],
  // cases
  cases: ['SELECT', 'INSERT', 'UPDATE'],
  assignments: ['SELECT', 'INSERT', 'UPDATE'],
  // retention blanks notes and messages that may hold contact details
  case_messages: ['SELECT', 'INSERT', 'UPDATE'],
  case_pauses: ['SELECT', 'INSERT', 'UPDATE'],
  // Idempotency-Key records of case actions: an expired one replaced, a day's old ones swept
  case_action_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  escalations: ['SELECT', 'INSERT', 'UPDATE'],
  notifications: ['SELECT', 'INSERT', 'UPDATE'],
  // delivery machinery: rows consumed once done (the relay claims outbox rows FOR UPDATE, which needs UPDATE)
  outbox: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  case_event_states: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  case_event_fanouts: ['SELECT', 'INSERT'],
  webhooks: ['SELECT', 'INSERT', 'UPDATE'],
  deliveries: ['SELECT', 'INSERT', 'UPDATE'],
  system_state: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  // compliance board
  compliance_targets: ['SELECT', 'INSERT', 'UPDATE'],
  unit_figures: ['SELECT', 'INSERT', 'UPDATE'],
  notices: ['SELECT', 'INSERT', 'UPDATE'],
  compliance_alerts: ['SELECT', 'INSERT', 'UPDATE'],
  // personal data: who read contact details (purged after their retention), citizens' requests
  contact_reads: ['SELECT', 'INSERT', 'DELETE'],
  privacy_requests: ['SELECT', 'INSERT', 'UPDATE'],
  // the audit report's daily facts: a case's contributions replaced whole, the pending ones claimed and deleted
  unit_case_facts: ['SELECT', 'INSERT', 'DELETE'],
  unit_facts_pending: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  // their sums per unit and day, kept by the facts' statement triggers; emptied by a rebuild
  unit_day_totals: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  unit_day_minutes: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  // TypeORM's record of migrations: the owner's alone
  migrations: [],
};

/**
 * A table a later migration adds and this list does not name yet: plain row access, so a new
 * feature works before its line here is written; it can never include TRUNCATE, ALTER or triggers.
 */
export const DEFAULT_ENGINE_PRIVILEGES: readonly Privilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

const PG_DUPLICATE_OBJECT = '42710';
const PG_UNIQUE_VIOLATION = '23505';
const PG_DUPLICATE_DATABASE = '42P04';

export interface RoleLogin {
  role: string;
  password: string | null;
}

/** The role (and password) a postgres:// URL logs in as; null when the URL names none. */
export function roleOf(databaseUrl: string): RoleLogin | null {
  const u = new URL(databaseUrl);
  if (!u.username) return null;
  return { role: decodeURIComponent(u.username), password: u.password ? decodeURIComponent(u.password) : null };
}

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
}

/** Whether the engine runs as a role of its own (two roles), or one role does everything. */
export function separateRoles(config: { databaseUrl: string; databaseOwnerUrl: string }): boolean {
  const app = roleOf(config.databaseUrl);
  const owner = roleOf(config.databaseOwnerUrl);
  return app !== null && owner !== null && app.role !== owner.role;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Through a superuser connection: the owner and engine roles when missing (plain LOGIN roles, no
 * superuser, no CREATEDB, no CREATEROLE), and the database, owned by the owner role, its schema's
 * objects too (an existing single-role database is taken over). Existing roles are left as they
 * are (their passwords too). Safe when several processes start at once: whoever
 * loses a race gets duplicate_object and moves on.
 */
export async function provisionDatabase(config: { databaseAdminUrl: string; databaseOwnerUrl: string; databaseUrl: string }): Promise<void> {
  const owner = roleOf(config.databaseOwnerUrl);
  const app = roleOf(config.databaseUrl);
  const admin = new Client({ connectionString: config.databaseAdminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    for (const login of [owner, app]) {
      if (!login) continue;
      const exists = await admin.query<{ n: number }>(`SELECT 1 AS n FROM pg_roles WHERE rolname = $1`, [login.role]);
      if (exists.rowCount) continue;
      const password = login.password === null ? '' : ` PASSWORD ${literal(login.password)}`;
      await admin.query(`CREATE ROLE ${ident(login.role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION${password}`).catch((e: { code?: string }) => {
        if (e.code !== PG_DUPLICATE_OBJECT && e.code !== PG_UNIQUE_VIOLATION) throw e;
      });
    }
    const name = databaseNameOf(config.databaseOwnerUrl);
    const db = await admin.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [name]);
    if (!db.rowCount) {
      await admin.query(`CREATE DATABASE ${ident(name)}${owner ? ` OWNER ${ident(owner.role)}` : ''}`).catch((e: { code?: string }) => {
        if (e.code !== PG_DUPLICATE_DATABASE) throw e;
      });
    } else if (owner && db.rows[0].owner !== owner.role) {
      await admin.query(`ALTER DATABASE ${ident(name)} OWNER TO ${ident(owner.role)}`);
    }
  } finally {
    await admin.end();
  }
  if (owner) await adoptSchema(config.databaseAdminUrl, databaseNameOf(config.databaseOwnerUrl), owner.role);
}

/**
 * A database that one role ran before (tables owned by the superuser, say) moves to the owner role:
 * every table, view, free-standing sequence and function of the public schema it does not own yet
 * (an extension's objects stay with the extension).
 * Sequences of serial and identity columns follow their tables. A no-op once done.
 */
async function adoptSchema(adminUrl: string, dbName: string, owner: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  const c = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const foreign = await c.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
              format('%I', c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
       UNION ALL
       SELECT 'FUNCTION', format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid))
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
      [owner],
    );
    if (!foreign.rowCount) return;
    await c.query('BEGIN');
    for (const o of foreign.rows) await c.query(`ALTER ${o.kind} public.${o.name} OWNER TO ${ident(owner)}`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await c.end();
  }
}

/**
 * As the owner, after the migrations: the engine's role gets exactly ENGINE_TABLE_PRIVILEGES on each
 * table the owner has, use of the sequences, and default privileges for tables the owner creates
 * later. One transaction, so a process already serving never sees a table without its grants.
 * Idempotent: it runs at every start.
 */
export async function grantEnginePrivileges(ds: DataSource, config: { databaseUrl: string; databaseOwnerUrl: string }): Promise<void> {
  if (!separateRoles(config)) return;
  const app = ident(roleOf(config.databaseUrl)!.role);
  const owner = ident(roleOf(config.databaseOwnerUrl)!.role);
  await ds.transaction(async (m: EntityManager) => {
    const [{ db }] = await selectRows<{ db: string }>(m, `SELECT current_database() AS db`);
    await execute(m, `GRANT CONNECT, TEMPORARY ON DATABASE ${ident(db)} TO ${app}`);
    await execute(m, `GRANT USAGE ON SCHEMA public TO ${app}`);
    await execute(m, `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT ${DEFAULT_ENGINE_PRIVILEGES.join(', ')} ON TABLES TO ${app}`);
    await execute(m, `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`);
    const tables = await selectRows<{ name: string }>(
      m,
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user ORDER BY tablename`,
    );
    for (const { name } of tables) {
      const privileges = ENGINE_TABLE_PRIVILEGES[name] ?? DEFAULT_ENGINE_PRIVILEGES;
      await execute(m, `REVOKE ALL ON TABLE ${ident(name)} FROM ${app}`);
      if (privileges.length) await execute(m, `GRANT ${privileges.join(', ')} ON TABLE ${ident(name)} TO ${app}`);
    }
    await execute(m, `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`);
    // The engine calls the owner's functions (case_event_receivers, routing_units): not left to
    // PostgreSQL's default grant to PUBLIC, which an operator may have revoked.
    await execute(m, `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${app}`);
  });
}
