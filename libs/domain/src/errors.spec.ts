import { NotFoundError } from './errors';

describe(NotFoundError.name, () => {
  it('names the key, and only the start of a very long one', () => {
    expect(new NotFoundError('case', '7KM3Q-9X2AB').message).toBe("case '7KM3Q-9X2AB' not found");
    const long = new NotFoundError('case', 'Đ'.repeat(10000)).message;
    expect(long).toBe(`case '${'Đ'.repeat(80)}… (10000 characters)' not found`);
  });

  // A proxy or client that logs error answers would otherwise keep a phone number or e-mail typed as a key.
  it.each([
    ['an e-mail', 'hong.nhung1990@gmail.com', "feedback 'h***@gmail.com' not found"],
    ['a phone number', '0912 345 678', "feedback '09******78' not found"],
    ['a phone number read as a tracking code', '09123-45678', "feedback '09******78' not found"],
    ['an ID number', '001203004567', "feedback '00********67' not found"],
  ])('masks %s given as the key', (_what, key, message) => {
    expect(new NotFoundError('feedback', key).message).toBe(message);
  });
  it('masks a number the 80-character cut would split, before cutting', () => {
    const key = `${'x'.repeat(71)} 0912345678 ${'y'.repeat(30)}`;
    const message = new NotFoundError('feedback', key).message;
    expect(message).not.toMatch(/091234/);
    expect(message).toBe(`feedback '${'x'.repeat(71)} 09******… (113 characters)' not found`);
  });

  it('leaves a tracking code as it is', () => {
    expect(new NotFoundError('feedback', '7KM3Q-9X2AB').message).toBe("feedback '7KM3Q-9X2AB' not found");
  });
});
