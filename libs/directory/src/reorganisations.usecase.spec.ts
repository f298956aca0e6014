import { ReorganisationPlan, ValidationError } from '@fr/domain';
import { clashWithScheduled, readPlan, reasonKinds } from './reorganisations.usecase';

function plan(p: Partial<ReorganisationPlan>): ReorganisationPlan {
  return {
    name: 'p',
    effectiveAt: '2026-03-04T00:00:00+07:00',
    triageUnit: null,
    newUnits: [],
    merges: [],
    splits: [],
    renames: [],
    dissolutions: [],
    rules: [],
    ...p,
  };
}

const EARLY = '2026-03-04T00:01:30+07:00';
const LATE = '2026-03-04T00:02:30+07:00';
const aIntoB = { id: 'c', plan: plan({ name: 'C', effectiveAt: EARLY, merges: [{ into: 'P_B', from: ['P_A'] }] }) };

describe(clashWithScheduled.name, () => {
  it('refuses a plan that needs a unit an earlier plan ends, naming that plan', () => {
    const bIntoA = plan({ name: 'D', effectiveAt: LATE, merges: [{ into: 'P_A', from: ['P_B'] }] });
    expect(clashWithScheduled(bIntoA, [aIntoB])).toBe(
      `unit 'P_A' is ended by reorganisation c ('C', ${EARLY}), which applies first, and in this plan it takes in P_B (merge): this plan could never apply; cancel that plan (DELETE /v1/reorganisations/c), or leave the unit out of this one`,
    );
    const renamed = plan({ effectiveAt: EARLY, renames: [{ unit: 'P_A', name: 'Phường A mới', aliases: [] }] });
    // Of the same date, either may apply first.
    expect(clashWithScheduled(renamed, [aIntoB])).toContain("which may apply first (the same date), and in this plan it is renamed 'Phường A mới'");
  });

  it('refuses a plan that ends, before a later plan applies, a unit that plan needs', () => {
    const later = { id: 'd', plan: plan({ name: 'D', effectiveAt: LATE, rules: [{ id: 'to-b', unit: 'P_B' }] }) };
    const endsB = plan({ effectiveAt: EARLY, dissolutions: [{ unit: 'P_B', successor: 'P_C' }] });
    expect(clashWithScheduled(endsB, [later])).toBe(
      `this plan ends unit 'P_B' before reorganisation d ('D', ${LATE}), in which it is where rule 'to-b' points: that plan could never apply; date this plan after it, leave the unit out of this one, or cancel that plan (DELETE /v1/reorganisations/d)`,
    );
    // Dated after it, the later plan has applied by then.
    expect(clashWithScheduled({ ...endsB, effectiveAt: '2026-03-05T00:00:00+07:00' }, [later])).toBeNull();
  });

  it('refuses a split of a unit an earlier plan points a rule at, and the rule pointed at a unit a later plan splits', () => {
    const pointsAtA = { id: 'r', plan: plan({ name: 'R', effectiveAt: EARLY, rules: [{ id: 'education', unit: 'P_A' }] }) };
    const splitsA = plan({
      effectiveAt: LATE,
      splits: [{ unit: 'P_A', into: [{ unit: 'P_B', streets: [], patterns: ['ngoai de'] }], fallback: 'P_C' }],
    });
    expect(clashWithScheduled(splitsA, [pointsAtA])).toMatch(
      /^rule 'education' is pointed at 'P_A' by reorganisation r \('R', [^)]+\), which applies first, and this plan splits that unit/,
    );
    expect(clashWithScheduled(pointsAtA.plan, [{ id: 's', plan: splitsA }])).toMatch(/^this plan points rule 'education' at 'P_A', which reorganisation s/);
    // Pointed at a unit merged into one other: the merge's successor takes it.
    expect(clashWithScheduled(plan({ effectiveAt: LATE, merges: [{ into: 'P_B', from: ['P_A'] }] }), [pointsAtA])).toBeNull();
  });

  it('checks plans of one date both ways: their jobs race for the applier', () => {
    // Scheduled: P_A into P_B. Posted for the same instant: P_B dissolved into P_C, which would leave the merge nowhere to go.
    const endsB = plan({ effectiveAt: EARLY, dissolutions: [{ unit: 'P_B', successor: 'P_C' }] });
    expect(clashWithScheduled(endsB, [aIntoB])).toMatch(/^this plan ends unit 'P_B' perhaps before \(the same date\) reorganisation c/);
  });

  it('refuses a plan of the same date that renames a unit another renames, or re-points a rule another re-points: the last to apply would win', () => {
    const renamesA = { id: 'f', plan: plan({ name: 'F', effectiveAt: EARLY, renames: [{ unit: 'P_A', name: 'Phường A mới', aliases: [] }] }) };
    // The same instant written in another offset.
    const sameInstant = '2026-03-03T17:01:30Z';
    expect(clashWithScheduled(plan({ effectiveAt: sameInstant, renames: [{ unit: 'P_A', name: 'Phường Ánh Sáng', aliases: [] }] }), [renamesA])).toBe(
      `unit 'P_A' is already renamed by reorganisation f ('F', ${EARLY}), of the same date: the name it keeps would depend on which plan applies last; cancel that plan (DELETE /v1/reorganisations/f) and post it again changed, or leave the unit out of this one`,
    );
    // A later date renames it again, after the first.
    expect(clashWithScheduled(plan({ effectiveAt: LATE, renames: [{ unit: 'P_A', name: 'Phường Ánh Sáng', aliases: [] }] }), [renamesA])).toBeNull();
    const pointsAtB = { id: 'g', plan: plan({ name: 'G', effectiveAt: EARLY, rules: [{ id: 'education', unit: 'P_B' }] }) };
    expect(clashWithScheduled(plan({ effectiveAt: EARLY, rules: [{ id: 'education', unit: 'P_C' }] }), [pointsAtB])).toBe(
      `rule 'education' is already re-pointed by reorganisation g ('G', ${EARLY}), of the same date: where it points would depend on which plan applies last; cancel that plan (DELETE /v1/reorganisations/g) and post it again changed, or leave the rule out of this one`,
    );
    expect(clashWithScheduled(plan({ effectiveAt: LATE, rules: [{ id: 'education', unit: 'P_C' }] }), [pointsAtB])).toBeNull();
    // Renamed and ended at the same instant: already refused, both ways.
    const endsA = plan({ effectiveAt: EARLY, dissolutions: [{ unit: 'P_A', successor: 'P_C' }] });
    expect(clashWithScheduled(endsA, [renamesA])).toMatch(
      /^this plan ends unit 'P_A' perhaps before \(the same date\) reorganisation f .*in which it is renamed/,
    );
  });

  it('refuses a new area or focal account another plan makes, and lets independent plans be', () => {
    const newUnit = (code: string, area: string, username: string) => ({
      code,
      name: code,
      kind: 'ward' as const,
      aliases: [],
      handler: { username, fullName: 'H' },
      leader: null,
      area: { code: area, name: area, match: [], streets: [] },
    });
    const first = { id: 'e', plan: plan({ name: 'E', newUnits: [newUnit('P_N', 'N', 'n.handler')] }) };
    expect(clashWithScheduled(plan({ newUnits: [newUnit('P_M', 'n', 'm.handler')] }), [first])).toContain("new area 'N' is already made by reorganisation e");
    expect(clashWithScheduled(plan({ newUnits: [newUnit('P_M', 'M', 'N.Handler')] }), [first])).toContain(
      "username 'n.handler' is already named for a new focal point by reorganisation e",
    );
    expect(clashWithScheduled(plan({ merges: [{ into: 'P_D', from: ['P_E'] }] }), [aIntoB, first])).toBeNull();
  });
});

describe(reasonKinds.name, () => {
  it('reads reasons that differ only by the case they name alike, and others apart', () => {
    const a = ["case 7KM3Q-9X2AB at 'P_A' (split) has no successor", "rule 'r' would point at 'P_A', which would not exist"];
    const b = ["case 8AB2C-1XYZW at 'P_A' (split) has no successor", "case 9QWER-2TYUP at 'P_A' (split) has no successor", a[1]];
    expect(reasonKinds(b)).toBe(reasonKinds(a));
    expect(reasonKinds([a[1]])).not.toBe(reasonKinds(a));
  });
});

describe(readPlan.name, () => {
  it('names each field of a refused plan as the validation pipe does, without the colon a problem writes after it', () => {
    const body = {
      name: 'x',
      effectiveAt: '2027-01-01T00:00:00+07:00',
      splits: [{ unit: 'P_A', into: [{ unit: 'P_B', patterns: ['(a+)+$'] }], fallback: 'P_C' }],
    };
    let error: unknown;
    try {
      readPlan(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fields).toEqual(['splits[0].into[0].patterns', 'splits[0].into']);
  });

  it('gives each field of a refused plan its own problems, and the message every problem as written', () => {
    let error: unknown;
    try {
      readPlan({ name: '', effectiveAt: 'nope', renames: [{ unitCode: 'X' }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const refused = error as ValidationError;
    const problems = [
      "plan.effectiveAt must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00, got 'nope'",
      'plan.name is required',
      'plan.renames[0].unitCode is not a field of a plan here (known: unit, name, aliases)',
      'plan.renames[0].unit is required',
      'plan.renames[0].name is required',
    ];
    expect(refused.message).toBe(problems.join('; '));
    expect(refused.fields).toEqual(['effectiveAt', 'name', 'renames[0].unitCode', 'renames[0].unit', 'renames[0].name']);
    expect([...refused.problemsOf!]).toEqual(refused.fields.map((field, i) => [field, [problems[i]]]));
  });
});
