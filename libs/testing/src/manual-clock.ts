import type { TimeSource } from '@fr/sla';

type Instant = Date | string | number;

function toMs(t: Instant): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${String(t)}`);
  return ms;
}

/**
 * A clock a test sets and moves by hand; it stands still in between. Give it to
 * `TestEngine.start({ clock })` and the API and the worker judge deadlines, escalations, receipt,
 * auto-close and rating windows by it:
 *
 *   const clock = new ManualClock('2026-03-02T08:00:00+07:00');
 *   const engine = await TestEngine.start({ clock });
 *   clock.advance({ days: 8 });
 */
export class ManualClock implements TimeSource {
  private ms: number;

  constructor(start: Instant = Date.now()) {
    this.ms = toMs(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(t: Instant): this {
    this.ms = toMs(t);
    return this;
  }

  /** Moves forward (or back, with negative amounts) by milliseconds or by the given units. */
  advance(by: number | { days?: number; hours?: number; minutes?: number; seconds?: number; ms?: number }): this {
    const d = typeof by === 'number' ? { ms: by } : by;
    this.ms += (((d.days ?? 0) * 24 + (d.hours ?? 0)) * 60 + (d.minutes ?? 0)) * 60_000 + (d.seconds ?? 0) * 1000 + (d.ms ?? 0);
    return this;
  }
}
