import { foldVietnamese } from './text';

/** A routing rule as the engine evaluates it; `toWard` sends the case to the ward of its location. */
export interface RoutingRule {
  id: string;
  category: string | null;
  areas: string[] | null;
  unit: string | null;
  toWard: boolean;
  inform: string[];
}

export interface AreaRef {
  code: string;
  name: string;
  unitCode: string;
  match: string[];
}

export interface UnitRef {
  code: string;
  active: boolean;
  handlerId: string | null;
  leaderId: string | null;
}

export type TriageReason = 'no_matching_rule' | 'area_unknown' | 'unit_without_handler' | 'unit_inactive';

export type RoutingDecision =
  | { kind: 'assign'; ruleId: string; unitCode: string; handlerId: string; leaderId: string | null; inform: string[] }
  | { kind: 'triage'; reason: TriageReason; ruleId: string | null; intendedUnit: string | null; detail: string };

export interface AreaResolution {
  areaCode: string | null;
  source: 'ward_code' | 'address' | null;
  /** Why no area was found, when none was. */
  problem: string | null;
}

/**
 * Finds the area of a case: its wardCode if known, else a ward named in the address. An address
 * often names streets that share a ward's name (Bạch Mai, Phố Huế, Minh Khai streets), so a ward
 * written with its prefix ("phường Thanh Nhàn", "P. Thanh Nhàn") wins over a bare mention, and a
 * bare mention decides only when it is the only one.
 */
export function resolveArea(
  location: { wardCode?: string | null; address?: string | null },
  areas: readonly AreaRef[],
): AreaResolution {
  const problems: string[] = [];
  if (location.wardCode) {
    const wanted = location.wardCode.trim().toUpperCase();
    const byCode = areas.find((a) => a.code.toUpperCase() === wanted);
    if (byCode) return { areaCode: byCode.code, source: 'ward_code', problem: null };
    problems.push(`unknown wardCode '${location.wardCode}'`);
  }
  if (location.address) {
    const text = ` ${foldVietnamese(location.address)} `;
    const prefixed = new Set<string>();
    const bare = new Set<string>();
    for (const area of areas) {
      for (const name of area.match.length ? area.match : [area.name]) {
        const key = foldVietnamese(name);
        if (!key) continue;
        if (new RegExp(` (phuong|p) ${key} `).test(text)) prefixed.add(area.code);
        else if (text.includes(` ${key} `)) bare.add(area.code);
      }
    }
    if (prefixed.size === 1) return { areaCode: [...prefixed][0], source: 'address', problem: null };
    if (prefixed.size === 0 && bare.size === 1) return { areaCode: [...bare][0], source: 'address', problem: null };
    if (prefixed.size > 1 || bare.size > 1) problems.push('the address names more than one ward');
    else problems.push('the address names no known ward');
  } else if (!location.wardCode) {
    problems.push('no wardCode and no address');
  }
  return { areaCode: null, source: null, problem: problems.join('; ') };
}

/**
 * Decides where a case goes. Rules are tried in order; the first whose category and areas fit
 * decides. The office's triage queue takes whatever cannot be routed to a unit that can act on it.
 */
export function decideRoute(
  input: { category: string; areaCode: string | null; areaProblem?: string | null },
  rules: readonly RoutingRule[],
  directory: { area(code: string): AreaRef | undefined; unit(code: string): UnitRef | undefined },
): RoutingDecision {
  for (const rule of rules) {
    if (rule.category !== null && rule.category !== input.category) continue;
    if (rule.areas !== null && (input.areaCode === null || !rule.areas.includes(input.areaCode))) continue;

    let unitCode: string | null = rule.unit;
    if (rule.toWard) {
      const area = input.areaCode === null ? undefined : directory.area(input.areaCode);
      if (!area) {
        return {
          kind: 'triage',
          reason: 'area_unknown',
          ruleId: rule.id,
          intendedUnit: null,
          detail: `rule '${rule.id}' sends the case to its ward, but the ward is unknown: ${input.areaProblem ?? 'no area'}`,
        };
      }
      unitCode = area.unitCode;
    }
    const unit = unitCode === null ? undefined : directory.unit(unitCode);
    if (!unit || !unit.active) {
      return {
        kind: 'triage',
        reason: 'unit_inactive',
        ruleId: rule.id,
        intendedUnit: unitCode,
        detail: `rule '${rule.id}' names unit '${unitCode}', which is not active`,
      };
    }
    if (!unit.handlerId) {
      return {
        kind: 'triage',
        reason: 'unit_without_handler',
        ruleId: rule.id,
        intendedUnit: unit.code,
        detail: `unit '${unit.code}' has no designated handler`,
      };
    }
    return {
      kind: 'assign',
      ruleId: rule.id,
      unitCode: unit.code,
      handlerId: unit.handlerId,
      leaderId: unit.leaderId,
      inform: rule.inform.filter((u) => u !== unit.code),
    };
  }
  return {
    kind: 'triage',
    reason: 'no_matching_rule',
    ruleId: null,
    intendedUnit: null,
    detail: `no routing rule matches category '${input.category}'${input.areaCode ? ` in area '${input.areaCode}'` : ''}`,
  };
}
