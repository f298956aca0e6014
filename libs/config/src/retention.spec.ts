import { join } from 'node:path';
import { DEFAULT_RETENTION, loadRetentionPolicy, parseRetentionPolicy } from './retention';

describe(parseRetentionPolicy.name, () => {
  it("reads config/retention.yaml: two years after closing (DOMAIN.md's default)", () => {
    const p = loadRetentionPolicy(join(__dirname, '../../../config'));
    expect(p.contactAfterCloseDays).toBe(730);
    expect(p.freeText).toEqual(expect.arrayContaining(['description', 'messages', 'auditTexts']));
  });

  it('falls back to the defaults for what the file leaves out, and when there is no file', () => {
    expect(parseRetentionPolicy('contactDetails: { afterCloseDays: 365 }')).toEqual({ ...DEFAULT_RETENTION, contactAfterCloseDays: 365 });
    expect(loadRetentionPolicy('/nonexistent')).toEqual(DEFAULT_RETENTION);
  });

  it('lists every problem at once', () => {
    const bad = () => parseRetentionPolicy('contactDetails: { afterCloseDays: -1, freeText: [phone] }\nbatchSize: 0');
    for (const problem of [/afterCloseDays: a whole number/, /unknown "phone"/, /batchSize: at least 1/]) expect(bad).toThrow(problem);
  });
});
