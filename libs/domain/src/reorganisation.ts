import { instantProblem } from './instant';
import { streetsOfAddress, successorFor } from './routing';
import { showsNothing } from './personal-data';
import { foldVietnamese, nfc } from './text';

/**
 * A reorganisation as data: what an administrator (or a file in config/reorganisations/) declares
 * will change on its effective date. Parsed here without I/O; evaluated against a snapshot of the
 * organisation and its open cases by evaluatePlan, which both the dry run and the application use.
 */
export const PLAN_UNIT_KINDS = ['office', 'department', 'ward', 'police'] as const;

export interface PlanDesignee {
  username: string;
  fullName: string;
}

export interface PlanArea {
  code: string;
  name: string;
  /** Names an address may use for it. */
  match: string[];
  streets: string[];
}

export interface PlanNewUnit {
  code: string;
  name: string;
  kind: (typeof PLAN_UNIT_KINDS)[number];
  aliases: string[];
  handler: PlanDesignee | null;
  leader: PlanDesignee | null;
  /** A ward's area, which addresses name. */
  area: PlanArea | null;
}

export interface PlanMerge {
  into: string;
  from: string[];
}

export interface PlanSplitPart {
  unit: string;
  streets: string[];
  patterns: string[];
}

export interface PlanSplit {
  unit: string;
  into: PlanSplitPart[];
  /** Where an address that names none of the parts' streets goes; none: such a case is unresolved. */
  fallback: string | null;
}

export interface PlanRename {
  unit: string;
  name: string;
  aliases: string[];
}

export interface PlanDissolution {
  unit: string;
  /** Who takes its open cases and routing rules; none: they must be resolved otherwise. */
  successor: string | null;
}

export interface PlanRule {
  id: string;
  /** A unit code, or TO_WARD: the ward of the case's location, whichever it is. */
  unit: string;
}

/** A rule's target meaning "the ward of the case's location" (as in routing.yaml). */
export const TO_WARD = '@ward';

export interface ReorganisationPlan {
  name: string;
  /** ISO 8601 with offset. */
  effectiveAt: string;
  /** The new triage unit, when the old one ends. */
  triageUnit: string | null;
  newUnits: PlanNewUnit[];
  merges: PlanMerge[];
  splits: PlanSplit[];
  renames: PlanRename[];
  dissolutions: PlanDissolution[];
  /** Routing rules pointed at another unit. */
  rules: PlanRule[];
}

type Doc = Record<string, unknown>;
const CODE = /^[A-Za-z0-9_.-]{1,40}$/;
const USERNAME = /^[a-z0-9_.-]{3,64}$/;
/** The columns a plan's texts end up in: units.name, officers.full_name (varchar(200)), reorganisations.name (varchar(300)). */
const MAX_TEXT = 200;
const MAX_PLAN_NAME = 300;
const MAX_LIST = 500;

const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;

/**
 * Reads a plan from parsed YAML or JSON; every problem is listed, with its place. A YAML file may write a
 * code or a name as a bare number (read as its text); a JSON body (`numbersAsText: false`, the API's) says
 * text in quotes, as its document does.
 */
export function parsePlan(
  input: unknown,
  { numbersAsText = true }: { numbersAsText?: boolean } = {},
): { plan: ReorganisationPlan; problems: [] } | { plan: null; problems: string[] } {
  const isText = (x: unknown): x is string | number => typeof x === 'string' || (numbersAsText && typeof x === 'number');
  const problems: string[] = [];
  // A misspelt key would otherwise read as an empty list, and a plan would be scheduled without the change it was written for.
  const known = (o: Doc, where: string, keys: readonly string[]): Doc => {
    for (const key of Object.keys(o)) {
      if (!keys.includes(key)) problems.push(`${where}.${key} is not a field of a plan here (known: ${keys.join(', ')})`);
    }
    return o;
  };
  const doc = known(asDoc(input, 'plan', problems), 'plan', [
    'name',
    'effectiveAt',
    'triageUnit',
    'newUnits',
    'merges',
    'splits',
    'renames',
    'dissolutions',
    'rules',
  ]);
  const text = (o: Doc, key: string, where: string, pattern?: RegExp, optional = false, max = MAX_TEXT): string => {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (!optional) problems.push(`${where}.${key} is required`);
      return '';
    }
    if (!isText(v)) {
      problems.push(`${where}.${key} must be text`);
      return '';
    }
    const s = nfc(String(v)).trim();
    // Blanks, zero-width characters or accents over nothing: "   " was trimmed to '' after the check
    // above and scheduled a rename of a unit to an empty name.
    if (showsNothing(s)) {
      if (!optional) problems.push(`${where}.${key} must not be blank`);
      return '';
    }
    // A unit's name goes to channels (a case's unit, Open311's agency_responsible), which put it in an
    // SMS or a list line: one line, as officers' names and notices' titles.
    if (LINE_BREAK.test(s)) {
      problems.push(`${where}.${key} must be one line (no line breaks)`);
      return s;
    }
    // Longer than the column it is stored in: refused here, not by the database at the plan's date.
    if (s.length > max) {
      problems.push(`${where}.${key} must be at most ${max} characters`);
      return s;
    }
    if (pattern && !pattern.test(s)) problems.push(`${where}.${key} '${s}' is not valid`);
    return s;
  };
  const texts = (o: Doc, key: string, where: string): string[] => {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => !isText(x))) {
      problems.push(`${where}.${key} must be a list of text`);
      return [];
    }
    const items = v.map((x) => nfc(String(x)).trim()).filter((x) => !showsNothing(x));
    if (items.some((x) => LINE_BREAK.test(x))) problems.push(`${where}.${key} must list texts of one line each (no line breaks)`);
    if (items.length > MAX_LIST || items.some((x) => x.length > MAX_TEXT)) {
      problems.push(`${where}.${key} must list at most ${MAX_LIST} texts of at most ${MAX_TEXT} characters`);
    }
    return items;
  };
  const list = (o: Doc, key: string, where: string): Doc[] => {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      problems.push(`${where}.${key} must be a list`);
      return [];
    }
    return v.map((x, i) => asDoc(x, `${where}.${key}[${i}]`, problems));
  };
  const designee = (o: Doc, key: string, where: string): PlanDesignee | null => {
    if (o[key] === undefined || o[key] === null) return null;
    const d = known(asDoc(o[key], `${where}.${key}`, problems), `${where}.${key}`, ['username', 'fullName']);
    return { username: text(d, 'username', `${where}.${key}`, USERNAME), fullName: text(d, 'fullName', `${where}.${key}`) };
  };

  const effectiveAt = text(doc, 'effectiveAt', 'plan');
  // As every instant the API takes: a day the calendar has (Date.parse read 2027-02-30 as 2 March, and a
  // plan would be applied on a day nobody wrote), and the message says which fault it is.
  const effectiveAtProblem = effectiveAt ? instantProblem('plan.effectiveAt', effectiveAt, { echo: true }) : null;
  if (effectiveAtProblem) problems.push(effectiveAtProblem);
  const plan: ReorganisationPlan = {
    name: text(doc, 'name', 'plan', undefined, false, MAX_PLAN_NAME),
    effectiveAt,
    triageUnit: text(doc, 'triageUnit', 'plan', CODE, true) || null,
    newUnits: list(doc, 'newUnits', 'plan').map((u, i) => {
      const where = `plan.newUnits[${i}]`;
      known(u, where, ['code', 'name', 'kind', 'aliases', 'handler', 'leader', 'area']);
      const kind = text(u, 'kind', where) as PlanNewUnit['kind'];
      if (kind && !PLAN_UNIT_KINDS.includes(kind)) problems.push(`${where}.kind must be one of ${PLAN_UNIT_KINDS.join(', ')}`);
      const a =
        u.area === undefined || u.area === null ? null : known(asDoc(u.area, `${where}.area`, problems), `${where}.area`, ['code', 'name', 'match', 'streets']);
      return {
        code: text(u, 'code', where, CODE),
        name: text(u, 'name', where),
        kind,
        aliases: texts(u, 'aliases', where),
        handler: designee(u, 'handler', where),
        leader: designee(u, 'leader', where),
        area: a && {
          code: text(a, 'code', `${where}.area`, CODE),
          name: text(a, 'name', `${where}.area`),
          match: texts(a, 'match', `${where}.area`),
          streets: texts(a, 'streets', `${where}.area`),
        },
      };
    }),
    merges: list(doc, 'merges', 'plan').map((m, i) => {
      known(m, `plan.merges[${i}]`, ['into', 'from']);
      return { into: text(m, 'into', `plan.merges[${i}]`, CODE), from: texts(m, 'from', `plan.merges[${i}]`) };
    }),
    splits: list(doc, 'splits', 'plan').map((s, i) => {
      const where = `plan.splits[${i}]`;
      known(s, where, ['unit', 'into', 'fallback']);
      const into = list(s, 'into', where).map((p, j) => ({
        unit: text(known(p, `${where}.into[${j}]`, ['unit', 'streets', 'patterns']), 'unit', `${where}.into[${j}]`, CODE),
        streets: texts(p, 'streets', `${where}.into[${j}]`),
        patterns: texts(p, 'patterns', `${where}.into[${j}]`),
      }));
      for (const [j, p] of into.entries()) {
        if (!p.streets.length && !p.patterns.length) problems.push(`${where}.into[${j}] needs streets or patterns (the fallback is named apart)`);
        for (const pattern of p.patterns) {
          try {
            new RegExp(pattern);
            const risk = backtrackingRisk(pattern);
            if (risk) problems.push(`${where}.into[${j}].patterns: '${pattern}' ${risk}`);
          } catch {
            problems.push(`${where}.into[${j}].patterns: '${pattern}' is not a regular expression`);
          }
        }
      }
      if (into.length < 2) problems.push(`${where}.into must name at least two units (one successor is a merge)`);
      // Routing takes the first part naming a street, so a street in two parts (in any Unicode form,
      // letter case or without its diacritics) would silently go to whichever part the file lists first.
      const partOfStreet = new Map<string, number>();
      for (const [j, p] of into.entries()) {
        for (const street of p.streets) {
          const key = foldVietnamese(street);
          const first = partOfStreet.get(key);
          if (first === undefined) partOfStreet.set(key, j);
          else if (first !== j)
            problems.push(`${where}.into[${j}].streets: '${street}' is already a street of ${where}.into[${first}]: a street belongs to one part`);
        }
      }
      return { unit: text(s, 'unit', where, CODE), into, fallback: text(s, 'fallback', where, CODE, true) || null };
    }),
    renames: list(doc, 'renames', 'plan').map((r, i) => ({
      unit: text(known(r, `plan.renames[${i}]`, ['unit', 'name', 'aliases']), 'unit', `plan.renames[${i}]`, CODE),
      name: text(r, 'name', `plan.renames[${i}]`),
      aliases: texts(r, 'aliases', `plan.renames[${i}]`),
    })),
    dissolutions: list(doc, 'dissolutions', 'plan').map((d, i) => ({
      unit: text(known(d, `plan.dissolutions[${i}]`, ['unit', 'successor']), 'unit', `plan.dissolutions[${i}]`, CODE),
      successor: text(d, 'successor', `plan.dissolutions[${i}]`, CODE, true) || null,
    })),
    rules: list(doc, 'rules', 'plan').map((r, i) => ({
      id: text(known(r, `plan.rules[${i}]`, ['id', 'unit']), 'id', `plan.rules[${i}]`),
      unit: text(r, 'unit', `plan.rules[${i}]`, /^(@ward|[A-Za-z0-9_.-]{1,40})$/),
    })),
  };
  // Each with its place, as every other problem: errors[] carries a problem under its field, and one
  // without a place was only in the message, which is cut at 500 characters.
  for (const [i, m] of plan.merges.entries()) if (m.from.length === 0) problems.push(`plan.merges[${i}].from: a merge into '${m.into}' names no unit`);
  problems.push(...selfSuccessions(plan));
  const changes = [plan.newUnits, plan.merges, plan.splits, plan.renames, plan.dissolutions, plan.rules].some((l) => l.length > 0) || plan.triageUnit !== null;
  if (!changes) problems.push('plan changes nothing: it needs at least one of newUnits, merges, splits, renames, dissolutions, rules or triageUnit');
  // Under the field of each second ending, as above: without a place the problem was only in the message.
  const ending = endingsWithPlaces(plan);
  for (const [k, { unit, where }] of ending.entries()) {
    const first = ending.findIndex((e) => e.unit === unit);
    if (first !== k) problems.push(`${where}: unit '${unit}' ends more than once in the plan (${ending[first].where} ends it too)`);
  }
  const fresh = plan.newUnits.map((u) => u.code);
  for (const [i, code] of fresh.entries()) if (fresh.indexOf(code) !== i) problems.push(`plan.newUnits[${i}].code: new unit '${code}' is listed twice`);
  // Applied in turn, the last would win: the name or target the plan keeps would be one its author may not have
  // meant, and the dry run showed one of them. Two plans of one date doing so are refused (clashWithScheduled).
  const renamed = plan.renames.map((r) => r.unit);
  for (const [i, unit] of renamed.entries()) {
    const first = renamed.indexOf(unit);
    if (unit && first !== i) problems.push(`plan.renames[${i}].unit '${unit}' is already renamed by plan.renames[${first}]: a unit takes one name in a plan`);
  }
  const repointed = plan.rules.map((r) => r.id);
  for (const [i, id] of repointed.entries()) {
    const first = repointed.indexOf(id);
    if (id && first !== i) problems.push(`plan.rules[${i}].id '${id}' is already re-pointed by plan.rules[${first}]: a rule points at one unit in a plan`);
  }
  return problems.length ? { plan: null, problems } : { plan, problems: [] };
}

/**
 * A unit named as its own successor. A merge of a unit into itself ends nothing, and was recorded as
 * applied having done nothing; a split or dissolution into itself would pass the work to the unit
 * that ends. (A merge may still list its `into` among other units in `from`: that unit is kept.)
 */
function selfSuccessions(plan: ReorganisationPlan): string[] {
  const problems: string[] = [];
  for (const [i, m] of plan.merges.entries()) {
    if (m.from.length > 0 && m.from.every((f) => f === m.into)) {
      problems.push(
        `plan.merges[${i}].from names only '${m.into}', the unit it merges into: a unit cannot merge into itself; list in 'from' the units that join it`,
      );
    }
  }
  for (const [i, s] of plan.splits.entries()) {
    for (const [j, p] of s.into.entries()) {
      if (p.unit && p.unit === s.unit) {
        problems.push(`plan.splits[${i}].into[${j}].unit '${s.unit}' is the unit being split, which ends: give the part it keeps to a new unit (newUnits)`);
      }
    }
    if (s.fallback && s.fallback === s.unit) {
      problems.push(`plan.splits[${i}].fallback '${s.unit}' is the unit being split, which ends: name one of its successors as the fallback`);
    }
  }
  for (const [i, d] of plan.dissolutions.entries()) {
    if (d.successor && d.successor === d.unit) {
      problems.push(`plan.dissolutions[${i}].successor '${d.unit}' is the unit being dissolved: name another unit to take its cases and rules`);
    }
  }
  return problems;
}

function asDoc(v: unknown, where: string, problems: string[]): Doc {
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${where} must be a mapping`);
    return {};
  }
  return v as Doc;
}

/** A unit the plan ends, how, and the units that take over from it. */
export interface EndingUnit {
  unit: string;
  how: 'merge' | 'split' | 'dissolution';
  successors: string[];
}

/** The units a plan ends, as the dry run reports them. */
export function endingUnits(plan: ReorganisationPlan): EndingUnit[] {
  return endingsWithPlaces(plan).map(({ unit, how, successors }) => ({ unit, how, successors }));
}

/** endingUnits, each with where the plan ends it, as problems name fields (plan.merges[0].from[1]). */
type PlacedEnding = EndingUnit & { where: string };

function endingsWithPlaces(plan: ReorganisationPlan): PlacedEnding[] {
  return [
    // A merge may keep the unit it merges into: that one does not end.
    ...plan.merges.flatMap((m, i) =>
      m.from.flatMap((f, j): PlacedEnding[] => (f === m.into ? [] : [{ unit: f, how: 'merge', successors: [m.into], where: `plan.merges[${i}].from[${j}]` }])),
    ),
    ...plan.splits.map(
      (s, i): PlacedEnding => ({
        unit: s.unit,
        how: 'split',
        successors: [...new Set([...s.into.map((p) => p.unit), ...(s.fallback ? [s.fallback] : [])])],
        where: `plan.splits[${i}].unit`,
      }),
    ),
    ...plan.dissolutions.map(
      (d, i): PlacedEnding => ({ unit: d.unit, how: 'dissolution', successors: d.successor ? [d.successor] : [], where: `plan.dissolutions[${i}].unit` }),
    ),
  ];
}

/** A unit a plan needs to find at its date (it does not make it), and what the plan does with it. */
export interface NeededUnit {
  unit: string;
  /** In words, after "in this plan it": `takes in P_A (merge)`. */
  role: string;
}

/**
 * The existing units a plan acts on besides those it ends: successors, renamed units, rules' targets,
 * the triage unit. A plan applied before it that ends one of them leaves it unappliable.
 */
export function neededUnits(plan: ReorganisationPlan): NeededUnit[] {
  const fresh = new Set(plan.newUnits.map((u) => u.code));
  const needed: NeededUnit[] = [
    ...plan.merges.map((m) => ({ unit: m.into, role: `takes in ${m.from.filter((f) => f !== m.into).join(', ')} (merge)` })),
    ...plan.splits.flatMap((s) => [
      ...s.into.map((p) => ({ unit: p.unit, role: `takes part of '${s.unit}' (split)` })),
      ...(s.fallback ? [{ unit: s.fallback, role: `takes the rest of '${s.unit}' (split fallback)` }] : []),
    ]),
    ...plan.dissolutions.flatMap((d) => (d.successor ? [{ unit: d.successor, role: `takes the work of '${d.unit}' (dissolution)` }] : [])),
    ...plan.renames.map((r) => ({ unit: r.unit, role: `is renamed '${r.name}'` })),
    ...plan.rules.filter((r) => r.unit !== TO_WARD).map((r) => ({ unit: r.unit, role: `is where rule '${r.id}' points` })),
    ...(plan.triageUnit ? [{ unit: plan.triageUnit, role: 'becomes the triage unit' }] : []),
  ];
  return needed.filter((n) => !fresh.has(n.unit));
}

/** What a plan is evaluated against: the organisation and the open cases at the time of the evaluation. */
export interface OrganisationSnapshot {
  units: { code: string; kind: (typeof PLAN_UNIT_KINDS)[number]; active: boolean; handlerId: string | null; leaderId: string | null }[];
  /** `name` and `match`: how addresses name the area (a split's moves read the streets without them). */
  areas: { code: string; unitCode: string; active: boolean; name?: string; match?: string[] }[];
  rules: { id: string; unit: string | null }[];
  triageUnit: string;
  openCases: { id: string; trackingCode: string; unitCode: string; status: string; address: string | null }[];
}

export interface PlannedMove {
  caseId: string;
  trackingCode: string;
  status: string;
  from: string;
  /** null: nothing in the plan says where this case goes. */
  to: string | null;
  /** merge, split-street, split-fallback, dissolution, triage */
  why: string;
}

export interface DesignationGap {
  unitCode: string;
  missing: ('handler' | 'leader')[];
}

export interface RuleChange {
  id: string;
  from: string;
  /** null: the rule would point at a unit that no longer exists. */
  to: string | null;
}

export interface PlanEvaluation {
  moves: PlannedMove[];
  ending: EndingUnit[];
  designationGaps: DesignationGap[];
  rules: RuleChange[];
  triageUnit: string;
  /** Everything that stops the plan, in words; empty: it may be applied. */
  unresolved: string[];
}

/** Where each open case, rule and the triage queue would go, and what the plan leaves unresolved. */
export function evaluatePlan(plan: ReorganisationPlan, org: OrganisationSnapshot): PlanEvaluation {
  const unresolved: string[] = [];
  const existing = new Map(org.units.map((u) => [u.code, u]));
  const ending = endingUnits(plan);
  const endingBy = new Map(ending.map((e) => [e.unit, e]));
  const fresh = new Map(plan.newUnits.map((u) => [u.code, u]));
  const existsAfter = (code: string) => (fresh.has(code) || existing.get(code)?.active === true) && !endingBy.has(code);

  const areaCodes = new Set(org.areas.map((a) => a.code.toUpperCase()));
  for (const u of plan.newUnits) {
    if (existing.has(u.code)) unresolved.push(`new unit '${u.code}' already exists`);
    // Old area codes stay (channels keep sending them): a new area needs a code of its own.
    if (u.area && areaCodes.has(u.area.code.toUpperCase())) unresolved.push(`new area '${u.area.code}' of unit '${u.code}' already exists`);
  }
  for (const e of ending) {
    const u = existing.get(e.unit);
    if (!u) unresolved.push(`unit '${e.unit}' (${e.how}) does not exist`);
    else if (!u.active) unresolved.push(`unit '${e.unit}' (${e.how}) has already ended`);
    for (const s of e.successors) if (!existsAfter(s)) unresolved.push(`unit '${e.unit}' would pass its work to '${s}', which would not exist`);
  }
  for (const r of plan.renames) if (!existsAfter(r.unit)) unresolved.push(`rename: unit '${r.unit}' would not exist`);

  const splitOf = new Map(plan.splits.map((s) => [s.unit, s]));
  const triageUnit = plan.triageUnit ?? org.triageUnit;
  if (!existsAfter(triageUnit)) unresolved.push(`the triage unit '${triageUnit}' would not exist: name a new triageUnit`);
  // One office (DOMAIN.md): its supervisors and administrators serve the whole organisation, and it
  // classifies what routing cannot place, so the triage queue is the office's.
  const kindAfter = (code: string) => fresh.get(code)?.kind ?? existing.get(code)?.kind;
  const offices = [...new Set([...org.units.map((u) => u.code), ...fresh.keys()])].filter((code) => existsAfter(code) && kindAfter(code) === 'office').sort();
  if (offices.length === 0) unresolved.push(`the plan would leave no unit of kind 'office': the office must go on, or pass to a new office unit`);
  if (offices.length > 1) {
    const kept = offices.filter((code) => !fresh.has(code));
    const hint = kept.length > 1 ? ` (${kept.join(', ')} already are: end all but one)` : kept.length === 1 ? '; end the old one' : '';
    unresolved.push(`the plan would leave ${offices.length} units of kind 'office' (${offices.join(', ')}): there is one office${hint}`);
  }
  const triageKind = kindAfter(triageUnit);
  if (existsAfter(triageUnit) && triageKind !== 'office') {
    unresolved.push(
      `the triage unit '${triageUnit}' is a unit of kind '${triageKind}': triage belongs to the office${offices.length === 1 ? ` ('${offices[0]}')` : ''}`,
    );
  }

  const moves: PlannedMove[] = [];
  for (const c of org.openCases) {
    const e = endingBy.get(c.unitCode);
    if (!e) continue;
    let to: string | null;
    let why: string = e.how;
    if (c.status === 'triage') {
      to = existsAfter(triageUnit) ? triageUnit : null;
      why = 'triage';
    } else if (e.how === 'split') {
      const s = splitOf.get(c.unitCode)!;
      const parts = [...s.into, ...(s.fallback ? [{ unit: s.fallback, streets: [], patterns: [] }] : [])];
      const named = org.areas.filter((a): a is typeof a & { name: string } => a.unitCode === c.unitCode && a.active && a.name !== undefined);
      const found = successorFor(parts, streetsOfAddress(c.address, named));
      to = found?.successor.unit ?? null;
      why = found?.byStreet ? 'split-street' : 'split-fallback';
    } else {
      to = e.successors[0] ?? null;
    }
    if (to === null) unresolved.push(`case ${c.trackingCode} at '${c.unitCode}' (${e.how}) has no successor`);
    moves.push({ caseId: c.id, trackingCode: c.trackingCode, status: c.status, from: c.unitCode, to, why });
  }

  const ruleTo = new Map(plan.rules.map((r) => [r.id, r.unit]));
  for (const r of plan.rules) {
    if (!org.rules.some((x) => x.id === r.id)) unresolved.push(`rule '${r.id}' does not exist`);
    else if (r.unit !== TO_WARD && !existsAfter(r.unit)) unresolved.push(`rule '${r.id}' would point at '${r.unit}', which would not exist`);
  }
  const rules: RuleChange[] = [];
  for (const r of org.rules) {
    const explicit = ruleTo.get(r.id);
    if (r.unit === null) {
      if (explicit) rules.push({ id: r.id, from: TO_WARD, to: explicit });
      continue;
    }
    const e = endingBy.get(r.unit);
    if (explicit) rules.push({ id: r.id, from: r.unit, to: explicit });
    else if (e) {
      // A rule follows a single successor; a split or a dissolution without one must be decided.
      const to = e.successors.length === 1 && e.how !== 'split' ? e.successors[0] : null;
      if (to === null)
        unresolved.push(`routing rule '${r.id}' points at '${r.unit}', which the plan ends (${e.how}) without one successor: re-point it in 'rules'`);
      rules.push({ id: r.id, from: r.unit, to });
    }
  }

  // Every unit that takes on work must be able to act on it from the first minute.
  const receiving = new Set<string>([
    ...plan.newUnits.map((u) => u.code),
    ...moves.flatMap((m) => (m.to ? [m.to] : [])),
    ...rules.flatMap((r) => (r.to && r.to !== TO_WARD ? [r.to] : [])),
  ]);
  const designationGaps: DesignationGap[] = [];
  for (const code of [...receiving].sort()) {
    const n = fresh.get(code);
    const u = existing.get(code);
    const hasHandler = n ? n.handler !== null : !!u?.handlerId;
    const hasLeader = n ? n.leader !== null : !!u?.leaderId;
    const missing = [...(hasHandler ? [] : ['handler' as const]), ...(hasLeader ? [] : ['leader' as const])];
    if (missing.length) {
      designationGaps.push({ unitCode: code, missing });
      unresolved.push(`unit '${code}' would have no designated ${missing.join(' or ')}`);
    }
  }
  return { moves, ending, designationGaps, rules, triageUnit, unresolved };
}

/** A split pattern's limits: it runs on every address citizens write, in the worker that routes. */
export const MAX_PATTERN_LENGTH = 200;
/** A split pattern's variable repetitions (`*`, `+`, `{m,n}`; an optional part `?` counts a quarter): see backtrackingRisk. */
export const MAX_PATTERN_REPETITIONS = 2;
/** What an optional part (`?`) counts towards MAX_PATTERN_REPETITIONS: see backtrackingRisk. */
const OPTIONAL_PART_WEIGHT = 0.25;

/**
 * Why a pattern could make a worker backtrack for seconds on one crafted address, or null: a
 * quantified group that itself holds a quantifier or an alternation (`(\w+\s?)+`, `(a|a)*`), more than
 * MAX_PATTERN_REPETITIONS parts repeated a variable number of times (`.*.*.*!`), or a back-reference.
 * Street patterns need none of them: a street is a word list with optional parts.
 */
export function backtrackingRisk(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (/\\[1-9]/.test(pattern)) return 'uses a back-reference, which can make matching take exponential time';
  // Strip escapes and character classes, then look for a group with a quantifier or `|` inside that is quantified itself.
  const bare = pattern.replace(/\\./g, 'x').replace(/\[(?:[^\]\\]|\\.)*\]/g, 'x');
  // Parts that repeat a variable number of times, anywhere: matching a few of them one after the other
  // (`.*.*.*.*.*.*!`, `\s*\d+\s*\d+\s*!`) on an address that fails tries every way to share it out among
  // them, a time growing with the length to the power of their number (a 58-character address held the API
  // for 20 s with six). Two is a street pattern's need (`[0-9]+ (ngo|ngach) [0-9]+`) and costs about
  // half a second at most on the longest address intake takes.
  // An optional part (`?`) doubles the ways where a repeated one multiplies them by up to the address's
  // length: uncounted, `.*.*a?a?a?a?!` held a worker 6 s on a 498-character address and forty `a?` before
  // forty `a` 2.4 s on forty characters. A quarter each keeps a street pattern's few optional words
  // (`^(so |ngo )?(ngach )?(hem )?\d+ (pho )?bach mai`) and no more than the cost of two repeated parts.
  const repeated = (bare.match(/[*+]|\{\d*,\d*\}/g) ?? []).length;
  const optional = [...bare].filter((ch, i) => ch === '?' && isQuantifierQuestionMark(bare, i)).length;
  const variable = repeated + optional * OPTIONAL_PART_WEIGHT;
  if (variable > MAX_PATTERN_REPETITIONS) {
    return `repeats ${repeated} parts a variable number of times and makes ${optional} optional (at most ${MAX_PATTERN_REPETITIONS} repeated: *, + and {m,n} each count, an optional part ? a quarter), which can make matching take a time growing with a high power of the address's length`;
  }
  const stack: { inner: boolean }[] = [];
  for (let i = 0; i < bare.length; i++) {
    const ch = bare[i];
    if (ch === '(') stack.push({ inner: false });
    else if (ch === ')') {
      const group = stack.pop();
      const next = bare[i + 1];
      const quantified = next === '*' || next === '+' || next === '{';
      if (group?.inner && quantified) return 'repeats a group that repeats or alternates inside, which can make matching take exponential time';
      if (group?.inner && stack.length) stack[stack.length - 1].inner = true;
      if (quantified && stack.length) stack[stack.length - 1].inner = true;
    } else if ((ch === '*' || ch === '+' || ch === '{' || ch === '|' || (ch === '?' && isQuantifierQuestionMark(bare, i))) && stack.length) {
      // An optional part inside a repeated group is a repetition too: `(a?a?)+!` took 13 s on 20 characters.
      stack[stack.length - 1].inner = true;
    }
  }
  return null;
}

/** Whether the `?` at `i` of a pattern stripped of escapes and classes makes a part optional: not `(?`, nor a lazy `*?`, `+?`, `??`, `}?`. */
function isQuantifierQuestionMark(bare: string, i: number): boolean {
  const before = bare[i - 1];
  return before !== undefined && !'(*+?}'.includes(before);
}
