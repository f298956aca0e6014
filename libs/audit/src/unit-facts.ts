import { VIETNAM_UTC_OFFSET_MS } from '@fr/domain';
import { Period } from './period';
import { CaseFacts, caseLines, MetricsContext } from './unit-metrics';

const DAY_MS = 86_400_000;

/**
 * Daily facts (issue 18): what a case contributes to a unit on one Vietnamese day, computed by the
 * report's own `caseLines` with that day as the period, so the facts cannot drift from the raw
 * report's rules. A period's report sums these rows per unit, after grouping per case and unit the
 * few pairs marked `grouped` (a case received twice, or reopened twice, by one unit on different days
 * of the period counts once, as the raw report counts it): every count equals the raw report's exactly, and the median
 * and p90 too (they are taken over the same per-case working times, error bound 0), which the
 * property test checks. Open, overdue and at-risk are a state at the period's end, not a sum of
 * days: the report reads them from the open cases' state log, as the raw report does.
 */
export interface UnitDayFact {
  caseId: string;
  unitCode: string;
  /** The Vietnamese calendar day, YYYY-MM-DD. */
  day: string;
  received: boolean;
  acknowledged: boolean;
  acknowledgedOnTime: boolean;
  resolved: boolean;
  resolvedLate: boolean;
  resolveMinutes: number | null;
  transfersIn: number;
  transfersOut: number;
  reorganisedIn: number;
  reorganisedOut: number;
  returns: number;
  /** Transferred or returned by the unit that day after its deadline had passed (due and late for it). */
  passedOnLate: boolean;
  extensions: number;
  reopened: boolean;
  mergedDuplicate: boolean;
  rating: number | null;
  /**
   * The case was received, answered or passed on late, reopened, merged or rated by this unit on more than one day: a
   * period holding several of those days must count the pair once, so the report groups its rows per
   * case first. Every other pair has at most one row per fact and is summed directly, which is most
   * of the rows and spares the report a grouping per case.
   */
  grouped: boolean;
}

/** The start of the Vietnamese day holding `t`. */
export function vnDayStart(t: number): number {
  return Math.floor((t + VIETNAM_UTC_OFFSET_MS) / DAY_MS) * DAY_MS - VIETNAM_UTC_OFFSET_MS;
}

export function vnDayLabel(dayStart: number): string {
  return new Date(dayStart + VIETNAM_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** Facts answer periods made of whole Vietnamese days (what a date-only `from`/`to` gives); other periods read the raw data. */
export function coveredByFacts(period: Period): boolean {
  return vnDayStart(period.from.getTime()) === period.from.getTime() && vnDayStart(period.to.getTime()) === period.to.getTime();
}

/** Every day a case contributes to: those of its assignments, its counted events and its rating; no other day can hold a line. */
export function caseDayFacts(f: CaseFacts, base: Pick<MetricsContext, 'calendar' | 'receiveDue'>): UnitDayFact[] {
  const days = new Set<number>();
  for (const o of f.ownerships) days.add(vnDayStart(o.start));
  for (const e of f.events) days.add(vnDayStart(e.at));
  if (f.ratedAt !== null) days.add(vnDayStart(f.ratedAt));
  // The state at the period's end is not a daily fact.
  const facts = { ...f, atEnd: null };
  const out: UnitDayFact[] = [];
  for (const from of [...days].sort((a, b) => a - b)) {
    const day = vnDayLabel(from);
    for (const l of caseLines(facts, { ...base, from, to: from + DAY_MS, evaluatedAt: from + DAY_MS })) {
      out.push({
        caseId: f.caseId,
        unitCode: l.unitCode,
        day,
        received: l.receivedAt !== null,
        acknowledged: l.acknowledgedAt !== null,
        acknowledgedOnTime: l.acknowledgedOnTime === true,
        resolved: l.resolvedAt !== null,
        resolvedLate: l.resolvedAt !== null && !l.resolvedOnTime,
        resolveMinutes: l.resolvedAt !== null ? l.resolveWorkingMinutes : null,
        transfersIn: l.transfersIn,
        transfersOut: l.transfersOut,
        reorganisedIn: l.reorganisedIn,
        reorganisedOut: l.reorganisedOut,
        returns: l.returns,
        passedOnLate: l.passedOnLate,
        extensions: l.extensions,
        reopened: l.reopened,
        mergedDuplicate: l.mergedDuplicate,
        rating: l.rating,
        grouped: false,
      });
    }
  }
  const units = new Set(out.map((r) => r.unitCode));
  for (const unit of units) {
    const rows = out.filter((r) => r.unitCode === unit);
    const more = (f: (r: UnitDayFact) => boolean) => rows.filter(f).length > 1;
    // Resolved and passed on late count once together in due and late: on two days, the pair is grouped.
    if (
      more((r) => r.received) ||
      more((r) => r.resolved || r.passedOnLate) ||
      more((r) => r.reopened) ||
      more((r) => r.mergedDuplicate) ||
      more((r) => r.rating !== null)
    ) {
      for (const r of rows) r.grouped = true;
    }
  }
  return out;
}
