import { dayOrInstantProblem, instantProblem } from './instant';

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
