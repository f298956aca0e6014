import { GENESIS_HASH, putAside } from '@fr/persistence';
import { auditEventBytesV2, auditEventHash, canonicalAuditEvent, checkLink, checkTexts, SEAL_FORM_BINARY, SEAL_FORM_TEXT, SealedEventRow } from './audit-chain';
import { csvRow } from './csv';
import { parsePeriod } from './period';
import { WorkingCalendar } from '@fr/domain';
import { CaseFacts, caseLines, MetricsContext, nearestRank, UnitAccumulator } from './unit-metrics';

describe(canonicalAuditEvent.name, () => {
  const e = {
    id: '7',
    caseId: null,
    actor: 'officer:x',
    action: 'note',
    fromState: null,
    toState: null,
    reason: 'a|1:b',
    data: '{"a": "Phường Bạch Mai"}',
    occurredAt: '2025-03-04T01:30:00.123456Z',
  };

  it('length-prefixes every field in UTF-8 bytes, so no content can imitate a separator', () => {
    expect(canonicalAuditEvent(e)).toBe('fr-audit-v1|1:7|-|9:officer:x|4:note|-|-|5:a|1:b|29:{"a": "Phường Bạch Mai"}|27:2025-03-04T01:30:00.123456Z');
    expect(canonicalAuditEvent({ ...e, reason: '' })).not.toBe(canonicalAuditEvent({ ...e, reason: null }));
  });

  it('chains: the same event after another predecessor hashes differently', () => {
    const first = auditEventHash(GENESIS_HASH, e);
    expect(first).toHaveLength(32);
    expect(auditEventHash(first, e).equals(first)).toBe(false);
  });
});

describe(auditEventBytesV2.name, () => {
  // PostgreSQL 15's '\x66722d61756469742d7632'::bytea || record_send(ROW(...)) for this event (a client in UTF8).
  const e = {
    id: '5',
    caseId: 'c4ca4238-a0b9-2382-0dcc-509a6f75849b',
    actor: 'officer:bench',
    action: 'request-info',
    fromState: 'in_progress',
    toState: 'awaiting_info',
    reason: 'Yêu cầu bổ sung ảnh hiện trường vỉa hè bị lấn chiếm',
    data: '{"paused": "resolve"}',
    occurredAt: '2025-01-01T13:08:31.893824Z',
  };
  const fromPostgres =
    '66722d61756469742d7632' +
    '000000090000001400000008000000000000000500000b8600000010c4ca4238a0b923820dcc509a6f75849b000004130000000d6f6666696365723a62656e6368000004130000000c' +
    '726571756573742d696e666f000004130000000b696e5f70726f6772657373000004130000000d6177616974696e675f696e666f000000190000004859c3aa752063e1baa7752062' +
    'e1bb952073756e6720e1baa36e68206869e1bb876e207472c6b0e1bb9d6e672076e1bb89612068c3a82062e1bb8b206ce1baa56e20636869e1babf6d00000eda00000016017b2270' +
    '6175736564223a20227265736f6c7665227d000004a0000000080002cda382d6b540';

  it("is PostgreSQL's binary record of the event, byte for byte", () => {
    expect(auditEventBytesV2(e).toString('hex')).toBe(fromPostgres);
  });

  it("writes times as PostgreSQL's microseconds since 2000, far from now too", () => {
    const time = (occurredAt: string) =>
      auditEventBytesV2({ ...e, occurredAt })
        .subarray(-8)
        .toString('hex');
    // timestamptz_send of each, PostgreSQL 15.
    expect(time('1999-12-31T23:59:59.999999Z')).toBe('ffffffffffffffff');
    expect(time('0044-03-15T12:00:00.000001Z')).toBe('ff24baf5268a3001');
  });

  it('tells NULL from empty, and a time a microsecond apart', () => {
    expect(auditEventBytesV2({ ...e, reason: '' })).not.toEqual(auditEventBytesV2({ ...e, reason: null }));
    expect(auditEventBytesV2({ ...e, occurredAt: '2025-01-01T13:08:31.893825Z' })).not.toEqual(auditEventBytesV2(e));
  });

  it('a seal is checked in the form it names: the same seal read as the other form, or an unknown one, fails', () => {
    const row = (form: number): SealedEventRow => ({
      seq: '1',
      event_id: e.id,
      prev_hash: GENESIS_HASH,
      hash: auditEventHash(GENESIS_HASH, e, SEAL_FORM_BINARY),
      form,
      id: e.id,
      case_id: e.caseId,
      actor: e.actor,
      action: e.action,
      from_state: e.fromState,
      to_state: e.toState,
      reason: e.reason,
      data: e.data,
      occurred_at: e.occurredAt,
      texts: null,
    });
    expect(checkLink(row(SEAL_FORM_BINARY), 1n, GENESIS_HASH, null)).toBeNull();
    expect(checkLink(row(SEAL_FORM_TEXT), 1n, GENESIS_HASH, null)?.reason).toMatch(/does not match its hash/);
    expect(checkLink(row(3), 1n, GENESIS_HASH, null)?.reason).toMatch(/canonical form \(3\)/);
  });
});

describe(csvRow.name, () => {
  it('quotes per RFC 4180, ends rows with CRLF and defuses formulas', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', 'two\nlines', null, 3, true])).toBe('a,"b,c","say ""hi""","two\nlines",,3,true\r\n');
    expect(csvRow(['=HYPERLINK("x")', '-1', '@SUM(A1)', 'Phường Bách Khoa'])).toBe(`"'=HYPERLINK(""x"")",'-1,'@SUM(A1),Phường Bách Khoa\r\n`);
    expect(csvRow([-1])).toBe('-1\r\n');
    // A spreadsheet set to read ';' as the separator (Vietnamese regional settings, a decimal comma) split
    // an unquoted cell there, and the part after it began like a formula.
    expect(csvRow(['Phòng A;=HYPERLINK("x")', 'a;b'])).toBe('"Phòng A;=HYPERLINK(""x"")","a;b"\r\n');
  });
});

describe(parsePeriod.name, () => {
  it('reads dates as whole days in Hanoi, to inclusive; date-times as they are', () => {
    expect(parsePeriod('2025-01-01', '2025-03-31')).toEqual({ from: new Date('2024-12-31T17:00:00Z'), to: new Date('2025-03-31T17:00:00Z') });
    expect(parsePeriod('2025-01-01T08:00:00+07:00', '2025-01-01T09:00:00Z')).toEqual({
      from: new Date('2025-01-01T01:00:00Z'),
      to: new Date('2025-01-01T09:00:00Z'),
    });
  });

  it('says which end is wrong', () => {
    expect(() => parsePeriod('2025-02-30', '2025-03-01')).toThrow(/from '2025-02-30' is not a real date/);
    expect(() => parsePeriod('2025-03-01', 'yesterday')).toThrow(/^to must be a date/);
    expect(() => parsePeriod('2025-03-02', '2025-03-01')).toThrow(/to must be after from/);
    expect(() => parsePeriod(undefined, '2025-03-01')).toThrow(/from is required/);
    expect(() => parsePeriod('x', undefined)).toThrow(
      'from must be a date (YYYY-MM-DD, a day in Asia/Ho_Chi_Minh) or an ISO 8601 date-time with its offset, such as 2026-11-29T09:15:00+07:00; to is required',
    );
    expect(() => parsePeriod('2015-01-01', '2025-03-01')).toThrow(/five years/);
  });

  it('takes the dates and times the rest of the API takes: a real day, in 2000-2099', () => {
    // Date.parse rolled 30 February over to 2 March.
    expect(() => parsePeriod('2025-02-30T10:00:00Z', '2025-03-05')).toThrow(/from '2025-02-30T10:00:00Z' is not a real date and time/);
    expect(() => parsePeriod('1999-12-01', '2000-03-01')).toThrow(/from must be between the years 2000 and 2099/);
    expect(() => parsePeriod('2025-03-01', '2025-03-02T25:00:00+07:00')).toThrow(/to '2025-03-02T25:00:00\+07:00' is not a real date and time/);
    expect(parsePeriod('2025-03-01T08:00:00.1234567+0700', '2025-03-01')).toEqual({
      from: new Date('2025-03-01T01:00:00.123Z'),
      to: new Date('2025-03-01T17:00:00Z'),
    });
  });
});

describe(nearestRank.name, () => {
  it('takes the smallest value with at least p of the sample at or below it', () => {
    expect(nearestRank([2700, 360, 1020], 0.5)).toBe(1020);
    expect(nearestRank([2700, 360, 1020], 0.9)).toBe(2700);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(
      nearestRank(
        Array.from({ length: 10 }, (_, i) => i + 1),
        0.9,
      ),
    ).toBe(9);
    expect(nearestRank([], 0.5)).toBeNull();
  });
});

describe('merged duplicates in unit metrics', () => {
  const t0 = Date.UTC(2026, 11, 1, 2, 0);
  const ctx: MetricsContext = {
    from: t0 - 86_400_000,
    to: t0 + 7 * 86_400_000,
    evaluatedAt: t0 + 7 * 86_400_000,
    calendar: new WorkingCalendar({ daysOff: [], extraWorkingDays: [] }),
    receiveDue: (start) => new Date(start.getTime() + 8 * 3_600_000),
  };
  const facts = (id: string, events: CaseFacts['events'], status: 'resolved' | 'closed'): CaseFacts => ({
    caseId: id,
    trackingCode: id,
    receivedAt: t0,
    rating: null,
    ratedAt: null,
    ownerships: [{ unit: 'QLDT', reason: 'route', start: t0, passedDueAt: null }],
    events,
    pauses: [],
    atEnd: { status, unit: 'QLDT', dueAt: null, warnAt: null },
  });

  it('counts one resolved case and the others merged, none of them open', () => {
    const sut = new UnitAccumulator();
    const original = facts('O', [{ action: 'resolve', at: t0 + 3_600_000, onTime: true }], 'resolved');
    for (const l of caseLines(original, ctx)) sut.add(l);
    for (let i = 0; i < 19; i++) {
      for (const l of caseLines(facts(`D${i}`, [{ action: 'join_original', at: t0 + 1_800_000, onTime: null }], 'closed'), ctx)) sut.add(l);
    }
    expect(sut.result()).toMatchObject({ received: 20, resolved: 1, mergedDuplicates: 19, open: 0, onTime: { due: 1, late: 0 } });
  });

  it('gives a unit a merged duplicate that followed its original there no line: no receipt, nothing open', () => {
    const d = facts('D', [{ action: 'join_original', at: t0 + 1_800_000, onTime: null }], 'closed');
    d.ownerships.push({ unit: 'P_BACH_KHOA', reason: 'follow_original', start: t0 + 3_600_000 });
    const lines = caseLines(d, ctx);
    expect(lines.map((l) => l.unitCode)).toEqual(['QLDT']);
    expect(lines[0]).toMatchObject({ receivedAt: new Date(t0), mergedDuplicate: true, transfersOut: 0, reorganisedOut: 0 });
  });

  it("counts a duplicate merged into another unit's original once: received and merged where it was, nothing at the original's unit", () => {
    const d = facts('D', [{ action: 'join_original', at: t0 + 1_800_000, onTime: null }], 'closed');
    d.ownerships.push({ unit: 'P_BACH_MAI', reason: 'merge', start: t0 + 1_800_001 });
    d.atEnd = { status: 'merged', unit: 'P_BACH_MAI', dueAt: null, warnAt: null };
    const sut = new UnitAccumulator();
    const lines = caseLines(d, ctx);
    for (const l of lines) sut.add(l);
    expect(lines.map((l) => l.unitCode)).toEqual(['QLDT']);
    expect(lines[0]).toMatchObject({ receivedAt: new Date(t0), mergedDuplicate: true, transfersOut: 0, open: false });
    expect(sut.result()).toMatchObject({ received: 1, mergedDuplicates: 1, open: 0 });
  });
});

describe('a case returned and given back to the unit in unit metrics', () => {
  const t0 = Date.UTC(2026, 11, 1, 2, 0);
  const HOUR = 3_600_000;
  const ctx: MetricsContext = {
    from: t0 - 86_400_000,
    to: t0 + 7 * 86_400_000,
    evaluatedAt: t0 + 7 * 86_400_000,
    calendar: new WorkingCalendar({ daysOff: [], extraWorkingDays: [] }),
    receiveDue: (start) => new Date(start.getTime() + 8 * HOUR),
  };
  // Routed to the ward, returned to triage unacknowledged, assigned back to the ward two days later.
  const bounced = (ackAfterBack: number | null, returnedAfter = HOUR): CaseFacts => ({
    caseId: 'B',
    trackingCode: 'B',
    receivedAt: t0,
    rating: null,
    ratedAt: null,
    ownerships: [
      { unit: 'P_BACH_KHOA', reason: 'route', start: t0 },
      { unit: 'VP', reason: 'return', start: t0 + returnedAfter },
      { unit: 'P_BACH_KHOA', reason: 'assign', start: t0 + 48 * HOUR },
    ],
    events: ackAfterBack === null ? [] : [{ action: 'acknowledge', at: t0 + 48 * HOUR + ackAfterBack, onTime: null }],
    pauses: [],
    atEnd: { status: 'in_progress', unit: 'P_BACH_KHOA', dueAt: null, warnAt: null },
  });
  const ward = (f: CaseFacts) => caseLines(f, ctx).find((l) => l.unitCode === 'P_BACH_KHOA')!;

  it('counts it received once and acknowledged, on time by the clock of the receipt it was acknowledged in', () => {
    expect(ward(bounced(2 * HOUR))).toMatchObject({
      receivedAt: new Date(t0),
      acknowledgedAt: new Date(t0 + 50 * HOUR),
      receiveDueAt: new Date(t0 + 56 * HOUR),
      acknowledgedOnTime: true,
      returns: 1,
    });
    const sut = new UnitAccumulator();
    sut.add(ward(bounced(2 * HOUR)));
    expect(sut.result()).toMatchObject({ received: 1, acknowledged: 1, acknowledgedOnTime: 1 });
  });

  it('is late when the unit held it past its first deadline before returning it: a return buys no fresh deadline', () => {
    expect(ward(bounced(2 * HOUR, 10 * HOUR))).toMatchObject({ acknowledgedAt: new Date(t0 + 50 * HOUR), acknowledgedOnTime: false });
    // The daily facts see a day at a time and judge the same.
    const day = (from: number) => caseLines(bounced(2 * HOUR, 10 * HOUR), { ...ctx, from, to: from + 86_400_000 }).find((l) => l.unitCode === 'P_BACH_KHOA');
    expect(day(t0 + 48 * HOUR - 2 * HOUR)).toMatchObject({ acknowledgedOnTime: false });
  });

  it('is late when the receipt it was acknowledged in ran out, and unacknowledged when it never was', () => {
    expect(ward(bounced(9 * HOUR))).toMatchObject({ acknowledgedOnTime: false });
    expect(ward(bounced(null))).toMatchObject({
      receivedAt: new Date(t0),
      receiveDueAt: new Date(t0 + 8 * HOUR),
      acknowledgedAt: null,
      acknowledgedOnTime: null,
    });
  });
});

describe(checkTexts.name, () => {
  const [t] = putAside({ reason: 'bà Lan ở số 12 gọi lại' });
  const row = (texts: unknown[] | null, hashes: Record<string, string> = { reason: t.hash }): SealedEventRow => ({
    seq: '1',
    event_id: '9',
    prev_hash: GENESIS_HASH,
    hash: GENESIS_HASH,
    form: SEAL_FORM_TEXT,
    id: '9',
    case_id: null,
    actor: 'officer:x',
    action: 'transfer',
    from_state: null,
    to_state: null,
    reason: null,
    data: JSON.stringify({ texts: hashes }),
    occurred_at: '',
    texts: texts && JSON.stringify(texts),
  });

  it('accepts a kept text that hashes to its sealed value, and an erased one', () => {
    expect(checkTexts(row([['reason', t.salt.toString('hex'), t.body]]))).toBeNull();
    expect(checkTexts(row([['reason', null, null]]))).toBeNull();
  });

  it('names a changed, an added and a deleted text', () => {
    expect(checkTexts(row([['reason', t.salt.toString('hex'), 'bà Mai']]))?.reason).toMatch(/changed/);
    expect(
      checkTexts(
        row([
          ['reason', t.salt.toString('hex'), t.body],
          ['other', null, null],
        ]),
      )?.reason,
    ).toMatch(/added later/);
    expect(checkTexts(row(null))?.reason).toMatch(/deleted/);
  });

  it('salts each text: the same words hash differently twice, so an erased text cannot be confirmed by a guess', () => {
    expect(putAside({ reason: t.body })[0].hash).not.toBe(t.hash);
  });
});

describe('the late rate: cases passed on late, and a case counted once', () => {
  const t0 = Date.UTC(2026, 11, 1, 2, 0);
  const HOUR = 3_600_000;
  const ctx: MetricsContext = {
    from: t0 - 86_400_000,
    to: t0 + 7 * 86_400_000,
    evaluatedAt: t0 + 7 * 86_400_000,
    calendar: new WorkingCalendar({ daysOff: [], extraWorkingDays: [] }),
    receiveDue: (start) => new Date(start.getTime() + 8 * HOUR),
  };
  // Routed to the ward, which held it `heldFor`, then passed it on (transfer or return) with `dueAt` in force.
  const passedOn = (reason: 'transfer' | 'return', heldFor: number, dueAt: number | null): CaseFacts => ({
    caseId: 'P',
    trackingCode: 'P',
    receivedAt: t0,
    rating: null,
    ratedAt: null,
    ownerships: [
      { unit: 'P_BACH_KHOA', reason: 'route', start: t0, passedDueAt: null },
      { unit: reason === 'transfer' ? 'P_THANH_NHAN' : 'VP', reason, start: t0 + heldFor, passedDueAt: dueAt },
    ],
    events: [],
    pauses: [],
    atEnd: { status: 'assigned', unit: reason === 'transfer' ? 'P_THANH_NHAN' : 'VP', dueAt: t0 + heldFor + 8 * HOUR, warnAt: null },
  });
  const report = (...cases: CaseFacts[]) => {
    const units = new Map<string, UnitAccumulator>();
    for (const f of cases)
      for (const l of caseLines(f, ctx)) {
        if (!units.has(l.unitCode)) units.set(l.unitCode, new UnitAccumulator());
        units.get(l.unitCode)!.add(l);
      }
    return (unit: string) => (units.get(unit) ?? new UnitAccumulator()).result();
  };

  it('counts a case transferred or returned after its deadline as due and late for the unit that passed it on', () => {
    for (const reason of ['transfer', 'return'] as const) {
      const f = passedOn(reason, 30 * HOUR, t0 + 8 * HOUR);
      expect(caseLines(f, ctx).find((l) => l.unitCode === 'P_BACH_KHOA')).toMatchObject({ passedOnLate: true, open: false, resolvedAt: null });
      expect(report(f)('P_BACH_KHOA')).toMatchObject({ passedOnLate: 1, onTime: { due: 1, late: 1, lateRate: 100, onTimeRate: 0 } });
    }
  });

  it('does not count a case passed on before its deadline, nor one whose clock stood still; the receiving unit is judged on its own clock', () => {
    expect(report(passedOn('transfer', 2 * HOUR, t0 + 8 * HOUR))('P_BACH_KHOA')).toMatchObject({ passedOnLate: 0, onTime: { due: 0, late: 0 } });
    expect(report(passedOn('transfer', 30 * HOUR, null))('P_BACH_KHOA')).toMatchObject({ passedOnLate: 0, onTime: { due: 0 } });
    // Received 30 hours in with a fresh 8-hour clock: not overdue at the end of the week? It is: judged at its own deadline.
    const late = report(passedOn('transfer', 30 * HOUR, t0 + 8 * HOUR));
    expect(late('P_THANH_NHAN')).toMatchObject({ received: 1, passedOnLate: 0, openOverdue: 1, onTime: { due: 1, late: 1 } });
    const fresh = { ...ctx, evaluatedAt: t0 + 31 * HOUR, to: t0 + 31 * HOUR };
    const l = caseLines(passedOn('transfer', 30 * HOUR, t0 + 8 * HOUR), fresh).find((x) => x.unitCode === 'P_THANH_NHAN')!;
    expect(l).toMatchObject({ open: true, overdue: false, passedOnLate: false });
  });

  it('counts in the period the case was passed on: not in an earlier period in which its deadline passed', () => {
    const f = passedOn('transfer', 50 * HOUR, t0 + 8 * HOUR);
    const before = caseLines(f, { ...ctx, from: t0, to: t0 + 24 * HOUR, evaluatedAt: t0 + 24 * HOUR });
    // Still held (and overdue) at the end of the first day: open past deadline, as before.
    expect(before.find((l) => l.unitCode === 'P_BACH_KHOA')).toMatchObject({ passedOnLate: false });
    const after = caseLines(f, { ...ctx, from: t0 + 48 * HOUR, to: t0 + 72 * HOUR, evaluatedAt: t0 + 72 * HOUR });
    expect(after.find((l) => l.unitCode === 'P_BACH_KHOA')).toMatchObject({ passedOnLate: true });
  });

  it('counts a case resolved late, reopened and open past its new deadline once in due and in late', () => {
    const f: CaseFacts = {
      caseId: 'R',
      trackingCode: 'R',
      receivedAt: t0,
      rating: 1,
      ratedAt: t0 + 50 * HOUR,
      ownerships: [{ unit: 'P_BACH_KHOA', reason: 'route', start: t0, passedDueAt: null }],
      events: [
        { action: 'resolve', at: t0 + 48 * HOUR, onTime: false },
        { action: 'reopen', at: t0 + 50 * HOUR, onTime: null },
      ],
      pauses: [],
      atEnd: { status: 'in_progress', unit: 'P_BACH_KHOA', dueAt: t0 + 60 * HOUR, warnAt: null },
    };
    expect(report(f)('P_BACH_KHOA')).toMatchObject({ resolved: 1, resolvedLate: 1, openOverdue: 1, onTime: { due: 1, late: 1, lateRate: 100 } });
    // Answered on time, reopened, then overdue: due once, and late (it is open past its deadline).
    const onTime = { ...f, events: [{ ...f.events[0], onTime: true }, f.events[1]] };
    expect(report(onTime)('P_BACH_KHOA')).toMatchObject({ resolved: 1, resolvedLate: 0, openOverdue: 1, onTime: { due: 1, late: 1 } });
    // And a late answer, with another case on time: 1 late of 2.
    const other: CaseFacts = {
      ...f,
      caseId: 'S',
      events: [{ action: 'resolve', at: t0 + 2 * HOUR, onTime: true }],
      atEnd: { status: 'resolved', unit: 'P_BACH_KHOA', dueAt: null, warnAt: null },
    };
    expect(report(f, other)('P_BACH_KHOA')).toMatchObject({ resolved: 2, onTime: { due: 2, late: 1, lateRate: 50 } });
  });

  it('a case resolved, then passed on late after a reopening, counts once for the unit', () => {
    const f: CaseFacts = {
      caseId: 'Q',
      trackingCode: 'Q',
      receivedAt: t0,
      rating: 1,
      ratedAt: t0 + 30 * HOUR,
      ownerships: [
        { unit: 'P_BACH_KHOA', reason: 'route', start: t0, passedDueAt: null },
        { unit: 'P_THANH_NHAN', reason: 'transfer', start: t0 + 80 * HOUR, passedDueAt: t0 + 40 * HOUR },
      ],
      events: [
        { action: 'resolve', at: t0 + 20 * HOUR, onTime: true },
        { action: 'reopen', at: t0 + 30 * HOUR, onTime: null },
      ],
      pauses: [],
      atEnd: { status: 'resolved', unit: 'P_THANH_NHAN', dueAt: null, warnAt: null },
    };
    expect(report(f)('P_BACH_KHOA')).toMatchObject({ resolved: 1, resolvedLate: 0, passedOnLate: 1, onTime: { due: 1, late: 1 } });
  });
});
