import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fr/config';
import { jobIdFor, JobName } from '@fr/queue';
import { defaultLadder, ladderTimes, parseEscalationLadder } from './escalation-ladder';
import { slaTimerMessages, slaTimerPayload } from './schedule-sla-timers';
import type { SlaService } from './sla.service';
import { loadCalendar, loadSlaPolicy } from './sla-policy';

const CONFIG_DIR = join(__dirname, '../../../config');
const calendar = loadCalendar(CONFIG_DIR);
const policy = loadSlaPolicy(CONFIG_DIR, calendar.dayMinutes);

const vn = (text: string) => new Date(`${text.replace(' ', 'T')}:00+07:00`);
const show = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().replace('T', ' ').slice(0, 16);

function times(due: string, warn: string | null = null) {
  const r = ladderTimes(calendar, policy.escalation, { dueAt: vn(due), warnAt: warn ? vn(warn) : null });
  return Object.fromEntries(r.map(({ rung, fireAt }) => [rung.level, show(fireAt)]));
}

describe('escalation ladder', () => {
  it("loads DOMAIN.md's default ladder from config/sla.yaml", () => {
    expect(policy.escalation.map((r) => [r.level, r.afterDueMinutes, r.notify])).toEqual([
      ['warn', null, ['handler']],
      ['1', 0, ['handler', 'leader']],
      ['2', 480, ['supervisors']],
      ['3', 1440, ['supervisors', 'auditors']],
    ]);
    expect(policy.escalation.map((r) => [r.level, r.afterDueMinutes, r.notify])).toEqual(defaultLadder(480).map((r) => [r.level, r.afterDueMinutes, r.notify]));
  });

  it('fires warn at warnAt, level 1 at the deadline itself and later levels in working days past it', () => {
    // Friday 17:00: the deadline is breached at 17:00, not at Monday's opening; +1 working day is Monday 17:00.
    expect(times('2026-11-27 17:00', '2026-11-27 15:00')).toEqual({
      warn: '2026-11-27 15:00',
      '1': '2026-11-27 17:00',
      '2': '2026-11-30 17:00',
      '3': '2026-12-02 17:00',
    });
    // A deadline at the lunch break keeps its time of day.
    expect(times('2026-12-01 12:00', '2026-12-01 09:00')).toMatchObject({ '1': '2026-12-01 12:00', '2': '2026-12-02 12:00', '3': '2026-12-04 12:00' });
  });

  it('skips days off: a deadline before Tết 2026 escalates after the break', () => {
    expect(times('2026-02-13 10:30', '2026-02-13 08:30')).toMatchObject({
      '1': '2026-02-13 10:30',
      '2': '2026-02-23 10:30',
      '3': '2026-02-25 10:30',
    });
  });

  it('leaves warn out when the stage has no warning time', () => {
    expect(Object.keys(times('2026-11-27 17:00'))).toEqual(['1', '2', '3']);
  });

  it('names each timer by case, stage run, level and deadline, without a colon', () => {
    const run = { caseId: '6f1c1f3e-2b7a-4c1e-9a53-2d3f6a7b8c9d', stage: 'resolve' as const, stageStartedAt: vn('2026-11-23 08:00'), warnAt: null };
    const a = jobIdFor(JobName.SlaTimer, slaTimerPayload({ ...run, dueAt: vn('2026-11-27 17:00') }, '1'));
    const moved = jobIdFor(JobName.SlaTimer, slaTimerPayload({ ...run, dueAt: vn('2026-11-30 10:00') }, '1'));
    const rerun = jobIdFor(JobName.SlaTimer, slaTimerPayload({ ...run, stageStartedAt: vn('2026-11-24 08:00'), dueAt: vn('2026-11-27 17:00') }, '1'));
    expect(a).toBe(`sla-timer.${run.caseId}.resolve.${vn('2026-11-23 08:00').getTime()}.1.${vn('2026-11-27 17:00').getTime()}`);
    expect(a).not.toContain(':');
    expect(a.length).toBeLessThanOrEqual(120);
    expect(new Set([a, moved, rerun]).size).toBe(3);
  });

  it("schedules only a stage run's next level: the first of the ladder it has not reached", () => {
    const sla = { calendarFor: () => calendar, policy } as unknown as SlaService;
    const run = { caseId: '6f1c1f3e-2b7a-4c1e-9a53-2d3f6a7b8c9d', stage: 'receive' as const, stageStartedAt: vn('2026-11-27 08:00') };
    const due = { ...run, dueAt: vn('2026-11-27 17:00'), warnAt: vn('2026-11-27 15:00') };
    const now = vn('2026-11-27 09:00').getTime();
    const next = (r: Parameters<typeof slaTimerMessages>[1], done: string[] = []) =>
      slaTimerMessages(sla, r, new Set(done), now).map((m) => [m.jobId, m.delayMs]);
    const jobId = (level: string) => jobIdFor(JobName.SlaTimer, slaTimerPayload(due, level));
    expect(next(due)).toEqual([[jobId('warn'), 6 * 3_600_000]]);
    expect(next(due, ['warn'])).toEqual([[jobId('1'), 8 * 3_600_000]]);
    expect(next(due, ['warn', '1'])).toEqual([[jobId('2'), vn('2026-11-30 17:00').getTime() - now]]);
    // A level left behind (its timer lost) comes first again; nothing after the last; nothing while paused.
    expect(next(due, ['1'])).toEqual([[jobId('warn'), 6 * 3_600_000]]);
    expect(next(due, ['warn', '1', '2', '3'])).toEqual([]);
    expect(next({ ...due, warnAt: null })).toEqual([[jobId('1'), 8 * 3_600_000]]);
    expect(next({ ...run, dueAt: null, warnAt: null })).toEqual([]);
  });

  describe('validation of sla.yaml escalation', () => {
    const problems = (doc: unknown) => {
      const list: string[] = [];
      parseEscalationLadder(doc, 480, list);
      return list;
    };

    it("words a level without a label by its own afterDue, not by DOMAIN.md's default times", () => {
      // Supervisors read the title: a deployment moving level 2 to two days must not tell them "1 day".
      const list: string[] = [];
      const ladder = parseEscalationLadder(
        {
          levels: [
            { level: 1, afterDue: { days: 0 }, notify: ['leader'] },
            { level: 2, afterDue: { days: 2 }, notify: ['supervisors'] },
            { level: 3, afterDue: { hours: 20 }, notify: ['auditors'] },
          ],
        },
        480,
        list,
      );
      expect(list).toEqual([]);
      expect(ladder.map((r) => r.label)).toEqual(['Quá hạn', 'Quá hạn 2 ngày làm việc', 'Quá hạn 20 giờ làm việc']);
      expect(defaultLadder(480).map((r) => r.label)).toEqual(['Sắp quá hạn', 'Quá hạn', 'Quá hạn 1 ngày làm việc', 'Quá hạn 3 ngày làm việc']);
      const minutes = parseEscalationLadder({ levels: [{ level: 2, afterDue: { minutes: 90 }, notify: ['supervisors'] }] }, 480, list);
      expect(minutes[0].label).toBe('Quá hạn 90 phút làm việc');
    });

    it('accepts a ladder without some levels, and keeps level order', () => {
      const list: string[] = [];
      const ladder = parseEscalationLadder(
        {
          levels: [
            { level: 2, afterDue: { hours: 4 }, notify: ['supervisors'] },
            { level: 1, afterDue: {}, notify: ['leader'] },
          ],
        },
        480,
        list,
      );
      expect(list).toEqual([]);
      expect(ladder.map((r) => [r.level, r.afterDueMinutes])).toEqual([
        ['1', 0],
        ['2', 240],
      ]);
    });

    it.each([
      [{ levels: [] }, /escalation.levels must be a non-empty list/],
      [[{ level: 1 }], /escalation.levels must be a non-empty list/],
      [{ levels: [{ level: 4, afterDue: { days: 1 }, notify: ['leader'] }] }, /levels\[0\].level must be one of warn, 1, 2, 3, got 4/],
      [{ levels: [{ level: 1, notify: ['leader'] }] }, /levels\[0\].afterDue is required for level 1/],
      [{ levels: [{ level: 'warn', afterDue: { days: 0 }, notify: ['handler'] }] }, /warn fires when warnAt .* takes no afterDue/],
      [{ levels: [{ level: 1, afterDue: { days: -1 }, notify: ['leader'] }] }, /afterDue.days must be a number >= 0/],
      [{ levels: [{ level: 1, afterDue: { weeks: 1 }, notify: ['leader'] }] }, /afterDue has unknown keys weeks/],
      [{ levels: [{ level: 1, afterDue: { days: 0 }, notify: ['mayor'] }] }, /notify has unknown recipients "mayor"/],
      [{ levels: [{ level: 1, afterDue: { days: 0 }, notify: [] }] }, /notify must be a non-empty list/],
      [
        {
          levels: [
            { level: 1, afterDue: { days: 0 }, notify: ['leader'] },
            { level: 1, afterDue: { days: 1 }, notify: ['leader'] },
          ],
        },
        /level 1 is listed twice/,
      ],
      [
        {
          levels: [
            { level: 1, afterDue: { days: 2 }, notify: ['leader'] },
            { level: 2, afterDue: { days: 1 }, notify: ['supervisors'] },
          ],
        },
        /level 2 must fire later than level 1/,
      ],
    ])('refuses %j', (doc, message) => {
      expect(problems(doc).join('\n')).toMatch(message);
    });

    it('reports every problem of sla.yaml at once, naming the file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'fr-sla-'));
      try {
        writeFileSync(
          join(dir, 'sla.yaml'),
          'receive: { hours: 8 }\nresolve: { urgent: { hours: 4 }, normal: { days: 5 }, complex: { days: 15 } }\n' +
            'escalation:\n  levels:\n    - { level: 1, notify: [leader] }\n    - { level: 2, afterDue: { days: 1 }, notify: [boss] }\n',
        );
        let error: unknown;
        try {
          loadSlaPolicy(dir, 480);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const text = (error as ConfigError).problems.join('\n');
        expect(text).toContain(`${dir}/sla.yaml escalation.levels[0].afterDue is required for level 1`);
        expect(text).toContain(`${dir}/sla.yaml escalation.levels[1].notify has unknown recipients "boss"`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
