import { EntityManager } from 'typeorm';
import { BusyError } from '@fr/domain';
import { claimActionKey, fingerprintOf } from './action-keys';

/**
 * A retry is the same request when its JSON says the same: the document promises a replay for "the same
 * body", and a client library, a proxy or a retry queue may write the members in another order, the case
 * id in upper case (the API takes it as the same case), or a null where the first sent nothing.
 */
describe('fingerprintOf', () => {
  const id = '01a2502d-1215-7751-a8f0-ebb81440834b';
  const body = { expectedVersion: 3, unitCode: 'P2025_HAI_BA_TRUNG', reason: 'Địa chỉ thuộc phường Hai Bà Trưng' };

  it('reads a body with its members in another order as the same request', () => {
    const reordered = { reason: body.reason, unitCode: body.unitCode, expectedVersion: 3 };
    expect(fingerprintOf('transfer', id, reordered).equals(fingerprintOf('transfer', id, body))).toBe(true);
  });

  it('reads nested members in another order as the same request', () => {
    const a = { expectedVersion: 2, answer: 'Đã thu dọn', attachments: [{ url: 'https://cdn.ihanoi.vn/p/a.jpg', kind: 'image' }] };
    const b = { attachments: [{ kind: 'image', url: 'https://cdn.ihanoi.vn/p/a.jpg' }], answer: 'Đã thu dọn', expectedVersion: 2 };
    expect(fingerprintOf('resolve', id, a).equals(fingerprintOf('resolve', id, b))).toBe(true);
  });

  it('reads the case id in any letter case as the same case', () => {
    expect(fingerprintOf('transfer', id.toUpperCase(), body).equals(fingerprintOf('transfer', id, body))).toBe(true);
  });

  it('reads a member sent as null as one left out, as the action does', () => {
    expect(fingerprintOf('acknowledge', id, { expectedVersion: 1, severity: null }).equals(fingerprintOf('acknowledge', id, { expectedVersion: 1 }))).toBe(
      true,
    );
  });

  it('still tells apart another action, case, value or list order', () => {
    const base = fingerprintOf('transfer', id, body);
    expect(fingerprintOf('return', id, body).equals(base)).toBe(false);
    expect(fingerprintOf('transfer', '01a2502d-1215-7751-a8f0-ebb81440834c', body).equals(base)).toBe(false);
    expect(fingerprintOf('transfer', id, { ...body, expectedVersion: 4 }).equals(base)).toBe(false);
    expect(
      fingerprintOf('merge', id, { expectedVersion: 1, duplicateIds: ['a', 'b'] }).equals(
        fingerprintOf('merge', id, { expectedVersion: 1, duplicateIds: ['b', 'a'] }),
      ),
    ).toBe(false);
  });
});

describe(claimActionKey.name, () => {
  const key = { officerId: '0190a3c2-0000-7000-8000-000000000001', key: 'k-1', body: { text: 'Ghi chú.' } };
  const caseId = '0190a3c2-0000-7000-8000-0000000000c1';

  it("says a request with the key is still under way when its wait for the first one's row outlasts the lock timeout", async () => {
    // node-postgres' error, as TypeORM passes it on (QueryFailedError copies the driver's fields).
    const timedOut = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03', severity: 'ERROR' });
    const m = { query: jest.fn().mockRejectedValue(timedOut) } as unknown as EntityManager;
    const thrown = await claimActionKey(m, key, 'note', caseId, new Date()).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(BusyError);
    expect((thrown as BusyError).message).toMatch(/^a request with this Idempotency-Key is still under way/);
    expect((thrown as BusyError).message).not.toContain('k-1');
    expect((thrown as BusyError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('passes on any other error of the statement', async () => {
    const down = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const m = { query: jest.fn().mockRejectedValue(down) } as unknown as EntityManager;
    await expect(claimActionKey(m, key, 'note', caseId, new Date())).rejects.toBe(down);
  });
});
