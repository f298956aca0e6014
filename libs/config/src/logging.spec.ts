import { loggableUrl } from './logging';

describe(loggableUrl.name, () => {
  it.each([
    ['a number under a name of its own', '/v1/hotline/cases?sdt=0903111227&unit=VP', '/v1/hotline/cases?sdt=[redacted]&unit=VP'],
    ['a number after a semicolon', '/v1/cases?x=1;phone=0903111226', '/v1/cases?x=[redacted]'],
    [
      'a spaced international number',
      '/open311/v2/requests.json?service_request_id=%2B84%20903%20111%20231',
      '/open311/v2/requests.json?service_request_id=[redacted]',
    ],
    ['an e-mail address', '/v1/cases?q=hoa.le%40example.vn', '/v1/cases?q=[redacted]'],
    ['a number in brackets and spaces', '/v1/hotline/cases?sdt=(091)%20234%205678', '/v1/hotline/cases?sdt=[redacted]'],
    ['a number spaced twice', '/v1/hotline/cases?sdt=0912%20%20345%20678', '/v1/hotline/cases?sdt=[redacted]'],
    ['a number with slashes', '/v1/hotline/cases?sdt=0912/345/678', '/v1/hotline/cases?sdt=[redacted]'],
    ['a number as the name', '/v1/cases?0912345678', '/v1/cases?[redacted]'],
    ['a number in a path segment', '/open311/v2/requests/0912345678.json', '/open311/v2/requests/[redacted]'],
  ])('censors a query value holding %s, whatever its name', (_what, url, logged) => {
    expect(loggableUrl(url)).toBe(logged);
  });

  it.each([
    '/v1/cases?dueBefore=2026-12-31T00:00:00%2B07:00&limit=100',
    '/v1/privacy/reads?caseId=00000000-0000-4000-8000-000000000000',
    '/v1/audits/verify?fromSeq=1234567890123',
    '/v1/notices?from=2026-12-01&to=2026-12-31',
    '/v1/feedback/nearby?lat=21.0285123456&lng=105.8412345678',
  ])('keeps %s, which holds no contact', (url) => {
    expect(loggableUrl(url)).toBe(url);
  });

  it("censors a citizen's contact in the query, and keeps the rest", () => {
    expect(loggableUrl('/v1/hotline/cases?phone=0987654321')).toBe('/v1/hotline/cases?phone=[redacted]');
    expect(loggableUrl('/v1/privacy/reads?email=a%40b.vn&from=2026-01-01&Phone=%2B84987654321')).toBe(
      '/v1/privacy/reads?email=[redacted]&from=2026-01-01&Phone=[redacted]',
    );
    expect(loggableUrl('/v1/hotline/cases?phone[]=0987654321&phone%5B0%5D=0987654321')).toBe('/v1/hotline/cases?phone[]=[redacted]&phone%5B0%5D=[redacted]');
    expect(loggableUrl('/v1/cases?status=triage&limit=20')).toBe('/v1/cases?status=triage&limit=20');
    expect(loggableUrl('/health')).toBe('/health');
    // A credential in the query (an Open311 client's api_key) is not logged either.
    expect(loggableUrl('/open311/v2/requests.json?api_key=dev-ihanoi-key&status=open')).toBe('/open311/v2/requests.json?api_key=[redacted]&status=open');
    expect(loggableUrl('/x?apiKey=a&token=b&access_token=c')).toBe('/x?apiKey=[redacted]&token=[redacted]&access_token=[redacted]');
    // Open311's fields, should a client put them in the query string of its POST.
    expect(
      loggableUrl(
        '/open311/v2/requests.json?first_name=Lan&last_name=Nguy%E1%BB%85n&address_string=s%E1%BB%91%2012&description=x&attribute[title]=y&device_id=d&service_code=sanitation',
      ),
    ).toBe(
      '/open311/v2/requests.json?first_name=[redacted]&last_name=[redacted]&address_string=[redacted]&description=[redacted]&attribute[title]=[redacted]&device_id=[redacted]&service_code=sanitation',
    );
  });

  it('censors a phone number or e-mail address typed into the path, and keeps ids, tracking codes and dates', () => {
    expect(loggableUrl('/v1/hotline/cases/0966555121')).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl('/v1/hotline/cases/%2B84%20966%20555%20121?x=1')).toBe('/v1/hotline/cases/[redacted]?x=1');
    expect(loggableUrl('/v1/feedback/an%40example.vn')).toBe('/v1/feedback/[redacted]');
    // Full-width digits, no-break spaces, zero-width spaces and other dashes, as the masks fold them.
    expect(loggableUrl(`/v1/hotline/cases/${encodeURIComponent('０９１２３４５６７８')}`)).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl(`/v1/hotline/cases/${encodeURIComponent('0912\u00a0345\u200b678')}`)).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl(`/v1/hotline/cases/${encodeURIComponent('0912\u2011345_678')}`)).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl(`/v1/feedback/${encodeURIComponent('an＠example.vn')}`)).toBe('/v1/feedback/[redacted]');
    // A caller's name typed where the tracking code goes (with or without its diacritics, NFD as some keyboards send it).
    expect(loggableUrl(`/v1/hotline/cases/${encodeURIComponent('Nguyễn Văn Ánh')}/info`)).toBe('/v1/hotline/cases/[redacted]/info');
    expect(loggableUrl(`/v1/hotline/cases/${encodeURIComponent('Nguyễn Văn Ánh'.normalize('NFD'))}`)).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl('/v1/hotline/cases/Nguyen%20Van%20Anh')).toBe('/v1/hotline/cases/[redacted]');
    // Joined by '+', as a form encodes spaces: a path keeps the '+' as it came.
    expect(loggableUrl('/v1/hotline/cases/Nguyen+Van+Anh')).toBe('/v1/hotline/cases/[redacted]');
    expect(loggableUrl('/v1/feedback/Tr%E1%BA%A7n')).toBe('/v1/feedback/[redacted]');
    for (const url of [
      '/v1/feedback/7KM3Q-9X2AB',
      '/v1/hotline/cases/7km3q-9x2ab/rating',
      '/v1/cases/0912345a-1234-4abc-9def-0123456789ab',
      '/v1/units?at=2026-01-01',
      '/v1/audits/events/123456',
    ]) {
      expect(loggableUrl(url)).toBe(url);
    }
  });

  it.each([
    ['joined by dashes', '/v1/hotline/cases/Nguyen-Thi-Minh-Nguyet', '/v1/hotline/cases/[redacted]'],
    ['joined by underscores', '/v1/hotline/cases/nguyen_thi_minh_nguyet/info', '/v1/hotline/cases/[redacted]/info'],
    ['joined by dots, in capitals', '/v1/hotline/cases/NGUYEN.THI.MINH.NGUYET', '/v1/hotline/cases/[redacted]'],
    ['written in camel case', '/v1/hotline/cases/NguyenThiMinhNguyet', '/v1/hotline/cases/[redacted]'],
    ['run together', '/v1/hotline/cases/nguyenthiminhnguyet', '/v1/hotline/cases/[redacted]'],
    ['after a prefix, with a number', '/v1/feedback/hotline-Khong-Thi-Dieu-Huyen-1990', '/v1/feedback/[redacted]'],
    ['of two words', '/v1/hotline/cases/Tran-Hung', '/v1/hotline/cases/[redacted]'],
    ['whose family name is also a word', '/v1/hotline/cases/Lo-Thi-Quynh-Hoa', '/v1/hotline/cases/[redacted]'],
    ['in a query value', '/v1/cases?q=Nguyen-Thi-Minh-Nguyet&limit=20', '/v1/cases?q=[redacted]&limit=20'],
  ])("censors a citizen's name written without diacritics, %s", (_how, url, logged) => {
    expect(loggableUrl(url)).toBe(logged);
  });

  it.each([
    // Units are named after their ward, and wards after people: a unit's code is not a citizen's name.
    '/v1/units/P_NGUYEN_DU/designation',
    '/v1/units/P_LE_DAI_HANH/cases?status=assigned',
    '/v1/cases?unit=P_HAI_BA_TRUNG&category=sanitation',
    '/v1/calendars/2026/recompute-deadlines',
    '/v1/webhooks/3f2c1a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c/rotate-secret',
    '/open311/v2/services/sanitation.json',
    '/v1/hotline/cases/7KM3Q-9X2AB/rating',
    '/v1/feedback/nearby?lat=21.0285&lng=105.8412',
    '/v1/public/board?view=tong-hop',
  ])('keeps %s, which names no one', (url) => {
    expect(loggableUrl(url)).toBe(url);
  });
});
