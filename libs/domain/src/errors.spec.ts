import { NotFoundError } from './errors';

describe(NotFoundError.name, () => {
  it('names the key, and only the start of a very long one', () => {
    expect(new NotFoundError('case', '7KM3Q-9X2AB').message).toBe("case '7KM3Q-9X2AB' not found");
    const long = new NotFoundError('case', 'Đ'.repeat(10000)).message;
    expect(long).toBe(`case '${'Đ'.repeat(80)}… (10000 characters)' not found`);
  });
});
