import { normalisePhone as casePhone } from '@fr/domain';
import { caseKeyForms, contactHash, contactHashes, earlierContactPhoneForms, normalisePhone } from './contact-hash';

describe(normalisePhone.name, () => {
  it('reads the national and international forms of a Vietnamese number as one', () => {
    for (const p of ['0912345678', '+84 912 345 678', '84-912-345-678', '(091) 234.5678']) expect(normalisePhone(p)).toBe('0912345678');
  });

  it("reads a number as the domain does: the national 0 kept once, '+84 (0)…' and a number said without it", () => {
    for (const p of ['+84 (0)912 345 678', '0084 (0) 912 345 678', '912 345 678', '０９１２３４５６７８', '+84 (0)24 3825 1234', '24 3825 1234']) {
      expect(normalisePhone(p)).toBe(casePhone(p));
    }
  });

  it('keeps the digits of what the domain reads as no number', () => {
    expect(normalisePhone('12-345')).toBe('12345');
    expect(normalisePhone('0912345678901234')).toBe('0912345678901234');
  });
});

describe(earlierContactPhoneForms.name, () => {
  it('names the forms the privacy side keyed the same number by before', () => {
    expect(earlierContactPhoneForms('+84 (0)912 345 678')).toEqual(['00912345678', '912345678', '0084912345678', '00840912345678']);
    expect(earlierContactPhoneForms('912 345 678')).toEqual(['912345678', '00912345678', '0084912345678', '00840912345678']);
    expect(earlierContactPhoneForms('+84 (0)24 3825 1234')).toContain('002438251234');
    expect(earlierContactPhoneForms('12345')).toEqual([]);
  });
});

describe(caseKeyForms.name, () => {
  // The domain's normalisePhone as cases were keyed by it before (git log -L of libs/domain/src/personal-data.ts).
  const valid = (d: string) => (/^\d{9,11}$/.test(d) ? d : null);
  const keyedFirst = (p: string) => {
    const d = p.replace(/\D/g, '');
    return valid(d.startsWith('84') && d.length >= 11 ? `0${d.slice(2)}` : d);
  };
  const keyedThen = (p: string) => {
    let d = p.normalize('NFKC').replace(/\D/g, '');
    if (d.startsWith('0084') && d.length >= 13) d = d.slice(2);
    return valid(d.startsWith('84') && d.length >= 11 ? `0${d.slice(2)}` : d);
  };
  const writings = ['+84 (0)', '+84 ', '84', '0084 ', '0084 (0) ', '0', '', '00'].flatMap((prefix) =>
    ['912 345 678', '24 3825 1234', '1234 5678', '0912345678', '9123456789', '123 4567'].map((rest) => `${prefix}${rest}`),
  );

  it('holds the key of every case of the number, written any way and keyed by any version', () => {
    for (const written of writings) {
      for (const keyed of [keyedFirst, keyedThen, casePhone]) {
        const key = keyed(written);
        if (key !== null) expect({ written, key, found: caseKeyForms(written).includes(key) }).toEqual({ written, key, found: true });
      }
    }
  });

  it('is the number itself, with one 0 more and one less; none for what is no number', () => {
    expect(caseKeyForms('+84 (0)912 345 678')).toEqual(['0912345678', '00912345678', '912345678']);
    expect(caseKeyForms('+84 (0)24 3825 1234')).toEqual(['02438251234', '2438251234']);
    expect(caseKeyForms('12345')).toEqual([]);
  });
});

describe(contactHash.name, () => {
  it('is keyed: the same phone under another key gives another hash', () => {
    expect(contactHash('k1', 'phone', '0912345678').equals(contactHash('k1', 'phone', '+84912345678'))).toBe(true);
    expect(contactHash('k1', 'phone', '0912345678').equals(contactHash('k2', 'phone', '0912345678'))).toBe(false);
    expect(contactHash('k1', 'email', 'A@B.vn').equals(contactHash('k1', 'email', ' a@b.vn'))).toBe(true);
  });

  it("is one hash for '+84 (0)912…', '912…' and '0912…'", () => {
    const own = contactHash('k1', 'phone', '0912345678');
    for (const p of ['+84 (0)912 345 678', '912 345 678']) expect(contactHash('k1', 'phone', p).equals(own)).toBe(true);
  });
});

describe(contactHashes.name, () => {
  it("gives the number's own hash first, then those of its earlier forms; an e-mail's own only", () => {
    const all = contactHashes('k1', 'phone', '912 345 678');
    expect(all[0].equals(contactHash('k1', 'phone', '0912345678'))).toBe(true);
    expect(all).toHaveLength(5);
    expect(contactHashes('k1', 'email', 'a@b.vn')).toHaveLength(1);
  });
});
