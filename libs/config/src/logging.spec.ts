import { loggableUrl } from './logging';

describe(loggableUrl.name, () => {
  it("censors a citizen's contact in the query, and keeps the rest", () => {
    expect(loggableUrl('/v1/hotline/cases?phone=0987654321')).toBe('/v1/hotline/cases?phone=[redacted]');
    expect(loggableUrl('/v1/privacy/reads?email=a%40b.vn&from=2026-01-01&Phone=%2B84987654321')).toBe(
      '/v1/privacy/reads?email=[redacted]&from=2026-01-01&Phone=[redacted]',
    );
    expect(loggableUrl('/v1/hotline/cases?phone[]=0987654321&phone%5B0%5D=0987654321')).toBe('/v1/hotline/cases?phone[]=[redacted]&phone%5B0%5D=[redacted]');
    expect(loggableUrl('/v1/cases?status=triage&limit=20')).toBe('/v1/cases?status=triage&limit=20');
    expect(loggableUrl('/health')).toBe('/health');
  });
});
