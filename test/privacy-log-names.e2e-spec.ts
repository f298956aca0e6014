import { adminToken, bearer, createOfficer, DEV_KEYS, StdoutCapture, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

jest.setTimeout(60_000);

/**
 * A citizen's name written without diacritics and without spaces, where the access log writes what the
 * caller sent: a hotline desk's X-Request-Id made of the caller's name, a name typed where the tracking
 * code goes, a name in a query value. With its diacritics the name was dropped (no id is made of
 * non-ASCII letters, and a path segment of words is censored); without them it was logged whole, on the
 * request's line and on every line of the jobs it caused.
 */
describe("citizens' names without diacritics in the logs", () => {
  let engine: TestEngine;
  let handler: string;
  let admin: string;
  let stdout: StdoutCapture;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const KEPT_ID = 'ihanoi-batch-2026-12-07-0001';

  beforeAll(async () => {
    stdout = new StdoutCapture();
    engine = await TestEngine.start({ env: { LOG_LEVEL: 'info' } });
    admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'lognames.bk.handler', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(async () => {
    await engine?.close();
    stdout?.restore();
  });

  it('logs neither the request id nor the path nor the query value that holds the name, and keeps ids and unit codes that hold none', async () => {
    const byName = await engine
      .http()
      .get('/v1/hotline/cases/Nguyen-Thi-Minh-Nguyet')
      .set(bearer(handler))
      .set('X-Request-Id', 'hotline-Nguyen-Thi-Minh-Nguyet');
    expect(byName.headers['x-request-id']).toMatch(UUID);
    await engine.http().get('/v1/hotline/cases/NguyenThiMinhNguyet').set(bearer(handler)).set('X-Request-Id', 'desk2.nguyen.thi.minh.nguyet');
    await engine.http().get('/v1/cases?q=nguyen_thi_minh_nguyet&limit=5').set(bearer(handler));

    const intake = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi, 'X-Request-Id': 'ihanoi-Lo-Thi-Quynh-Hoa-01' })
      .send({
        category: 'sanitation',
        description: 'Rác thải ùn ứ đầu ngõ 12 Tạ Quang Bửu ba ngày chưa được thu gom.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Lò Thị Quỳnh Hoa', phone: '0977123458' },
      });
    expect(intake.status).toBe(202);
    expect(intake.headers['x-request-id']).toMatch(UUID);
    const { id } = intake.body as FeedbackAcceptedDto;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status === 'assigned',
      { what: 'routing to Phường Bách Khoa' },
    );

    // Ids and codes that hold no name stay as they came: a ward named after a king is a unit's code.
    const kept = await engine.http().get('/v1/units/coverage').set(bearer(admin)).set('X-Request-Id', KEPT_ID);
    expect(kept.headers['x-request-id']).toBe(KEPT_ID);
    await engine.http().put('/v1/units/P_LE_DAI_HANH/designation').set(bearer(handler)).send({});

    const output = stdout.text();
    const lines = output.split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l) as { req?: { url?: string }; requestId?: string }];
      } catch {
        return [];
      }
    });
    const urls = lines.flatMap((l) => (l.req?.url ? [l.req.url] : []));
    expect(urls).toEqual(expect.arrayContaining(['/v1/hotline/cases/[redacted]', '/v1/cases?q=[redacted]&limit=5', '/v1/units/P_LE_DAI_HANH/designation']));
    expect(lines.some((l) => l.requestId === KEPT_ID)).toBe(true);
    const leaked = ['nguyen', 'quynh'].filter((word) => output.toLowerCase().includes(word));
    expect(leaked).toEqual([]);
  });
});
