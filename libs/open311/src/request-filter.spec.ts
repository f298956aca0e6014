import { ValidationError } from '@fr/domain';
import { parseRequestFilter } from './request-filter';

describe(parseRequestFilter.name, () => {
  const now = new Date('2026-12-03T10:00:00Z');
  const sut = (q: Record<string, unknown>) => parseRequestFilter(q, now);
  const refusal = (q: Record<string, unknown>) => {
    try {
      sut(q);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('defaults to the last 90 days, every service and status', () => {
    expect(sut({})).toEqual({ kind: 'period', from: new Date('2026-09-04T10:00:00Z'), to: now, serviceCodes: null, statuses: null });
  });

  it('lets service_request_id override everything else, normalising what people type', () => {
    expect(sut({ service_request_id: '7km3q-9x2ab, 7KM3Q9X2AB,ABCDE-FGHJK', status: 'bogus' })).toEqual({
      kind: 'ids',
      trackingCodes: ['7KM3Q-9X2AB', 'ABCDE-FGHJK'],
    });
  });

  it('reads comma lists and a range, filling the missing end 90 days away', () => {
    expect(sut({ service_code: 'sanitation,roads_lighting', status: 'open,closed', start_date: '2026-11-01T00:00:00+07:00' })).toEqual({
      kind: 'period',
      from: new Date('2026-10-31T17:00:00Z'),
      to: new Date('2027-01-29T17:00:00Z'),
      serviceCodes: ['sanitation', 'roads_lighting'],
      statuses: ['open', 'closed'],
    });
    // A date alone is a day in Hanoi, as in every other period of the API: end_date takes the whole of it.
    expect(sut({ end_date: '2026-06-30' })).toMatchObject({ from: new Date('2026-04-01T16:59:59.999Z'), to: new Date('2026-06-30T16:59:59.999Z') });
    // As the rest of the API: seven fractional digits (.NET), a lower-case t and z.
    expect(sut({ start_date: '2026-06-01t10:00:00.1234567z', end_date: '2026-06-30' })).toMatchObject({ from: new Date('2026-06-01T10:00:00.123Z') });
  });

  it('reads a date alone as a whole day in Hanoi: start_date from its local midnight, end_date through its end', () => {
    expect(sut({ start_date: '2026-12-01', end_date: '2026-12-01' })).toMatchObject({
      from: new Date('2026-11-30T17:00:00Z'),
      to: new Date('2026-12-01T16:59:59.999Z'),
    });
    // 90 whole days (1 January to 31 March) are allowed; one more is not.
    expect(sut({ start_date: '2026-01-01', end_date: '2026-03-31' })).toMatchObject({ from: new Date('2025-12-31T17:00:00Z') });
    expect(refusal({ start_date: '2026-01-01', end_date: '2026-04-01' })).toMatch(/not be more than 90 days apart/);
  });

  it.each([
    [{ start_date: 'yesterday' }, /start_date must be a W3C date \(YYYY-MM-DD, a day in Asia\/Ho_Chi_Minh\) or an ISO 8601 date-time/],
    [{ end_date: '2026-02-30T25:00:00Z' }, /end_date '2026-02-30T25:00:00Z' is not a real date and time/],
    [{ start_date: '2026-02-30T10:00:00Z' }, /start_date '2026-02-30T10:00:00Z' is not a real date and time/],
    [{ start_date: '2026-02-30' }, /start_date '2026-02-30' is not a real date/],
    [{ start_date: '2026-03-01T24:00:00Z' }, /is not a real date and time/],
    [{ start_date: '2026-03-01T10:00:00+14:01' }, /is not a real date and time/],
    [{ start_date: '1999-12-31' }, /start_date must be between the years 2000 and 2099/],
    [{ start_date: '2026-12-01', end_date: '2026-11-01' }, /start_date is after end_date/],
    [{ start_date: '2026-01-01', end_date: '2026-06-01' }, /not be more than 90 days apart/],
    [{ status: 'pending' }, /status must be open, closed or both/],
    [{ status: ',' }, /status is empty/],
    [{ service_request_id: 'not-a-code' }, /'not-a-code' is not a service request id/],
    [{ service_code: ['a', 'b'] }, /service_code is given more than once/],
    [{ page: '2' }, /unknown parameter\(s\) page/],
  ])('refuses %j', (q, message) => {
    expect(refusal(q)).toMatch(message);
  });
});
