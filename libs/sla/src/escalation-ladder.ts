import type { WorkingCalendar, WorkingDuration } from '@fr/domain';

/** `warn` when a share of the stage's working time is used; 1..3 at and past the deadline. */
export type EscalationLevel = 'warn' | '1' | '2' | '3';
export const ESCALATION_LEVELS: readonly EscalationLevel[] = ['warn', '1', '2', '3'];

/**
 * Who is told, resolved to people when the level fires: the case's handler, the case's unit leader,
 * every active SUPERVISOR (the office), every active AUDITOR (Home Affairs).
 */
export type EscalationRecipient = 'handler' | 'leader' | 'supervisors' | 'auditors';
export const ESCALATION_RECIPIENTS: readonly EscalationRecipient[] = ['handler', 'leader', 'supervisors', 'auditors'];

export interface EscalationRung {
  level: EscalationLevel;
  /**
   * Working minutes past the stage deadline, with days counted as the district's; null for `warn`, which
   * fires at the stage's warnAt.
   */
  afterDueMinutes: number | null;
  /**
   * The same as written, days apart: "1 working day past" is a day of the calendar that counts the case
   * (a unit's own may be 7.5 hours long). Absent: `afterDueMinutes` is all minutes.
   */
  afterDue?: { minutes: number; days: number };
  notify: EscalationRecipient[];
  /** Short user-facing words for the level, used in notification titles. */
  label: string;
}

/** The rungs a deployment uses, in level order; a level may be left out. */
export type EscalationLadder = readonly EscalationRung[];

export const DEFAULT_LABELS: Record<EscalationLevel, string> = {
  warn: 'Sắp quá hạn',
  '1': 'Quá hạn',
  '2': 'Quá hạn 1 ngày làm việc',
  '3': 'Quá hạn 3 ngày làm việc',
};

/**
 * The words of a level sla.yaml gives no label: DOMAIN.md's for warn, and for a numbered level the time
 * past the deadline it is actually set to, so a ladder moved to other times does not tell "1 day" late.
 */
export function defaultLabel(level: EscalationLevel, afterDueMinutes: number | null, dayMinutes: number): string {
  if (afterDueMinutes === null || afterDueMinutes <= 0) return DEFAULT_LABELS[level === 'warn' ? 'warn' : '1'];
  if (dayMinutes > 0 && afterDueMinutes % dayMinutes === 0) return `Quá hạn ${afterDueMinutes / dayMinutes} ngày làm việc`;
  if (afterDueMinutes % 60 === 0) return `Quá hạn ${afterDueMinutes / 60} giờ làm việc`;
  return `Quá hạn ${afterDueMinutes} phút làm việc`;
}

/** DOMAIN.md's default ladder, used when sla.yaml has no `escalation` section. */
export function defaultLadder(dayMinutes: number): EscalationLadder {
  return [
    { level: 'warn', afterDueMinutes: null, notify: ['handler'], label: DEFAULT_LABELS.warn },
    { level: '1', afterDueMinutes: 0, notify: ['handler', 'leader'], label: DEFAULT_LABELS['1'] },
    { level: '2', afterDueMinutes: dayMinutes, afterDue: { minutes: 0, days: 1 }, notify: ['supervisors'], label: DEFAULT_LABELS['2'] },
    { level: '3', afterDueMinutes: 3 * dayMinutes, afterDue: { minutes: 0, days: 3 }, notify: ['supervisors', 'auditors'], label: DEFAULT_LABELS['3'] },
  ];
}

function durationParts(v: unknown, where: string, problems: string[]): { minutes: number; days: number } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${where} must be { minutes | hours | days }, e.g. { days: 1 }`);
    return { minutes: 0, days: 0 };
  }
  const d = v as Record<string, unknown>;
  const unknown = Object.keys(d).filter((k) => !['minutes', 'hours', 'days'].includes(k));
  if (unknown.length) problems.push(`${where} has unknown keys ${unknown.join(', ')} (use minutes, hours, days)`);
  const parts = { minutes: 0, days: 0 };
  for (const [key, factor] of [
    ['minutes', 1],
    ['hours', 60],
    ['days', 1],
  ] as const) {
    if (d[key] === undefined) continue;
    const n = d[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      problems.push(`${where}.${key} must be a number >= 0, got ${JSON.stringify(n)}`);
      continue;
    }
    if (key === 'days') parts.days += n;
    else parts.minutes += n * factor;
  }
  return parts;
}

/**
 * Reads sla.yaml's `escalation` section:
 * ```yaml
 * escalation:
 *   levels:
 *     - { level: warn, notify: [handler] }
 *     - { level: 1, afterDue: { days: 0 }, notify: [handler, leader] }
 * ```
 * Problems are appended to `problems` (prefixed with the place) so the loader reports them all.
 */
export function parseEscalationLadder(doc: unknown, dayMinutes: number, problems: string[]): EscalationLadder {
  if (doc === undefined || doc === null) return defaultLadder(dayMinutes);
  const where = 'sla.yaml escalation.levels';
  const levels = typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).levels : undefined;
  if (!Array.isArray(levels) || levels.length === 0) {
    problems.push(`${where} must be a non-empty list, e.g. - { level: 1, afterDue: { days: 0 }, notify: [handler, leader] }`);
    return [];
  }
  const extra = Object.keys(doc as object).filter((k) => k !== 'levels');
  if (extra.length) problems.push(`sla.yaml escalation has unknown keys ${extra.join(', ')} (only levels)`);
  const rungs: EscalationRung[] = [];
  const seen = new Set<string>();
  levels.forEach((raw, i) => {
    const at = `${where}[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${at} must be a map with level, notify and (except for warn) afterDue`);
      return;
    }
    const r = raw as Record<string, unknown>;
    const unknown = Object.keys(r).filter((k) => !['level', 'afterDue', 'notify', 'label'].includes(k));
    if (unknown.length) problems.push(`${at} has unknown keys ${unknown.join(', ')} (use level, afterDue, notify, label)`);
    const level = String(r.level) as EscalationLevel;
    if (!ESCALATION_LEVELS.includes(level)) {
      problems.push(`${at}.level must be one of ${ESCALATION_LEVELS.join(', ')}, got ${JSON.stringify(r.level)}`);
      return;
    }
    if (seen.has(level)) problems.push(`${at}.level ${level} is listed twice`);
    seen.add(level);
    let afterDueMinutes: number | null = null;
    let afterDue: { minutes: number; days: number } | undefined;
    if (level === 'warn') {
      if (r.afterDue !== undefined) problems.push(`${at}: warn fires when warnAt of the stage's working time is used; it takes no afterDue`);
    } else if (r.afterDue === undefined) {
      problems.push(`${at}.afterDue is required for level ${level} (working time past the deadline, e.g. { days: 1 })`);
    } else {
      afterDue = durationParts(r.afterDue, `${at}.afterDue`, problems);
      afterDueMinutes = afterDue.minutes + afterDue.days * dayMinutes;
    }
    const notify = r.notify;
    if (!Array.isArray(notify) || notify.length === 0) {
      problems.push(`${at}.notify must be a non-empty list of ${ESCALATION_RECIPIENTS.join(', ')}`);
    } else {
      const bad = notify.filter((n) => !ESCALATION_RECIPIENTS.includes(n as EscalationRecipient));
      if (bad.length)
        problems.push(`${at}.notify has unknown recipients ${bad.map((b) => JSON.stringify(b)).join(', ')} (use ${ESCALATION_RECIPIENTS.join(', ')})`);
    }
    if (r.label !== undefined && (typeof r.label !== 'string' || r.label.trim() === '' || r.label.length > 80)) {
      problems.push(`${at}.label must be a text of 1 to 80 characters`);
    }
    rungs.push({
      level,
      afterDueMinutes,
      ...(afterDue ? { afterDue } : {}),
      notify: Array.isArray(notify) ? [...new Set(notify as EscalationRecipient[])] : [],
      label: typeof r.label === 'string' && r.label.trim() ? r.label.trim() : defaultLabel(level, afterDueMinutes, dayMinutes),
    });
  });
  rungs.sort((a, b) => ESCALATION_LEVELS.indexOf(a.level) - ESCALATION_LEVELS.indexOf(b.level));
  const numbered = rungs.filter((r) => r.afterDueMinutes !== null);
  for (let i = 1; i < numbered.length; i++) {
    if (numbered[i].afterDueMinutes! <= numbered[i - 1].afterDueMinutes!) {
      problems.push(`${where}: level ${numbered[i].level} must fire later than level ${numbered[i - 1].level} (afterDue must grow with the level)`);
    }
  }
  return rungs;
}

/** The deadlines a ladder refers to: a stage's dueAt and its warning time. */
export interface StageDeadlines {
  dueAt: Date;
  warnAt: Date | null;
}

/**
 * When one rung fires. Level 1 with no delay is the deadline itself (not the next opening after it:
 * a 17:00 deadline is breached at 17:00); later levels count working time from the deadline, so
 * "1 working day past" a Friday 17:00 deadline is Monday 17:00. Null when `warn` has no warning time.
 */
export function rungFireAt(calendar: WorkingCalendar, rung: EscalationRung, d: StageDeadlines): Date | null {
  if (rung.afterDueMinutes === null) return d.warnAt;
  if (rung.afterDueMinutes === 0) return d.dueAt;
  const after: WorkingDuration = rung.afterDue ?? { minutes: rung.afterDueMinutes };
  return calendar.add(d.dueAt, after);
}

/** Every rung with its firing time, in level order. */
export function ladderTimes(calendar: WorkingCalendar, ladder: EscalationLadder, d: StageDeadlines): { rung: EscalationRung; fireAt: Date }[] {
  return ladder.flatMap((rung) => {
    const fireAt = rungFireAt(calendar, rung, d);
    return fireAt ? [{ rung, fireAt }] : [];
  });
}
