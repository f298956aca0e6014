import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '@fr/config';
import { calendarFromDocuments, WorkingCalendar } from '@fr/domain';
import { EscalationLadder, parseEscalationLadder } from './escalation-ladder';

export type Severity = 'normal' | 'urgent' | 'complex';
export const SEVERITIES: Severity[] = ['normal', 'urgent', 'complex'];
export type Stage = 'receive' | 'resolve';

/** Durations for a category, a unit, or both; the most specific match wins (unit and category, unit, category). */
export interface SlaOverride {
  category: string | null;
  unit: string | null;
  receiveMinutes?: number;
  resolveMinutes: Partial<Record<Severity, number>>;
}

export interface SlaPolicy {
  receiveMinutes: number;
  resolveMinutes: Record<Severity, number>;
  overrides: SlaOverride[];
  warnAt: number;
  extensionMaxCount: number;
  extensionMaxShare: number;
  autoCloseDays: number;
  lowRating: number;
  /** When each escalation level fires and who is told (DOMAIN.md's ladder unless sla.yaml says otherwise). */
  escalation: EscalationLadder;
}

function minutesOf(v: unknown, dayMinutes: number, where: string, problems: string[]): number {
  if (!v || typeof v !== 'object') {
    problems.push(`${where} must be { minutes | hours | days }`);
    return 0;
  }
  const d = v as { minutes?: number; hours?: number; days?: number };
  const total = (d.minutes ?? 0) + (d.hours ?? 0) * 60 + (d.days ?? 0) * dayMinutes;
  if (!Number.isFinite(total) || total <= 0) problems.push(`${where} must be a positive duration`);
  return total;
}

/** A key of a YAML map; undefined when `v` is not a map (the checks that follow then report it). */
function key(v: unknown, name: string): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[name] : undefined;
}

export function loadSlaPolicy(dir: string, dayMinutes: number): SlaPolicy {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(readFileSync(join(dir, 'sla.yaml'), 'utf8')) ?? {};
  } catch (e) {
    throw new ConfigError([`${dir}/sla.yaml: ${(e as Error).message.split('\n')[0]}`]);
  }
  const resolve = key(doc, 'resolve') ?? {};
  const extension = key(doc, 'extension');
  const policy: SlaPolicy = {
    receiveMinutes: minutesOf(key(doc, 'receive'), dayMinutes, 'sla.yaml receive', problems),
    resolveMinutes: {
      normal: minutesOf(key(resolve, 'normal'), dayMinutes, 'sla.yaml resolve.normal', problems),
      urgent: minutesOf(key(resolve, 'urgent'), dayMinutes, 'sla.yaml resolve.urgent', problems),
      complex: minutesOf(key(resolve, 'complex'), dayMinutes, 'sla.yaml resolve.complex', problems),
    },
    warnAt: Number(key(doc, 'warnAt') ?? 0.75),
    extensionMaxCount: Number(key(extension, 'maxCount') ?? 1),
    extensionMaxShare: Number(key(extension, 'maxShareOfOriginal') ?? 1),
    autoCloseDays: Number(key(doc, 'autoCloseDays') ?? 7),
    lowRating: Number(key(doc, 'lowRating') ?? 2),
    escalation: parseEscalationLadder(key(doc, 'escalation'), dayMinutes, problems),
    overrides: parseOverrides(key(doc, 'overrides'), dayMinutes, problems),
  };
  if (!(policy.warnAt > 0 && policy.warnAt < 1)) problems.push('sla.yaml warnAt must be between 0 and 1');
  if (!(policy.autoCloseDays >= 1)) problems.push('sla.yaml autoCloseDays must be at least 1');
  if (!(policy.lowRating >= 1 && policy.lowRating <= 5)) problems.push('sla.yaml lowRating must be 1..5');
  if (problems.length) throw new ConfigError(problems.map((p) => `${dir}/${p}`));
  return policy;
}

function parseOverrides(v: unknown, dayMinutes: number, problems: string[]): SlaOverride[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push('sla.yaml overrides must be a list');
    return [];
  }
  return (v as unknown[]).map((o, i) => {
    const where = `sla.yaml overrides[${i}]`;
    const categoryValue = key(o, 'category');
    const unitValue = key(o, 'unit');
    const category = typeof categoryValue === 'string' ? categoryValue : null;
    const unit = typeof unitValue === 'string' ? unitValue : null;
    if (!category && !unit) problems.push(`${where} needs a category, a unit, or both`);
    const resolve = key(o, 'resolve');
    const resolveMinutes: Partial<Record<Severity, number>> = {};
    for (const sev of SEVERITIES) {
      const d = key(resolve, sev);
      if (d !== undefined) resolveMinutes[sev] = minutesOf(d, dayMinutes, `${where}.resolve.${sev}`, problems);
    }
    const receive = key(o, 'receive');
    return {
      category,
      unit,
      receiveMinutes: receive !== undefined ? minutesOf(receive, dayMinutes, `${where}.receive`, problems) : undefined,
      resolveMinutes,
    };
  });
}

/** The override that applies to a case of this category at this unit, if any. */
export function overrideFor(policy: SlaPolicy, ctx: { category?: string | null; unit?: string | null }): SlaOverride[] {
  const rank = (o: SlaOverride) => (o.unit && o.category ? 3 : o.unit ? 2 : 1);
  return policy.overrides.filter((o) => (!o.category || o.category === ctx.category) && (!o.unit || o.unit === ctx.unit)).sort((a, b) => rank(b) - rank(a));
}

export function loadCalendar(dir: string): WorkingCalendar {
  const folder = join(dir, 'calendars');
  const files = readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  try {
    return calendarFromDocuments(files.map((f): unknown => parse(readFileSync(join(folder, f), 'utf8'))));
  } catch (e) {
    throw new ConfigError([`${folder}: ${(e as Error).message}`]);
  }
}
