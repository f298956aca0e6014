import { calendarGaps, describeCalendarGap } from './coverage';

const at = (local: string) => new Date(`${local}+07:00`);

describe(calendarGaps.name, () => {
  const years = [2024, 2025, 2026, 2027];

  it('says nothing while next year is more than 60 days away', () => {
    expect(calendarGaps(years, at('2027-11-01T23:59:59'))).toEqual([]);
  });

  it('warns from 60 days before a year without a file starts (2/11/2027 for 2028)', () => {
    expect(calendarGaps(years, at('2027-11-02T00:00:00'))).toEqual([{ year: 2028, startsOn: '2028-01-01', daysUntil: 60 }]);
  });

  it('judges the day in Vietnam, not in UTC', () => {
    // 1/11/2027 17:30 UTC is already 2/11 in Hanoi.
    expect(calendarGaps(years, new Date('2027-11-01T17:30:00Z'))).toHaveLength(1);
  });

  it('keeps warning once the year without a file has begun', () => {
    const gaps = calendarGaps(years, at('2028-03-01T09:00:00'));
    expect(gaps.map((g) => g.year)).toEqual([2028]);
    expect(gaps[0].daysUntil).toBeLessThan(0);
    expect(describeCalendarGap(gaps[0])).toContain('has begun');
  });

  it('is quiet when the coming year has its file', () => {
    expect(calendarGaps(years, at('2026-12-31T12:00:00'))).toEqual([]);
  });

  it('names the file to add', () => {
    expect(describeCalendarGap({ year: 2028, startsOn: '2028-01-01', daysUntil: 60 })).toMatch(/2028.*60 day.*config\/calendars\/2028\.yaml/);
  });
});
