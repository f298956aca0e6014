import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ENGINE_TABLE_PRIVILEGES } from './database-roles';
import { REPO_ROOT as ROOT, repoSources } from './repo-sources';

/**
 * One module per aggregate owns the SQL that writes its tables: a use case that needs another
 * aggregate's table changed calls an intention-named function of the owner (moveCasesToUnits,
 * eraseCaseContact, insertChannels...), so a table's columns and invariants are written in one place.
 * This reads the source of every lib and app and fails on an INSERT, UPDATE, DELETE, MERGE or TRUNCATE
 * of a table outside its owner's files. ARCHITECTURE.md prints the same map.
 */
const AGGREGATES = {
  cases: ['libs/cases/', 'libs/persistence/src/case-writes.ts'],
  /** officers and units: the organisation the seed loads and reorganisations change; auth dates a first log-in and sets an officer's own password */
  directory: ['libs/directory/', 'libs/auth/'],
  audit: ['libs/audit/', 'libs/persistence/src/write-helpers.ts', 'libs/persistence/src/audit-texts.ts'],
  outbox: ['libs/persistence/src/write-helpers.ts', 'libs/persistence/src/case-event-states.ts', 'libs/queue/'],
  notifications: ['libs/notifications/', 'libs/persistence/src/notification-writes.ts', 'libs/persistence/src/case-event-states.ts'],
  sla: ['libs/sla/'],
  board: ['libs/board/'],
  privacy: ['libs/privacy/'],
} as const;

type Owner = keyof typeof AGGREGATES | 'shared' | 'none';

const OWNER: Record<string, Owner> = {
  cases: 'cases',
  case_messages: 'cases',
  case_pauses: 'cases',
  case_action_keys: 'cases',
  assignments: 'cases',
  officers: 'directory',
  units: 'directory',
  areas: 'directory',
  categories: 'directory',
  routing_rules: 'directory',
  reorganisations: 'directory',
  officer_absences: 'directory',
  audit_events: 'audit',
  audit_event_texts: 'audit',
  audit_seals: 'audit',
  audit_chain_head: 'audit',
  audit_unsealed: 'audit',
  audit_reviews: 'audit',
  audit_sample_cases: 'audit',
  case_state_log: 'audit',
  unit_case_facts: 'audit',
  unit_facts_pending: 'audit',
  unit_day_totals: 'audit',
  unit_day_minutes: 'audit',
  outbox: 'outbox',
  notifications: 'notifications',
  channels: 'notifications',
  webhooks: 'notifications',
  deliveries: 'notifications',
  case_event_states: 'notifications',
  case_event_fanouts: 'notifications',
  escalations: 'sla',
  calendars: 'sla',
  compliance_targets: 'board',
  compliance_alerts: 'board',
  unit_figures: 'board',
  notices: 'board',
  contact_reads: 'privacy',
  privacy_requests: 'privacy',
  // a key-value table: each key has its one writer (triage_unit: directory; targets: board; reconciler marks: notifications)
  system_state: 'shared',
  // TypeORM's, written by migrateDatabase alone
  migrations: 'none',
};

/** Writes outside the owner, each with its reason; the list only shrinks. */
const EXCEPTIONS: readonly { file: string; table: string; why: string }[] = [
  {
    file: 'libs/sla/src/fire-escalation.usecase.ts',
    table: 'audit_events',
    why: 'the breach path inserts its batch of escalate events and links them to their escalations in one statement',
  },
];

/** Test support builds its fixtures with plain SQL; migrations create the tables. */
const NOT_SCANNED = ['libs/testing/', 'libs/persistence/src/migrations/'];
/** Words prose puts after "UPDATE" in comments (a table name is never one of them). */
const NOT_TABLES = new Set(['and', 'or', 'as']);

const WRITE = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)\s+([a-z_][a-z0-9_]*)\b/g;

interface Write {
  file: string;
  verb: string;
  table: string;
}

function writes(): Write[] {
  return ['libs', 'apps']
    .flatMap(repoSources)
    .filter((file) => !NOT_SCANNED.some((p) => file.startsWith(p)))
    .flatMap((file) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(WRITE)].map((m) => ({ file, verb: m[1].split(/\s/)[0], table: m[2] })))
    .filter((w) => !NOT_TABLES.has(w.table));
}

function allowed(w: Write): boolean {
  const owner = OWNER[w.table];
  if (owner === 'shared') return true;
  if (owner === 'none' || owner === undefined) return false;
  return AGGREGATES[owner].some((p) => w.file.startsWith(p)) || EXCEPTIONS.some((x) => x.file === w.file && x.table === w.table);
}

describe('aggregate owners', () => {
  const found = writes();

  it('finds the writes it guards (the scan reads the sources)', () => {
    expect(relative(ROOT, __filename)).toBe('libs/persistence/src/aggregate-owners.spec.ts');
    expect(found).toContainEqual({ file: 'libs/persistence/src/case-writes.ts', verb: 'UPDATE', table: 'cases' });
    expect(found).toContainEqual({ file: 'libs/persistence/src/write-helpers.ts', verb: 'INSERT', table: 'audit_events' });
  });

  it("refuses a write of another aggregate's table and allows the owner's", () => {
    expect(allowed({ file: 'libs/privacy/src/erase-contact-details.ts', verb: 'UPDATE', table: 'cases' })).toBe(false);
    expect(allowed({ file: 'libs/directory/src/reorganisation-store.ts', verb: 'INSERT', table: 'assignments' })).toBe(false);
    expect(allowed({ file: 'libs/cases/src/actions/case-records.ts', verb: 'UPDATE', table: 'cases' })).toBe(true);
    expect(allowed({ file: 'libs/board/src/targets.ts', verb: 'INSERT', table: 'system_state' })).toBe(true);
    expect(allowed({ file: 'libs/directory/src/x.ts', verb: 'DELETE', table: 'migrations' })).toBe(false);
  });

  it('names an owner for every table the engine may use', () => {
    expect(Object.keys(ENGINE_TABLE_PRIVILEGES).filter((t) => OWNER[t] === undefined)).toEqual([]);
  });

  it('writes each table only in its owner module', () => {
    const unknown = found.filter((w) => OWNER[w.table] === undefined).map((w) => `${w.file}: ${w.verb} ${w.table} (no owner: add the table to OWNER)`);
    const foreign = found
      .filter((w) => OWNER[w.table] !== undefined && !allowed(w))
      .map((w) => `${w.file}: ${w.verb} ${w.table} belongs to ${OWNER[w.table]} (call its writer instead)`);
    expect([...unknown, ...foreign]).toEqual([]);
  });

  it('keeps no exception that is no longer needed', () => {
    const stale = EXCEPTIONS.filter((x) => !found.some((w) => w.file === x.file && w.table === x.table));
    expect(stale).toEqual([]);
  });
});
