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
  /** False once a reorganisation ended the area; its names stay recognised and lead to its successors. */
  active?: boolean;
  /** Streets of the area: an address naming one and no ward still finds it. */
  streets?: string[];
  /** Where an ended area's addresses went, tried in order (see successorFor). */
  successors?: AreaSuccessor[];
}

/**
 * One successor of an ended area or unit. A merge names one with no streets or patterns; a split names
 * several, each with the streets (names as addresses write them) or patterns (regular expressions
 * over the address folded by foldVietnamese) that send an address there; one without either is the
 * split's fallback.
 */
export interface AreaSuccessor {
  area: string;
  streets: string[];
  patterns: string[];
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
  source: 'ward_code' | 'address' | 'street' | null;
  /** Why no area was found, when none was. */
  problem: string | null;
}

/** Whether a folded address (spaces around) names a street, or matches a pattern, of a successor. */
function successorMatches(s: { streets: readonly string[]; patterns: readonly string[] }, folded: string): boolean {
  return s.streets.some((st) => folded.includes(` ${foldVietnamese(st)} `)) || s.patterns.some((p) => new RegExp(p).test(folded.trim()));
}

/**
 * The successor an address belongs to: the first whose streets or patterns it matches, else the one
 * without either (a merge, or a split's fallback); null when none fits. `byStreet` says whether the
 * address itself decided.
 */
export function successorFor<S extends { streets: readonly string[]; patterns: readonly string[] }>(
  successors: readonly S[],
  address: string | null | undefined,
): { successor: S; byStreet: boolean } | null {
  const folded = ` ${foldVietnamese(address ?? '')} `;
  const decided = successors.find((s) => (s.streets.length || s.patterns.length) && successorMatches(s, folded));
  if (decided) return { successor: decided, byStreet: true };
  const fallback = successors.find((s) => !s.streets.length && !s.patterns.length);
  return fallback ? { successor: fallback, byStreet: false } : null;
}

/** An area, or the active area its addresses now belong to (succession followed through several reorganisations). */
function currentArea(area: AreaRef, address: string | null | undefined, byCode: ReadonlyMap<string, AreaRef>): { area: AreaRef; byStreet: boolean } | string {
  let at = area;
  let byStreet = false;
  for (let hops = 0; at.active === false; hops++) {
    const next = hops < 10 ? successorFor(at.successors ?? [], address) : null;
    const to = next && byCode.get(next.successor.area);
    if (!next || !to) return `ward '${area.name}' no longer exists and the address names none of the streets that decide its successor`;
    byStreet ||= next.byStreet;
    at = to;
  }
  return { area: at, byStreet };
}

/**
 * Finds the area of a case: its wardCode if known, else a ward named in the address, else a street
 * of exactly one ward. An address often names streets that share a ward's name (Bạch Mai, Phố Huế,
 * Minh Khai streets), so a ward written with its prefix ("phường Thanh Nhàn", "P. Thanh Nhàn") wins
 * over a bare mention, and a bare mention decides only when it is the only one. A ward that no longer
 * exists is still recognised (citizens keep its name) and leads to its successor, by street when it
 * was split.
 */
export function resolveArea(location: { wardCode?: string | null; address?: string | null }, areas: readonly AreaRef[]): AreaResolution {
  const problems: string[] = [];
  const byCode = new Map(areas.map((a) => [a.code, a]));
  if (location.wardCode) {
    const wanted = location.wardCode.trim().toUpperCase();
    const found = areas.find((a) => a.code.toUpperCase() === wanted);
    const current = found && currentArea(found, location.address, byCode);
    if (current && typeof current !== 'string') return { areaCode: current.area.code, source: 'ward_code', problem: null };
    problems.push(typeof current === 'string' ? current : `unknown wardCode '${location.wardCode}'`);
  }
  if (location.address) {
    const text = ` ${foldVietnamese(location.address)} `;
    const prefixed: AreaRef[] = [];
    const bare: AreaRef[] = [];
    for (const area of areas) {
      for (const name of area.match.length ? area.match : [area.name]) {
        const key = foldVietnamese(name);
        if (!key) continue;
        if (new RegExp(` (phuong|p) ${key} `).test(text)) prefixed.push(area);
        // A district of the same name ("quận Hai Bà Trưng") is not the ward.
        else if (text.replace(new RegExp(` (quan|q) ${key} `, 'g'), ' ').includes(` ${key} `)) bare.push(area);
      }
    }
    const named = prefixed.length ? prefixed : bare;
    const current = named.map((a) => currentArea(a, location.address, byCode));
    const found = current.filter((c): c is { area: AreaRef; byStreet: boolean } => typeof c !== 'string');
    // A new ward may bear an old ward's name: where the street decided, it decides.
    const decisive = found.some((c) => c.byStreet) ? found.filter((c) => c.byStreet) : found;
    const codes = new Set(decisive.map((c) => c.area.code));
    if (codes.size === 1) return { areaCode: [...codes][0], source: 'address', problem: null };
    if (codes.size > 1) problems.push('the address names more than one ward');
    else if (current.length) problems.push(...new Set(current.filter((c): c is string => typeof c === 'string')));
    else {
      const byStreet = areas.filter((a) => a.active !== false && (a.streets ?? []).some((st) => text.includes(` ${foldVietnamese(st)} `)));
      if (byStreet.length === 1) return { areaCode: byStreet[0].code, source: 'street', problem: null };
      problems.push(byStreet.length > 1 ? 'the address names streets of more than one ward' : 'the address names no known ward');
    }
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
