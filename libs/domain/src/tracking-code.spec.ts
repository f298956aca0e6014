import { randomBytes } from 'node:crypto';
import { generateTrackingCode, normaliseTrackingCode, TRACKING_CODE_PATTERN } from './tracking-code';

describe('tracking codes', () => {
  it('are short, in an unambiguous alphabet, and do not repeat', () => {
    const codes = new Set(Array.from({ length: 5000 }, () => generateTrackingCode(randomBytes)));
    expect(codes.size).toBe(5000);
    for (const c of codes) {
      expect(c).toMatch(TRACKING_CODE_PATTERN);
      expect(c).not.toMatch(/[ILOU]/);
    }
  });

  it('accept what people type over the phone', () => {
    expect(normaliseTrackingCode('7km3q 9x2ab')).toBe('7KM3Q-9X2AB');
    expect(normaliseTrackingCode('OI1LO-00000')).toBe('01110-00000');
    expect(normaliseTrackingCode('7KM3Q-9X2A')).toBeNull();
    expect(normaliseTrackingCode("'; drop table cases; --")).toBeNull();
  });
});
