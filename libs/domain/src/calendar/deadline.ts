import { MINUTE_MS, WorkingCalendar } from './working-calendar';

/** A stretch during which the SLA clock stands still (the case waits on the citizen); `to` null = still paused. */
export interface ClockPause {
  readonly from: Date;
  readonly to: Date | null;
}

interface Interval {
  readonly from: number;
  /** Infinity for a pause that has not ended. */
  readonly to: number;
}

/**
 * Pauses as stored may overlap, touch, come in any order or start before the clock did; only their
 * union after `startMs` matters, so the answer depends on the facts and not on how they were recorded.
 */
function normalisePauses(startMs: number, pauses: readonly ClockPause[]): Interval[] {
  const intervals: Interval[] = [];
  pauses.forEach((p, i) => {
    const from = p.from instanceof Date ? p.from.getTime() : Number.NaN;
    const to = p.to === null ? Infinity : p.to instanceof Date ? p.to.getTime() : Number.NaN;
    if (Number.isNaN(from) || Number.isNaN(to)) throw new RangeError(`pauses[${i}] has an invalid date`);
    if (to < from) throw new RangeError(`pauses[${i}] ends before it starts`);
    if (to <= startMs || to === from) return;
    intervals.push({ from: Math.max(from, startMs), to });
  });
  intervals.sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const p of intervals) {
    const last = merged[merged.length - 1];
    if (last && p.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, p.to) };
    else merged.push(p);
  }
  return merged;
}

function instant(t: Date, what: string): number {
  const ms = t instanceof Date ? t.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a valid Date`);
  return ms;
}

/**
 * When `durationMinutes` of working time will have been used since `start`, not counting working
 * time inside pauses. Returns null while an open pause holds the clock: the deadline is unknown until
 * it resumes. A pause that begins at or after the deadline moves it by the pause's working time: the
 * clock "resumes where it stopped" (DOMAIN.md), so a case an hour past its deadline when it began to
 * wait on the citizen is an hour past it when it resumes, and the escalation levels counted from the
 * deadline wait as long as the case did. (Such a pause used to change nothing, and a case that had
 * waited three days reached levels 2 and 3 the moment it resumed.) So the deadline is the instant past
 * which the case is by as much working time as its clock has run past the duration. It follows
 * `WorkingCalendar.add`: a deadline falling on the end of a period reads as that end (e.g. 17:00).
 */
export function computeDueAt(calendar: WorkingCalendar, start: Date, durationMinutes: number, pauses: readonly ClockPause[] = []): Date | null {
  if (!Number.isFinite(durationMinutes) || durationMinutes < 0) {
    throw new RangeError(`durationMinutes must be a finite number >= 0, got ${durationMinutes}`);
  }
  let cursor = instant(start, 'start');
  let remaining = Math.round(durationMinutes * MINUTE_MS);
  let due: number | null = null;
  for (const pause of normalisePauses(cursor, pauses)) {
    if (due === null) {
      const wouldBe = calendar.addMilliseconds(new Date(cursor), remaining).getTime();
      if (pause.from < wouldBe) {
        remaining -= calendar.millisecondsBetween(new Date(cursor), new Date(pause.from));
        if (pause.to === Infinity) return null;
        cursor = pause.to;
        continue;
      }
      due = wouldBe;
    }
    // At or past the deadline (the pauses are in order): it moves by the pause's working time.
    if (pause.to === Infinity) return null;
    due = calendar.addMilliseconds(new Date(due), calendar.millisecondsBetween(new Date(pause.from), new Date(pause.to))).getTime();
  }
  return due !== null ? new Date(due) : calendar.addMilliseconds(new Date(cursor), remaining);
}

/**
 * Working minutes of the clock used between `start` and `at`, not counting pauses (an open pause
 * counts as running up to `at`). With the stage duration this gives the share used (the 75% warning)
 * and, past the deadline, how far past it the case is, in working time.
 */
export function elapsedWorkingMinutes(calendar: WorkingCalendar, start: Date, at: Date, pauses: readonly ClockPause[] = []): number {
  const startMs = instant(start, 'start');
  const end = instant(at, 'at');
  if (end <= startMs) return 0;
  let used = 0;
  let cursor = startMs;
  for (const pause of normalisePauses(startMs, pauses)) {
    if (pause.from >= end) break;
    used += calendar.millisecondsBetween(new Date(cursor), new Date(pause.from));
    cursor = Math.min(pause.to, end);
    if (cursor >= end) break;
  }
  if (cursor < end) used += calendar.millisecondsBetween(new Date(cursor), new Date(end));
  return used / MINUTE_MS;
}
