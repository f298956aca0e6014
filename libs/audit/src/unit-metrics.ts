import { ClockPause, elapsedWorkingMinutes, isOpen, CaseState, WorkingCalendar } from '@fr/domain';

/**
 * Unit metrics from the facts of each case, without I/O. The attribution rules (README, "Audits"):
 * - ownership periods come from `assignments`; a `designation` row (new designees of the same unit)
 *   continues the period it follows; a `reorganisation` row (the unit ended, its successor took the
 *   case over) starts the successor's period without a new receipt or a transfer: work before the
 *   date stays the old unit's, work after is the successor's, and the clocks run on;
 * - an acknowledge, resolve, extend or reopen event belongs to the unit that owned the case when it
 *   happened; a transfer or return is read from the assignment it created (the unit before is the one
 *   that passed the case on); a rating belongs to the unit that owned the case when it was rated;
 * - open, overdue and at-risk describe each case's state at the end of the period (or now, if
 *   sooner), read from case_state_log, and count for the unit holding the case then;
 * - a case transferred or returned after the deadline in force for the unit holding it had passed is
 *   "passed on late" for that unit, in the period of the hand-over: otherwise a unit would take a case
 *   it let go late out of its late rate by passing it on (neither resolved by it nor open in it);
 * - due and late count each case at most once per unit: resolved, passed on late or open past its
 *   deadline at the end, whichever of them apply.
 */

export interface OwnershipFact {
  unit: string;
  /** route | triage | transfer | return | assign | designation | reorganisation | merge | follow_original */
  reason: string;
  start: number;
  /**
   * transfer, return: the stage deadline in force for the unit before when it passed the case on
   * (recorded by the hand-over; null: none running, or not recorded). Passed on late when it had passed.
   */
  passedDueAt?: number | null;
}

export interface CaseEventFact {
  /** join_original: the case, a duplicate, was merged into its original (issue 14). */
  action: 'acknowledge' | 'resolve' | 'extend' | 'reopen' | 'join_original';
  at: number;
  /** resolve: whether it met the deadline in force (recorded when it happened); null = no deadline. */
  onTime: boolean | null;
}

export interface CaseStateAt {
  status: CaseState;
  unit: string | null;
  dueAt: number | null;
  warnAt: number | null;
}

export interface CaseFacts {
  caseId: string;
  trackingCode: string;
  receivedAt: number;
  rating: number | null;
  ratedAt: number | null;
  /** Every assignment row, in order. */
  ownerships: OwnershipFact[];
  /** acknowledge, resolve, extend and reopen events, in order. */
  events: CaseEventFact[];
  pauses: { from: number; to: number | null }[];
  /** The case as it stood at the evaluation time; null if it did not exist yet. */
  atEnd: CaseStateAt | null;
}

/** What one case contributes to one unit's report: a line of the drill-down. */
export interface UnitCaseLine {
  caseId: string;
  trackingCode: string;
  unitCode: string;
  receivedAt: Date | null;
  receiveDueAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedOnTime: boolean | null;
  resolvedAt: Date | null;
  resolvedOnTime: boolean | null;
  resolveWorkingMinutes: number | null;
  transfersIn: number;
  transfersOut: number;
  /** Taken over from, or handed to, a successor by a reorganisation (not misrouting). */
  reorganisedIn: number;
  reorganisedOut: number;
  returns: number;
  /** Transferred or returned by this unit in the period after its stage deadline had passed. */
  passedOnLate: boolean;
  extensions: number;
  reopened: boolean;
  /** Merged into its original in the period: answered by the original's answer, not resolved on its own. */
  mergedDuplicate: boolean;
  rating: number | null;
  open: boolean;
  overdue: boolean;
  atRisk: boolean;
  dueAt: Date | null;
}

export interface MetricsContext {
  from: number;
  to: number;
  /** When open/overdue/at-risk are evaluated: min(to, now). */
  evaluatedAt: number;
  calendar: WorkingCalendar;
  /** The receive deadline of a stage starting at `start` (the SLA policy). */
  receiveDue(start: Date): Date;
}

interface Owned extends OwnershipFact {
  end: number | null;
  /** When this unit's clocks started: the case's receipt when routed there, else the hand-over. */
  clockStart: number;
  previousUnit: string | null;
}

const REORGANISATION = 'reorganisation';
/** A merged duplicate carried to its original's new unit (persistence's FOLLOW_ORIGINAL_REASON). */
const FOLLOW_ORIGINAL = 'follow_original';
/** A duplicate merged into an original held by another unit, carried there by the merge (actions/duplicates.ts). */
const MERGE = 'merge';
/**
 * A merged duplicate moved with its group: counted where it was received and merged, and for nothing
 * at the unit it follows to (a merge across units counted it as received twice).
 */
const FOLLOWS_GROUP = new Set([FOLLOW_ORIGINAL, MERGE]);
/** Hand-overs that are no receipt: the clocks run on from the unit before. */
const HANDED_ON = new Set([REORGANISATION, FOLLOW_ORIGINAL, MERGE]);

function ownershipsOf(f: CaseFacts): Owned[] {
  const periods: Owned[] = [];
  for (const o of f.ownerships) {
    if (o.reason === 'designation' && periods.length && periods[periods.length - 1].unit === o.unit) continue;
    const previous = periods[periods.length - 1];
    if (previous) previous.end = o.start;
    periods.push({
      ...o,
      end: null,
      clockStart: o.reason === 'route' || o.reason === 'triage' ? f.receivedAt : HANDED_ON.has(o.reason) && previous ? previous.clockStart : o.start,
      previousUnit: previous?.unit ?? null,
    });
  }
  return periods;
}

/** The lines a case contributes, one per unit it touched in the period. */
export function caseLines(f: CaseFacts, ctx: MetricsContext): UnitCaseLine[] {
  const inPeriod = (t: number) => t >= ctx.from && t < ctx.to;
  const lines = new Map<string, UnitCaseLine>();
  const line = (unit: string): UnitCaseLine => {
    let l = lines.get(unit);
    if (!l) {
      l = {
        caseId: f.caseId,
        trackingCode: f.trackingCode,
        unitCode: unit,
        receivedAt: null,
        receiveDueAt: null,
        acknowledgedAt: null,
        acknowledgedOnTime: null,
        resolvedAt: null,
        resolvedOnTime: null,
        resolveWorkingMinutes: null,
        transfersIn: 0,
        transfersOut: 0,
        reorganisedIn: 0,
        reorganisedOut: 0,
        returns: 0,
        passedOnLate: false,
        extensions: 0,
        reopened: false,
        mergedDuplicate: false,
        rating: null,
        open: false,
        overdue: false,
        atRisk: false,
        dueAt: null,
      };
      lines.set(unit, l);
    }
    return l;
  };
  const pauses: ClockPause[] = f.pauses.map((p) => ({ from: new Date(p.from), to: p.to === null ? null : new Date(p.to) }));
  const periods = ownershipsOf(f);
  /** When the unit acknowledged receipt `i` (triage: assigned the case onwards), or null. */
  const acknowledgedAt = (i: number): number | null => {
    const o = periods[i];
    const next = periods[i + 1];
    return (
      f.events.find((e) => e.action === 'acknowledge' && e.at >= o.start && (o.end === null || e.at < o.end))?.at ??
      (next?.reason === 'assign' ? next.start : null)
    );
  };
  /**
   * Whether the unit let an earlier receipt's deadline pass unacknowledged before it gave the case up:
   * then acknowledging it when it comes back is not on time (sitting on a case past its deadline and
   * returning it must not buy a fresh one). Judged on the whole history, so that the daily facts, which
   * see a day at a time, judge as the raw report does.
   */
  const missedBefore = (i: number): boolean =>
    periods.slice(0, i).some((p, j) => {
      if (p.unit !== periods[i].unit || p.reason === REORGANISATION || FOLLOWS_GROUP.has(p.reason) || p.end === null) return false;
      return acknowledgedAt(j) === null && p.end > ctx.receiveDue(new Date(p.clockStart)).getTime();
    });

  periods.forEach((o, i) => {
    const within = (t: number) => t >= o.start && (o.end === null || t < o.end);
    const events = f.events.filter((e) => within(e.at));

    // A merged duplicate following its original is listed there, and counts for nothing there.
    if (inPeriod(o.start) && !FOLLOWS_GROUP.has(o.reason)) {
      const l = line(o.unit);
      if (o.reason === 'transfer') {
        l.transfersIn++;
        if (o.previousUnit) line(o.previousUnit).transfersOut++;
      }
      if (o.reason === 'return' && o.previousUnit) line(o.previousUnit).returns++;
      // Passed on after its deadline: due and late for the unit that let it go late, in this period.
      if ((o.reason === 'transfer' || o.reason === 'return') && o.previousUnit && o.passedDueAt != null && o.start >= o.passedDueAt) {
        line(o.previousUnit).passedOnLate = true;
      }
      if (o.reason === REORGANISATION) {
        l.reorganisedIn++;
        if (o.previousUnit) line(o.previousUnit).reorganisedOut++;
      }
      // A case received twice in the period counts once, by its first receipt; a successor inherits it.
      // A unit that returned it unacknowledged and acknowledged it when it came back has acknowledged it:
      // within the deadline of the receipt it acknowledged in, whose clock triage's time did not run,
      // unless it had let an earlier receipt's deadline pass before returning it.
      if (o.reason !== REORGANISATION && (l.receivedAt === null || l.acknowledgedAt === null)) {
        const due = ctx.receiveDue(new Date(o.clockStart));
        // Acknowledging is the unit's receive-stage answer; for triage, assigning the case onwards.
        const ack = acknowledgedAt(i);
        if (l.receivedAt === null) l.receivedAt = new Date(o.start);
        if (l.receiveDueAt === null || ack !== null) l.receiveDueAt = due;
        l.acknowledgedAt = ack === null ? null : new Date(ack);
        l.acknowledgedOnTime = ack === null ? null : ack <= due.getTime() && !missedBefore(i);
      }
    }

    let clockStart = o.clockStart;
    for (const e of events) {
      if (e.action === 'reopen') {
        if (inPeriod(e.at)) line(o.unit).reopened = true;
        clockStart = e.at;
      } else if (e.action === 'extend' && inPeriod(e.at)) {
        line(o.unit).extensions++;
      } else if (e.action === 'join_original' && inPeriod(e.at)) {
        line(o.unit).mergedDuplicate = true;
      } else if (e.action === 'resolve' && inPeriod(e.at)) {
        const l = line(o.unit);
        // Late if any answer in the period was late; the working time is that of the first answer.
        if (l.resolvedAt === null) {
          l.resolvedAt = new Date(e.at);
          l.resolveWorkingMinutes = Math.round(elapsedWorkingMinutes(ctx.calendar, new Date(clockStart), new Date(e.at), pauses));
          l.resolvedOnTime = e.onTime !== false;
        } else if (e.onTime === false) {
          l.resolvedOnTime = false;
        }
      }
    }
    if (f.rating !== null && f.ratedAt !== null && inPeriod(f.ratedAt) && within(f.ratedAt)) line(o.unit).rating = f.rating;
  });

  const s = f.atEnd;
  if (s && s.unit && isOpen(s.status)) {
    const l = line(s.unit);
    l.open = true;
    l.dueAt = s.dueAt === null ? null : new Date(s.dueAt);
    l.overdue = s.dueAt !== null && ctx.evaluatedAt >= s.dueAt;
    l.atRisk = s.dueAt !== null && s.warnAt !== null && ctx.evaluatedAt >= s.warnAt && ctx.evaluatedAt < s.dueAt;
  }
  return [...lines.values()];
}

export interface UnitMetrics {
  received: number;
  acknowledged: number;
  acknowledgedOnTime: number;
  resolved: number;
  resolvedOnTime: number;
  resolvedLate: number;
  open: number;
  openOverdue: number;
  openAtRisk: number;
  /** Cases the unit transferred or returned after their deadline had passed: due and late for it. */
  passedOnLate: number;
  resolveWorkingMinutes: { median: number | null; p90: number | null };
  transfersIn: number;
  transfersOut: number;
  reorganisedIn: number;
  reorganisedOut: number;
  returns: number;
  extensions: number;
  reopened: number;
  /**
   * Duplicates merged into an original: twenty reports of one problem are one resolved case and
   * nineteen merged duplicates, not twenty resolved cases (nor nineteen open ones).
   */
  mergedDuplicates: number;
  satisfaction: { ratings: number; mean: number | null; satisfiedShare: number | null };
  /**
   * The government's formula: late rate = late / due, in percent, where due counts each case once that
   * the unit resolved in the period, passed on late in it, or held open past its deadline at its end,
   * and late those of them resolved late, passed on late or open past the deadline.
   */
  onTime: { due: number; late: number; lateRate: number | null; onTimeRate: number | null };
}

/** The additive counts of a unit's report: summed from lines (raw) or from daily facts. */
export interface UnitTotals {
  received: number;
  acknowledged: number;
  acknowledgedOnTime: number;
  resolved: number;
  resolvedOnTime: number;
  resolvedLate: number;
  open: number;
  openOverdue: number;
  openAtRisk: number;
  passedOnLate: number;
  /** Cases due and late (the on-time formula), each counted once however many of the above it is in. */
  due: number;
  late: number;
  transfersIn: number;
  transfersOut: number;
  reorganisedIn: number;
  reorganisedOut: number;
  returns: number;
  extensions: number;
  reopened: number;
  mergedDuplicates: number;
  ratings: number;
  ratingSum: number;
  satisfied: number;
}

export function emptyTotals(): UnitTotals {
  return {
    received: 0,
    acknowledged: 0,
    acknowledgedOnTime: 0,
    resolved: 0,
    resolvedOnTime: 0,
    resolvedLate: 0,
    open: 0,
    openOverdue: 0,
    openAtRisk: 0,
    passedOnLate: 0,
    due: 0,
    late: 0,
    transfersIn: 0,
    transfersOut: 0,
    reorganisedIn: 0,
    reorganisedOut: 0,
    returns: 0,
    extensions: 0,
    reopened: 0,
    mergedDuplicates: 0,
    ratings: 0,
    ratingSum: 0,
    satisfied: 0,
  };
}

/** Whether the case is due for the unit in the period: resolved by it, passed on late, or open past its deadline at the end. */
export function lineDue(l: UnitCaseLine): boolean {
  return l.resolvedAt !== null || l.passedOnLate || l.overdue;
}

/** Whether the case is late for the unit: resolved late, passed on late, or open past its deadline at the end. */
export function lineLate(l: UnitCaseLine): boolean {
  return (l.resolvedAt !== null && !l.resolvedOnTime) || l.passedOnLate || l.overdue;
}

/** Sums lines into a unit's metrics; keeps only the durations, not the lines. */
export class UnitAccumulator {
  private m = emptyTotals();
  private readonly minutes: number[] = [];

  add(l: UnitCaseLine): void {
    const m = this.m;
    if (l.receivedAt) m.received++;
    if (l.acknowledgedAt) m.acknowledged++;
    if (l.acknowledgedOnTime) m.acknowledgedOnTime++;
    if (l.resolvedAt) {
      m.resolved++;
      if (l.resolvedOnTime) m.resolvedOnTime++;
      else m.resolvedLate++;
      if (l.resolveWorkingMinutes !== null) this.minutes.push(l.resolveWorkingMinutes);
    }
    if (l.open) m.open++;
    if (l.overdue) m.openOverdue++;
    if (l.atRisk) m.openAtRisk++;
    if (l.passedOnLate) m.passedOnLate++;
    if (lineDue(l)) m.due++;
    if (lineLate(l)) m.late++;
    m.transfersIn += l.transfersIn;
    m.transfersOut += l.transfersOut;
    m.reorganisedIn += l.reorganisedIn;
    m.reorganisedOut += l.reorganisedOut;
    m.returns += l.returns;
    m.extensions += l.extensions;
    if (l.reopened) m.reopened++;
    if (l.mergedDuplicate) m.mergedDuplicates++;
    if (l.rating !== null) {
      m.ratings++;
      m.ratingSum += l.rating;
      if (l.rating >= SATISFIED_RATING) m.satisfied++;
    }
  }

  result(): UnitMetrics {
    return unitMetricsOf(this.m, { median: nearestRank(this.minutes, 0.5), p90: nearestRank(this.minutes, 0.9) });
  }
}

export function unitMetricsOf(m: UnitTotals, resolveWorkingMinutes: UnitMetrics['resolveWorkingMinutes']): UnitMetrics {
  const { due, late } = m;
  const lateRate = due ? round2((late / due) * 100) : null;
  return {
    received: m.received,
    acknowledged: m.acknowledged,
    acknowledgedOnTime: m.acknowledgedOnTime,
    resolved: m.resolved,
    resolvedOnTime: m.resolvedOnTime,
    resolvedLate: m.resolvedLate,
    open: m.open,
    openOverdue: m.openOverdue,
    openAtRisk: m.openAtRisk,
    passedOnLate: m.passedOnLate,
    resolveWorkingMinutes,
    transfersIn: m.transfersIn,
    transfersOut: m.transfersOut,
    reorganisedIn: m.reorganisedIn,
    reorganisedOut: m.reorganisedOut,
    returns: m.returns,
    extensions: m.extensions,
    reopened: m.reopened,
    mergedDuplicates: m.mergedDuplicates,
    satisfaction: {
      ratings: m.ratings,
      mean: m.ratings ? round2(m.ratingSum / m.ratings) : null,
      satisfiedShare: m.ratings ? round2((m.satisfied / m.ratings) * 100) : null,
    },
    onTime: { due, late, lateRate, onTimeRate: lateRate === null ? null : round2(100 - lateRate) },
  };
}

/** A rating of 4 or 5 (of 1..5) counts as satisfied. */
export const SATISFIED_RATING = 4;

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Nearest-rank percentile: the smallest value with at least p of the sample at or below it. */
export function nearestRank(sample: number[], p: number): number | null {
  if (sample.length === 0) return null;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
