import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fr/config';
import { loadComplianceConfig, loadComplianceFile } from './compliance-config';
import { parseTarget } from './targets';

describe(loadComplianceConfig.name, () => {
  it("reads config/compliance.yaml: the directive's four targets, inactive, and the leader-then-supervisors ladder", () => {
    const c = loadComplianceConfig(join(__dirname, '../../../config'), 480);
    expect(c.targets.map((t) => [t.id, t.kind, t.active])).toEqual([
      ['focal-points', 'designation', false],
      ['staff-onboarding', 'staff_onboarding', false],
      ['ward-adoption', 'ward_adoption', false],
      ['notices-every-3-days', 'notice_cadence', false],
    ]);
    // "by 10/7": through the end of 10 July in Hanoi.
    expect(c.targets[0].dueAt).toEqual(new Date('2024-07-10T17:00:00Z'));
    expect(c.targets[3]).toMatchObject({ everyDays: 3, startsAt: new Date('2024-06-30T17:00:00Z'), unitKinds: ['department', 'ward'] });
    expect(c.ladder.map((r) => [r.level, r.afterDueMinutes, r.notify])).toEqual([
      ['1', 0, ['leader']],
      ['2', 480, ['supervisors']],
    ]);
  });

  it('uses the default ladder and no targets when a deployment has no compliance.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-compliance-'));
    try {
      expect(loadComplianceConfig(dir, 480)).toMatchObject({ targets: [], ladder: [{ level: '1' }, { level: '2' }] });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reports every problem of a broken file with its place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-compliance-'));
    const path = join(dir, 'compliance.yaml');
    try {
      writeFileSync(
        path,
        [
          'escalation: { levels: [{ level: warn, notify: [leader] }] }',
          'targets:',
          '  - { id: a, kind: staff_onboarding, name: A }',
          '  - { id: a, kind: notice_cadence, name: B, startsAt: "2026-02-30", everyDays: 3 }',
          'extra: 1',
        ].join('\n'),
      );
      let error: unknown;
      try {
        loadComplianceFile(path, 480);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `${path}: unknown keys extra (use escalation, targets)`,
        `${path}: escalation.levels: warn is for case stages; a target has numbered levels only`,
        `${path}: targets[0].dueAt is required for a staff_onboarding target (its deadline)`,
        `${path}: targets[1].startsAt '2026-02-30' is not a real date`,
      ]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('still starts on a file an earlier version took: a start on a dated target and a target for no unit judge nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-compliance-'));
    const path = join(dir, 'compliance.yaml');
    try {
      writeFileSync(
        path,
        [
          'targets:',
          "  - { id: focal-points, kind: designation, name: x, dueAt: '2024-07-10', startsAt: '2024-07-01', unitKinds: [ward] }",
          "  - { id: t2, kind: designation, name: y, dueAt: '2024-07-10', unitKinds: [] }",
        ].join('\n'),
      );
      expect(loadComplianceFile(path, 480).targets.map((t) => t.id)).toEqual(['focal-points', 't2']);
      // The API refuses both (400), as it does every field of another kind.
      expect(parseTarget({ id: 'x', kind: 'designation', name: 'x', dueAt: '2024-07-10', startsAt: '2024-07-01', unitKinds: ['ward'] }).problems).toHaveLength(
        1,
      );
      expect(parseTarget({ id: 'y', kind: 'designation', name: 'y', dueAt: '2024-07-10', unitKinds: [] }).problems).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe(parseTarget.name, () => {
  it('takes a date-time as an exact instant and names each field a kind does not take', () => {
    expect(parseTarget({ id: 'x', kind: 'designation', name: 'X', dueAt: '2026-07-10T12:00:00+07:00' }).target?.dueAt).toEqual(
      new Date('2026-07-10T05:00:00Z'),
    );
    // As the API reads dates: Date.parse rolled 30 February over to 2 March.
    expect(parseTarget({ id: 'x', kind: 'designation', name: 'X', dueAt: '2026-02-30T10:00:00+07:00' }).problems).toEqual([
      "dueAt '2026-02-30T10:00:00+07:00' is not a real date and time",
    ]);
    expect(parseTarget({ id: 'x', kind: 'designation', name: 'X', dueAt: '2100-01-01' }).problems).toEqual([
      "dueAt must be between the years 2000 and 2099, got '2100-01-01'",
    ]);
    expect(parseTarget({ id: 'x', kind: 'designation', name: 'X', dueAt: '2026-07-10', everyDays: 3, thresholdPercent: 50 }).problems).toEqual([
      'everyDays is taken only by a notice_cadence target',
      'thresholdPercent is taken only by staff_onboarding and ward_adoption targets',
    ]);
    // Only wards report adoption: a ward_adoption target on departments could never be met.
    expect(parseTarget({ id: 'x', kind: 'ward_adoption', name: 'X', dueAt: '2026-08-30', unitKinds: ['department', 'ward'] }).problems).toEqual([
      "unitKinds of a ward_adoption target must be ['ward']: adoption figures are a ward's residents",
    ]);
    expect(parseTarget({ id: 'x', kind: 'ward_adoption', name: 'X', dueAt: '2026-08-30' }).target?.unitKinds).toEqual(['ward']);
    expect(parseTarget({ id: 'Bad Id', kind: 'notice_cadence', name: 'X', dueAt: '2026-07-10', startsAt: 'soon', everyDays: 3 }).problems).toEqual([
      "id must be 1-40 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit",
      "startsAt must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00, got 'soon'",
      'dueAt is not taken by a notice_cadence target: its deadlines follow each notice',
    ]);
  });
});
