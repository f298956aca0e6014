import { loadConfig } from '@fr/config';
import { DEFAULT_JOB_OPTIONS, DELIVERY_BACKOFF, deliveryRetryDelay, JobName, jobOptionsFor } from './queues';

describe('delivery retry schedule', () => {
  const config = loadConfig({ NODE_ENV: 'development' });

  it('defaults to the Standard Webhooks example: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first attempt', () => {
    expect(config.deliveryRetryDelaysMs).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000));
    expect(jobOptionsFor(JobName.Deliver, config)).toMatchObject({ attempts: 8, backoff: { type: DELIVERY_BACKOFF } });
    expect(jobOptionsFor(JobName.RouteCase, config)).toBe(DEFAULT_JOB_OPTIONS);
  });

  it('waits the scheduled time plus at most a tenth, and the last wait for any later retry', () => {
    const delays = config.deliveryRetryDelaysMs;
    expect(deliveryRetryDelay(1, delays, () => 0)).toBe(5000);
    expect(deliveryRetryDelay(1, delays, () => 0.999)).toBe(5500);
    expect(deliveryRetryDelay(3, delays, () => 0)).toBe(1_800_000);
    expect(deliveryRetryDelay(20, delays, () => 0)).toBe(36_000_000);
  });

  it('takes a schedule from FR_DELIVERY_RETRY_DELAYS and refuses a bad one, naming it', () => {
    expect(loadConfig({ NODE_ENV: 'development', FR_DELIVERY_RETRY_DELAYS: '1, 2,3' }).deliveryRetryDelaysMs).toEqual([1000, 2000, 3000]);
    expect(() => loadConfig({ NODE_ENV: 'development', FR_DELIVERY_RETRY_DELAYS: '5,soon' })).toThrow(/FR_DELIVERY_RETRY_DELAYS must be 1 to 20/);
    expect(() => loadConfig({ NODE_ENV: 'development', FR_WEBHOOK_TIMEOUT_SECONDS: '0' })).toThrow(/FR_WEBHOOK_TIMEOUT_SECONDS/);
  });
});
