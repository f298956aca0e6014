import { boundingBox, distanceMetres, normaliseAddress } from './duplicates';

describe(normaliseAddress.name, () => {
  it.each([
    ['Số 12, Ngõ 34 Phố Huế', '12 ngo 34 pho hue'],
    ['12 ngo 34 pho Hue', '12 ngo 34 pho hue'],
    ['số nhà 12 ng. 34 Phố Huế, P. Phố Huế, Q. Hai Bà Trưng, Hà Nội', '12 ngo 34 pho hue'],
    ['SN 12  hẻm 34   Phố Huế', '12 ngo 34 pho hue'],
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
  });

  it('gives null when nothing is left to compare', () => {
    expect(normaliseAddress(null)).toBeNull();
    expect(normaliseAddress('')).toBeNull();
    expect(normaliseAddress(' ,. ')).toBeNull();
  });

  it('gives null for an address that names only a ward, district or city: it says nothing about where', () => {
    for (const a of ['Hà Nội', 'Quận Hai Bà Trưng', 'quận Hai Bà Trưng, Hà Nội', 'Phường Hai Bà Trưng', 'TP Hà Nội', 'Q. Hai Bà Trưng', 'thành phố Hà Nội']) {
      expect(normaliseAddress(a)).toBeNull();
    }
    // "P." may be "Phố": kept as a street.
    expect(normaliseAddress('P. Bạch Mai')).toBe('p bach mai');
    expect(normaliseAddress('Chợ Mơ, phường Bạch Mai')).toBe('cho mo');
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
