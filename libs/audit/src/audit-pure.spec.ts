import { GENESIS_HASH, putAside } from '@fr/persistence';
import { auditEventHash, canonicalAuditEvent, checkTexts, SealedEventRow } from './audit-chain';
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

describe(csvRow.name, () => {
  it('quotes per RFC 4180, ends rows with CRLF and defuses formulas', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', 'two\nlines', null, 3, true])).toBe('a,"b,c","say ""hi""","two\nlines",,3,true\r\n');
    expect(csvRow(['=HYPERLINK("x")', '-1', '@SUM(A1)', 'Phường Bách Khoa'])).toBe(`"'=HYPERLINK(""x"")",'-1,'@SUM(A1),Phường Bách Khoa\r\n`);
    expect(csvRow([-1])).toBe('-1\r\n');
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
    expect(() => parsePeriod('2025-02-30', '2025-03-01')).toThrow(/from is not a real date/);
    expect(() => parsePeriod('2025-03-01', 'yesterday')).toThrow(/^to must be a date/);
    expect(() => parsePeriod('2025-03-02', '2025-03-01')).toThrow(/to must be after from/);
    expect(() => parsePeriod(undefined, '2025-03-01')).toThrow(/from is required/);
    expect(() => parsePeriod('2015-01-01', '2025-03-01')).toThrow(/five years/);
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
    ownerships: [{ unit: 'QLDT', reason: 'route', start: t0 }],
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
});

describe(checkTexts.name, () => {
  const [t] = putAside({ reason: 'bà Lan ở số 12 gọi lại' });
  const row = (texts: unknown[] | null, hashes: Record<string, string> = { reason: t.hash }): SealedEventRow => ({
    seq: '1',
    event_id: '9',
    prev_hash: GENESIS_HASH,
    hash: GENESIS_HASH,
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
