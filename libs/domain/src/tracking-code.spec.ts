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
    // Pasted from a word processor or a chat: dashes of every kind, full-width letters and digits.
    for (const typed of [
      '7KM3Q\u20139X2AB',
      '7KM3Q\u20149X2AB',
      '7KM3Q\u22129X2AB',
      '7KM3Q\u20109X2AB',
      '\uff17\uff2b\uff2d\uff13\uff31\uff0d9X2AB',
      '7KM3Q\u00a09X2AB',
      '7KM3Q\u30fc9X2AB',
      '7KM3Q\u00ad9X2AB',
      '7KM3Q-\u200b9X2AB',
    ]) {
      expect([typed, normaliseTrackingCode(typed)]).toEqual([typed, '7KM3Q-9X2AB']);
    }
    expect(normaliseTrackingCode('7KM3Q-9X2A')).toBeNull();
    expect(normaliseTrackingCode("'; drop table cases; --")).toBeNull();
  });
});
