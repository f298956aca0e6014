import { argon2id, hash } from 'argon2';
import { hashPassword, verifyPassword } from './passwords';

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
