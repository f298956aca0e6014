import { ValidationError } from '@fr/domain';
import { COMMON_PASSWORDS } from './common-passwords';
import { checkPassword } from './password-policy';

describe(checkPassword.name, () => {
  const problem = (password: string, username = 'p.bach.khoa.handler', field?: string): string | null => {
    try {
      checkPassword(password, username, field);
      return null;
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return e.message;
    }
  };

  it.each(['Mat-khau-2026!', 'Mật khẩu mới 2026', 'long-enough-1', 'ngõ 40 Tạ Quang Bửu', 'cây-đa-đầu-làng-7'])('accepts %s', (password) => {
    expect(problem(password)).toBeNull();
  });

  it.each([
    ['password', /^password is one of the most common passwords/],
    ['PassWord123', /^password is one of the most common passwords/],
    ['12345678', /^password is one of the most common passwords/],
    ['admin1234', /^password is one of the most common passwords/],
    ['matkhau123', /^password is one of the most common passwords/],
    ['anhyeuem', /^password is one of the most common passwords/],
    ['aaaaaaaaaa', /^password must not repeat one character or a short pattern/],
    ['abababab', /^password must not repeat one character or a short pattern/],
    ['AbAbAbAb', /^password must not repeat one character or a short pattern/],
    ['xyzxyzxyz', /^password must not repeat one character or a short pattern/],
    ['2026202620262026', /^password must not repeat one character or a short pattern/],
    ['😀😀😀😀😀😀😀😀', /^password must not repeat one character or a short pattern/],
    ['short12', /^password must be 8 to 256 characters long$/],
    ['        ', /^password must have at least 8 visible characters$/],
    // One letter under a stack of accents reads as one character, however many code points it takes.
    ['a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301', /^password must have at least 8 visible characters$/],
    ['ệ\u0323\u0323\u0323\u0323ự\u0303\u0303\u0303', /^password must have at least 8 visible characters$/],
    ['P.Bach.Khoa.Handler-2026', /^password must not contain the username$/],
  ])('refuses %s', (password, message) => {
    expect(problem(password)).toMatch(message);
  });

  it('measures the length in NFC, as the password is hashed', () => {
    // Seven letters, fourteen code units once decomposed.
    expect(problem('Ậậậậậậ1'.normalize('NFD'))).toMatch(/must be 8 to 256 characters long/);
  });

  it('names the field it was given', () => {
    expect(problem('password', 'x.y', 'newPassword')).toMatch(/^newPassword is one of the most common passwords/);
  });

  it('lists common passwords in lower case and long enough to reach the list', () => {
    for (const p of COMMON_PASSWORDS) {
      expect(p).toBe(p.toLowerCase());
      expect(p.length).toBeGreaterThanOrEqual(8);
    }
    expect(COMMON_PASSWORDS.size).toBeGreaterThan(300);
  });
});
