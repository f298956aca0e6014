import { ForbiddenException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@fr/config';
import type { AccessTokens } from './access-tokens';
import { ChangePassword } from './change-password.usecase';
import { LogIn } from './log-in.usecase';
import { hashPassword, PASSWORD_HASH_COST, usePasswordHashCostForTests } from './passwords';
import { RequestLimits, TooManyRequestsException } from './request-limits';

describe('LogIn and ChangePassword against the login limits', () => {
  // Redis at a closed port: the limits are counted in this process (LocalBuckets), no server needed.
  const config = {
    ...loadConfig({}),
    redisUrl: 'redis://127.0.0.1:1',
    loginLimits: { windowSeconds: 60, perAccountAndIp: 3, perAccount: 3, perIp: 3 },
  };
  const tokens = {} as AccessTokens;
  let limits: RequestLimits;
  // These tests count attempts, not hashing time: at the real cost a hash and three verifications took
  // over the 5 s timeout on the 2-core machine beside other work (7 December 2026), at the test cost milliseconds.
  beforeAll(() => usePasswordHashCostForTests({ memoryCost: 1024, timeCost: 1, parallelism: 1 }));
  afterAll(() => usePasswordHashCostForTests(PASSWORD_HASH_COST));
  beforeEach(async () => {
    limits = new RequestLimits(config);
    await limits.onModuleInit();
  });
  afterEach(() => limits.onModuleDestroy());

  it('counts no failure when no password was checked: the database failing before the check is no guess', async () => {
    const down = { query: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) } as unknown as DataSource;
    const logIn = new LogIn(down, tokens, limits, config);
    for (let i = 0; i < 5; i++) {
      await expect(logIn.execute({ username: 'bk.xuly', password: 'Mua-xuan-2026', clientIp: '10.0.0.1' })).rejects.toThrow('ECONNREFUSED');
    }
    const officer = { id: '00000000-0000-4000-8000-000000000001', username: 'bk.xuly', fullName: 'BK', role: 'HANDLER' as const, unitCode: 'P_BACH_KHOA' };
    const change = new ChangePassword(down, tokens, limits, config);
    for (let i = 0; i < 5; i++) {
      await expect(change.execute({ officer, currentPassword: 'Mua-xuan-2026', newPassword: 'Chi-minh-toi-biet-2026', clientIp: '10.0.0.1' })).rejects.toThrow(
        'ECONNREFUSED',
      );
    }
    // The buckets are as they were: three failures still fit.
    for (let i = 0; i < 3; i++) await limits.beginLogin('bk.xuly', '10.0.0.1');
    await expect(limits.beginLogin('bk.xuly', '10.0.0.1')).rejects.toBeInstanceOf(TooManyRequestsException);
  });

  it('counts a wrong current password of a password change as a failure', async () => {
    const passwordHash = await hashPassword('Mua-xuan-2026');
    const db = { query: () => Promise.resolve([{ password_hash: passwordHash }]) } as unknown as DataSource;
    const officer = { id: '00000000-0000-4000-8000-000000000002', username: 'doi.mk', fullName: 'DMK', role: 'AUDITOR' as const, unitCode: 'NOI_VU' };
    const change = new ChangePassword(db, tokens, limits, config);
    const attempt = () => change.execute({ officer, currentPassword: 'sai-mat-khau-roi', newPassword: 'Chi-minh-toi-biet-2026', clientIp: '10.0.0.2' });
    for (let i = 0; i < 3; i++) await expect(attempt()).rejects.toBeInstanceOf(ForbiddenException);
    await expect(attempt()).rejects.toBeInstanceOf(TooManyRequestsException);
  });
});
