import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '@fr/config';
import { calendarFromDocuments, WorkingCalendar } from '@fr/domain';
import { EscalationLadder, parseEscalationLadder } from './escalation-ladder';

export type Severity = 'normal' | 'urgent' | 'complex';
export const SEVERITIES: Severity[] = ['normal', 'urgent', 'complex'];
export type Stage = 'receive' | 'resolve';

/**
 * A duration of sla.yaml as written: `days` are kept apart from the hours and minutes, because a
 * working day is the length of the day of the calendar that counts the case (a unit with a calendar of
 * its own may work 7.5 hours a day), and "5 working days" means five of that unit's days, not 40 hours.
 */
export interface WorkDuration {
  /** Hours and minutes, in minutes. */
  minutes: number;
  days: number;
}

/** The working minutes of a duration on a calendar whose working day is `dayMinutes` long. */
export function minutesOn(d: WorkDuration, dayMinutes: number): number {
  return d.minutes + d.days * dayMinutes;
}

/** Durations for a category, a unit, or both; the most specific match wins (unit and category, unit, category). */
export interface SlaOverride {
  category: string | null;
  unit: string | null;
  receive?: WorkDuration;
  resolve: Partial<Record<Severity, WorkDuration>>;
}

export interface SlaPolicy {
  receive: WorkDuration;
  resolve: Record<Severity, WorkDuration>;
  overrides: SlaOverride[];
  warnAt: number;
  extensionMaxCount: number;
  extensionMaxShare: number;
  autoCloseDays: number;
  lowRating: number;
  /** When each escalation level fires and who is told (DOMAIN.md's ladder unless sla.yaml says otherwise). */
  escalation: EscalationLadder;
}

function durationOf(v: unknown, dayMinutes: number, where: string, problems: string[]): WorkDuration {
  if (!v || typeof v !== 'object') {
    problems.push(`${where} must be { minutes | hours | days }`);
    return { minutes: 0, days: 0 };
  }
  const d = v as { minutes?: number; hours?: number; days?: number };
  const duration = { minutes: (d.minutes ?? 0) + (d.hours ?? 0) * 60, days: d.days ?? 0 };
  const total = minutesOn(duration, dayMinutes);
  if (!Number.isFinite(total) || total <= 0 || duration.minutes < 0 || duration.days < 0) problems.push(`${where} must be a positive duration`);
  return duration;
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
    receive: durationOf(key(doc, 'receive'), dayMinutes, 'sla.yaml receive', problems),
    resolve: {
      normal: durationOf(key(resolve, 'normal'), dayMinutes, 'sla.yaml resolve.normal', problems),
      urgent: durationOf(key(resolve, 'urgent'), dayMinutes, 'sla.yaml resolve.urgent', problems),
      complex: durationOf(key(resolve, 'complex'), dayMinutes, 'sla.yaml resolve.complex', problems),
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
    const durations: Partial<Record<Severity, WorkDuration>> = {};
    for (const sev of SEVERITIES) {
      const d = key(resolve, sev);
      if (d !== undefined) durations[sev] = durationOf(d, dayMinutes, `${where}.resolve.${sev}`, problems);
    }
    const receive = key(o, 'receive');
    return {
      category,
      unit,
      receive: receive !== undefined ? durationOf(receive, dayMinutes, `${where}.receive`, problems) : undefined,
      resolve: durations,
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
