import { officerEmail } from './officer-view';

describe(officerEmail.name, () => {
  it.each([
    ['thu.dien@hbt.gov.vn', 'thu.dien@hbt.gov.vn'],
    [' Lanh.Dao@HBT.gov.vn ', 'Lanh.Dao@hbt.gov.vn'],
    // An internationalised domain in the ASCII form every relay takes.
    ['lanh.dao@hà-nội.vn', 'lanh.dao@xn--h-ni-0na4517b.vn'],
  ])('keeps %s as %s', (given, stored) => {
    expect(officerEmail(given)).toBe(stored);
  });

  it.each([
    // nodemailer sent this one to "x , evil"@hbt.gov.vn, another mailbox.
    ['a quoted local part', '"x>,<evil"@hbt.gov.vn'],
    ['an empty quoted local part', '""@hbt.gov.vn'],
    ['a zero-width space', 'a\u200b@hbt.gov.vn'],
    ['a local part in Vietnamese', 'lãnh.đạo@hbt.gov.vn'],
    ['a host without a dot', 'a@localhost'],
    ['two addresses', 'a@hbt.gov.vn, b@hbt.gov.vn'],
    ['no local part', '@hbt.gov.vn'],
  ])('refuses %s', (_what, given) => {
    expect(() => officerEmail(given)).toThrow(/^email must be an e-mail address/);
  });
});
