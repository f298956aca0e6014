import {
  answerProblem,
  earlierPhoneForms,
  maskContactsInText,
  maskEmail,
  maskPhone,
  normalisePhone,
  officeContactsReadable,
  visibleText,
} from './personal-data';

describe(maskContactsInText.name, () => {
  it.each([
    ['0912345678', '09******78'],
    ['0912 345 678', '09******78'],
    ['091.234.5678', '09******78'],
    ['091-234-5678', '09******78'],
    ['+84 912 345 678', '84*******78'],
    ['+84912345678', '84*******78'],
    ['84912345678', '84*******78'],
    ['024 3825 1234', '02*******34'],
    ['02438251234', '02*******34'],
    // A landline's area code in brackets, as Hanoi writes it: it passed unmasked to Open311 and webhooks.
    ['(024) 3826 1234', '02*******34'],
    ['(024)38261234', '02*******34'],
    ['(0236) 382 1234', '02*******34'],
  ])('masks the phone number %s inside a sentence as the contact field would', (phone, masked) => {
    expect(maskContactsInText(`Gọi cho tôi theo số ${phone}, sau 17 giờ.`)).toBe(`Gọi cho tôi theo số ${masked}, sau 17 giờ.`);
    expect(masked).toBe(maskPhone(phone));
  });

  it("masks the citizen's own phone and e-mail where an office writes its own (where to go), and names and ID numbers always", () => {
    const where =
      'Ông Trần Văn Hùng gửi đơn tới Ban Tiếp công dân quận, số 1 Lê Đại Hành, ĐT (024) 3978 4123, email tiepdan@hbt.gov.vn; không gửi qua số 0912 345 678 hay hung.tran@gmail.com; CCCD 001085012345.';
    const own = officeContactsReadable({ phone: '+84912345678', email: 'Hung.Tran@gmail.com' });
    expect(maskContactsInText(where, ['Trần Văn Hùng'], own)).toBe(
      'Ông Trần V. H. gửi đơn tới Ban Tiếp công dân quận, số 1 Lê Đại Hành, ĐT (024) 3978 4123, email tiepdan@hbt.gov.vn; không gửi qua số 09******78 hay h***@gmail.com; CCCD 00********45.',
    );
    // Contact details erased (retention): nothing of the citizen's is left to find, the office's stays.
    expect(maskContactsInText('ĐT (024) 3978 4123', [], officeContactsReadable({ phone: null, email: null }))).toBe('ĐT (024) 3978 4123');
  });

  it("masks the citizen's own phone and e-mail also where the match runs on past them (a digit after a space, letters after the address)", () => {
    const own = officeContactsReadable({ phone: '0912345678', email: 'hung.tran@gmail.com' });
    // The phone pattern takes up to ten digits after the 0: "0912345678 2" is one match, not the citizen's number.
    expect(maskContactsInText('Cán bộ đã gọi số 0912345678 2 lần, ĐT (024) 3978 4123', [], own)).toBe('Cán bộ đã gọi số 09*******82 lần, ĐT (024) 3978 4123');
    expect(maskContactsInText('Đã gửi tới hung.tran@gmail.comđể ông biết', [], own)).not.toContain('hung.tran');
  });

  it('masks the contacts of every citizen given (a merged group)', () => {
    const group = officeContactsReadable({ phone: '0911111111', email: null }, { phone: '0922222222', email: 'binh.le@yahoo.com' });
    expect(maskContactsInText('Ông An (0911111111) và bà Bình (0922222222, binh.le@yahoo.com) gọi 024 3978 4123', [], group)).toBe(
      'Ông An (09******11) và bà Bình (09******22, b***@yahoo.com) gọi 024 3978 4123',
    );
  });

  it("masks any mobile number and any e-mail outside gov.vn too: a citizen's old number after a correction, a neighbour's; an office's landline and gov.vn address stay", () => {
    const readable = officeContactsReadable({ phone: '0933333333', email: null });
    expect(maskContactsInText('Ông An (0911111111, an@gmail.com) gửi đơn tới Thanh tra quận, ĐT 024 3978 4123, thanhtra@hbt.hanoi.gov.vn.', [], readable)).toBe(
      'Ông An (09******11, a***@gmail.com) gửi đơn tới Thanh tra quận, ĐT 024 3978 4123, thanhtra@hbt.hanoi.gov.vn.',
    );
  });

  it('leaves the rest of the text as written: compatibility forms and joined emoji are not a contact', () => {
    const answer = 'Phường đã thu hồi 12 m² vỉa hè, hộ kinh doanh ① cam kết, gia đình 👨\u200d👩\u200d👧 ủng hộ.';
    expect(maskContactsInText(answer)).toBe(answer);
    expect(maskContactsInText(`${answer} Gọi ０９１２\u200b３４５６７８.`)).toBe(`${answer} Gọi 09******78.`);
    // Direction controls alone are dropped: they could make a masked text read otherwise.
    expect(maskContactsInText('Nguy\u202eễn \u2066x\u2069')).toBe('Nguyễn x');
  });

  it('keeps the brackets around a number in brackets', () => {
    expect(maskContactsInText('Chị Mai (0944777888) vui lòng gửi ảnh')).toBe('Chị Mai (09******88) vui lòng gửi ảnh');
    expect(maskContactsInText('(0912 345 678)')).toBe('(09******78)');
    expect(maskContactsInText('số (+84 912 345 678).')).toBe('số (84*******78).');
  });

  it.each([
    ['0084 from abroad', '0084912345678', '00*********78'],
    ['no-break spaces', '0\u00a0912\u00a0345\u00a0678', '09******78'],
    ['non-breaking hyphens', '0912\u2011345\u2011678', '09******78'],
    ['full-width digits', '\uff10\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18', '09******78'],
    ['zero-width spaces', '0912\u200b345\u200b678', '09******78'],
    // These passed whole to Open311 and the channels.
    ['a word run into it', 'sđt0912345678', 'sđt09******78'],
    ['a word in capitals run into it', 'SĐT:0912345678', 'SĐT:09******78'],
    ['underscores', '0912_345_678', '09******78'],
    ['spaced dashes', '0912 - 345 - 678', '09******78'],
    ['tabs', '0912\t345\t678', '09******78'],
  ])('masks a number written with %s', (_how, phone, masked) => {
    expect(maskContactsInText(`Liên hệ ${phone} nhé.`)).toBe(`Liên hệ ${masked} nhé.`);
  });

  it.each([
    ['001085012345', '00********45'],
    ['001 085 012 345', '00********45'],
    ['001.085.012.345', '00********45'],
  ])('masks a citizen identity number %s', (id, masked) => {
    expect(maskContactsInText(`CCCD ${id}, cấp ngày 01/02/2021.`)).toBe(`CCCD ${masked}, cấp ngày 01/02/2021.`);
  });

  it.each([
    ['dashes in fours', 'Tôi tên Minh, số 0011-9001-2345, ở tổ 7.', 'Tôi tên Minh, số 00********45, ở tổ 7.'],
    ['dashes in threes', 'Giấy tờ của tôi: 001-190-012-345 (bản photo).', 'Giấy tờ của tôi: 00********45 (bản photo).'],
    ['spaces in threes', 'Đã nộp bản sao 001 190 012 345 cho cán bộ một cửa.', 'Đã nộp bản sao 00********45 cho cán bộ một cửa.'],
    ['spaces in fours', 'Số 0011 9001 2345 là của chồng tôi.', 'Số 00********45 là của chồng tôi.'],
    ['dots in threes', 'Mã 001.190.012.345, xin kiểm tra lại.', 'Mã 00********45, xin kiểm tra lại.'],
    ['two halves', 'Thẻ 001190-012345 bị cấp sai ngày sinh.', 'Thẻ 00********45 bị cấp sai ngày sinh.'],
    ['spaced dashes', 'số 0011 - 9001 - 2345 nhé', 'số 00********45 nhé'],
    ['underscores', 'file cccd_anh_0011_9001_2345.jpg', 'file cccd_anh_00********45.jpg'],
    ['non-breaking hyphens', 'Số 0011\u20119001\u20112345.', 'Số 00********45.'],
    ['at the end of a sentence', 'Căn cước của bà Lan là 079-185-012-346.', 'Căn cước của bà Lan là 07********46.'],
  ])('masks a citizen identity number written in groups without its name before it: %s', (_how, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    'Hẹn làm việc ngày 07-12-2026 lúc 08:30 tại trụ sở UBND phường.',
    'Tiếp dân từ 07-12-2026 08-30 đến 07-12-2026 11-30, phòng 012.',
    'Lịch: 07.12.2026 08.30 - 07.12.2026 11.30.',
    'Làm việc từ 08-12-2026 07 giờ 30.',
    'Hẹn 12-07-2026 09 30 sáng thứ Hai.',
    'Mã hồ sơ 7KM3Q-9X2AB, biên nhận số 2026-000123 ngày 07/12/2026.',
    'Hỗ trợ 1.200.000 đồng mỗi hộ, tổng kinh phí 1.200.000.000 đồng.',
    'Phạt 012.500.000 đồng theo quyết định.',
    'Số thẻ ngân hàng 0123 4567 8901 2345 đã khoá.',
    'Sự kiện c1d2e3f4-0123-4567-8901-012345678901 đã ghi, lần chạy 0123-4567-8901-2345.',
    'Số điện thoại 0912-345-678 và 024 3825 1234.',
    'Thửa đất số 012, 013, 014, 015 thuộc tờ bản đồ số 06.',
    'Toạ độ 21.028512, 105.854234; độ cao 012.345.',
  ])('leaves dates, times, codes, amounts and other numbers grouped alike: %s', (text) => {
    expect(maskContactsInText(text).replace(/09\*{6}78|02\*{7}34/g, '')).not.toContain('*');
  });

  it.each([
    ['mixed separators', 'Số 001-190.012 345 của tôi.', 'Số 00********45 của tôi.'],
    ['mixed separators in fours', 'Thẻ 0011.9001-2345 bị cấp sai.', 'Thẻ 00********45 bị cấp sai.'],
    ['slashes', 'Thẻ 0011/9001/2345 bị mờ.', 'Thẻ 00********45 bị mờ.'],
    ['spaced slashes', 'Thẻ 001 / 190 / 012 / 345 bị mờ.', 'Thẻ 00********45 bị mờ.'],
    ['tabs', 'Số\t0011\t9001\t2345\tnhé', 'Số\t00********45\tnhé'],
    ['double spaces', 'Số 001  190  012  345 nhé', 'Số 00********45 nhé'],
    ['one double space', 'Số 0011 9001  2345 nhé', 'Số 00********45 nhé'],
    ['after a number and a comma', 'Tổ 5, 079.185-012 346.', 'Tổ 5, 07********46.'],
  ])('masks a citizen identity number in groups of three or four digits whatever separates them: %s', (_how, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    ['after a numbered list', 'Danh sách:\n1. 001-190.012 345\n2. 0011/9001/2346', 'Danh sách:\n1. 00********45\n2. 00********46'],
    ['after a sentence ending in a number', 'Tôi sinh năm 1990. 001-190.012 345 là số căn cước.', 'Tôi sinh năm 1990. 00********45 là số căn cước.'],
    ['before a sentence beginning with a number', 'Số 0011-9001 2345. 100 người cùng ký.', 'Số 00********45. 100 người cùng ký.'],
  ])('masks a citizen identity number in mixed groups beside a sentence or list number: %s', (_how, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    'Giờ làm việc 0730-1130 / 1330-1700 các ngày trong tuần.',
    'Số thẻ 0123. 4567. 8901. 2345 đã khoá.',
    'Số thẻ ngân hàng 0123-4567 8901.2345 đã khoá.',
    'Số thẻ 0123  4567  8901  2345.',
    'Hẹn 07/12/2026  08 30 và 08/12/2026 0830.',
    'Quyết định số 0123/2026/QĐ-UBND ngày 07/12/2026.',
    'Mã hồ sơ 7KM3Q-9X2AB, biên nhận 2026/0123/4567.',
    'Kinh phí 012.345 678.901 đồng.',
    'Sự kiện c1d2e3f4-0123-4567-8901-012345678901/0123 4567 đã ghi.',
    'Điện thoại 024  3825  1234 hoặc 0912 / 345 / 678.',
    'Các thửa 012/013/014, 015/016.',
  ])('leaves dates, times, codes, amounts and cards in mixed groups alone: %s', (text) => {
    expect(maskContactsInText(text).replace(/09\*{6}78|02\*{7}34/g, '')).not.toContain('*');
  });

  it.each([
    ['after a date', 'ngày 07/12/2026 0011 9001 2345', 'ngày 07/12/2026 00********45'],
    ['after a number of one digit', 'Tổ 5 0011 9001 2345', 'Tổ 5 00********45'],
    ['in threes, after a number', 'Tổ 5 001 190 012 345 nhé', 'Tổ 5 00********45 nhé'],
    ['in dashes, after a date', 'Cấp ngày 07/12/2026 0011-9001-2345.', 'Cấp ngày 07/12/2026 00********45.'],
    ['in mixed groups, after a number', 'Tổ 5  0011.9001 2345 nhé', 'Tổ 5  00********45 nhé'],
  ])('masks a citizen identity number in groups right after another number and a space: %s', (_how, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    'Số thẻ ngân hàng 0123 4567 8901 2345 đã khoá.',
    'Thẻ 9704 0123 4567 8901 đã khoá.',
    'Thẻ: 9704  0123  4567  8901.',
    'Thẻ 9704 0123-4567-8901 hết hạn.',
    'Ngày 07/12/2026, thẻ 9704 0123 4567 8901.',
  ])('leaves a bank card whose last three groups make a CCCD whole: %s', (text) => {
    expect(maskContactsInText(text)).toBe(text);
  });

  it.each([
    ['rooms in a row', 'Họp tại phòng 0101 - 0102 - 0103, tầng 1.'],
    ['rooms in a row, in threes', 'Phòng 010-011-012-013 đã sửa xong.'],
    ['rooms without diacritics', 'phong so 0208 0209 0210'],
    ['an area in square metres', 'Thửa số 012 345 678 901 m2 ghi nhầm.'],
    ['an area with its superscript', 'Diện tích 012 345 678 901 m², cần đo lại.'],
    ['an area in mixed groups', 'Diện tích 012.345 678.901 mét vuông.'],
  ])('leaves a number of a room or an area alone: %s', (_what, text) => {
    expect(maskContactsInText(text)).toBe(text);
  });

  it.each([
    // 001 (Hà Nội), 2 (a man born in the 2000s), 00: a card number as likely as a list of three codes.
    ['three codes that make a CCCD', 'Các mã 0012 0034 0056 đã huỷ.', 'Các mã 00********56 đã huỷ.'],
    ['numbers in a row without a room', 'Số 0012 - 0013 - 0014 của anh Nam.', 'Số 00********14 của anh Nam.'],
    ['a card number after "phòng"', 'Nộp tại phòng 0011 - 9001 - 2345.', 'Nộp tại phòng 00********45.'],
    ['a card number before a word in "m"', 'Số 0011 9001 2345 mới cấp.', 'Số 00********45 mới cấp.'],
  ])('masks a number that could be a CCCD, when nothing says it is not: %s', (_what, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    ['named, then "đồng ý"', 'Tôi, CCCD 001 190 012 345 đồng ý cung cấp thông tin.', 'Tôi, CCCD 00********45 đồng ý cung cấp thông tin.'],
    ['unnamed, then "đồng thời"', 'Giấy tờ 0011-9001-2345 đồng thời là mã định danh.', 'Giấy tờ 00********45 đồng thời là mã định danh.'],
    ['a CMND, then "đồng ý"', 'CMND 012 345 678 đồng ý cho xem.', 'CMND 01*****78 đồng ý cho xem.'],
  ])('masks an identity number followed by a word beginning "đồng" that is no amount: %s', (_how, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    ['VNeID-001085012345', 'VNeID-00********45'],
    ['1022-001085012345-0802', '1022-00********45-0802'],
    ['tài khoản vneid\u2013001085012345', 'tài khoản vneid\u201300********45'],
  ])('masks a citizen identity number after a dash: %s', (text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    ['an old identity card (CMND, 9 digits)', 'Số CMND: 012345678 cấp tại Hà Nội.', 'Số CMND: 01*****78 cấp tại Hà Nội.'],
    ['a CCCD written with dashes', 'CCCD số 001203-004567.', 'CCCD số 00********67.'],
    ['a number after "căn cước"', 'căn cước công dân 012345678', 'căn cước công dân 01*****78'],
    ['"CMTND"', 'Số CMTND 012345678.', 'Số CMTND 01*****78.'],
    ['"chứng minh thư nhân dân"', 'chứng minh thư nhân dân số 012345678', 'chứng minh thư nhân dân số 01*****78'],
    ['a passport number', 'Hộ chiếu số C1234567, quốc tịch Việt Nam.', 'Hộ chiếu số C*****67, quốc tịch Việt Nam.'],
    ['a personal identification number', 'mã số định danh cá nhân: 012345678', 'mã số định danh cá nhân: 01*****78'],
  ])('masks %s named as such', (_what, text, masked) => {
    expect(maskContactsInText(text)).toBe(masked);
  });

  it.each([
    'Hẹn ngày 01/02/2026 09 giờ 30 tại phường.',
    'Các thửa đất số 01, 02, 03, 04, 05 thuộc tổ 01, 02, 03, 04, 05, 06.',
    'Giá 0,5 0,5 0,5 0,5 0,5 triệu một mét.',
    'Toạ độ 21.0285, 105.8542 ở đầu ngõ.',
    'Dự toán 84,500,000,000 đồng.',
    'Sự kiện c1d2e3f4-0123-4567-8901-012345678901 đã ghi.',
    'CMND cũ đã hết hạn từ năm 2021, nộp bản sao 2 tờ.',
    'Lệ phí hộ chiếu 12.000.000 đồng, nộp tại Công an phường.',
  ])('leaves dates, lists, amounts, places and identifiers alone: %s', (text) => {
    expect(maskContactsInText(text)).toBe(text);
  });

  it('masks long texts in linear time: a run of letters or digits with no @ is not scanned again from each position', () => {
    for (const text of ['0'.repeat(100_000), 'sđt0'.repeat(25_000), 'ậ'.repeat(100_000), '0 0,0.0-'.repeat(12_500)]) {
      expect(maskContactsInText(text)).toHaveLength(text.length);
    }
  });

  it('masks an e-mail address with a zero-width space in it, and shows the text without such characters', () => {
    expect(maskContactsInText('Thư: lan.hoang\u200b@example.vn, Nguy\u202eễn')).toBe(`Thư: ${maskEmail('lan.hoang@example.vn')}, Nguyễn`);
  });

  it('leaves identifiers alone: UUIDs and ISO times in event data are not phone numbers', () => {
    for (const id of [
      'a1b2c3d4-0123-4567-89ab-cdef01234567',
      '0912345a-1234-4abc-9def-0123456789ab',
      'abcdefab-0123-4567-8901-234567890123',
      '2025-03-04T01:30:00.123456Z',
      'c1d2e3f4-0123-4567-8901-e09123456789',
    ]) {
      expect(maskContactsInText(id)).toBe(id);
    }
  });

  it('masks e-mail addresses, as the contact field would', () => {
    expect(maskContactsInText('Email: quynh.anh+pa@example.com.vn hoặc an@ví-dụ.vn.')).toBe(
      `Email: ${maskEmail('quynh.anh+pa@example.com.vn')} hoặc ${maskEmail('an@ví-dụ.vn')}.`,
    );
  });

  it('masks every number in a text, and leaves addresses, dates and counts alone', () => {
    const text = 'Nhà số 25 ngõ 128 Quỳnh Mai, từ 12/03/2026 đã 3 lần gọi 0987654321 và 0987 654 322; mã hồ sơ 7KM3Q-9X2AB, 1500000 đồng.';
    expect(maskContactsInText(text)).toBe(
      'Nhà số 25 ngõ 128 Quỳnh Mai, từ 12/03/2026 đã 3 lần gọi 09******21 và 09******22; mã hồ sơ 7KM3Q-9X2AB, 1500000 đồng.',
    );
  });

  it('leaves a longer run of digits whole (an account or document number is not a phone number)', () => {
    expect(maskContactsInText('Số tài khoản 0912345678901234')).toBe('Số tài khoản 0912345678901234');
  });

  it('passes null and empty text through', () => {
    expect(maskContactsInText(null)).toBeNull();
    expect(maskContactsInText('')).toBe('');
  });

  describe('the names of the case', () => {
    const name = 'Trần Văn Hùng';
    it.each([
      ['as written', 'Đã liên hệ ông Trần Văn Hùng, 0912345678.', 'Đã liên hệ ông Trần V. H., 09******78.'],
      ['in capitals and spaced twice', 'Kính gửi ông TRẦN  VĂN HÙNG', 'Kính gửi ông Trần V. H.'],
      ['without diacritics', 'ong Tran Van Hung da duoc tra loi', 'ong Trần V. H. da duoc tra loi'],
      ['twice', 'Trần Văn Hùng hỏi; trả lời Trần Văn Hùng', 'Trần V. H. hỏi; trả lời Trần V. H.'],
    ])('masks the name %s', (_how, text, masked) => {
      expect(maskContactsInText(text, [name])).toBe(masked);
    });

    it.each([
      // A name stored without diacritics (typed on a phone), written with them in the answer.
      ['stored without diacritics', 'Tran Van Hung', 'Đã gọi ông Trần Văn Hùng.', 'Đã gọi ông Tran V. H..'],
      // Old and new tone placement: "Hoà" and "Hòa", "Thuỷ" and "Thủy".
      ['with the other tone placement', 'Nguyễn Thị Hoà', 'Bà Nguyễn Thị Hòa đã nhận.', 'Bà Nguyễn T. H. đã nhận.'],
      ['decomposed (NFD) in the text', 'Đỗ Thị Thủy', `Gửi bà ${'Đỗ Thị Thuỷ'.normalize('NFD')}.`, 'Gửi bà Đỗ T. T..'],
      // Officers shorten a name to its family and given names.
      ['shortened to family and given names', 'Trần Văn Hùng', 'Ông Trần Hùng đã nhận kết quả.', 'Ông Trần V. H. đã nhận kết quả.'],
      // A name of four words or more is written without its first middle name ("Thị" of most women's names).
      ['without its first middle name', 'Nguyễn Thị Hồng Nhung', 'Chị Nguyễn Hồng Nhung đã nhận.', 'Chị Nguyễn T. H. N. đã nhận.'],
      // Entered with a form of address, written without it.
      ['entered with a form of address', 'Ông Trần Văn Hùng', 'Đã gọi cho Trần Văn Hùng.', 'Đã gọi cho Ông T. V. H..'],
    ])('masks a name %s', (_how, stored, text, masked) => {
      expect(maskContactsInText(text, [stored])).toBe(masked);
    });

    it.each([
      ['inside a longer name', 'Trần Văn Hùngg', ['Trần Văn Hùng']],
      ['a part of it alone', 'ông Hùng đã nhận', ['Trần Văn Hùng']],
      // A one-word name is an everyday word: "an" (safe), "hoa" (flower).
      ['a name of one word', 'khu vực an toàn, hoa nở', ['An', 'Hoa']],
      ['no name', 'Trần Văn Hùng', [null]],
    ])('leaves %s', (_what, text, names) => {
      expect(maskContactsInText(text, names)).toBe(text);
    });

    it("masks every name given (a duplicate's own citizen and its original's)", () => {
      expect(maskContactsInText('Gửi Lê Thị Hoa và Trần Văn Hùng', ['Lê Thị Hoa', name])).toBe('Gửi Lê T. H. và Trần V. H.');
    });

    it('reads a name with characters of regular expressions as text', () => {
      expect(maskContactsInText('Gửi Nguyễn Văn A.B (Hà Nội)', ['Nguyễn Văn A.B'])).toBe('Gửi Nguyễn V. A. (Hà Nội)');
      expect(() => maskContactsInText('x', ['a [b', 'c) d'])).not.toThrow();
    });
  });
});

describe('normalisePhone', () => {
  it.each([
    ['0912345678', '0912345678'],
    ['0912 345 678', '0912345678'],
    ['091.234.5678', '0912345678'],
    ['+84 912 345 678', '0912345678'],
    ['84912345678', '0912345678'],
    ['024 3825 1234', '02438251234'],
    ['0084912345678', '0912345678'],
    ['0084 912 345 678', '0912345678'],
    ['\uff10\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18', '0912345678'],
    ['+84 (0)912 345 678', '0912345678'],
    ['0084 (0) 912 345 678', '0912345678'],
    ['+84 (0)24 3825 1234', '02438251234'],
    ['912 345 678', '0912345678'],
    ['24 3825 1234', '02438251234'],
    ['849 123 456', '0849123456'],
  ])('reads %s as %s', (given, expected) => expect(normalisePhone(given)).toBe(expected));

  it.each([null, '', '12345', 'not a phone', '0912345678901234'])('finds no number in %p', (given) => expect(normalisePhone(given)).toBeNull());

  it('names the keys the same number had before the national 0 was kept once', () => {
    expect(earlierPhoneForms('0912345678')).toEqual(['00912345678', '912345678']);
    expect(earlierPhoneForms('02438251234')).toEqual(['2438251234']);
    expect(earlierPhoneForms('00912345678')).toEqual([]);
  });
});

describe(visibleText.name, () => {
  it('drops zero-width and other format characters and trims, keeping letters and emoji', () => {
    expect(visibleText('\u200b\u200b \u2060\ufeff\u00ad ')).toBe('');
    expect(visibleText(' Đèn\u200b hỏng 👍🏽 \u200e')).toBe('Đèn hỏng 👍🏽');
  });

  it('keeps an answer padded with invisible characters from passing for one of substance', () => {
    expect(answerProblem(`${'\u200b'.repeat(60)}a b c d e f g h i j k`)).not.toBeNull();
  });
});

describe(answerProblem.name, () => {
  it('takes an answer that says what was done', () => {
    expect(
      answerProblem('UBND phường đã kiểm tra hiện trường, lập biên bản yêu cầu hộ kinh doanh thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ.'),
    ).toBeNull();
    expect(answerProblem('Đã thay bóng đèn chiếu sáng số 12 ngõ 5 Bạch Mai lúc 14 giờ ngày 3/12, đèn sáng bình thường.')).toBeNull();
  });

  it('refuses a bare acknowledgement repeated to length, and a count padded to length', () => {
    expect(answerProblem('Đã xử lý. Đã xử lý. Đã xử lý. Đã xử lý. Đã xử lý. Đã xử lý. Đã xử lý.')).toMatch(/different words, not a phrase repeated/);
    expect(answerProblem('1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24')).not.toBeNull();
    expect(answerProblem('ĐÃ XỬ LÝ xong, đã xử lý XONG, Đã Xử Lý Xong, đã xử lý xong rồi ạ, đã xử lý xong.')).not.toBeNull();
  });
});
