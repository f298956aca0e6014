import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '@fr/config';
import { ComplianceTarget } from '@fr/domain';
import { EscalationLadder, parseEscalationLadder } from '@fr/sla';
import { parseTarget, TargetInput } from './targets';

export const COMPLIANCE_FILE = 'compliance.yaml';

export interface ComplianceConfig {
  /** Who is told when a unit misses a target, and when: the same rungs as the SLA ladder. */
  ladder: EscalationLadder;
  /** Loaded into the database on the first start only. */
  targets: ComplianceTarget[];
}

/** The directive's default: the unit's leader at the missed deadline, the office's supervisors a working day later. */
export function defaultComplianceLadder(dayMinutes: number): EscalationLadder {
  return [
    { level: '1', afterDueMinutes: 0, notify: ['leader'], label: 'Chưa đạt chỉ tiêu' },
    { level: '2', afterDueMinutes: dayMinutes, notify: ['supervisors'], label: 'Chưa đạt chỉ tiêu sau 1 ngày làm việc' },
  ];
}

/** Reads a compliance file (config/compliance.yaml, or an example beside it); every problem is reported at once. */
export function loadComplianceFile(path: string, dayMinutes: number): ComplianceConfig {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(path, 'utf8')) as Record<string, unknown>) ?? {};
  } catch (e) {
    throw new ConfigError([`${path}: ${(e as Error).message.split('\n')[0]}`]);
  }
  const problems: string[] = [];
  const unknown = Object.keys(doc).filter((k) => !['escalation', 'targets'].includes(k));
  if (unknown.length) problems.push(`unknown keys ${unknown.join(', ')} (use escalation, targets)`);
  const ladderProblems: string[] = [];
  const ladder = doc.escalation === undefined ? defaultComplianceLadder(dayMinutes) : parseEscalationLadder(doc.escalation, dayMinutes, ladderProblems);
  problems.push(...ladderProblems.map((p) => p.replace(/^sla\.yaml /, '')));
  if (ladder.some((r) => r.level === 'warn')) problems.push('escalation.levels: warn is for case stages; a target has numbered levels only');
  const targets: ComplianceTarget[] = [];
  const raw = doc.targets ?? [];
  if (!Array.isArray(raw)) problems.push('targets must be a list');
  else {
    const seen = new Set<string>();
    raw.forEach((t, i) => {
      const r = parseTarget((t ?? {}) as TargetInput, `targets[${i}].`, { someUnitsJudged: false, startsJudged: false });
      problems.push(...r.problems);
      if (r.target && seen.has(r.target.id)) problems.push(`targets[${i}].id '${r.target.id}' is listed twice`);
      if (r.target) {
        seen.add(r.target.id);
        targets.push(r.target);
      }
    });
  }
  if (problems.length) throw new ConfigError(problems.map((p) => `${path}: ${p}`));
  return { ladder, targets };
}

/** config/compliance.yaml if the deployment has one; the default ladder and no targets otherwise. */
export function loadComplianceConfig(configDir: string, dayMinutes: number): ComplianceConfig {
  const path = join(configDir, COMPLIANCE_FILE);
  if (!existsSync(path)) return { ladder: defaultComplianceLadder(dayMinutes), targets: [] };
  return loadComplianceFile(path, dayMinutes);
}
