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
}
export interface SeedArea {
  code: string;
  name: string;
  unit: string;
  match: string[];
}
export interface SeedCategory {
  code: string;
  name: string;
  description: string;
  accepted: boolean;
  refusal: string | null;
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

/**
 * Reads and cross-checks the organisation data a deployment edits (config/*.yaml). Every problem is
 * collected with its file and position, so one boot tells the operator everything to fix.
 */
export function loadOrganisation(dir: string): OrganisationConfig {
  const problems: string[] = [];
  const read = (file: string): Record<string, unknown> => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push(`${path}: file not found`);
      return {};
    }
    try {
      const doc: unknown = parse(readFileSync(path, 'utf8'));
      if (!doc || typeof doc !== 'object') {
        problems.push(`${path}: expected a mapping at the top level`);
        return {};
      }
      return doc as Record<string, unknown>;
    } catch (e) {
      problems.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
      return {};
    }
  };
  const org = read('organisation.yaml');
  const cat = read('categories.yaml');
  const rte = read('routing.yaml');
  const chn = read('channels.yaml');

  const list = (doc: Record<string, unknown>, key: string, file: string): Record<string, unknown>[] => {
    const v = doc[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      problems.push(`${file}: '${key}' must be a list`);
      return [];
    }
    return v.map((item, i) => {
      if (!item || typeof item !== 'object') {
        problems.push(`${file}: ${key}[${i}] must be a mapping`);
        return {};
      }
      return item as Record<string, unknown>;
    });
  };
  const str = (o: Record<string, unknown>, key: string, where: string, pattern?: RegExp, optional = false) => {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (!optional) problems.push(`${where}: '${key}' is required`);
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      problems.push(`${where}: '${key}' must be text`);
      return undefined;
    }
    const s = String(v).normalize('NFC').trim();
    if (pattern && !pattern.test(s)) problems.push(`${where}: '${key}' value '${s}' is not valid (${pattern})`);
    return s;
  };
  const seen = (what: string, codes: string[]) => {
    const dup = codes.filter((c, i) => codes.indexOf(c) !== i);
    for (const d of new Set(dup)) problems.push(`duplicate ${what} '${d}'`);
  };

  const officers: SeedOfficer[] = [];
  const units: SeedUnit[] = list(org, 'units', 'organisation.yaml').map((u, i) => {
    const where = `organisation.yaml units[${i}]`;
    const code = str(u, 'code', where, CODE) ?? `?${i}`;
    const kind = str(u, 'kind', where) as UnitKind;
    if (kind && !UNIT_KINDS.includes(kind)) problems.push(`${where}: kind must be one of ${UNIT_KINDS.join(', ')}`);
    const designee = (key: 'handler' | 'leader'): string | undefined => {
      const d = u[key];
      if (d === undefined || d === null) return undefined;
      if (typeof d !== 'object') {
        problems.push(`${where}: '${key}' must be { username, fullName }`);
        return undefined;
      }
      const username = str(d as Record<string, unknown>, 'username', `${where}.${key}`, USERNAME);
      const fullName = str(d as Record<string, unknown>, 'fullName', `${where}.${key}`);
      if (username && fullName) {
        officers.push({ username, fullName, role: key === 'handler' ? 'HANDLER' : 'LEADER', unit: code });
      }
      return username;
    };
    return { code, name: str(u, 'name', where) ?? code, kind, handler: designee('handler'), leader: designee('leader') };
  });
  const roles: SeedRole[] = ['SUPERVISOR', 'LEADER', 'HANDLER', 'AUDITOR'];
  list(org, 'officers', 'organisation.yaml').forEach((o, i) => {
    const where = `organisation.yaml officers[${i}]`;
    const role = str(o, 'role', where) as SeedRole;
    if (role && !roles.includes(role)) problems.push(`${where}: role must be one of ${roles.join(', ')}`);
    officers.push({
      username: str(o, 'username', where, USERNAME) ?? '',
      fullName: str(o, 'fullName', where) ?? '',
      role,
      unit: str(o, 'unit', where, CODE) ?? '',
    });
  });
  const unitCodes = new Set(units.map((u) => u.code));
  seen('unit code', units.map((u) => u.code));
  seen('officer username', officers.map((o) => o.username));
  for (const o of officers) {
    if (o.unit && !unitCodes.has(o.unit)) problems.push(`officer '${o.username}' names unknown unit '${o.unit}'`);
  }
  const triageUnit = str(org, 'triageUnit', 'organisation.yaml', CODE) ?? '';
  if (triageUnit && !unitCodes.has(triageUnit)) problems.push(`organisation.yaml: triageUnit '${triageUnit}' is not a unit`);

  const areas: SeedArea[] = list(org, 'areas', 'organisation.yaml').map((a, i) => {
    const where = `organisation.yaml areas[${i}]`;
    const unit = str(a, 'unit', where, CODE) ?? '';
    if (unit && !unitCodes.has(unit)) problems.push(`${where}: unknown unit '${unit}'`);
    const match = Array.isArray(a.match) ? a.match.map((m) => String(m).normalize('NFC')) : [];
    return { code: str(a, 'code', where, CODE) ?? '', name: str(a, 'name', where) ?? '', unit, match };
  });
  seen('area code', areas.map((a) => a.code));

  const categories: SeedCategory[] = list(cat, 'categories', 'categories.yaml').map((c, i) => {
    const where = `categories.yaml categories[${i}]`;
    const accepted = c.accepted === undefined ? true : c.accepted === true;
    const refusal = str(c, 'refusal', where, undefined, true) ?? null;
    if (!accepted && !refusal) problems.push(`${where}: a category with accepted: false needs a 'refusal' message`);
    return {
      code: str(c, 'code', where, CODE) ?? '',
      name: str(c, 'name', where) ?? '',
      description: str(c, 'description', where, undefined, true) ?? '',
      accepted,
      refusal,
    };
  });
  seen('category code', categories.map((c) => c.code));
  const categoryCodes = new Set(categories.map((c) => c.code));
  const areaCodes = new Set(areas.map((a) => a.code));

  const rules: SeedRule[] = list(rte, 'rules', 'routing.yaml').map((r, i) => {
    const where = `routing.yaml rules[${i}]`;
    const category = str(r, 'category', where) ?? '*';
    if (category !== '*' && !categoryCodes.has(category)) problems.push(`${where}: unknown category '${category}'`);
    const unit = str(r, 'unit', where) ?? '';
    const toWard = unit === '@ward';
    if (!toWard && unit && !unitCodes.has(unit)) problems.push(`${where}: unknown unit '${unit}'`);
    let ruleAreas: string[] | null = null;
    if (r.areas !== undefined) {
      if (!Array.isArray(r.areas) || r.areas.length === 0) problems.push(`${where}: 'areas' must be a non-empty list`);
      else {
        ruleAreas = r.areas.map(String);
        for (const a of ruleAreas) if (!areaCodes.has(a)) problems.push(`${where}: unknown area '${a}'`);
      }
    }
    const inform = Array.isArray(r.inform) ? r.inform.map(String) : [];
    for (const u of inform) if (!unitCodes.has(u)) problems.push(`${where}: inform names unknown unit '${u}'`);
    return {
      id: str(r, 'id', where, CODE) ?? `rule-${i}`,
      category: category === '*' ? null : category,
      areas: ruleAreas,
      unit: toWard ? null : unit,
      toWard,
      inform,
    };
  });
  seen('rule id', rules.map((r) => r.id));

  const channels: SeedChannel[] = list(chn, 'channels', 'channels.yaml').map((c, i) => {
    const where = `channels.yaml channels[${i}]`;
    return { code: str(c, 'code', where, /^[a-z0-9_]{1,40}$/) ?? '', name: str(c, 'name', where) ?? '' };
  });
  seen('channel code', channels.map((c) => c.code));
  if (channels.length === 0) problems.push('channels.yaml: at least one channel is required');

  if (problems.length) throw new ConfigError(problems.map((p) => `${dir}: ${p}`));
  return { district: str(org, 'district', 'organisation.yaml', undefined, true) ?? '', triageUnit, units, officers, areas, categories, rules, channels };
}
