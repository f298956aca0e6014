import { auditEventHash, eventText, SEAL_FORM_BINARY, SEAL_FORM_TEXT, SEAL_SUMMARY_SQL_UTF8, SealedEventRow, SealPageSummary } from './audit-chain';
import {
  ChainPoint,
  CheckpointWatch,
  FIRST_SEAL_SQL,
  joinSegments,
  SEAL_PAGE_SQL,
  SegmentChecker,
  seqPages,
  splitRange,
  sweepRange,
  VERIFY_SUMMARY_BATCH,
} from './chain-segments';

const GENESIS: Buffer = Buffer.alloc(32);
const ORIGIN: ChainPoint = { seq: 0n, eventId: null, hash: GENESIS };

/** A valid chain of n seals, event i sealed at position i: the first half in form 1, the rest in form 2 (as a trail sealed across the change). */
function chain(n: number): SealedEventRow[] {
  const rows: SealedEventRow[] = [];
  let prev: Buffer = GENESIS;
  for (let i = 1; i <= n; i++) {
    const r: SealedEventRow = {
      seq: String(i),
      event_id: String(100 + i),
      prev_hash: prev,
      hash: GENESIS,
      form: i <= n / 2 ? SEAL_FORM_TEXT : SEAL_FORM_BINARY,
      id: String(100 + i),
      case_id: null,
      actor: 'officer:1',
      action: 'note',
      from_state: null,
      to_state: null,
      reason: null,
      data: `{"n": ${i}}`,
      occurred_at: '2025-03-04T01:30:00.123456Z',
      texts: null,
    };
    r.hash = auditEventHash(prev, eventText(r), r.form);
    prev = r.hash;
    rows.push(r);
  }
  return rows;
}

/** Cuts rows into segments at the given positions (the first seq of each segment after the first) and checks each. */
function segments(rows: SealedEventRow[], cuts: number[], watch: CheckpointWatch | null = null) {
  const bounds = [1, ...cuts, Infinity];
  return bounds.slice(0, -1).map((lo, k) => {
    const c = new SegmentChecker(watch);
    const mine = rows.filter((r) => Number(r.seq) >= lo && Number(r.seq) < bounds[k + 1]);
    // Fed in small batches, as the worker reads them.
    for (let i = 0; i < mine.length && c.add(mine.slice(i, i + 3)); i += 3);
    return c.result();
  });
}

function expectBreak(j: { broken: { eventId: string; reason: string } | null }, eventId: string, reason: RegExp): void {
  expect(j.broken?.eventId).toBe(eventId);
  expect(j.broken?.reason).toMatch(reason);
}

describe('a verification cut into segments', () => {
  it('joins an intact chain into the same result as one walk', () => {
    const rows = chain(20);
    for (const cuts of [[], [11], [5, 9, 17], [2, 3, 4]]) {
      const j = joinSegments(ORIGIN, segments(rows, cuts));
      expect(j).toMatchObject({ checked: 20, lastSeq: 20n, lastId: '120', broken: null });
      expect(j.lastHash.equals(rows[19].hash)).toBe(true);
    }
  });

  it('splits a range into contiguous near-equal parts', () => {
    expect(splitRange(1n, 10n, 3)).toEqual([
      { fromSeq: 1n, toSeq: 4n },
      { fromSeq: 5n, toSeq: 7n },
      { fromSeq: 8n, toSeq: 10n },
    ]);
    expect(splitRange(5n, 6n, 4)).toEqual([
      { fromSeq: 5n, toSeq: 5n },
      { fromSeq: 6n, toSeq: 6n },
    ]);
    expect(splitRange(7n, 6n, 2)).toEqual([]);
    // Pages of positions (after, upTo], the last one cut at the end.
    expect([...seqPages(11n, 20n, 4)]).toEqual([
      ['10', '14'],
      ['14', '18'],
      ['18', '20'],
    ]);
    expect([...seqPages(1n, 5000n, 5000)]).toEqual([['0', '5000']]);
    expect([...seqPages(5n, 4n, 10)]).toEqual([]);
  });

  it('catches a link broken exactly at a boundary: the first seal of the segment is named', () => {
    const rows = chain(20);
    // Seal 11 claims another predecessor: segment 2 alone cannot see it, only the join can.
    rows[10] = { ...rows[10], prev_hash: Buffer.alloc(32, 7) };
    const segs = segments(rows, [11]);
    expect(segs[1].broken).toBeNull();
    const j = joinSegments(ORIGIN, segs);
    expect(j.broken).toMatchObject({ eventId: '111' });
    expect(j.broken!.reason).toMatch(/does not follow event 110/);
    expect(j).toMatchObject({ checked: 10, lastSeq: 10n, lastId: '110' });
  });

  it('catches a seal removed at a boundary, and content changed in the first seal of a segment', () => {
    const removed = chain(20).filter((r) => r.seq !== '11');
    expectBreak(joinSegments(ORIGIN, segments(removed, [11])), '112', /positions 11\.\.11 are absent/);
    // The last seal of segment 1 removed: the gap is seen from segment 2's first seal.
    const lastRemoved = chain(20).filter((r) => r.seq !== '10');
    expect(joinSegments(ORIGIN, segments(lastRemoved, [11])).broken).toMatchObject({ eventId: '111' });

    const changed = chain(20);
    changed[10] = { ...changed[10], data: '{"n": 999}' };
    expectBreak(joinSegments(ORIGIN, segments(changed, [11])), '111', /does not match its hash/);
  });

  it('names the earliest break when several segments break', () => {
    const rows = chain(30);
    rows[24] = { ...rows[24], data: '{}' }; // position 25, segment 3
    rows[15] = { ...rows[15], data: '{}' }; // position 16, segment 2
    const j = joinSegments(ORIGIN, segments(rows, [11, 21]));
    expect(j.broken).toMatchObject({ eventId: '116' });
    expect(j).toMatchObject({ checked: 15, lastSeq: 15n });
  });

  it('passes over an empty segment: the next seal found reports the gap', () => {
    const rows = chain(20).filter((r) => Number(r.seq) < 8 || Number(r.seq) > 13);
    expectBreak(joinSegments(ORIGIN, segments(rows, [8, 14])), '114', /positions 8\.\.13 are absent/);
  });

  it('compares the checkpoint inside a segment and at a boundary', () => {
    const rows = chain(20);
    const watch = (seq: number, hash: string): CheckpointWatch => ({ seq: BigInt(seq), eventId: String(100 + seq), hash, writtenAt: '2025-03-04T00:00:00Z' });
    expect(joinSegments(ORIGIN, segments(rows, [11], watch(11, rows[10].hash.toString('hex'))), watch(11, rows[10].hash.toString('hex'))).broken).toBeNull();
    for (const seq of [11, 15]) {
      const w = watch(seq, 'ab'.repeat(32));
      expectBreak(joinSegments(ORIGIN, segments(rows, [11], w), w), String(100 + seq), /differs from the checkpoint/);
    }
  });

  /** What the page check in SQL answers for a page of intact seals. */
  function summaryOf(page: SealedEventRow[]): SealPageSummary {
    const [first, last] = [page[0], page[page.length - 1]];
    return {
      n: page.length,
      bad_seq: null,
      first_seq: first?.seq ?? null,
      first_prev_hash: first?.prev_hash ?? null,
      first_hash: first?.hash ?? null,
      last_seq: last?.seq ?? null,
      last_id: last?.event_id ?? null,
      last_hash: last?.hash ?? null,
    };
  }

  /** Sweeps each segment as a thread does, over a stand-in for the database that answers from `rows` (and `firstRow` for the first seal's read). */
  async function swept(rows: SealedEventRow[], cuts: number[], firstRow: (r: SealedEventRow) => SealedEventRow = (r) => r) {
    const bounds = [1, ...cuts, rows.length + 1];
    const calls: string[][] = [];
    const results = [];
    for (let k = 0; k < bounds.length - 1; k++) {
      const mine: string[] = [];
      calls.push(mine);
      const checker = new SegmentChecker(null);
      await sweepRange(
        <T extends object>(sql: string, params: string[]): Promise<T[]> => {
          const [after, upTo] = params.map(BigInt);
          const inRange = rows.filter((r) => BigInt(r.seq) > after && BigInt(r.seq) <= upTo);
          const answer = (what: string | null, out: object[]) => {
            if (what) mine.push(what);
            return Promise.resolve(out as T[]);
          };
          if (sql === SEAL_SUMMARY_SQL_UTF8) return answer('summary', [summaryOf(inRange)]);
          if (sql === FIRST_SEAL_SQL) return answer('first seal', inRange.slice(0, 1).map(firstRow));
          if (sql === SEAL_PAGE_SQL) return answer('rows', inRange);
          return answer(null, [{ encoding: 'UTF8' }]);
        },
        BigInt(bounds[k]),
        BigInt(bounds[k + 1] - 1),
        checker,
      );
      results.push(checker.result());
    }
    return { calls, joined: joinSegments(ORIGIN, results) };
  }

  it('starts a segment on a page checked in SQL and reads its first seal after the last page', async () => {
    const rows = chain(20);
    const { calls, joined } = await swept(rows, [8, 15]);
    expect(joined).toMatchObject({ checked: 20, lastSeq: 20n, lastId: '120', broken: null });
    // No page checked in SQL runs on a connection after the first seal's read (see sweepRange).
    for (const c of calls) expect(c).toEqual(['summary', 'first seal']);
  });

  it("stops between pages once its signal aborts, with the signal's reason", async () => {
    const rows = chain(VERIFY_SUMMARY_BATCH * 2 + 10);
    const controller = new AbortController();
    const gone = new Error('the caller left');
    const asked: string[] = [];
    const sweep = sweepRange(
      <T extends object>(sql: string, params: string[]): Promise<T[]> => {
        if (sql !== SEAL_SUMMARY_SQL_UTF8) return Promise.resolve([{ encoding: 'UTF8' }] as T[]);
        asked.push(params.join('..'));
        // The caller leaves while the first page is being checked.
        controller.abort(gone);
        const [after, upTo] = params.map(BigInt);
        return Promise.resolve([summaryOf(rows.filter((r) => BigInt(r.seq) > after && BigInt(r.seq) <= upTo))] as T[]);
      },
      1n,
      BigInt(rows.length),
      new SegmentChecker(null),
      controller.signal,
    );
    await expect(sweep).rejects.toBe(gone);
    expect(asked).toEqual([`0..${VERIFY_SUMMARY_BATCH}`]);
  });

  it('still names a break at a boundary, and a first seal that changed after its page was checked', async () => {
    const rows = chain(20);
    // Seal 8 links to a seal 7 other than the one before it: the join names it, as with rows read first.
    const relinked = rows.map((r) => (r.seq === '8' ? { ...r, prev_hash: Buffer.alloc(32, 7) } : r));
    expectBreak((await swept(relinked, [8])).joined, '108', /does not follow event 107/);
    // The first seal read after the pages is not the one SQL checked (its hash differs).
    const { joined } = await swept(rows, [8], (r) => (r.seq === '8' ? { ...r, hash: Buffer.alloc(32, 9) } : r));
    expectBreak(joined, '108', /position 8 changed while the trail was being verified/);
  });
});
