import { createHash, createHmac } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ConflictError, RequestUnderWayError, UnprocessableError } from '@fr/domain';
import { claimActionKey, fingerprintOf } from './action-keys';

const SECRET = 'privacy-key-of-thirty-two-characters-or-more';

/**
 * A retry is the same request when its JSON says the same: the document promises a replay for "the same
 * body", and a client library, a proxy or a retry queue may write the members in another order, the case
 * id in upper case (the API takes it as the same case), or a null where the first sent nothing.
 */
describe('fingerprintOf', () => {
  const id = '01a2502d-1215-7751-a8f0-ebb81440834b';
  const body = { expectedVersion: 3, unitCode: 'P2025_HAI_BA_TRUNG', reason: 'Địa chỉ thuộc phường Hai Bà Trưng' };
  const sut = (action: Parameters<typeof fingerprintOf>[1], caseId: string, b: unknown) => fingerprintOf(SECRET, action, caseId, b);

  it('reads a body with its members in another order as the same request', () => {
    const reordered = { reason: body.reason, unitCode: body.unitCode, expectedVersion: 3 };
    expect(sut('transfer', id, reordered).equals(sut('transfer', id, body))).toBe(true);
  });

  it('reads nested members in another order as the same request', () => {
    const a = { expectedVersion: 2, answer: 'Đã thu dọn', attachments: [{ url: 'https://cdn.ihanoi.vn/p/a.jpg', kind: 'image' }] };
    const b = { attachments: [{ kind: 'image', url: 'https://cdn.ihanoi.vn/p/a.jpg' }], answer: 'Đã thu dọn', expectedVersion: 2 };
    expect(sut('resolve', id, a).equals(sut('resolve', id, b))).toBe(true);
  });

  it('reads the case id in any letter case as the same case', () => {
    expect(sut('transfer', id.toUpperCase(), body).equals(sut('transfer', id, body))).toBe(true);
  });

  it('reads a member sent as null as one left out, as the action does', () => {
    expect(sut('acknowledge', id, { expectedVersion: 1, severity: null }).equals(sut('acknowledge', id, { expectedVersion: 1 }))).toBe(true);
  });

  it("reads a merge's duplicateIds as the merge does, as a set: in any order, letter case or repetition, the same request", () => {
    const a = '0190a3c2-0000-7000-8000-0000000000d1';
    const b = '0190a3c2-0000-7000-8000-0000000000d2';
    const first = sut('merge', id, { expectedVersion: 1, duplicateIds: [a, b] });
    expect(sut('merge', id, { expectedVersion: 1, duplicateIds: [b, a] }).equals(first)).toBe(true);
    expect(sut('merge', id, { duplicateIds: [b.toUpperCase(), a, b], expectedVersion: 1 }).equals(first)).toBe(true);
    // Another set is another request.
    expect(sut('merge', id, { expectedVersion: 1, duplicateIds: [a] }).equals(first)).toBe(false);
  });

  it('still tells apart another action, case, value, or the order of a list whose order the action keeps', () => {
    const base = sut('transfer', id, body);
    expect(sut('return', id, body).equals(base)).toBe(false);
    expect(sut('transfer', '01a2502d-1215-7751-a8f0-ebb81440834c', body).equals(base)).toBe(false);
    expect(sut('transfer', id, { ...body, expectedVersion: 4 }).equals(base)).toBe(false);
    // A resolution's attachments are shown to the citizen in the order sent.
    const photo = (n: number) => ({ url: `https://cdn.ihanoi.vn/p/${n}.jpg`, kind: 'image' });
    expect(
      sut('resolve', id, { expectedVersion: 2, answer: 'Đã thu dọn', attachments: [photo(1), photo(2)] }).equals(
        sut('resolve', id, { expectedVersion: 2, answer: 'Đã thu dọn', attachments: [photo(2), photo(1)] }),
      ),
    ).toBe(false);
  });

  it('is keyed: a copy of the table does not let short words be guessed by hashing candidates', () => {
    const note = { text: 'Ông Nguyễn Văn A, 0913555777' };
    const keyed = sut('note', id, note);
    expect(fingerprintOf('another-privacy-key-of-thirty-two-characters', 'note', id, note).equals(keyed)).toBe(false);
    const plain = createHash('sha256')
      .update(JSON.stringify(['note', id, note]), 'utf8')
      .digest();
    expect(keyed.equals(plain)).toBe(false);
    expect(keyed).toHaveLength(32);
  });
});

describe(claimActionKey.name, () => {
  const key = { officerId: '0190a3c2-0000-7000-8000-000000000001', key: 'k-1', body: { text: 'Ghi chú.' } };
  const caseId = '0190a3c2-0000-7000-8000-0000000000c1';
  const claim = (m: EntityManager) => claimActionKey(m, key, 'note', caseId, new Date(), SECRET);
  /** A transaction whose statements answer in turn, recorded. */
  function recording(...answers: (unknown[] | Error)[]) {
    const statements: string[] = [];
    const query = jest.fn((sql: string) => {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      const next = answers.shift() ?? [];
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    });
    return { m: { query } as unknown as EntityManager, statements };
  }
  // node-postgres' error, as TypeORM passes it on (QueryFailedError copies the driver's fields).
  const timedOut = () => Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03', severity: 'ERROR' });

  it('answers 409 at once, with Retry-After, when the first request with the key is still under way (the draft: "retried before the original request completed")', async () => {
    const { m, statements } = recording([], timedOut());
    const thrown = await claim(m).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(RequestUnderWayError);
    expect(thrown).toBeInstanceOf(ConflictError);
    expect((thrown as RequestUnderWayError).message).toMatch(/^a request with this Idempotency-Key is still under way/);
    expect((thrown as RequestUnderWayError).message).not.toContain('k-1');
    expect((thrown as RequestUnderWayError).retryAfterSeconds).toBeGreaterThan(0);
    // The insert waits on the first request's row for a moment only, not for the API's lock timeout.
    expect(statements[0]).toMatch(/^SET LOCAL lock_timeout = '\d+ms'$/);
    expect(statements[1]).toMatch(/^INSERT INTO case_action_keys/);
  });

  it("gives the rest of the action the API's own lock timeout back once the key is claimed", async () => {
    const { m, statements } = recording([], [{ claimed: true }]);
    await expect(claim(m)).resolves.toBe('claimed');
    expect(statements).toEqual([expect.stringMatching(/^SET LOCAL lock_timeout = /), expect.stringMatching(/^INSERT /), 'SET LOCAL lock_timeout TO DEFAULT']);
  });

  it('passes on any other error of the statement', async () => {
    const down = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const { m } = recording([], down);
    await expect(claim(m)).rejects.toBe(down);
  });

  it('replays a request whose row holds its keyed fingerprint', async () => {
    const { m } = recording([], [], [], [{ fingerprint: fingerprintOf(SECRET, 'note', caseId, key.body) }]);
    await expect(claim(m)).resolves.toBe('done');
  });

  it('replays a request recorded before the fingerprint was keyed (the plain SHA-256 the row holds) within its 24 hours', async () => {
    const plain = createHash('sha256')
      .update(JSON.stringify(['note', caseId, key.body]), 'utf8')
      .digest();
    const { m } = recording([], [], [], [{ fingerprint: plain }]);
    await expect(claim(m)).resolves.toBe('done');
  });

  it('refuses with 422 a row of another request, keyed or not', async () => {
    const other = { text: 'Ghi chú khác.' };
    for (const fingerprint of [
      fingerprintOf(SECRET, 'note', caseId, other),
      createHash('sha256')
        .update(JSON.stringify(['note', caseId, other]), 'utf8')
        .digest(),
      createHmac('sha256', 'another-privacy-key-of-thirty-two-characters').update('x').digest(),
    ]) {
      const { m } = recording([], [], [], [{ fingerprint }]);
      await expect(claim(m)).rejects.toBeInstanceOf(UnprocessableError);
    }
  });
});
