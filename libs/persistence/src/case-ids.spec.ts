import { isUuid } from '@fr/domain';
import { newCaseId } from './case-ids';

describe('newCaseId', () => {
  it('makes UUIDs that sort (as PostgreSQL sorts uuid: bytewise) in the order they were made', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newCaseId());
      // A millisecond apart at least, so the order rests on the time prefix, not on the random bits.
      const t = Date.now();
      while (Date.now() === t) await Promise.resolve();
    }
    expect(ids.every(isUuid)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is a version 7 UUID: a millisecond timestamp first, then random bits', () => {
    const before = Date.now();
    const id = newCaseId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(id[14]).toBe('7');
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    expect(newCaseId()).not.toBe(id);
  });
});
