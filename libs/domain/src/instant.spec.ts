import { dayOrInstantAt, dayOrInstantProblem, instantProblem, readOptionalPeriod } from './instant';

describe(instantProblem.name, () => {
  it.each([
    '2026-11-29T09:15:00+07:00',
    '2026-11-29T09:15:00.123Z',
    '2026-11-29T09:15Z',
    '2028-02-29T00:00:00+0700',
    '2026-12-31T23:59:59-05:00',
    '2026-12-01T10:00:00+14:00',
    '2026-12-01T10:00:00-12:00',
    '2000-01-01T07:00:00+07:00',
    // RFC 3339 sets no limit to the fraction: .NET writes seven digits, Go up to nine.
    '2026-12-04T10:00:00.1234567+07:00',
    '2026-12-04T10:00:00.123456789Z',
  ])('takes %s', (v) => expect(instantProblem('at', v)).toBeNull());
  it.each([
    ['2026-02-30T10:00:00Z', "at '2026-02-30T10:00:00Z' is not a real date and time"],
    ['2027-02-29T10:00:00+07:00', "at '2027-02-29T10:00:00+07:00' is not a real date and time"],
    ['2026-01-01T24:00:00Z', "at '2026-01-01T24:00:00Z' is not a real date and time"],
    ['2026-01-01T10:00:00+15:00', "at '2026-01-01T10:00:00+15:00' is not a real date and time"],
    ['2026-01-01T10:00:00', 'at must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00'],
    ['2026-01-01', 'at must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00'],
    ['2026-W50', 'at must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00'],
    [42, 'at must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00'],
    ['2999-01-01T00:00:00Z', 'at must be between the years 2000 and 2099 (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)'],
    ['1900-01-01T00:00:00Z', 'at must be between the years 2000 and 2099 (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)'],
    ['2026-12-01T10:00:00-13:00', "at '2026-12-01T10:00:00-13:00' is not a real date and time"],
    ['2026-12-01T10:00:00+14:01', "at '2026-12-01T10:00:00+14:01' is not a real date and time"],
    // The instant decides, not the local date.
    ['2099-12-31T23:00:00-12:00', 'at must be between the years 2000 and 2099 (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)'],
    ['2000-01-01T00:00:00+07:00', 'at must be between the years 2000 and 2099 (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)'],
    ['2016-12-31T23:59:60Z', "at '2016-12-31T23:59:60Z' is a leap second; give :59 instead"],
    ['2016-12-31T23:58:60Z', "at '2016-12-31T23:58:60Z' is not a real date and time"],
    ['2026-12-04T10:00:00.1234567891Z', 'at must be an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00'],
  ])('refuses %s: %s', (v, message) => expect(instantProblem('at', v)).toBe(message));
});

describe(dayOrInstantProblem.name, () => {
  it('takes a real day or an instant, and says which part is wrong', () => {
    expect(dayOrInstantProblem('at', '2024-02-29')).toBeNull();
    expect(dayOrInstantProblem('at', '2024-02-29T08:00:00+07:00')).toBeNull();
    expect(dayOrInstantProblem('at', '2024-02-30')).toBe("at '2024-02-30' is not a real date");
    expect(dayOrInstantProblem('at', '1999-12-31')).toBe('at must be between the years 2000 and 2099');
    expect(dayOrInstantProblem('at', '2099-12-31')).toBeNull();
    expect(dayOrInstantProblem('at', '2099-12-31T23:00:00-12:00')).toBe(
      'at must be between the years 2000 and 2099 (as an instant: from 2000-01-01T00:00:00Z, before 2100-01-01T00:00:00Z)',
    );
    expect(dayOrInstantProblem('at', 'yesterday')).toBe(
      'at must be a date (YYYY-MM-DD) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00',
    );
  });
});

describe(dayOrInstantAt.name, () => {
  it('reads a date as a day in Hanoi: its local midnight, the next one, or its last millisecond', () => {
    expect(dayOrInstantAt('2026-12-01', 'start').toISOString()).toBe('2026-11-30T17:00:00.000Z');
    expect(dayOrInstantAt('2026-12-01', 'end').toISOString()).toBe('2026-12-01T17:00:00.000Z');
    expect(dayOrInstantAt('2026-12-01', 'last').toISOString()).toBe('2026-12-01T16:59:59.999Z');
    // Across a month's and a leap year's end.
    expect(dayOrInstantAt('2024-02-29', 'end').toISOString()).toBe('2024-02-29T17:00:00.000Z');
    expect(dayOrInstantAt('2099-12-31', 'end').toISOString()).toBe('2099-12-31T17:00:00.000Z');
  });

  it('takes a date-time as the instant it names, whatever the edge', () => {
    for (const edge of ['start', 'end', 'last'] as const) {
      expect(dayOrInstantAt('2026-12-01T09:15:00+07:00', edge).toISOString()).toBe('2026-12-01T02:15:00.000Z');
    }
  });
});

describe(readOptionalPeriod.name, () => {
  it('reads each end that is given, a date as whole days', () => {
    expect(readOptionalPeriod('2026-12-01', '2026-12-31')).toEqual({ from: new Date('2026-11-30T17:00:00Z'), to: new Date('2026-12-31T17:00:00Z') });
    expect(readOptionalPeriod(undefined, '2026-12-31T10:00:00Z')).toEqual({ from: undefined, to: new Date('2026-12-31T10:00:00Z') });
    expect(readOptionalPeriod(undefined, undefined)).toEqual({ from: undefined, to: undefined });
  });

  it('refuses an end before the start, also a last day before the first whose edges meet at a midnight', () => {
    expect(() => readOptionalPeriod('2026-12-02', '2026-12-01')).toThrow(
      'to (2026-12-01) is before from (2026-12-02): a period runs from its start to its end',
    );
    expect(() => readOptionalPeriod('2026-12-01T10:00:00Z', '2026-12-01T09:00:00Z')).toThrow('to (2026-12-01T09:00:00Z) is before from');
    // As before, a date-time period may be empty.
    expect(readOptionalPeriod('2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z').to).toEqual(new Date('2026-12-01T10:00:00Z'));
    expect(readOptionalPeriod('2026-12-01', '2026-12-01')).toEqual({ from: new Date('2026-11-30T17:00:00Z'), to: new Date('2026-12-01T17:00:00Z') });
  });
});
