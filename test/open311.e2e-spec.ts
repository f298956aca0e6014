import type { NestExpressApplication } from '@nestjs/platform-express';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Response } from 'supertest';
import { adminToken, bearer, createOfficer, DEV_KEYS, rawRequest, TestEngine, waitFor } from '@fr/testing';
import type {
  GeoReportCreatedDto,
  GeoReportDiscoveryDto,
  GeoReportRequestDto,
  GeoReportServiceDefinitionDto,
  GeoReportServiceDto,
} from '../apps/api/src/open311/georeport.dto';

const BASE = '/open311/v2';
const CITIZEN = { first_name: 'An', last_name: 'Nguyễn Văn', phone: '0912345678', email: 'an.nguyen@example.vn' };
const DESCRIPTION = 'Quán trà đá lấn chiếm vỉa hè trước số 25 Tạ Quang Bửu; người đi bộ phải xuống lòng đường. Gọi tôi: 0912345678.';
const ANSWER =
  'UBND phường đã kiểm tra hiện trường, lập biên bản và yêu cầu hộ kinh doanh trả lại vỉa hè; cần thêm thông tin xin gọi cán bộ phụ trách số 0987654321.';

/** Reads a GeoReport XML answer: well-formed, lists as arrays, every value as text. */
const xml = new XMLParser({
  ignoreDeclaration: true,
  parseTagValue: false,
  isArray: (name) => ['service', 'attribute', 'value', 'request', 'error', 'endpoint', 'format'].includes(name),
});
function readXml<T>(res: Response): T {
  expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(XMLValidator.validate(res.text)).toBe(true);
  return xml.parse(res.text) as T;
}
/** The XML documents as readXml gives them: lists as arrays, every value as text. */
interface DiscoveryXml {
  discovery: { endpoints: { endpoint: { formats: { format: string[] } }[] } };
}
interface ServicesXml {
  services: { service: { service_code: string }[] };
}
interface ServiceDefinitionXml {
  service_definition: { attributes: { attribute: { code: string }[] } };
}
interface RequestsXml {
  service_requests: { request: Record<string, string>[] };
}
interface ErrorsXml {
  errors: { error: { code: string; description: string }[] };
}
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('Open311 GeoReport v2', () => {
  let engine: TestEngine;
  let handler: string;
  let supervisor: string;
  const cases = async () => Number((await engine.query<{ n: string }>(`SELECT count(*) AS n FROM cases`))[0].n);

  beforeAll(async () => {
    engine = await TestEngine.start();
    const admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.handler311', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    supervisor = (await createOfficer(engine, admin, { username: 'vp.supervisor311', role: 'SUPERVISOR', unitCode: 'VP' })).token;
  });
  afterAll(() => engine?.close());

  const get = (path: string) => engine.http().get(`${BASE}/${path}`);
  const post = (path: string, body: string) => engine.http().post(`${BASE}/${path}`).type('form').send(body);

  it('describes itself: discovery, services and their definitions, in JSON and XML', async () => {
    const discovery = await get('discovery.json').expect(200);
    expect((discovery.body as GeoReportDiscoveryDto).endpoints).toEqual([
      expect.objectContaining({
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: expect.stringMatching(/\/open311\/v2$/) as unknown,
        formats: ['application/json', 'text/xml'],
      }),
    ]);
    // Without FR_PUBLIC_URL the address is the request's; with it, a Host header cannot change it.
    const hostile = await get('discovery.json').set('Host', 'evil.example').expect(200);
    expect((hostile.body as GeoReportDiscoveryDto).endpoints[0].url).toBe('http://evil.example/open311/v2');
    const config = engine.config as { publicUrl: string | null };
    config.publicUrl = 'https://phananh.example.gov.vn';
    try {
      const configured = await get('discovery.json').set('Host', 'evil.example').expect(200);
      expect((configured.body as GeoReportDiscoveryDto).endpoints[0].url).toBe('https://phananh.example.gov.vn/open311/v2');
    } finally {
      config.publicUrl = null;
    }
    // What a caller wrote in Host or X-Forwarded-* is checked before it names the address.
    for (const host of ['phananh.gov.vn@evil.tld', 'x/../../y?z#', 'evil.example:0', '']) {
      const res = await get('discovery.json').set('Host', host);
      expect(res.status).toBe(400);
      expect(res.body).toEqual([
        {
          code: 400,
          description: expect.stringMatching(/^(Host '.*' is not a host name or address with an optional port|the request has no Host header)/) as unknown,
        },
      ]);
    }
    const app = engine.api as NestExpressApplication;
    app.set('trust proxy', 'loopback');
    try {
      const proxied = await get('discovery.json')
        .set('Host', 'api:3000')
        .set('X-Forwarded-Host', 'PhanAnh.Example.gov.vn')
        .set('X-Forwarded-Proto', 'https')
        .expect(200);
      expect((proxied.body as GeoReportDiscoveryDto).endpoints[0].url).toBe('https://phananh.example.gov.vn/open311/v2');
      expect(proxied.headers.vary).toMatch(/X-Forwarded-Host/);
      const bad = await get('discovery.xml').set('X-Forwarded-Proto', 'javascript:alert(1)//');
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<description>X-Forwarded-Proto &apos;javascript:alert(1)//&apos; is neither http nor https</description>');
    } finally {
      app.set('trust proxy', false);
    }
    const discoveryXml = readXml<DiscoveryXml>(await get('discovery.xml').expect(200));
    expect(discoveryXml.discovery.endpoints.endpoint[0].formats.format).toEqual(['application/json', 'text/xml']);

    const services = await get('services.json').expect(200);
    const serviceList = services.body as GeoReportServiceDto[];
    expect(serviceList).toContainEqual({
      service_code: 'sanitation',
      service_name: 'Vệ sinh môi trường',
      description: expect.any(String) as unknown,
      metadata: true,
      type: 'realtime',
    });
    // A category intake refuses (complaints follow their own law) is not offered.
    expect(serviceList.map((s) => s.service_code)).not.toContain('complaint_denunciation');
    const servicesXml = readXml<ServicesXml>(await get('services.xml').expect(200));
    expect(servicesXml.services.service.map((s) => s.service_code)).toEqual(serviceList.map((s) => s.service_code));
    // GeoReport's jurisdiction_id may come with every read and is ignored (one jurisdiction); another parameter is a 400 in GeoReport words.
    expect((await get('services.json?jurisdiction_id=hanoi.gov.vn').expect(200)).body).toEqual(serviceList);
    await get('discovery.json?jurisdiction_id=hanoi.gov.vn').expect(200);
    const unknownParameter = await get('services.json?service_code=sanitation').expect(400);
    expect(unknownParameter.body).toEqual([{ code: 400, description: "unknown query parameter(s) 'service_code': it takes api_key, jurisdiction_id" }]);

    const definition = await get('services/sidewalk_encroachment.json').expect(200);
    const ward = (definition.body as GeoReportServiceDefinitionDto).attributes.find((a) => a.code === 'ward_code');
    expect(ward).toMatchObject({ datatype: 'singlevaluelist', required: false, variable: true });
    expect(ward?.values).toContainEqual({ key: 'BACH_KHOA', name: 'Phường Bách Khoa' });
    // Only the areas that exist now, as GET /v1/areas lists them (a dissolved ward was offered beside its successor).
    const areas = await engine.http().get('/v1/areas').set({ 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(ward?.values?.map((v) => v.key).sort()).toEqual((areas.body as { code: string }[]).map((a) => a.code).sort());
    const inactive = await engine.query<{ code: string }>(`SELECT code FROM areas WHERE NOT active`);
    for (const { code } of inactive) expect(ward?.values?.map((v) => v.key)).not.toContain(code);
    const definitionXml = readXml<ServiceDefinitionXml>(await get('services/sidewalk_encroachment.xml').expect(200));
    expect(definitionXml.service_definition.attributes.attribute.map((a) => a.code)).toEqual(['ward_code', 'external_id', 'title']);
  });

  it('takes a form-encoded request through intake, reads it back by id, token and filters, and shows it closed when the case closes', async () => {
    const before = await cases();
    const created = await post(
      'requests.json',
      form({
        api_key: DEV_KEYS.ihanoi,
        jurisdiction_id: 'hbt.hanoi.gov.vn',
        service_code: 'sidewalk_encroachment',
        lat: '21.0045',
        long: '105.8466',
        address_string: '25 Tạ Quang Bửu, phường Bách Khoa',
        'attribute[ward_code]': 'BACH_KHOA',
        'attribute[external_id]': 'fms-4401',
        description: DESCRIPTION.normalize('NFD'),
        media_url: 'https://cdn.ihanoi.vn/p/tra-da.jpg',
        device_id: '',
        ...CITIZEN,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual([
      {
        service_request_id: expect.stringMatching(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/) as unknown,
        token: expect.any(String) as unknown,
        service_notice: null,
        account_id: null,
      },
    ]);
    const [{ service_request_id: id, token }] = created.body as GeoReportCreatedDto[];
    // The same intake as POST /v1/feedback: the channel from the key, text in NFC, the contact kept for the unit's handler.
    const [stored] = await engine.query<Record<string, unknown>>(
      `SELECT channel_code, external_id, category_code, description, ward_code, lat, lng, citizen_name, citizen_phone, citizen_email, attachments FROM cases WHERE tracking_code = $1`,
      [id],
    );
    expect(stored).toEqual({
      channel_code: 'ihanoi',
      external_id: 'fms-4401',
      category_code: 'sidewalk_encroachment',
      description: DESCRIPTION,
      ward_code: 'BACH_KHOA',
      lat: 21.0045,
      lng: 105.8466,
      citizen_name: 'Nguyễn Văn An',
      citizen_phone: '0912345678',
      citizen_email: 'an.nguyen@example.vn',
      attachments: [{ url: 'https://cdn.ihanoi.vn/p/tra-da.jpg', kind: 'image' }],
    });
    expect(await cases()).toBe(before + 1);
    // The same external_id again (form-encoded to the XML form): the same request, nothing new stored.
    const again = await post(
      'requests.xml',
      form({
        api_key: DEV_KEYS.ihanoi,
        service_code: 'sidewalk_encroachment',
        address_string: 'x',
        description: 'lặp lại',
        'attribute[external_id]': 'fms-4401',
      }),
    );
    expect(again.status).toBe(200);
    expect(readXml<RequestsXml>(again).service_requests.request[0].service_request_id).toBe(id);
    expect(await cases()).toBe(before + 1);

    const routed = await waitFor(
      async () => (await get(`requests/${id}.json`).expect(200)).body as GeoReportRequestDto[],
      (b) => b[0].agency_responsible !== null,
      { what: 'routing to the ward' },
    );
    expect(routed).toEqual([
      {
        service_request_id: id,
        status: 'open',
        status_notes: 'assigned',
        service_name: 'Trật tự đô thị, lấn chiếm vỉa hè',
        service_code: 'sidewalk_encroachment',
        agency_responsible: 'Phường Bách Khoa',
        service_notice: null,
        requested_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
        updated_datetime: expect.stringMatching(/Z$/) as unknown,
        expected_datetime: null,
        address: '25 Tạ Quang Bửu, phường Bách Khoa',
        lat: 21.0045,
        long: 105.8466,
        media_url: 'https://cdn.ihanoi.vn/p/tra-da.jpg',
      },
    ]);
    const publicText = (r: Response) => r.text;
    const noPersonalData = (text: string) => {
      expect(text).not.toMatch(/Nguyễn Văn|0912345678|an\.nguyen|Quán trà đá|\bAn\b/);
    };
    noPersonalData(JSON.stringify(routed));

    // Read back by id in XML, by token, and by the list's filters.
    const byIdXml = readXml<RequestsXml>(await get(`requests/${id.toLowerCase()}.xml`).expect(200));
    expect(byIdXml.service_requests.request[0]).toMatchObject({
      service_request_id: id,
      status: 'open',
      agency_responsible: 'Phường Bách Khoa',
      lat: '21.0045',
      expected_datetime: '',
    });
    expect((await get(`tokens/${token}.json`).expect(200)).body).toEqual([{ service_request_id: id, token }]);
    expect(readXml<RequestsXml>(await get(`tokens/${token}.xml`).expect(200)).service_requests.request[0]).toEqual({ service_request_id: id, token });
    const listed = async (query: string) =>
      ((await get(`requests.json?${query}`).expect(200)).body as { service_request_id: string }[]).map((r) => r.service_request_id);
    const start = encodeURIComponent(new Date(Date.now() - 3600_000).toISOString());
    expect(await listed(`service_request_id=${id},ABCDE-FGHJK`)).toEqual([id]);
    expect(await listed(`service_code=sidewalk_encroachment,sanitation&status=open&start_date=${start}`)).toContain(id);
    expect(await listed(`service_code=sanitation`)).not.toContain(id);
    expect(await listed(`status=closed`)).not.toContain(id);
    expect(await listed(`end_date=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`)).not.toContain(id);
    const listXml = readXml<RequestsXml>(await get(`requests.xml?service_code=sidewalk_encroachment`).expect(200));
    expect(listXml.service_requests.request.map((r) => r.service_request_id)).toContain(id);

    // The unit works the case through the officers' API; the request follows.
    const [{ id: caseId }] = await engine.query<{ id: string }>(`SELECT id FROM cases WHERE tracking_code = $1`, [id]);
    const act = async (action: string, body: Record<string, unknown> = {}, token = handler) => {
      const [{ version }] = await engine.query<{ version: number }>(`SELECT version FROM cases WHERE id = $1`, [caseId]);
      const res = await engine
        .http()
        .post(`/v1/cases/${caseId}/${action}`)
        .set(bearer(token))
        .send({ expectedVersion: version, ...body });
      expect([action, res.status]).toEqual([action, 200]);
    };
    await act('acknowledge', { severity: 'normal' });
    const [{ due_at }] = await engine.query<{ due_at: Date }>(`SELECT due_at FROM cases WHERE id = $1`, [caseId]);
    expect(((await get(`requests/${id}.json`)).body as GeoReportRequestDto[])[0]).toMatchObject({
      status: 'open',
      status_notes: 'in_progress',
      expected_datetime: due_at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    await act('resolve', { answer: ANSWER });
    const [resolved] = (await get(`requests/${id}.json`)).body as GeoReportRequestDto[];
    // Answered but still open: the citizen's rating may reopen it. Contacts in the answer are masked.
    expect(resolved).toMatchObject({ status: 'open', expected_datetime: null });
    expect(resolved.status_notes).toMatch(/^resolved: UBND phường đã kiểm tra hiện trường/);
    expect(resolved.status_notes).toContain('09******21');
    // The office closes it (the unit may not while the citizen can still rate the answer).
    await act('close', {}, supervisor);
    expect(((await get(`requests/${id}.json`)).body as GeoReportRequestDto[])[0]).toMatchObject({
      status: 'closed',
      status_notes: expect.stringMatching(/^closed: /) as unknown,
    });
    const closedXml = await get(`requests/${id}.xml`).expect(200);
    expect(readXml<RequestsXml>(closedXml).service_requests.request[0].status).toBe('closed');
    expect(await listed(`status=closed`)).toContain(id);
    expect(await listed(`status=open`)).not.toContain(id);
    noPersonalData(publicText(closedXml));
    noPersonalData(JSON.stringify((await get(`requests.json`)).body));
  });

  it('takes api_key (and jurisdiction_id) on every read, as GET requests does, for clients that send their key with every call', async () => {
    const created = await post(
      'requests.json',
      form({ api_key: DEV_KEYS.hotline, service_code: 'sanitation', address_string: 'ngõ 14 Hồng Mai', description: 'Rác thải ùn ứ cuối ngõ.' }),
    ).expect(201);
    const [{ service_request_id: id, token }] = created.body as GeoReportCreatedDto[];
    // Routing settles first (to triage: the address names no ward), so two reads of the same state compare.
    await waitFor(
      async () => (await get(`requests/${id}.json`).expect(200)).body as GeoReportRequestDto[],
      (b) => b[0].agency_responsible !== null,
      { what: 'routing to triage' },
    );
    // FixMyStreet's Open311 client, for one, adds the key to each GET once configured to; every read
    // answers as without it (they are public), and the key is not checked there.
    const key = `api_key=${DEV_KEYS.hotline}&jurisdiction_id=hbt.hanoi.gov.vn`;
    for (const format of ['json', 'xml']) {
      for (const path of [
        `discovery.${format}`,
        `services.${format}`,
        `services/sanitation.${format}`,
        `requests.${format}`,
        `requests/${id}.${format}`,
        `tokens/${token}.${format}`,
      ]) {
        const res = await get(`${path}?${key}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        // (discovery names the address it was asked on, and each call here reaches the API on a port of its own)
        if (!path.startsWith('discovery')) expect(res.text).toEqual((await get(path).expect(200)).text);
        expect(res.headers['cache-control']).toBe('private, no-cache');
      }
    }
    expect((await get(`requests/${id}.json?api_key=not-a-key`).expect(200)).body).toEqual((await get(`requests/${id}.json`)).body);
    const unknownParameter = await get(`tokens/${token}.json?api_key=${DEV_KEYS.hotline}&format=json`).expect(400);
    expect(unknownParameter.body).toEqual([{ code: 400, description: "unknown query parameter(s) 'format': it takes api_key, jurisdiction_id" }]);
  });

  it('keeps an answer to a POST that names its channel by api_key in the body off shared caches, as one with X-Api-Key', async () => {
    const fields = { api_key: DEV_KEYS.hotline, service_code: 'sanitation', address_string: 'ngõ 16 Hồng Mai', description: 'Đường Nguyễn Trãi bị ngập nước.' };
    const answers = [
      await post('requests.json', form(fields)).expect(201),
      await post('requests.xml', form({ ...fields, 'attribute[external_id]': 'cache-1' })).expect(201),
      await engine.http().post(`${BASE}/requests.json`).send(fields).expect(201),
      await post('requests.json', form({ ...fields, service_code: 'no_such_service' })).expect(404),
    ];
    for (const res of answers) {
      expect({ status: res.status, cacheControl: res.headers['cache-control'], vary: res.headers['vary'] }).toEqual({
        status: res.status,
        cacheControl: 'private, no-cache',
        vary: expect.stringMatching(/Authorization, X-Api-Key/) as unknown,
      });
    }
  });

  it('finds a request by the time it shows, given as start_date and end_date', async () => {
    const res = await post(
      'requests.json',
      form({ api_key: DEV_KEYS.hotline, service_code: 'sanitation', address_string: 'ngõ 12 Hồng Mai', description: 'Rác thải ùn ứ.' }),
    ).expect(201);
    const [{ service_request_id: id }] = res.body as { service_request_id: string }[];
    // Within its second, as nearly every request is: the time shown drops the milliseconds.
    await engine.query(`UPDATE cases SET submitted_at = date_trunc('second', submitted_at) + interval '500 milliseconds' WHERE tracking_code = $1`, [id]);
    const [{ requested_datetime: shown }] = (await get(`requests/${id}.json`).expect(200)).body as GeoReportRequestDto[];
    const listed = ((await get(`requests.json?start_date=${shown}&end_date=${shown}`).expect(200)).body as { service_request_id: string }[]).map(
      (r) => r.service_request_id,
    );
    expect(listed).toContain(id);
  });

  it('withholds where a request of a category marked publicLocation: false was made (public order: a neighbour reported from home), in every public read', async () => {
    const sent = async (serviceCode: string) => {
      const res = await post(
        'requests.json',
        form({
          api_key: DEV_KEYS.hotline,
          service_code: serviceCode,
          address_string: 'nhà bà Nguyễn Thị Hoa, số 7 ngách 15/2 Lạc Trung, phường Vĩnh Tuy',
          lat: '21.0012',
          long: '105.8634',
          media_url: 'https://anh.example.vn/hien-truong.jpg',
          description: 'Hàng xóm hát karaoke đến 2 giờ sáng, đã nhắc nhiều lần.',
        }),
      ).expect(201);
      return (res.body as { service_request_id: string }[])[0].service_request_id;
    };
    const reported = await sent('public_order');
    const street = await sent('sanitation');
    const shown = async (id: string) => ((await get(`requests/${id}.json`).expect(200)).body as GeoReportRequestDto[])[0];
    expect(await shown(reported)).toMatchObject({ address: null, lat: null, long: null, media_url: null, service_code: 'public_order' });
    expect(await shown(street)).toMatchObject({ lat: 21.0012, long: 105.8634, address: expect.stringContaining('Lạc Trung') as unknown });
    const listed = ((await get(`requests.json?service_request_id=${reported}`).expect(200)).body as GeoReportRequestDto[])[0];
    expect(listed).toMatchObject({ address: null, lat: null, long: null });
    const xml = (await get(`requests/${reported}.xml`).expect(200)).text;
    expect(xml).not.toContain('Lạc Trung');
    expect(xml).not.toContain('21.0012');
    // Nor does the channels' nearby read list them: three distances pin a home down.
    const nearby = async (category: string) =>
      (
        (await engine.http().get(`/v1/feedback/nearby?lat=21.0012&lng=105.8634&category=${category}`).set('X-Api-Key', DEV_KEYS.hotline).expect(200)).body as {
          trackingCode: string;
        }[]
      ).map((c) => c.trackingCode);
    expect(await nearby('public_order')).toEqual([]);
    expect(await nearby('sanitation')).toContain(street);
    // The unit that handles it sees where, as for any case.
    const [{ address, lat }] = await engine.query<{ address: string; lat: number }>(`SELECT address, lat FROM cases WHERE tracking_code = $1`, [reported]);
    expect([address, lat]).toEqual(['nhà bà Nguyễn Thị Hoa, số 7 ngách 15/2 Lạc Trung, phường Vĩnh Tuy', 21.0012]);
  });

  it('finds a request sent early in the morning in Hanoi by its Hanoi date, given as start_date and end_date', async () => {
    const res = await post(
      'requests.json',
      form({ api_key: DEV_KEYS.hotline, service_code: 'sanitation', address_string: 'số 5 Tạ Quang Bửu', description: 'Đèn đường hỏng từ tối qua.' }),
    ).expect(201);
    const [{ service_request_id: id }] = res.body as { service_request_id: string }[];
    // 06:30 on 2 December in Hanoi is 23:30 on 1 December in UTC: the day is Hanoi's, as in the audits.
    await engine.query(`UPDATE cases SET submitted_at = '2026-12-02T06:30:00+07:00' WHERE tracking_code = $1`, [id]);
    const listed = async (query: string) =>
      ((await get(`requests.json?${query}`).expect(200)).body as { service_request_id: string }[]).map((r) => r.service_request_id);
    expect(await listed('start_date=2026-12-02&end_date=2026-12-02')).toContain(id);
    expect(await listed('start_date=2026-11-01&end_date=2026-12-01')).not.toContain(id);
    expect(await listed('start_date=2026-12-03&end_date=2026-12-31')).not.toContain(id);
  });

  it("lets a page on another site read GeoReport's answers (CORS, any origin, no credentials), and only GeoReport's", async () => {
    const origin = 'https://bando.hanoi.gov.vn';
    const services = await get('services.json').set('Origin', origin);
    expect(services.status).toBe(200);
    expect(services.headers['access-control-allow-origin']).toBe('*');
    expect(services.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(services.headers['access-control-allow-credentials']).toBeUndefined();
    expect(services.headers['access-control-expose-headers']).toBe('Retry-After, Location');
    // A web portal's page posting a request as JSON asks first.
    const preflight = await engine
      .http()
      .options(`${BASE}/requests.json`)
      .set({ Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, POST',
      'access-control-allow-headers': 'Content-Type, X-Api-Key',
    });
    // An error is readable too (the page shows why its request was refused).
    expect((await get('services/no_such_service.json').set('Origin', origin)).headers['access-control-allow-origin']).toBe('*');
    // The officers' and channels' API is not for other sites' pages.
    const own = await engine.http().get('/v1/categories').set({ Origin: origin, 'X-Api-Key': DEV_KEYS.ihanoi });
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
    expect(own.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('takes the same request as JSON, attributes as an object and coordinates as numbers', async () => {
    const res = await engine
      .http()
      .post(`${BASE}/requests.json`)
      .send({
        api_key: DEV_KEYS.hotline,
        service_code: 'roads_lighting',
        lat: 21.0012,
        long: 105.8571,
        description: 'Đèn đường hỏng cả dãy phố Kim Ngưu.',
        attribute: { ward_code: 'THANH_LUONG', title: 'Đèn hỏng' },
      });
    expect(res.status).toBe(201);
    const [stored] = await engine.query<Record<string, unknown>>(
      `SELECT channel_code, title, ward_code, lat, lng, citizen_name FROM cases WHERE tracking_code = $1`,
      [(res.body as GeoReportCreatedDto[])[0].service_request_id],
    );
    expect(stored).toEqual({ channel_code: 'hotline_1022', title: 'Đèn hỏng', ward_code: 'THANH_LUONG', lat: 21.0012, lng: 105.8571, citizen_name: null });
  });

  it("publishes a photo's URL without the citizen's number, e-mail address or an old case's credentials", async () => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set('X-Api-Key', DEV_KEYS.ihanoi)
      .send({
        category: 'sanitation',
        description: 'Rác ùn ứ đầu ngõ 12 phố Kim Ngưu.',
        location: { wardCode: 'THANH_LUONG' },
        citizen: { name: 'Lê Văn Cường', phone: '0912345678', email: 'cuong.le@gmail.com' },
        attachments: [{ url: 'https://cdn.example.vn/u/0912345678/cuong.le@gmail.com/anh1.jpg', kind: 'image' }],
      });
    expect(res.status).toBe(202);
    const { trackingCode } = res.body as { trackingCode: string };
    const mediaUrl = async () => ((await get(`requests/${trackingCode}.json`).expect(200)).body as { media_url: string }[])[0].media_url;
    expect(await mediaUrl()).toBe('https://cdn.example.vn/u/09******78/c***@gmail.com/anh1.jpg');
    // Stored before intake refused them.
    await engine.query(`UPDATE cases SET attachments = '[{"url": "https://an:mat-khau@cdn.example.vn/p/b.jpg", "kind": "image"}]' WHERE tracking_code = $1`, [
      trackingCode,
    ]);
    expect(await mediaUrl()).toBe('https://cdn.example.vn/p/b.jpg');
  });

  describe('errors, in the specification format', () => {
    const jsonError = (res: Response, status: number, description: RegExp) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual([{ code: status, description: expect.stringMatching(description) as unknown }]);
    };
    const xmlError = (res: Response, status: number, description: RegExp) => {
      expect(res.status).toBe(status);
      const body = readXml<ErrorsXml>(res);
      expect(body.errors.error).toEqual([{ code: String(status), description: expect.stringMatching(description) as unknown }]);
    };
    const valid = { api_key: DEV_KEYS.hotline, service_code: 'sanitation', address_string: 'ngõ 12 Hồng Mai', description: 'Rác thải ùn ứ.' };

    it('refuses a missing or unknown api_key with 403, storing nothing', async () => {
      const before = await cases();
      const { api_key: _key, ...keyless } = valid;
      jsonError(await post('requests.json', form(keyless)), 403, /api_key is required/);
      // A key in the query string is not read: the answer says where it goes.
      jsonError(
        await engine.http().post(`${BASE}/requests.json?api_key=${valid.api_key}`).type('form').send(form(keyless)),
        403,
        /^api_key is required in the request body \(or the X-Api-Key header\), not in the query string/,
      );
      xmlError(await post('requests.xml', form({ ...valid, api_key: 'dev-someone-else-key' })), 403, /api_key is not valid/);
      expect(await cases()).toBe(before);
    });

    it('refuses an unknown service_code with 404 and an unknown ward with 400, in GeoReport words, storing nothing', async () => {
      const before = await cases();
      jsonError(
        await post('requests.json', form({ ...valid, service_code: 'rocket_launch' })),
        404,
        /^service_code 'rocket_launch' is not a known service; GET \/open311\/v2\/services.json lists them$/,
      );
      xmlError(await post('requests.xml', form({ ...valid, service_code: 'rocket_launch' })), 404, /service_code 'rocket_launch' is not a known service/);
      jsonError(
        await post('requests.json', form({ ...valid, 'attribute[ward_code]': 'ATLANTIS' })),
        400,
        /^attribute\[ward_code\] 'ATLANTIS' is not a known area; GET \/open311\/v2\/services\/sanitation.json lists them$/,
      );
      expect(await cases()).toBe(before);
    });

    it.each([
      ['a refused category', { service_code: 'complaint_denunciation' }, /Law on Complaints/],
      ['no service_code', { service_code: '' }, /service_code is required/],
      ['no location', { address_string: '' }, /a location is required/],
      ['an address of spaces for the location', { address_string: ' \u200b  ' }, /a location is required/],
      ['lat without long', { lat: '21.01' }, /lat and long go together/],
      ['a latitude out of range', { lat: '121.5', long: '105.8' }, /^lat: /],
      ['a coordinate that is not a number', { lat: '21,01', long: '105.8' }, /lat must be a decimal number/],
      ['a description over 4000 characters', { description: 'ổ gà '.repeat(801) }, /longer than the 4000 characters/],
      ['an invalid e-mail', { email: 'not-an-email' }, /^email: email must be an email/],
      ['a media_url that is not http(s)', { media_url: 'javascript:alert(1)' }, /^media_url: /],
      // Shown to anyone by media_url: a password in it would be published.
      [
        'a media_url with a user name and password',
        { media_url: 'https://an:mat-khau@cdn.ihanoi.vn/p/a.jpg' },
        /^media_url: .*must not carry a user name or password/,
      ],
      ['a malformed ward code', { 'attribute[ward_code]': 'NOT A WARD' }, /attribute\[ward_code\]: /],
      ['an unknown attribute', { 'attribute[priority]': 'high' }, /unknown attribute 'priority'/],
      ['an unknown field', { password: 'x' }, /unknown field 'password'/],
      ['address_id', { address_id: '42' }, /address_id is not supported/],
      ['a NUL character', { description: 'rác\u0000' }, /must not contain NUL/],
    ])('refuses %s with 400, storing nothing', async (_what, change, message) => {
      const before = await cases();
      jsonError(await post('requests.json', form({ ...valid, ...change })), 400, message);
      expect(await cases()).toBe(before);
    });

    it('refuses a JSON body that is not an object of fields, and a JSON number anywhere but lat and long, with 400 naming it', async () => {
      const before = await cases();
      const json = (body: unknown) => engine.http().post(`${BASE}/requests.json`).set('Content-Type', 'application/json').send(JSON.stringify(body));
      // Before the key is asked for: a list is no request at all, keyed or not.
      jsonError(await json([valid]), 400, /^the body must be a form, or a JSON object, of the request fields$/);
      jsonError(await json({ ...valid, phone: 904123456 }), 400, /^phone must be text$/);
      jsonError(await json({ ...valid, attribute: { title: 7 } }), 400, /^attribute\[title\] must be text$/);
      expect(await cases()).toBe(before);
    });

    it('counts a description as it is stored: decomposed Vietnamese (NFD) within 4000 characters once composed is taken', async () => {
      const text = 'Người dân phản ánh rác thải ùn ứ kéo dài nhiều ngày tại đầu ngõ, gây mùi hôi thối. '.repeat(40).trim();
      const nfd = text.normalize('NFD');
      expect([...text].length).toBeLessThanOrEqual(4000);
      expect([...nfd].length).toBeGreaterThan(4000);
      const res = await post('requests.json', form({ ...valid, description: nfd }));
      expect(res.status).toBe(201);
    });

    it('refuses bodies it cannot read: too large, badly encoded, not a form or JSON', async () => {
      const before = await cases();
      xmlError(await post('requests.xml', form({ ...valid, description: 'x'.repeat(300 * 1024) })), 413, /larger than/);
      jsonError(await post('requests.json', `${form(valid)}&title=%FF%FE`), 400, /not UTF-8/);
      jsonError(
        await engine.http().post(`${BASE}/requests.json`).set('Content-Type', 'application/x-www-form-urlencoded; charset=windows-1258').send(form(valid)),
        415,
        /^charset windows-1258 is not accepted: send the body encoded as UTF-8$/,
      );
      jsonError(
        await engine.http().post(`${BASE}/requests.json`).set('Content-Type', 'text/plain').send('rác'),
        415,
        /x-www-form-urlencoded or application\/json, not text\/plain/,
      );
      jsonError(await engine.http().post(`${BASE}/requests.json`).set('Content-Type', 'application/json').send('{"api_key":'), 400, /JSON/);
      jsonError(await post('requests.json', `${form(valid)}&description=again`), 400, /description is given more than once/);
      jsonError(await post('requests.json', `${form(valid)}&api_key=${DEV_KEYS.hotline}`), 400, /^api_key is given more than once/);
      // The key in the header instead, sent twice (an array value is two header lines).
      const { api_key: _key, ...noKey } = valid;
      const twice = await rawRequest(
        `${await engine.url()}${BASE}/requests.json`,
        'POST',
        { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Api-Key': [DEV_KEYS.hotline, DEV_KEYS.hotline] },
        form(noKey),
      );
      expect(twice.status).toBe(400);
      expect(twice.text).toMatch(/X-Api-Key is sent more than once/);
      expect(await cases()).toBe(before);
    });

    it.each([
      ['an unknown service', 'services/no_such_service.json', 404, /service_code 'no_such_service' not found/],
      ['an unknown request', 'requests/ZZZZZ-ZZZZZ.json', 404, /service request 'ZZZZZ-ZZZZZ' not found/],
      ['an unknown token', 'tokens/not-a-token.json', 404, /token 'not-a-token' not found/],
      ['a date that is not one', 'requests.json?start_date=yesterday', 400, /start_date must be a W3C date \(YYYY-MM-DD, a day in Asia\/Ho_Chi_Minh\) or/],
      ['a day that does not exist', 'requests.json?start_date=2026-02-30T00:00:00Z', 400, /start_date '2026-02-30T00:00:00Z' is not a real date and time/],
      ['a range over 90 days', 'requests.json?start_date=2026-01-01&end_date=2026-12-01', 400, /not be more than 90 days apart/],
      ['an unknown status', 'requests.json?status=pending', 400, /status must be open, closed or both/],
      ['an unknown service_code', 'requests.json?service_code=rocket_launch', 400, /unknown service_code 'rocket_launch'/],
      ['a huge service_request_id', `requests.json?service_request_id=${'x'.repeat(5000)}`, 400, /is not a service request id/],
      ['an unknown format', 'requests.csv', 404, /Cannot GET/],
    ])('GET with %s answers %i', async (_what, path, status, message) => {
      jsonError(await get(path), status, message);
    });

    it('answers the XML forms of the same errors in XML', async () => {
      xmlError(await get('services/no_such_service.xml'), 404, /not found/);
      xmlError(await get('requests.xml?end_date=31/12/2026'), 400, /end_date must be a W3C date/);
      xmlError(await get('requests/ZZZZZ-ZZZZZ.xml'), 404, /not found/);
    });
  });
});
