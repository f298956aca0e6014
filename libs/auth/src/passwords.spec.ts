import { argon2id, hash } from 'argon2';
import { hashPassword, PASSWORD_HASH_COST, usePasswordHashCostForTests, verifyPassword } from './passwords';

describe(verifyPassword.name, () => {
  const NFC = 'Mật khẩu mới 2026'.normalize('NFC');
  const NFD = NFC.normalize('NFD');
  // Each test hashes at production cost (64 MiB, 3 passes) up to five times: 5 s was exceeded on a
  // loaded 2-core machine (load average 10).
  const HASHING_MS = 30_000;

  it(
    'matches a password hashed in one Unicode form and typed in the other',
    async () => {
      const sut = await hashPassword(NFD);
      expect(await verifyPassword(sut, NFC)).toBe('nfc');
      expect(await verifyPassword(sut, NFD)).toBe('nfc');
      expect(await verifyPassword(sut, 'Mat khau moi 2026')).toBe(false);
    },
    HASHING_MS,
  );

  it(
    'still matches a hash made from the decomposed input as typed, and says so',
    async () => {
      const legacy = await hash(NFD, { type: argon2id });
      expect(await verifyPassword(legacy, NFD)).toBe('raw');
      // That spelling alone: the NFC one was never hashed.
      expect(await verifyPassword(legacy, NFC)).toBe(false);
    },
    HASHING_MS,
  );

  it('fails, rather than throws, on a malformed stored hash', async () => {
    expect(await verifyPassword('not-a-hash', NFC)).toBe(false);
  });
});

describe(hashPassword.name, () => {
  afterEach(() => usePasswordHashCostForTests(PASSWORD_HASH_COST));

  it('hashes at the real cost unless a test suite lowered it, and verifies any hash at the cost it was made with', async () => {
    const real = await hashPassword('Mật khẩu mới 2026');
    expect(real).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    usePasswordHashCostForTests({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const cheap = await hashPassword('Mật khẩu mới 2026');
    expect(cheap).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    expect(await verifyPassword(real, 'Mật khẩu mới 2026')).toBe('nfc');
    expect(await verifyPassword(cheap, 'Mật khẩu mới 2026')).toBe('nfc');
  }, 30_000);

  it('refuses to lower the cost outside a test process, and the cost stays the real one', async () => {
    const worker = process.env.JEST_WORKER_ID;
    delete process.env.JEST_WORKER_ID;
    try {
      expect(() => usePasswordHashCostForTests({ memoryCost: 1024, timeCost: 1, parallelism: 1 })).toThrow(
        'the password hash cost is lowered in test processes only',
      );
    } finally {
      process.env.JEST_WORKER_ID = worker;
    }
    expect(await hashPassword('Mật khẩu mới 2026')).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
  }, 30_000);
});
