import { personNameKey, samePersonName } from './text';

describe(samePersonName.name, () => {
  it('tells apart two names written with their diacritics that fold alike', () => {
    expect(personNameKey('Lê Văn Tú')).toBe(personNameKey('Lê Văn Tư'));
    expect(samePersonName('Lê Văn Tú', 'Lê Văn Tư')).toBe(false);
    expect(samePersonName('Nguyễn Thị Hà', 'Nguyễn Thị Hạ')).toBe(false);
    expect(samePersonName('Đặng Văn An', 'Dặng Văn An')).toBe(false);
  });

  it('takes a name typed without diacritics, in any case, for either', () => {
    for (const written of ['Lê Văn Tú', 'Lê Văn Tư', 'LÊ VĂN TÚ']) {
      expect([written, samePersonName('Le Van Tu', written)]).toEqual([written, true]);
      expect([written, samePersonName(written, 'le van tu')]).toEqual([written, true]);
    }
    // A word typed without its diacritics is read as either, in a name typed with the others'.
    expect(samePersonName('Lê Văn Tu', 'Lê Văn Tú')).toBe(true);
  });

  it('takes the same name for one, wherever its tone mark is placed and however it is composed', () => {
    expect(samePersonName('Nguyễn Thị Hoà', 'Nguyễn Thị Hòa')).toBe(true);
    expect(samePersonName('Trần Thuý', 'Trần Thúy')).toBe(true);
    expect(samePersonName('Lê Văn Tú'.normalize('NFD'), 'lê văn tú')).toBe(true);
  });

  it('is false for names that fold otherwise, and for no name', () => {
    expect(samePersonName('Lê Văn Tú', 'Lê Văn Tùng')).toBe(false);
    expect(samePersonName('-', '-')).toBe(false);
    expect(samePersonName(null, 'Lê Văn Tú')).toBe(false);
  });
});
