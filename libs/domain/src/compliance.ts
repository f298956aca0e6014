import { DAY_MS, VIETNAM_UTC_OFFSET_MS } from './calendar/working-calendar';

/**
 * The directive's targets and how a unit stands against each (the board Home Affairs watches). Pure:
 * the facts come in, a status with its dates comes out; "now" is always a parameter.
 *
 * - designation: the unit's focal points (1 leader, 1 handler) are designated, active, and have
 *   logged in at least once (their admin accounts are in use), by the deadline;
 * - staff_onboarding / ward_adoption: the latest reported share of staff (adults, for a ward's
 *   residents) with an account reaches the threshold by the deadline;
 * - notice_cadence: at least one notice every N calendar days (Vietnam's days) from the start.
 */
export const TARGET_KINDS = ['designation', 'staff_onboarding', 'ward_adoption', 'notice_cadence'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const BOARD_STATUSES = ['on_track', 'at_risk', 'late'] as const;
export type BoardStatus = (typeof BOARD_STATUSES)[number];

export const UNIT_KINDS = ['office', 'department', 'ward', 'police'] as const;

/** "an office", "a ward", "a police unit": a unit's kind in a message ("is a office" read as a slip). */
export function aUnitKind(kind: string): string {
  const noun = kind === 'police' ? 'police unit' : kind;
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

export interface ComplianceTarget {
  id: string;
  kind: TargetKind;
  name: string;
  /** Dated targets: the end of the last day allowed (exclusive instant). */
  dueAt: Date | null;
  /** notice_cadence: notices are counted from this instant's day on. */
  startsAt: Date | null;
  /** staff_onboarding, ward_adoption: the share to reach, in percent. */
  thresholdPercent: number | null;
  /** notice_cadence: the longest allowed run of days from one notice to the next. */
  everyDays: number | null;
  /**
   * How many days before its deadline an unmet target turns from on track to at risk. Omitted: at
   * once for a dated target (any shortfall before the deadline is a risk), never for a cadence
   * (each notice restarts the count, and the last day of a period is still on time).
   */
  atRiskDays: number | null;
  /** Units of these kinds, unless unitCodes lists the units. */
  unitKinds: string[];
  unitCodes: string[] | null;
  active: boolean;
}

export interface TargetUnit {
  code: string;
  kind: string;
}

/** Whether a target concerns a unit. */
export function targetAppliesTo(t: Pick<ComplianceTarget, 'unitKinds' | 'unitCodes'>, u: TargetUnit): boolean {
  if (t.unitCodes && t.unitCodes.length > 0) return t.unitCodes.includes(u.code);
  return t.unitKinds.includes(u.kind);
}

/** How one unit stands against one target at one instant. */
export interface TargetStanding {
  status: BoardStatus;
  /** Percent for head counts, activated focal points (0..2) for designation, days since the last notice for a cadence; null when nothing was reported. */
  value: number | null;
  /** What value must reach (percent, 2, or at most N days). */
  target: number;
  /** The deadline in force: the target's, or a cadence's next one. Exclusive instant. */
  dueAt: Date | null;
  /** Whether the target is reached now (a cadence: whether the current period is within its days). */
  met: boolean;
  /** Since when it has been reached without a break; null while it is not. */
  metAt: Date | null;
}

/** A head count as reported: `asOf` is the instant it describes (a date is that day's start). */
export interface FigureFact {
  asOf: Date;
  total: number;
  withAccount: number;
  /**
   * When the figure became known to the board: a unit's own report when it was made (a report made
   * after the deadline, dated back before it, does not meet the deadline); the office's import as of
   * its date. Absent: as of its date.
   */
  knownAt?: Date;
}

const knownAt = (r: FigureFact) => new Date(Math.max(r.asOf.getTime(), (r.knownAt ?? r.asOf).getTime()));

export function percent(withAccount: number, total: number): number {
  return Math.round((withAccount / total) * 10000) / 100;
}

function beforeDeadlineStatus(at: Date, dueAt: Date, atRiskDays: number | null): BoardStatus {
  if (atRiskDays === null) return 'at_risk';
  return at.getTime() >= dueAt.getTime() - atRiskDays * DAY_MS ? 'at_risk' : 'on_track';
}

/**
 * A dated target against its facts: met before the deadline is on track; not met is at risk before
 * the deadline (see atRiskDays) and late from it on; met only after the deadline stays late (the
 * deadline was missed), with metAt saying when it was caught up.
 */
function datedStanding(
  at: Date,
  dueAt: Date,
  atRiskDays: number | null,
  value: number | null,
  target: number,
  met: boolean,
  metAt: Date | null,
): TargetStanding {
  let status: BoardStatus;
  if (met) status = metAt && metAt.getTime() < dueAt.getTime() ? 'on_track' : 'late';
  else status = at.getTime() < dueAt.getTime() ? beforeDeadlineStatus(at, dueAt, atRiskDays) : 'late';
  return { status, value, target, dueAt, met, metAt };
}

/** staff_onboarding and ward_adoption: the latest report as of `at` decides; earlier ones date the streak. */
export function evaluateHeadcount(
  t: Pick<ComplianceTarget, 'dueAt' | 'thresholdPercent' | 'atRiskDays'>,
  reports: readonly FigureFact[],
  at: Date,
): TargetStanding {
  const threshold = t.thresholdPercent ?? 100;
  const known = reports.filter((r) => knownAt(r).getTime() <= at.getTime()).sort((a, b) => a.asOf.getTime() - b.asOf.getTime());
  const latest = known[known.length - 1];
  const value = latest ? percent(latest.withAccount, latest.total) : null;
  const met = value !== null && value >= threshold;
  let metAt: Date | null = null;
  if (met) {
    // The start of the unbroken run of reports at or above the threshold that ends with the latest,
    // from when the board knew of it.
    let i = known.length - 1;
    while (i > 0 && percent(known[i - 1].withAccount, known[i - 1].total) >= threshold) i--;
    metAt = knownAt(known[i]);
  }
  return datedStanding(at, t.dueAt!, t.atRiskDays, value, threshold, met, metAt);
}

/** The focal points of a unit: when each designee's account was first used, if it is designated and active. */
export interface DesignationFact {
  handlerActivatedAt: Date | null;
  leaderActivatedAt: Date | null;
}

export function evaluateDesignation(t: Pick<ComplianceTarget, 'dueAt' | 'atRiskDays'>, f: DesignationFact, at: Date): TargetStanding {
  const times = [f.handlerActivatedAt, f.leaderActivatedAt].filter((d): d is Date => d !== null && d.getTime() <= at.getTime());
  const met = times.length === 2;
  const metAt = met ? new Date(Math.max(...times.map((d) => d.getTime()))) : null;
  return datedStanding(at, t.dueAt!, t.atRiskDays, times.length, 2, met, metAt);
}

/** The Vietnamese calendar day of an instant, as a day number (days since 1970-01-01 local). */
export function vnDay(t: Date | number): number {
  return Math.floor(((typeof t === 'number' ? t : t.getTime()) + VIETNAM_UTC_OFFSET_MS) / DAY_MS);
}

/** The instant a Vietnamese day number starts. */
export function vnDayStart(day: number): Date {
  return new Date(day * DAY_MS - VIETNAM_UTC_OFFSET_MS);
}

/** 'YYYY-MM-DD' of a Vietnamese day number. */
export function vnDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A stretch of days counted late: after the allowed days without a notice, until the next one. */
export interface NoticeGap {
  /** The first late day and the last (null: still going on at the evaluation time), as 'YYYY-MM-DD'. */
  from: string;
  to: string | null;
  days: number;
  /** The deadline that was missed: the start of the first late day. */
  dueAt: Date;
}

export interface CadenceStanding extends TargetStanding {
  /** Notices published in the window the caller asked about. */
  notices: number;
  lastNoticeAt: Date | null;
  gaps: NoticeGap[];
}

/**
 * A notice cadence on calendar days: after a notice on day L (or the start day, before any), the next
 * is due by the end of day L + N. So with N = 3 a notice on day 0 keeps the unit on track through
 * day 3, and it is late on day 4. Gaps are looked for from `windowFrom` (default: the start) to `at`.
 */
export function evaluateCadence(
  t: Pick<ComplianceTarget, 'startsAt' | 'everyDays' | 'atRiskDays'>,
  noticeTimes: readonly Date[],
  at: Date,
  windowFrom: Date | null = null,
): CadenceStanding {
  const n = t.everyDays!;
  const startDay = vnDay(t.startsAt!);
  const atDay = vnDay(at);
  const times = noticeTimes
    .map((d) => d.getTime())
    .filter((ms) => ms <= at.getTime())
    .sort((a, b) => a - b);
  const from = windowFrom ? windowFrom.getTime() : t.startsAt!.getTime();
  const notices = times.filter((ms) => ms >= from).length;
  const lastNoticeAt = times.length ? new Date(times[times.length - 1]) : null;
  if (atDay < startDay) {
    return { status: 'on_track', value: 0, target: n, dueAt: vnDayStart(startDay + n + 1), met: true, metAt: null, notices, lastNoticeAt, gaps: [] };
  }
  // Days on which the count restarts: the start day, then each day with a notice from then on.
  const marks = [startDay, ...times.map(vnDay).filter((d) => d >= startDay)];
  const distinct = marks.filter((d, i) => i === 0 || d !== marks[i - 1]);
  const gaps: NoticeGap[] = [];
  const windowDay = vnDay(from);
  for (let i = 0; i < distinct.length; i++) {
    const base = distinct[i];
    const next = i + 1 < distinct.length ? distinct[i + 1] : null;
    const firstLate = base + n + 1;
    const lastLate = next === null ? atDay : next - 1;
    if (lastLate < firstLate || lastLate < windowDay) continue;
    gaps.push({ from: vnDate(firstLate), to: next === null ? null : vnDate(lastLate), days: lastLate - firstLate + 1, dueAt: vnDayStart(firstLate) });
  }
  const base = distinct[distinct.length - 1];
  const dueAt = vnDayStart(base + n + 1);
  const late = at.getTime() >= dueAt.getTime();
  const status: BoardStatus = late ? 'late' : t.atRiskDays !== null && at.getTime() >= dueAt.getTime() - t.atRiskDays * DAY_MS ? 'at_risk' : 'on_track';
  return {
    status,
    value: atDay - base,
    target: n,
    dueAt,
    met: !late,
    metAt: late ? null : vnDayStart(base),
    notices,
    lastNoticeAt,
    gaps,
  };
}

/**
 * The deadline a late standing missed, the key of its alerts: a dated target's own, or the start of
 * the cadence's current late run. Null when there is nothing to alert about (not late, or caught up).
 */
export function missedDeadline(s: TargetStanding): Date | null {
  if (s.status !== 'late' || s.met || !s.dueAt) return null;
  return s.dueAt;
}
