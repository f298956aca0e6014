import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The SLA of a chaos run, in minutes of 24/7 working time, so deadlines fall due while the run lasts. */
export interface ChaosSla {
  /** Receive stage; the warning falls at 75% of it (1 minute: the warning at 45 s, level 1 at the deadline). */
  receiveMinutes: number;
  level2AfterMinutes: number;
  level3AfterMinutes: number;
}

export const CHAOS_SLA: ChaosSla = { receiveMinutes: 1, level2AfterMinutes: 1, level3AfterMinutes: 2 };

const ALL_DAY = '["00:00-24:00"]';

/**
 * A copy of `sourceDir` (config/) for one run, in `targetDir`: the organisation, routing, categories
 * and channels as they are, but working time around the clock (every day 00:00-24:00, no days off)
 * and an SLA of minutes, so escalations fall due during the run whatever the wall-clock time.
 */
export function writeChaosConfig(sourceDir: string, targetDir: string, sla: ChaosSla = CHAOS_SLA): void {
  cpSync(sourceDir, targetDir, { recursive: true });
  const calendars = join(targetDir, 'calendars');
  for (const file of readdirSync(calendars)) {
    const year = /^(\d{4})\.ya?ml$/.exec(file)?.[1];
    if (!year) continue;
    rmSync(join(calendars, file));
    writeFileSync(
      join(calendars, `${year}.yaml`),
      [
        `# Chaos run: working time around the clock, so minute-long deadlines fall due during the run.`,
        `year: ${year}`,
        `timezone: Asia/Ho_Chi_Minh`,
        `officeHours:`,
        ...['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `  ${d}: ${ALL_DAY}`),
        `daysOff: []`,
        `extraWorkingDays: []`,
        ``,
      ].join('\n'),
    );
  }
  writeFileSync(
    join(targetDir, 'sla.yaml'),
    [
      `# Chaos run: minutes of 24/7 working time, so every level of the ladder falls due within minutes.`,
      `receive: { minutes: ${sla.receiveMinutes} }`,
      `resolve:`,
      `  urgent: { minutes: 60 }`,
      `  normal: { minutes: 120 }`,
      `  complex: { minutes: 240 }`,
      `warnAt: 0.75`,
      `extension: { maxCount: 1, maxShareOfOriginal: 1.0 }`,
      `autoCloseDays: 7`,
      `lowRating: 2`,
      `escalation:`,
      `  levels:`,
      `    - { level: warn, notify: [handler] }`,
      `    - { level: 1, afterDue: { minutes: 0 }, notify: [handler, leader] }`,
      `    - { level: 2, afterDue: { minutes: ${sla.level2AfterMinutes} }, notify: [supervisors] }`,
      `    - { level: 3, afterDue: { minutes: ${sla.level3AfterMinutes} }, notify: [supervisors, auditors] }`,
      `overrides: []`,
      ``,
    ].join('\n'),
  );
}
