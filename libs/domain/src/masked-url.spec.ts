import { maskContactsInText } from './personal-data';
import { publicMediaUrl } from './masked-url';

const mask = (text: string) => maskContactsInText(text, ['Nguyễn Văn An']);
const shown = (url: string) => publicMediaUrl(url, mask);

describe('publicMediaUrl', () => {
  it('masks the number, the e-mail address and the name written plainly', () => {
    expect(shown('https://cdn.example.vn/u/0912345678/an.nguyen@gmail.com/a.jpg')).toBe('https://cdn.example.vn/u/09******78/a***@gmail.com/a.jpg');
  });

  it('masks them when they are percent-encoded, in the path, the query and the fragment', () => {
    expect(shown('https://cdn.example.vn/u/an.nguyen%40gmail.com/a.jpg')).toBe('https://cdn.example.vn/u/a***@gmail.com/a.jpg');
    expect(shown('https://cdn.example.vn/a.jpg?tel=0912%20345%20678&x=1')).toBe('https://cdn.example.vn/a.jpg?tel=09******78&x=1');
    expect(shown('https://cdn.example.vn/a.jpg?tel=%2B84912345678')).toBe('https://cdn.example.vn/a.jpg?tel=84*******78');
    expect(shown('https://cdn.example.vn/Nguy%E1%BB%85n%20V%C4%83n%20An/a.jpg')).not.toMatch(/V%C4%83n|%20An\b/);
    expect(shown('https://cdn.example.vn/Nguyen%20Van%20An/a.jpg')).not.toMatch(/Van%20An/);
    expect(shown('https://cdn.example.vn/a.jpg#sdt%200912345678')).toBe('https://cdn.example.vn/a.jpg#sdt%2009******78');
  });

  it('answers a URL, its masked name escaped rather than written with spaces', () => {
    const url = shown('https://cdn.example.vn/Nguyen-Van-An/a.jpg')!;
    expect(url).not.toMatch(/\s/);
    expect(new URL(url).toString()).toBe(url);
    expect(decodeURIComponent(new URL(url).pathname)).toBe('/Nguyễn V. A./a.jpg');
  });

  it('leaves a URL that names nobody as written, and drops a user name and password', () => {
    expect(shown('https://cdn.example.vn/p/tr%C3%A0-%C4%91%C3%A1.jpg?w=800&h=600')).toBe('https://cdn.example.vn/p/tr%C3%A0-%C4%91%C3%A1.jpg?w=800&h=600');
    expect(shown('https://cdn.example.vn/p/50%25-off%2Fx.jpg')).toBe('https://cdn.example.vn/p/50%25-off%2Fx.jpg');
    expect(shown('https://an:mat-khau@cdn.example.vn/p/b.jpg')).toBe('https://cdn.example.vn/p/b.jpg');
    expect(shown('not a url')).toBeNull();
  });
});
