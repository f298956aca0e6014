import { daysCoveredAhead } from './calendar-gauges';

describe('daysCoveredAhead', () => {
  const at = (iso: string) => new Date(iso);
  it('counts to the end of the last year covered without a gap from this year, on the Vietnam clock', () => {
    expect(daysCoveredAhead([2026], at('2026-12-01T00:00:00+07:00'))).toBe(31);
    expect(daysCoveredAhead([2025, 2026, 2027], at('2026-12-01T00:00:00+07:00'))).toBe(31 + 365);
    // 2028 after a missing 2027 does not count.
    expect(daysCoveredAhead([2026, 2028], at('2026-12-01T00:00:00+07:00'))).toBe(31);
    // 31 December 2026 18:00 UTC is already 1 January 2027 in Hanoi.
    expect(daysCoveredAhead([2026], at('2026-12-31T18:00:00Z'))).toBe(0);
    expect(daysCoveredAhead([], at('2026-06-01T00:00:00+07:00'))).toBe(0);
  });
});
