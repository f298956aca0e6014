import { contactHash, normalisePhone } from './contact-hash';

describe(normalisePhone.name, () => {
  it('reads the national and international forms of a Vietnamese number as one', () => {
    for (const p of ['0912345678', '+84 912 345 678', '84-912-345-678', '(091) 234.5678']) expect(normalisePhone(p)).toBe('0912345678');
  });
});

describe(contactHash.name, () => {
  it('is keyed: the same phone under another key gives another hash', () => {
    expect(contactHash('k1', 'phone', '0912345678').equals(contactHash('k1', 'phone', '+84912345678'))).toBe(true);
    expect(contactHash('k1', 'phone', '0912345678').equals(contactHash('k2', 'phone', '0912345678'))).toBe(false);
    expect(contactHash('k1', 'email', 'A@B.vn').equals(contactHash('k1', 'email', ' a@b.vn'))).toBe(true);
  });
});
