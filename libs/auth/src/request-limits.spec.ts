import { loadConfig } from '@fr/config';
import { LOCAL_BUCKETS_MAX, LocalBuckets, RequestLimits, TooManyRequestsException } from './request-limits';

describe('LocalBuckets', () => {
  it('counts fixed windows like the Redis script: a count per key and the time left, a new window once it ends', () => {
    const sut = new LocalBuckets();
    expect(sut.hit(['a', 'b'], [60_000, 1_000], 0)).toEqual([1, 60_000, 1, 1_000]);
    expect(sut.hit(['a', 'b'], [60_000, 1_000], 400)).toEqual([2, 59_600, 2, 600]);
    expect(sut.hit(['a', 'b'], [60_000, 1_000], 1_000)).toEqual([3, 59_000, 1, 1_000]);
  });

  it('gives a hit back and forgets a bucket that is empty', () => {
    const sut = new LocalBuckets();
    sut.hit(['a'], [60_000], 0);
    sut.hit(['a'], [60_000], 0);
    sut.refund(['a', 'never-counted'], 0);
    expect(sut.hit(['a'], [60_000], 0)).toEqual([2, 60_000]);
    sut.refund(['a'], 0);
    sut.refund(['a'], 0);
    expect(sut.size).toBe(0);
  });

  it('holds at most LOCAL_BUCKETS_MAX buckets: ended ones make room first, then the oldest live ones are forgotten', () => {
    const sut = new LocalBuckets();
    for (let i = 0; i < LOCAL_BUCKETS_MAX; i++) sut.hit([`k${i}`], [i % 2 ? 1_000 : 60_000], 0);
    // Half of them ended: they make the room, the live ones keep their counts.
    expect(sut.hit(['new'], [60_000], 2_000)).toEqual([1, 60_000]);
    expect(sut.size).toBe(LOCAL_BUCKETS_MAX / 2 + 1);
    expect(sut.hit(['k0'], [60_000], 2_000)).toEqual([2, 58_000]);
    // Full of live buckets (one address cycling usernames): a new key is still counted, the oldest tenth forgotten.
    for (let i = 0; sut.size < LOCAL_BUCKETS_MAX; i++) sut.hit([`flood${i}`], [60_000], 3_000);
    expect(sut.hit(['late'], [60_000], 3_000)).toEqual([1, 60_000]);
    expect(sut.size).toBeLessThanOrEqual(LOCAL_BUCKETS_MAX * 0.9 + 1);
    expect(sut.hit(['k0'], [60_000], 3_000)).toEqual([1, 60_000]);
  });
});

describe('RequestLimits while Redis cannot be reached', () => {
  // A closed port: every Redis command fails at once (no offline queue).
  const config = {
    ...loadConfig({}),
    redisUrl: 'redis://127.0.0.1:1',
    loginLimits: { windowSeconds: 60, perAccountAndIp: 3, perAccount: 20, perIp: 50 },
  };
  let sut: RequestLimits;
  beforeEach(async () => {
    sut = new RequestLimits(config);
    await sut.onModuleInit();
  });
  afterEach(() => sut.onModuleDestroy());

  it('still takes logins, counts them in the process and refuses with 429 past the limit', async () => {
    for (let i = 0; i < 3; i++) await sut.beginLogin('bk.xuly', '10.0.0.1');
    const refused = await sut.beginLogin('bk.xuly', '10.0.0.1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsException);
    expect((refused as TooManyRequestsException).getResponse()).toMatchObject({ limiter: 'login', retryAfterSeconds: 60 });
    // Another address is its own bucket.
    await expect(sut.beginLogin('bk.xuly', '10.0.0.2')).resolves.toBeDefined();
  });

  it('counts only failures against every limit: right passwords, however many, leave each bucket as it was', async () => {
    const limits = { ...config, loginLimits: { windowSeconds: 60, perAccountAndIp: 3, perAccount: 3, perIp: 3 } };
    const own = new RequestLimits(limits);
    try {
      // An officer on a ward office's shared address, or a hotline script, logging in again and again.
      for (let i = 0; i < 6; i++) await own.loggedIn(await own.beginLogin('tongdai.script', '10.0.0.7'));
      // A right current password of a password change, likewise.
      for (let i = 0; i < 6; i++) await own.loginSucceeded(await own.beginLogin('tongdai.script', '10.0.0.7'));
      // Failures are still counted, up to each limit.
      for (let i = 0; i < 3; i++) await own.beginLogin('tongdai.script', '10.0.0.7');
      const refused = await own.beginLogin('tongdai.script', '10.0.0.7').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TooManyRequestsException);
      expect((refused as TooManyRequestsException).getResponse()).toMatchObject({
        limiter: 'login',
        retryAfterSeconds: 60,
        message: "too many failed login attempts for 'tongdai.script' from this address (at most 3 a minute); try again in 60 s",
      });
    } finally {
      own.onModuleDestroy();
    }
  });

  it('holds every limit against a burst of attempts in flight at once: each counts before its password is checked', async () => {
    const limits = { ...config, loginLimits: { windowSeconds: 60, perAccountAndIp: 4, perAccount: 100, perIp: 100 } };
    const own = new RequestLimits(limits);
    try {
      const burst = await Promise.allSettled(Array.from({ length: 20 }, () => own.beginLogin('bk.xuly', '10.0.0.8')));
      expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      // Those four turn out wrong: nothing is given back, the next attempt is refused.
      await expect(own.beginLogin('bk.xuly', '10.0.0.8')).rejects.toBeInstanceOf(TooManyRequestsException);
    } finally {
      own.onModuleDestroy();
    }
  });

  it('gives a right password back to the failure-only buckets, as with Redis', async () => {
    const limits = { ...config, loginLimits: { windowSeconds: 60, perAccountAndIp: 100, perAccount: 2, perIp: 100 } };
    const own = new RequestLimits(limits);
    try {
      for (let i = 0; i < 5; i++) await own.loggedIn(await own.beginLogin('admin', '10.0.0.9'));
      await own.beginLogin('admin', '10.0.0.9');
      await own.beginLogin('admin', '10.0.0.9');
      await expect(own.beginLogin('admin', '10.0.0.9')).rejects.toBeInstanceOf(TooManyRequestsException);
    } finally {
      own.onModuleDestroy();
    }
  });

  it('counts tracking-code lookups per channel', async () => {
    const limits = { ...config, lookupLimits: { ...config.lookupLimits, perChannel: 2 } };
    const own = new RequestLimits(limits);
    try {
      await own.countLookup('ihanoi');
      await own.countLookup('ihanoi');
      await expect(own.countLookup('ihanoi')).rejects.toMatchObject({ status: 429 });
      await expect(own.countLookup('hotline')).resolves.toBeUndefined();
    } finally {
      own.onModuleDestroy();
    }
  });
});
