import { adminToken, apiClient, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';

/**
 * An integrator's view: a channel and an officer use only the client generated from
 * openapi/openapi.json (openapi-typescript types, openapi-fetch), and every answer is checked
 * against the document.
 */
describe('the client generated from the OpenAPI document', () => {
  let engine: TestEngine;
  let handlerToken: string;
  /** The case the channel submits, which the officer then works. */
  let trackingCode: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    handlerToken = (await createOfficer(engine, await adminToken(engine), { username: 'bk.client.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(() => engine?.close());

  const feedback = {
    externalId: 'client-0001',
    category: 'sidewalk_encroachment',
    description: 'Quán nước lấn chiếm vỉa hè trước số 25 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
    location: { wardCode: 'BACH_KHOA' },
    citizen: { name: 'Phạm Thị Lan', phone: '0904123456' },
  };

  it('lets a channel list the codes, submit feedback and read its status', async () => {
    const channel = await apiClient(engine, { 'X-Api-Key': DEV_KEYS.ihanoi });

    const categories = await channel.GET('/v1/categories');
    expect(categories.data?.map((c) => c.code)).toContain('sidewalk_encroachment');
    const areas = await channel.GET('/v1/areas');
    expect(areas.data?.find((a) => a.code === 'BACH_KHOA')).toMatchObject({ unitCode: 'P_BACH_KHOA' });

    const unknownWard = await channel.POST('/v1/feedback', { body: { ...feedback, location: { wardCode: 'PHUONG_KHONG_CO' } } });
    expect(unknownWard.response.status).toBe(422);
    expect(unknownWard.error?.errors).toEqual([{ field: 'location.wardCode', problems: [expect.stringContaining('GET /v1/areas')] }]);

    const accepted = await channel.POST('/v1/feedback', { body: feedback });
    expect(accepted.response.status).toBe(202);
    trackingCode = accepted.data!.trackingCode;
    const again = await channel.POST('/v1/feedback', { body: feedback });
    expect(again.response.status).toBe(200);
    // The same case, as it stands now: routed already, when the relay was quicker than the second request.
    expect(again.data).toEqual({ ...accepted.data, status: expect.stringMatching(/^(received|assigned)$/) as unknown });

    const status = await waitFor(
      () => channel.GET('/v1/feedback/{trackingCode}', { params: { path: { trackingCode } } }),
      (r) => r.data?.status === 'assigned',
      { what: 'routing' },
    );
    expect(status.data).toMatchObject({ trackingCode, unit: { code: 'P_BACH_KHOA' }, answer: null, infoRequest: null });

    const stranger = await apiClient(engine, { 'X-Api-Key': DEV_KEYS.hotline });
    const notTheirs = await stranger.GET('/v1/feedback/{trackingCode}', { params: { path: { trackingCode } } });
    expect(notTheirs.response.status).toBe(404);
    expect(notTheirs.error).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('lets a client that keeps the ETag revalidate with fetch (which adds Cache-Control: no-cache to If-None-Match) and get 304', async () => {
    const channel = await apiClient(engine, { 'X-Api-Key': DEV_KEYS.ihanoi });
    const first = await channel.GET('/v1/categories');
    const etag = first.response.headers.get('etag');
    expect(etag).toBeTruthy();
    // What fetch sends: RFC 9110 13.1.2 has the origin answer a matching If-None-Match with 304; the
    // request's no-cache only keeps caches in between from answering without asking the origin.
    const again = await channel.GET('/v1/categories', { headers: { 'If-None-Match': etag! }, parseAs: 'text' });
    expect(again.response.status).toBe(304);
    const status = await channel.GET('/v1/feedback/{trackingCode}', { params: { path: { trackingCode } } });
    const unchanged = await channel.GET('/v1/feedback/{trackingCode}', {
      params: { path: { trackingCode } },
      headers: { 'If-None-Match': status.response.headers.get('etag')! },
      parseAs: 'text',
    });
    expect(unchanged.response.status).toBe(304);
    // Another ETag (the representation changed since) still gets the whole answer.
    const changed = await channel.GET('/v1/categories', { headers: { 'If-None-Match': 'W/"0-stale"' } });
    expect(changed.response.status).toBe(200);
    expect(changed.data?.length).toBe(first.data?.length);
  });

  it('lets an officer log in, find the case and act on it, with the errors the document names', async () => {
    const anonymous = await apiClient(engine);
    const login = await anonymous.POST('/v1/auth/login', { body: { username: 'bk.client.handler', password: 'wrong password' } });
    expect(login.response.status).toBe(401);

    const officer = await apiClient(engine, { Authorization: `Bearer ${handlerToken}` });
    const me = await officer.GET('/v1/auth/me');
    expect(me.data).toMatchObject({ username: 'bk.client.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' });

    const queue = await officer.GET('/v1/cases', { params: { query: { status: ['assigned', 'in_progress'], limit: 50 } } });
    const summary = queue.data!.items.find((c) => c.trackingCode === trackingCode);
    expect(summary).toBeDefined();
    const id = summary!.id;

    // The document says expectedVersion is required: sent without it anyway, the API says the same.
    const noVersion = await officer.POST('/v1/cases/{id}/acknowledge', {
      params: { path: { id } },
      body: { severity: 'normal' } as { expectedVersion: number; severity: 'normal' },
    });
    expect(noVersion.response.status).toBe(400);
    expect(noVersion.error?.errors).toEqual([{ field: 'expectedVersion', problems: [expect.stringMatching(/expectedVersion is required/)] }]);

    const acked = await officer.POST('/v1/cases/{id}/acknowledge', {
      params: { path: { id } },
      body: { expectedVersion: summary!.version, severity: 'normal' },
    });
    expect(acked.response.status).toBe(200);
    expect(acked.data).toMatchObject({ id, status: 'in_progress', stage: 'resolve', citizen: { masked: false, phone: '0904123456' } });

    const stale = await officer.POST('/v1/cases/{id}/resolve', {
      params: { path: { id } },
      body: { expectedVersion: summary!.version, answer: 'Đã xử lý.' },
    });
    expect(stale.response.status).toBe(409);

    const detail = await officer.GET('/v1/cases/{id}', { params: { path: { id } } });
    expect(detail.data?.timeline.map((e) => e.action)).toEqual(expect.arrayContaining(['receive', 'route', 'acknowledge']));
  });

  it('lets an administrator send a designation whose ids are strings, and null to clear', async () => {
    const admin = await apiClient(engine, { Authorization: `Bearer ${await adminToken(engine)}` });
    const units = await admin.GET('/v1/units');
    const unit = units.data!.find((u) => u.code === 'P_BACH_KHOA')!;
    expect(unit.handler).not.toBeNull();

    const same = await admin.PUT('/v1/units/{code}/designation', {
      params: { path: { code: unit.code } },
      body: { handlerId: unit.handler!.id, leaderId: unit.leader?.id ?? null },
    });
    expect(same.response.status).toBe(200);
    expect(same.data).toMatchObject({ unit: { code: 'P_BACH_KHOA', handler: { id: unit.handler!.id } }, movedCases: 0 });

    const unknown = await admin.PUT('/v1/units/{code}/designation', { params: { path: { code: 'NO_SUCH_UNIT' } }, body: { handlerId: null, leaderId: null } });
    expect(unknown.response.status).toBe(404);
  });
});
