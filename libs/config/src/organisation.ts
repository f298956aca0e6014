import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from './app-config';

export type UnitKind = 'office' | 'department' | 'ward' | 'police';
export const UNIT_KINDS: UnitKind[] = ['office', 'department', 'ward', 'police'];
export type SeedRole = 'ADMIN' | 'SUPERVISOR' | 'LEADER' | 'HANDLER' | 'AUDITOR';

export interface SeedOfficer {
  username: string;
  fullName: string;
  role: SeedRole;
  unit: string;
}
export interface SeedUnit {
  code: string;
  name: string;
  kind: UnitKind;
  handler?: string;
  leader?: string;
  /** Other names the unit goes by. */
  aliases: string[];
}
export interface SeedArea {
  code: string;
  name: string;
  unit: string;
  match: string[];
  streets: string[];
}
export interface SeedCategory {
  code: string;
  name: string;
  description: string;
  accepted: boolean;
  refusal: string | null;
  /** false: where a case was made is withheld from Open311's public reads. */
  publicLocation: boolean;
}
export interface SeedRule {
  id: string;
  category: string | null;
  areas: string[] | null;
  unit: string | null;
  toWard: boolean;
  inform: string[];
}
export interface SeedChannel {
  code: string;
  name: string;
}
export interface OrganisationConfig {
  district: string;
  triageUnit: string;
  units: SeedUnit[];
  officers: SeedOfficer[];
  areas: SeedArea[];
  categories: SeedCategory[];
  rules: SeedRule[];
  channels: SeedChannel[];
}

const CODE = /^[A-Za-z0-9_.-]{1,40}$/;
const USERNAME = /^[a-z0-9_.-]{3,64}$/;
const CHANNEL_CODE = /^[a-z0-9_]{1,40}$/;
const SEED_ROLES: SeedRole[] = ['SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR'];

type Doc = Record<string, unknown>;

/** The YAML files of config/ that describe the organisation, each as its top-level mapping. */
interface OrganisationFiles {
  organisation: Doc;
  categories: Doc;
  routing: Doc;
  channels: Doc;
}

/**
 * Reads and cross-checks the organisation data a deployment edits (config/*.yaml). Every problem is
 * collected with its file and position, so one boot tells the operator everything to fix. Each part
 * has its reader below, in the order the parts refer to each other: units (with their designees),
 * officers, the triage unit, areas, categories, routing rules, channels.
 */
export function loadOrganisation(dir: string): OrganisationConfig {
  const p = new Problems();
  const files = readFiles(p, dir);
  const { units, designees } = readUnits(p, files.organisation);
  const officers = [...designees, ...readOfficers(p, files.organisation)];
  p.unique(
    'unit code',
    units.map((u) => u.code),
  );
  const unitCodes = new Set(units.map((u) => u.code));
  const kinds = new Map(units.map((u) => [u.code, u.kind]));
  checkOfficers(p, officers, kinds);
  const triageUnit = readTriageUnit(p, files.organisation, kinds);
  const areas = readAreas(p, files.organisation, unitCodes);
  const categories = readCategories(p, files.categories);
  const rules = readRules(p, files.routing, { units: unitCodes, categories: new Set(categories.map((c) => c.code)), areas: new Set(areas.map((a) => a.code)) });
  const channels = readChannels(p, files.channels);
  const district = p.optionalText(files.organisation, 'district', 'organisation.yaml') ?? '';
  p.throwIfAny(dir);
  return { district, triageUnit, units, officers, areas, categories, rules, channels };
}

/**
 * The problems found so far, and the readers of YAML values that add to them: each reader returns
 * what it could read (or a stand-in) so that reading goes on and reports every problem at once.
 */
class Problems {
  private readonly found: string[] = [];

  add(problem: string): void {
    this.found.push(problem);
  }

  throwIfAny(dir: string): void {
    if (this.found.length) throw new ConfigError(this.found.map((problem) => `${dir}: ${problem}`));
  }

  /** The top-level mapping of a YAML file; {} when the file is missing or is not one. */
  file(dir: string, name: string): Doc {
    const path = join(dir, name);
    if (!existsSync(path)) {
      this.add(`${path}: file not found`);
      return {};
    }
    try {
      const doc: unknown = parse(readFileSync(path, 'utf8'));
      if (!doc || typeof doc !== 'object') {
        this.add(`${path}: expected a mapping at the top level`);
        return {};
      }
      return doc as Doc;
    } catch (e) {
      this.add(`${path}: ${(e as Error).message.split('\n')[0]}`);
      return {};
    }
  }

  /** The entries of the list `key` of `doc` ([] when absent); an entry that is not a mapping reads as {}. */
  list(doc: Doc, key: string, file: string): Doc[] {
    const v = doc[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.add(`${file}: '${key}' must be a list`);
      return [];
    }
    return v.map((item: unknown, i) => {
      if (!item || typeof item !== 'object') {
        this.add(`${file}: ${key}[${i}] must be a mapping`);
        return {};
      }
      return item as Doc;
    });
  }

  /** Text (a number reads as text), NFC and trimmed; a problem when missing or not matching `pattern`. */
  text(o: Doc, key: string, where: string, pattern?: RegExp): string | undefined {
    return this.read(o, key, where, pattern, false);
  }

  /** Like text, but missing is no problem. */
  optionalText(o: Doc, key: string, where: string, pattern?: RegExp): string | undefined {
    return this.read(o, key, where, pattern, true);
  }

  /** A problem for each value given more than once. */
  unique(what: string, values: string[]): void {
    const twice = values.filter((v, i) => values.indexOf(v) !== i);
    for (const v of new Set(twice)) this.add(`duplicate ${what} '${v}'`);
  }

  private read(o: Doc, key: string, where: string, pattern: RegExp | undefined, optional: boolean): string | undefined {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (!optional) this.add(`${where}: '${key}' is required`);
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.add(`${where}: '${key}' must be text`);
      return undefined;
    }
    const s = String(v).normalize('NFC').trim();
    if (pattern && !pattern.test(s)) this.add(`${where}: '${key}' value '${s}' is not valid (${pattern})`);
    return s;
  }
}

function readFiles(p: Problems, dir: string): OrganisationFiles {
  return {
    organisation: p.file(dir, 'organisation.yaml'),
    categories: p.file(dir, 'categories.yaml'),
    routing: p.file(dir, 'routing.yaml'),
    channels: p.file(dir, 'channels.yaml'),
  };
}

/** organisation.yaml `units`, and the officers their `handler` and `leader` entries create. */
function readUnits(p: Problems, org: Doc): { units: SeedUnit[]; designees: SeedOfficer[] } {
  const designees: SeedOfficer[] = [];
  const units = p.list(org, 'units', 'organisation.yaml').map((u, i) => readUnit(p, u, `organisation.yaml units[${i}]`, `?${i}`, designees));
  return { units, designees };
}

function readUnit(p: Problems, u: Doc, where: string, standInCode: string, designees: SeedOfficer[]): SeedUnit {
  const code = p.text(u, 'code', where, CODE) ?? standInCode;
  const kind = p.text(u, 'kind', where) as UnitKind;
  if (kind && !UNIT_KINDS.includes(kind)) p.add(`${where}: kind must be one of ${UNIT_KINDS.join(', ')}`);
  const name = p.text(u, 'name', where) ?? code;
  const handler = readDesignee(p, u, 'handler', where, code);
  const leader = readDesignee(p, u, 'leader', where, code);
  for (const d of [handler, leader]) if (d.officer) designees.push(d.officer);
  const aliases = Array.isArray(u.aliases) ? u.aliases.map((a) => String(a).normalize('NFC').trim()) : [];
  return { code, name, kind, handler: handler.username, leader: leader.username, aliases };
}

/**
 * A unit's `handler` or `leader`, { username, fullName }: the officer it creates (role HANDLER or
 * LEADER, in the unit), and the username the unit names even when the entry is incomplete.
 */
function readDesignee(p: Problems, u: Doc, key: 'handler' | 'leader', where: string, unit: string): { username?: string; officer?: SeedOfficer } {
  const d = u[key];
  if (d === undefined || d === null) return {};
  if (typeof d !== 'object') {
    p.add(`${where}: '${key}' must be { username, fullName }`);
    return {};
  }
  const username = p.text(d as Doc, 'username', `${where}.${key}`, USERNAME);
  const fullName = p.text(d as Doc, 'fullName', `${where}.${key}`);
  const officer: SeedOfficer | undefined = username && fullName ? { username, fullName, role: key === 'handler' ? 'HANDLER' : 'LEADER', unit } : undefined;
  return { username, officer };
}

/** organisation.yaml `officers`: accounts other than the units' designees. */
function readOfficers(p: Problems, org: Doc): SeedOfficer[] {
  return p.list(org, 'officers', 'organisation.yaml').map((o, i) => {
    const where = `organisation.yaml officers[${i}]`;
    const role = p.text(o, 'role', where) as SeedRole;
    if (role && !SEED_ROLES.includes(role)) p.add(`${where}: role must be one of ${SEED_ROLES.join(', ')}`);
    return {
      username: p.text(o, 'username', where, USERNAME) ?? '',
      fullName: p.text(o, 'fullName', where) ?? '',
      role,
      unit: p.text(o, 'unit', where, CODE) ?? '',
    };
  });
}

/**
 * Every officer, designees included: a username once, in a unit that exists; a supervisor in the
 * office (DOMAIN.md: the office supervises), as the officers API requires (libs/directory, role-unit.ts).
 */
function checkOfficers(p: Problems, officers: SeedOfficer[], units: ReadonlyMap<string, UnitKind>): void {
  p.unique(
    'officer username',
    officers.map((o) => o.username),
  );
  for (const o of officers) {
    const kind = o.unit ? units.get(o.unit) : undefined;
    if (o.unit && !kind) p.add(`officer '${o.username}' names unknown unit '${o.unit}'`);
    else if (o.role === 'SUPERVISOR' && kind && kind !== 'office')
      p.add(`officer '${o.username}': a SUPERVISOR belongs to the office; unit '${o.unit}' is a ${kind}`);
  }
}

/** Where cases go that no rule routes, and where the first administrator sits: the office. */
function readTriageUnit(p: Problems, org: Doc, units: ReadonlyMap<string, UnitKind>): string {
  const triageUnit = p.text(org, 'triageUnit', 'organisation.yaml', CODE) ?? '';
  const kind = units.get(triageUnit);
  if (triageUnit && !kind) p.add(`organisation.yaml: triageUnit '${triageUnit}' is not a unit`);
  else if (kind && kind !== 'office') p.add(`organisation.yaml: triageUnit '${triageUnit}' is a ${kind}; triage is the office's (kind: office)`);
  return triageUnit;
}

/** organisation.yaml `areas`: each in a unit, with the names addresses use for it (`match`). */
function readAreas(p: Problems, org: Doc, units: ReadonlySet<string>): SeedArea[] {
  const areas = p.list(org, 'areas', 'organisation.yaml').map((a, i) => {
    const where = `organisation.yaml areas[${i}]`;
    const unit = p.text(a, 'unit', where, CODE) ?? '';
    if (unit && !units.has(unit)) p.add(`${where}: unknown unit '${unit}'`);
    const match = Array.isArray(a.match) ? a.match.map((m) => String(m).normalize('NFC')) : [];
    const streets = Array.isArray(a.streets) ? a.streets.map((m) => String(m).normalize('NFC').trim()) : [];
    return { code: p.text(a, 'code', where, CODE) ?? '', name: p.text(a, 'name', where) ?? '', unit, match, streets };
  });
  p.unique(
    'area code',
    areas.map((a) => a.code),
  );
  return areas;
}

/** categories.yaml: a category refused at intake (accepted: false) says why, to the citizen. */
function readCategories(p: Problems, doc: Doc): SeedCategory[] {
  const categories = p.list(doc, 'categories', 'categories.yaml').map((c, i) => {
    const where = `categories.yaml categories[${i}]`;
    const accepted = c.accepted === undefined ? true : c.accepted === true;
    const refusal = p.optionalText(c, 'refusal', where) ?? null;
    if (!accepted && !refusal) p.add(`${where}: a category with accepted: false needs a 'refusal' message`);
    if (c.publicLocation !== undefined && typeof c.publicLocation !== 'boolean') p.add(`${where}: publicLocation must be true or false`);
    return {
      code: p.text(c, 'code', where, CODE) ?? '',
      name: p.text(c, 'name', where) ?? '',
      description: p.optionalText(c, 'description', where) ?? '',
      accepted,
      refusal,
      publicLocation: c.publicLocation !== false,
    };
  });
  p.unique(
    'category code',
    categories.map((c) => c.code),
  );
  return categories;
}

/** The codes read so far, which routing rules refer to. */
interface KnownCodes {
  units: ReadonlySet<string>;
  categories: ReadonlySet<string>;
  areas: ReadonlySet<string>;
}

/** routing.yaml `rules`, in order; each names codes of units, categories and areas read before. */
function readRules(p: Problems, doc: Doc, known: KnownCodes): SeedRule[] {
  const rules = p.list(doc, 'rules', 'routing.yaml').map((r, i) => readRule(p, r, i, known));
  p.unique(
    'rule id',
    rules.map((r) => r.id),
  );
  return rules;
}

function readRule(p: Problems, r: Doc, i: number, known: KnownCodes): SeedRule {
  const where = `routing.yaml rules[${i}]`;
  const category = p.text(r, 'category', where) ?? '*';
  if (category !== '*' && !known.categories.has(category)) p.add(`${where}: unknown category '${category}'`);
  const { unit, toWard } = readRuleUnit(p, r, where, known.units);
  const areas = readRuleAreas(p, r, where, known.areas);
  const inform = readRuleInform(p, r, where, known.units);
  return { id: p.text(r, 'id', where, CODE) ?? `rule-${i}`, category: category === '*' ? null : category, areas, unit, toWard, inform };
}

/** Where a rule sends the case: a unit, or '@ward', the ward of the case's area whichever it is. */
function readRuleUnit(p: Problems, r: Doc, where: string, known: ReadonlySet<string>): { unit: string | null; toWard: boolean } {
  const unit = p.text(r, 'unit', where) ?? '';
  if (unit === '@ward') return { unit: null, toWard: true };
  if (unit && !known.has(unit)) p.add(`${where}: unknown unit '${unit}'`);
  return { unit, toWard: false };
}

/** A rule's `areas`: null when absent (any area), else a non-empty list of known areas. */
function readRuleAreas(p: Problems, r: Doc, where: string, known: ReadonlySet<string>): string[] | null {
  if (r.areas === undefined) return null;
  if (!Array.isArray(r.areas) || r.areas.length === 0) {
    p.add(`${where}: 'areas' must be a non-empty list`);
    return null;
  }
  const areas = r.areas.map(String);
  for (const a of areas) if (!known.has(a)) p.add(`${where}: unknown area '${a}'`);
  return areas;
}

/** A rule's `inform`: units told of the case besides the one it goes to. */
function readRuleInform(p: Problems, r: Doc, where: string, known: ReadonlySet<string>): string[] {
  const inform = Array.isArray(r.inform) ? r.inform.map(String) : [];
  for (const u of inform) if (!known.has(u)) p.add(`${where}: inform names unknown unit '${u}'`);
  return inform;
}

/** channels.yaml: at least one channel, each with a lower-case code (its key is FR_KEY_<CODE>). */
function readChannels(p: Problems, doc: Doc): SeedChannel[] {
  const channels = p.list(doc, 'channels', 'channels.yaml').map((c, i) => {
    const where = `channels.yaml channels[${i}]`;
    const code = p.text(c, 'code', where, CHANNEL_CODE) ?? '';
    // FR_KEY_<CODE>_PREVIOUS and FR_KEY_<CODE>_FILE are another channel's previous key and a key's file.
    if (/_(previous|file)$/.test(code))
      p.add(`${where}: code '${code}' must not end in _previous or _file (FR_KEY_<CODE>_PREVIOUS and _FILE mean other things)`);
    return { code, name: p.text(c, 'name', where) ?? '' };
  });
  p.unique(
    'channel code',
    channels.map((c) => c.code),
  );
  if (channels.length === 0) p.add('channels.yaml: at least one channel is required');
  return channels;
}
