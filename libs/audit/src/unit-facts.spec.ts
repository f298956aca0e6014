import { WorkingCalendar } from '@fr/domain';
import { parsePeriod } from './period';
import { caseDayFacts, coveredByFacts, vnDayLabel, vnDayStart } from './unit-facts';
import { CaseFacts } from './unit-metrics';

const HOUR = 3_600_000;
const vn = (s: string) => Date.parse(`${s}:00+07:00`);

describe('daily facts, per case', () => {
  const base = { calendar: new WorkingCalendar({ daysOff: [], extraWorkingDays: [] }), receiveDue: (start: Date) => new Date(start.getTime() + 8 * HOUR) };
  // Routed to BK Monday, transferred to TN Tuesday, answered Wednesday, reopened Thursday, answered again late Friday, rated Saturday.
  const f: CaseFacts = {
    caseId: 'c1',
    trackingCode: 'T1',
    receivedAt: vn('2025-03-03T09:00'),
    rating: 4,
    ratedAt: vn('2025-03-08T10:00'),
    ownerships: [
      { unit: 'BK', reason: 'route', start: vn('2025-03-03T09:00') },
      { unit: 'TN', reason: 'transfer', start: vn('2025-03-04T09:00') },
    ],
    events: [
      { action: 'acknowledge', at: vn('2025-03-04T10:00'), onTime: null },
      { action: 'resolve', at: vn('2025-03-05T10:00'), onTime: true },
      { action: 'reopen', at: vn('2025-03-06T10:00'), onTime: null },
      { action: 'resolve', at: vn('2025-03-07T10:00'), onTime: false },
    ],
    pauses: [],
    atEnd: null,
  };

  it("puts each contribution on its Vietnamese day, for the unit holding the case then; a receipt carries its acknowledgement's facts", () => {
    const rows = caseDayFacts(f, base).map((r) => [
      r.day,
      r.unitCode,
      r.received,
      r.acknowledged,
      r.transfersIn,
      r.transfersOut,
      r.resolved,
      r.resolvedLate,
      r.reopened,
      r.rating,
    ]);
    expect(rows).toEqual([
      ['2025-03-03', 'BK', true, false, 0, 0, false, false, false, null],
      ['2025-03-04', 'TN', true, true, 1, 0, false, false, false, null],
      ['2025-03-04', 'BK', false, false, 0, 1, false, false, false, null],
      ['2025-03-05', 'TN', false, false, 0, 0, true, false, false, null],
      ['2025-03-06', 'TN', false, false, 0, 0, false, false, true, null],
      ['2025-03-07', 'TN', false, false, 0, 0, true, true, false, null],
      ['2025-03-08', 'TN', false, false, 0, 0, false, false, false, 4],
    ]);
  });

  it('days are Asia/Ho_Chi_Minh days: 23:30 UTC is the next day in Hanoi', () => {
    expect(vnDayLabel(vnDayStart(Date.parse('2025-03-03T23:30:00Z')))).toBe('2025-03-04');
    expect(vnDayStart(vn('2025-03-04T00:00'))).toBe(vn('2025-03-04T00:00'));
  });

  it('answers periods of whole days; a period cut inside a day reads the raw data', () => {
    expect(coveredByFacts(parsePeriod('2025-03-01', '2025-03-31'))).toBe(true);
    expect(coveredByFacts(parsePeriod('2025-03-01T00:00:00+07:00', '2025-03-02T00:00:00+07:00'))).toBe(true);
    expect(coveredByFacts(parsePeriod('2025-03-01T08:00:00+07:00', '2025-03-31'))).toBe(false);
  });

  it('puts a case passed on late on the day of the hand-over, for the unit that passed it on; answered on another day, the pair is grouped', () => {
    const late: CaseFacts = {
      ...f,
      rating: null,
      ratedAt: null,
      ownerships: [
        { unit: 'BK', reason: 'route', start: vn('2025-03-03T09:00') },
        { unit: 'TN', reason: 'transfer', start: vn('2025-03-05T09:00'), passedDueAt: vn('2025-03-04T09:00') },
      ],
      events: [
        { action: 'resolve', at: vn('2025-03-03T10:00'), onTime: true },
        { action: 'reopen', at: vn('2025-03-03T11:00'), onTime: null },
      ],
    };
    const rows = caseDayFacts(late, base).filter((r) => r.unitCode === 'BK');
    expect(rows.map((r) => [r.day, r.resolved, r.passedOnLate, r.grouped])).toEqual([
      ['2025-03-03', true, false, true],
      ['2025-03-05', false, true, true],
    ]);
    // Passed on in time: no fact of it.
    const inTime = { ...late, ownerships: [late.ownerships[0], { ...late.ownerships[1], passedDueAt: vn('2025-03-06T09:00') }], events: [] };
    expect(caseDayFacts(inTime, base).some((r) => r.passedOnLate)).toBe(false);
  });
});
