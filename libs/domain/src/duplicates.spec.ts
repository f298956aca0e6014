import { boundingBox, distanceMetres, normaliseAddress } from './duplicates';

describe(normaliseAddress.name, () => {
  it.each([
    ['Số 12, Ngõ 34 Phố Huế', '12 ngo 34 hue'],
    ['12 ngo 34 pho Hue', '12 ngo 34 hue'],
    ['số nhà 12 ng. 34 Phố Huế, P. Phố Huế, Q. Hai Bà Trưng, Hà Nội', '12 ngo 34 hue'],
    ['SN 12  hẻm 34   Phố Huế', '12 ngo 34 hue'],
    ['Số 1 Đại Cồ Việt', '1 dai co viet'],
    ['1 Đại Cồ Việt, phường Bách Khoa', '1 dai co viet'],
    ['Ngách 5/12 ngõ Quỳnh', 'ngach 5 12 ngo quynh'],
    ['12 Hà Huy Tập, Hà Nội', '12 ha huy tap'],
    ['số 3 Xã Đàn', '3 xa dan'],
    ['20 Thanh Nhàn, thành phố Hà Nội', '20 thanh nhan'],
  ])('%s -> %s', (input, expected) => {
    expect(normaliseAddress(input)).toBe(expected);
  });

  it('treats composed and decomposed Unicode alike', () => {
    expect(normaliseAddress('Phố Huế'.normalize('NFD'))).toBe(normaliseAddress('Phố Huế'.normalize('NFC')));
  });

  it('keeps "số" that is part of a name, and different house numbers apart', () => {
    expect(normaliseAddress('Ngõ Số Hai')).toBe('ngo so hai');
    expect(normaliseAddress('số 12 Phố Huế')).not.toBe(normaliseAddress('số 14 Phố Huế'));
    // A dash between digits is a range of numbers, not the end of a part.
    expect(normaliseAddress('12-14 Phố Huế')).not.toBe(normaliseAddress('12 Phố Huế'));
  });

  it('gives null when nothing is left to compare', () => {
    expect(normaliseAddress(null)).toBeNull();
    expect(normaliseAddress('')).toBeNull();
    expect(normaliseAddress(' ,. ')).toBeNull();
  });

  it('gives null for an address that names only a ward, district or city: it says nothing about where', () => {
    for (const a of [
      'Hà Nội',
      'Quận Hai Bà Trưng',
      'quận Hai Bà Trưng, Hà Nội',
      'Phường Hai Bà Trưng',
      'TP Hà Nội',
      'Q. Hai Bà Trưng',
      'thành phố Hà Nội',
      'HN',
    ]) {
      expect(normaliseAddress(a)).toBeNull();
    }
    // "P." may be "Phố" there: kept as the street it would name.
    expect(normaliseAddress('P. Bạch Mai')).toBe('bach mai');
    expect(normaliseAddress('Chợ Mơ, phường Bạch Mai')).toBe('cho mo');
  });

  // One place as citizens and operators write it: the same key whatever the keyboard, the tone placement
  // (old style "Hoà", "Thuỷ", new style "Hòa", "Thủy"), the letter case, diacritics or none, Đ or its
  // look-alike Ð (U+00D0), "số" or not, the street word written, abbreviated or left out, and the ward,
  // district and city after it written in full, abbreviated or bare.
  it.each([
    ['12 Hòa Mã', ['Số 12 Hoà Mã', '12 Hòa Mã'.normalize('NFD'), '12 Hoà Mã'.normalize('NFD'), '12 HOÀ MÃ', 'so 12 hoa ma', 'SN 12 Hòa Mã', '  12   hòa  mã ']],
    ['12 Thủy Khuê', ['12 Thuỷ Khuê', '12 THUỶ KHUÊ', '12 thuy khue']],
    ['8 Lê Đại Hành', ['8 Lê \u00d0ại Hành', '8 LÊ \u00d0ẠI HÀNH', '8 le dai hanh', '8 Lê Ðại Hành, P. Lê Đại Hành']],
    [
      '12 Hàng Bông',
      [
        '12 phố Hàng Bông',
        '12 P. Hàng Bông',
        '12 P.Hàng Bông',
        '12 Ph. Hàng Bông',
        '12 pho hang bong',
        '12 đường Hàng Bông',
        '12 Đ. Hàng Bông',
        'Số 12 phố Hàng Bông, phường Cửa Nam',
        '12 Hàng Bông, Ph. Cửa Nam',
        '12 P. Hàng Bông, Cửa Nam, Hoàn Kiếm, Hà Nội',
        '12 Hàng Bông, Cửa Nam',
        '12 Hàng Bông, HN',
        '12 Hàng Bông, P. Cửa Nam, Q. Hoàn Kiếm, TP. Hà Nội',
        'PHƯỜNG CỬA NAM, 12 HÀNG BÔNG',
      ],
    ],
    [
      'ngõ 5 ngách 3 Minh Khai',
      ['ngõ 5/ngách 3 Minh Khai', 'Ngõ 5, Ngách 3, phố Minh Khai', 'ng. 5 ngh. 3 Minh Khai', 'ngõ 5 ng. 3 Minh Khai', 'Ngõ 5 / Ngách 3 Minh Khai, Vĩnh Tuy'],
    ],
    ['12 Dương Văn Bé', ['12 duong Duong Van Be', '12 đường Dương Văn Bé', '12 Duong Van Be']],
    ['12 Phó Đức Chính', ['12 pho duc chinh', '12 phố Phó Đức Chính']],
    // After a residential group's number (tổ 5), "P." is the ward, not a street.
    ['Tổ 5, phường Vĩnh Tuy', ['Tổ 5, P. Vĩnh Tuy', 'to 5 p vinh tuy', 'Tổ 5']],
    ['１２ Ｈàng Ｂông', ['12 Hàng Bông']],
    ['12 Hàng Bô\u00adng', ['12 Hàng Bông']],
    // Characters that show nothing, inside words or beside spaces, and other spaces: the text as it shows.
    [
      '12 Hàng Bông, phường Cửa Nam',
      [
        '12 Hàng Bô\u200bng, phường Cửa Nam',
        '\ufeff12 Hàng\u200c Bông\u200d, phường\u2060 Cửa Nam\u200e',
        '12\u00a0Hàng\u202fBông,\u3000phường\tCửa Nam',
        '12 Hàng\u200bBông',
        // A form's text box: a part a line.
        '12 Hàng Bông\nCửa Nam\nHoàn Kiếm',
        '12 Hàng Bông\r\nphường Cửa Nam\r\nHà Nội',
        '12 Hàng Bông - Cửa Nam - Hoàn Kiếm',
        '12 Hàng Bông — Cửa Nam — Hoàn Kiếm',
        '12 Hàng Bông-phường Cửa Nam-quận Hoàn Kiếm',
        '12 Hàng Bông-Cửa Nam-Hoàn Kiếm',
        '12 Hàng Bông,, Cửa Nam,, Hoàn Kiếm.',
      ],
    ],
    ['Khu tập thể Quỳnh Mai, nhà B5', ['KTT Quỳnh Mai, nhà B5', 'khu tap the Quynh Mai, nha B5']],
  ])('%s: one key for each way of writing it', (address, others) => {
    const key = normaliseAddress(address);
    expect(key).not.toBeNull();
    for (const other of others) expect([other, normaliseAddress(other)]).toEqual([other, key]);
  });

  // A ngách is numbered on its ngõ, "ngách 595/7" being ngách 7 of ngõ 595, and Hà Nội addresses write it
  // each of these ways (seen in public addresses: "Số nhà 33, ngách 595/7, ngõ 595, Lĩnh Nam", "Số 18
  // ngách 19/15 Kim Đồng", "Số 25 Ngõ 178/71 - Tây Sơn", "nhà số 14 ngách 18 ngõ 111 Triều Khúc"). The
  // south writes a hẻm's branch the same way ("Hẻm 1041/62 Trần Xuân Soạn"), Huế and Đà Nẵng a kiệt's.
  it.each([
    [
      '12 ngõ 5 ngách 3 Minh Khai',
      [
        '12 ngõ 5/3 Minh Khai',
        '12 ngõ 5/3 Minh Khai'.normalize('NFD'),
        '12 ngo 5/3 Minh Khai',
        '12 ngo 5 ngach 3 Minh Khai',
        '12 NGÕ 5 NGÁCH 3 MINH KHAI',
        'Số 12, ngách 5/3, phố Minh Khai',
        'Số 12 ngách 5/3 ngõ 5 Minh Khai',
        'số nhà 12, ngách 5/3, ngõ 5, Minh Khai',
        '12 ngách 3 ngõ 5 Minh Khai',
        '12 ngách 3, ngõ 5, Minh Khai',
        '12 ng. 5/3 Minh Khai',
        '12 ng.5/3 Minh Khai',
        '12 ng. 5 ngh. 3 Minh Khai',
        '12 ngõ 5 / 3 Minh Khai',
        '12 Ngõ 5, Ngách 5/3 Minh Khai',
      ],
    ],
    ['Số 33 ngách 595/7 Lĩnh Nam', ['Số nhà 33, ngách 595/7, ngõ 595, Lĩnh Nam', '33 ngõ 595 ngách 7 Lĩnh Nam', '33 ngõ 595/7 Lĩnh Nam']],
    ['Số 2 ngõ 1A/12 Bạch Mai', ['2 ngõ 1A ngách 12 Bạch Mai', '2 ngách 1A/12 Bạch Mai', '2 ngach 12 ngo 1a Bach Mai']],
    ['Hẻm 1041/62 Trần Xuân Soạn', ['Hẻm 1041/62 Đường Trần Xuân Soạn', 'hem 1041/62 Tran Xuan Soan', 'HẺM 1041/62 TRẦN XUÂN SOẠN'.normalize('NFD')]],
    ['Kiệt 12/3 Trần Cao Vân', ['kiet 12/3 Tran Cao Van', 'Kiệt 12/3 Trần Cao Vân'.normalize('NFD')]],
    // Hà Nội names the branch of a ngách a hẻm: ngõ 5, ngách 3, hẻm 2 is 5/3/2.
    ['ngõ 5/3/2 Minh Khai', ['ngõ 5 ngách 3 hẻm 2 Minh Khai', 'hẻm 5/3/2 Minh Khai', 'ngách 5/3 hẻm 2 Minh Khai']],
  ])('%s: one key for the ngách however it is written', (address, others) => {
    const key = normaliseAddress(address);
    expect(key).not.toBeNull();
    for (const other of others) expect([other, normaliseAddress(other)]).toEqual([other, key]);
  });

  // Times City is the complex at 458 Minh Khai: its name after the number says nothing the number does not,
  // before it neither; a tower's name does.
  it('takes a complex named beside its street number for that number, and keeps its towers apart', () => {
    const key = normaliseAddress('458 Minh Khai');
    for (const a of ['458 Minh Khai, Times City', 'Times City, 458 Minh Khai', 'Times City, 458 Minh Khai, Hai Bà Trưng', 'Số 458 Minh Khai, Times City, HN']) {
      expect([a, normaliseAddress(a)]).toEqual([a, key]);
    }
    expect(normaliseAddress('458 Minh Khai, tòa T5')).not.toBe(normaliseAddress('458 Minh Khai, tòa T6'));
    expect(normaliseAddress('458 Minh Khai, tòa T5')).not.toBe(key);
    // A place that is nothing without its name keeps it: "nhà B5" alone would be every B5 of the ward.
    expect(normaliseAddress('KTT Quỳnh Mai, nhà B5')).not.toBe(normaliseAddress('KTT Kim Liên, nhà B5'));
  });

  // What must stay apart: a key shared by two places links reports of different problems.
  it.each([
    ['12 P. Hàng Bông', '12 P. Hàng Gai'],
    ['12 Hàng Bông', '14 Hàng Bông'],
    ['Ngõ 5, Bạch Mai', 'Ngõ 5, Minh Khai'],
    ['Ngõ Hòa Bình 7, Minh Khai', 'Ngõ Hòa Bình 7, Kim Ngưu'],
    ['Khu D tập thể Bách Khoa', 'Khu tập thể Bách Khoa'],
    ['24 Hàng Bông, Hàng Gai', '24 Hàng Gai, Hàng Bông'],
    ['12 Bạch Mai', '12 Bạch M\u0430i'],
    ['ngõ 5/3 Minh Khai', 'ngõ 3/5 Minh Khai'],
    ['ngõ 5/3 Minh Khai', 'ngõ 5 Minh Khai'],
    ['ngách 5/3 Minh Khai', 'ngách 5/4 Minh Khai'],
    ['ngõ 5/3/2 Minh Khai', 'ngõ 5/3 Minh Khai'],
    ['12 ngõ 5 Minh Khai', '12 ngõ 5/12 Minh Khai'],
    ['Ngách 5/12 ngõ Quỳnh', 'Ngách 5/12 ngõ Kim Ngưu'],
  ])('%s and %s stay apart', (a, b) => {
    expect(normaliseAddress(a)).not.toBe(normaliseAddress(b));
  });
});

describe(distanceMetres.name, () => {
  it('measures about 111 km a degree of latitude and a few metres between nearby points', () => {
    expect(distanceMetres({ lat: 21, lng: 105.85 }, { lat: 22, lng: 105.85 })).toBeCloseTo(111_195, -2);
    expect(distanceMetres({ lat: 21.0055, lng: 105.8431 }, { lat: 21.0055, lng: 105.8431 })).toBe(0);
    // 0.001 degree of longitude at Hanoi's latitude is about 104 m.
    expect(distanceMetres({ lat: 21.0055, lng: 105.8431 }, { lat: 21.0055, lng: 105.8441 })).toBeCloseTo(103.8, 0);
  });
});

describe(boundingBox.name, () => {
  it('contains every point within the radius, and its corners lie beyond it', () => {
    const centre = { lat: 21.0055, lng: 105.8431 };
    const box = boundingBox(centre, 150);
    for (let bearing = 0; bearing < 360; bearing += 15) {
      const r = (bearing * Math.PI) / 180;
      const p = { lat: centre.lat + (149 / 111_195) * Math.cos(r), lng: centre.lng + (149 / (111_195 * Math.cos((centre.lat * Math.PI) / 180))) * Math.sin(r) };
      expect(distanceMetres(centre, p)).toBeLessThan(150);
      expect(p.lat).toBeGreaterThanOrEqual(box.minLat);
      expect(p.lat).toBeLessThanOrEqual(box.maxLat);
      expect(p.lng).toBeGreaterThanOrEqual(box.minLng);
      expect(p.lng).toBeLessThanOrEqual(box.maxLng);
    }
    expect(distanceMetres(centre, { lat: box.maxLat, lng: box.maxLng })).toBeGreaterThan(150);
  });
});
