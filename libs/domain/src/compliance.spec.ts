import {
  aUnitKind,
  evaluateCadence,
  evaluateDesignation,
  evaluateHeadcount,
  missedDeadline,
  targetAppliesTo,
  UNIT_KINDS,
  vnDay,
  vnDayStart,
} from './compliance';

/** An instant on the Vietnamese wall clock. */
const vn = (local: string) => new Date(`${local}+07:00`);
/** "by 25/7/2026": the deadline is the end of that day. */
const DUE = vn('2026-07-26T00:00:00');

describe('targetAppliesTo', () => {
  it('takes units by kind unless the target lists units by code', () => {
    expect(targetAppliesTo({ unitKinds: ['ward'], unitCodes: null }, { code: 'P_BACH_KHOA', kind: 'ward' })).toBe(true);
    expect(targetAppliesTo({ unitKinds: ['ward'], unitCodes: null }, { code: 'QLDT', kind: 'department' })).toBe(false);
    expect(targetAppliesTo({ unitKinds: ['ward'], unitCodes: ['QLDT'] }, { code: 'P_BACH_KHOA', kind: 'ward' })).toBe(false);
    expect(targetAppliesTo({ unitKinds: [], unitCodes: ['QLDT'] }, { code: 'QLDT', kind: 'department' })).toBe(true);
  });
});

describe(evaluateHeadcount.name, () => {
  const target = { dueAt: DUE, thresholdPercent: 100, atRiskDays: null };
  const at97 = [{ asOf: vn('2026-07-20T00:00:00'), total: 100, withAccount: 97 }];

  it('puts a unit at 97% at risk before the deadline and late from the deadline on', () => {
    expect(evaluateHeadcount(target, at97, vn('2026-07-25T23:59:00'))).toEqual({
      status: 'at_risk',
      value: 97,
      target: 100,
      dueAt: DUE,
      met: false,
      metAt: null,
    });
    expect(evaluateHeadcount(target, at97, DUE)).toMatchObject({ status: 'late', value: 97 });
  });

  it('is on track once the threshold is reached before the deadline, dated from the run of reports that reached it', () => {
    const reports = [
      ...at97,
      { asOf: vn('2026-07-22T00:00:00'), total: 100, withAccount: 100 },
      { asOf: vn('2026-07-24T00:00:00'), total: 101, withAccount: 101 },
    ];
    expect(evaluateHeadcount(target, reports, vn('2026-08-10T10:00:00'))).toMatchObject({
      status: 'on_track',
      value: 100,
      met: true,
      metAt: vn('2026-07-22T00:00:00'),
    });
  });

  it('stays late when the threshold is reached only after the deadline', () => {
    const reports = [...at97, { asOf: vn('2026-07-28T00:00:00'), total: 100, withAccount: 100 }];
    expect(evaluateHeadcount(target, reports, vn('2026-07-29T00:00:00'))).toMatchObject({ status: 'late', met: true, metAt: vn('2026-07-28T00:00:00') });
    expect(missedDeadline(evaluateHeadcount(target, reports, vn('2026-07-29T00:00:00')))).toBeNull();
  });

  it('reads only reports as of the evaluation time, and counts a unit that reported nothing as short', () => {
    const reports = [...at97, { asOf: vn('2026-07-22T00:00:00'), total: 100, withAccount: 100 }];
    expect(evaluateHeadcount(target, reports, vn('2026-07-21T00:00:00'))).toMatchObject({ status: 'at_risk', value: 97 });
    expect(evaluateHeadcount(target, [], vn('2026-07-21T00:00:00'))).toMatchObject({ status: 'at_risk', value: null, met: false });
    expect(missedDeadline(evaluateHeadcount(target, [], DUE))).toEqual(DUE);
  });

  it('waits until atRiskDays before the deadline to call a shortfall a risk, when the target says so', () => {
    const t = { ...target, atRiskDays: 3 };
    expect(evaluateHeadcount(t, at97, vn('2026-07-22T23:59:00')).status).toBe('on_track');
    expect(evaluateHeadcount(t, at97, vn('2026-07-23T00:00:00')).status).toBe('at_risk');
  });

  it('judges a report by when it was made: one dated back before the deadline but made after it is late, and unseen before it was made', () => {
    const backdated = { asOf: vn('2026-07-24T00:00:00'), total: 100, withAccount: 100, knownAt: vn('2026-07-27T09:00:00') };
    const reports = [...at97, backdated];
    expect(evaluateHeadcount(target, reports, vn('2026-07-28T00:00:00'))).toMatchObject({ status: 'late', met: true, metAt: vn('2026-07-27T09:00:00') });
    expect(evaluateHeadcount(target, reports, vn('2026-07-26T12:00:00'))).toMatchObject({ status: 'late', value: 97, met: false });
    // Made on time, it meets the deadline from its date.
    const onTime = { ...backdated, knownAt: vn('2026-07-24T08:00:00') };
    expect(evaluateHeadcount(target, [...at97, onTime], vn('2026-07-28T00:00:00'))).toMatchObject({ status: 'on_track', metAt: vn('2026-07-24T08:00:00') });
  });

  it('drops back when a later report falls below the threshold', () => {
    const reports = [
      { asOf: vn('2026-07-10T00:00:00'), total: 50, withAccount: 50 },
      { asOf: vn('2026-07-28T00:00:00'), total: 60, withAccount: 50 },
    ];
    expect(evaluateHeadcount(target, reports, vn('2026-07-29T00:00:00'))).toMatchObject({ status: 'late', value: 83.33, met: false });
  });
});

describe(evaluateDesignation.name, () => {
  const target = { dueAt: vn('2026-07-11T00:00:00'), atRiskDays: null };

  it('counts a focal point once its account has been used, and is met when both have been', () => {
    expect(evaluateDesignation(target, { handlerActivatedAt: vn('2026-07-01T09:00:00'), leaderActivatedAt: null }, vn('2026-07-05T00:00:00'))).toMatchObject({
      status: 'at_risk',
      value: 1,
      target: 2,
    });
    expect(
      evaluateDesignation(target, { handlerActivatedAt: vn('2026-07-01T09:00:00'), leaderActivatedAt: vn('2026-07-08T14:00:00') }, vn('2026-07-20T00:00:00')),
    ).toMatchObject({ status: 'on_track', value: 2, met: true, metAt: vn('2026-07-08T14:00:00') });
    expect(evaluateDesignation(target, { handlerActivatedAt: null, leaderActivatedAt: null }, vn('2026-07-11T00:00:00'))).toMatchObject({
      status: 'late',
      value: 0,
    });
  });
});

describe(evaluateCadence.name, () => {
  const startsAt = vn('2026-07-01T00:00:00');
  const target = { startsAt, everyDays: 3, atRiskDays: null };
  const day = (n: number, time = '09:00:00') => new Date(vn(`2026-07-01T${time}`).getTime() + n * 86_400_000);

  it('keeps a ward that published on day 0 on track through day 3 and late on day 4', () => {
    const notices = [day(0, '10:00:00')];
    const day3 = evaluateCadence(target, notices, day(3, '23:59:00'));
    expect(day3).toMatchObject({ status: 'on_track', value: 3, target: 3, met: true, gaps: [], notices: 1 });
    expect(day3.dueAt).toEqual(vnDayStart(vnDay(day(4))));
    const day4 = evaluateCadence(target, notices, day(4, '00:00:00'));
    expect(day4).toMatchObject({ status: 'late', value: 4, met: false });
    expect(day4.gaps).toEqual([{ from: '2026-07-05', to: null, days: 1, dueAt: vnDayStart(vnDay(day(4))) }]);
    expect(missedDeadline(day4)).toEqual(vnDayStart(vnDay(day(4))));
  });

  it('counts calendar days on the Vietnamese clock: a notice late in the evening belongs to its own day', () => {
    // 23:30 on day 0 in Hanoi is 16:30 UTC of the same date; 00:30 on day 1 is still day 0 in UTC.
    expect(evaluateCadence(target, [day(0, '23:30:00')], day(4, '00:10:00')).status).toBe('late');
    expect(evaluateCadence(target, [day(1, '00:30:00')], day(4, '00:10:00')).status).toBe('on_track');
  });

  it('finds every gap between notices in the window, and a notice ends the one going on', () => {
    const notices = [day(0), day(2), day(9), day(12)];
    const s = evaluateCadence(target, notices, day(20));
    expect(s.gaps.map(({ from, to, days }) => ({ from, to, days }))).toEqual([
      { from: '2026-07-07', to: '2026-07-09', days: 3 },
      { from: '2026-07-17', to: null, days: 5 },
    ]);
    expect(s).toMatchObject({ status: 'late', notices: 4, lastNoticeAt: day(12), value: 8 });
    const windowed = evaluateCadence(target, notices, day(20), vn('2026-07-11T00:00:00'));
    expect(windowed.gaps.map((g) => g.from)).toEqual(['2026-07-17']);
    expect(windowed.notices).toBe(1);
  });

  it('counts from the start day when a unit has published nothing, and ignores notices from before the start', () => {
    expect(evaluateCadence(target, [], day(3, '12:00:00')).status).toBe('on_track');
    expect(evaluateCadence(target, [day(-5)], day(4, '00:00:00'))).toMatchObject({ status: 'late', lastNoticeAt: day(-5) });
    expect(evaluateCadence(target, [], day(-2))).toMatchObject({ status: 'on_track', gaps: [] });
  });

  it('turns at risk on the last allowed day only when the target asks for it', () => {
    const t = { ...target, atRiskDays: 1 };
    expect(evaluateCadence(t, [day(0)], day(2, '23:00:00')).status).toBe('on_track');
    expect(evaluateCadence(t, [day(0)], day(3, '08:00:00')).status).toBe('at_risk');
  });
});

describe(aUnitKind.name, () => {
  it('puts the article a reader expects before each kind of unit', () => {
    expect(UNIT_KINDS.map(aUnitKind)).toEqual(['an office', 'a department', 'a ward', 'a police unit']);
  });
});
