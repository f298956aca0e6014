import { adminToken, bearer, createOfficer, ManualClock, TestEngine } from '@fr/testing';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('hostile cursors on the queue', () => {
  const clock = new ManualClock(new Date('2026-03-02T01:00:00Z'));
  let engine: TestEngine;
  let handler: string;
  let sup: string;
  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.fin', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
    sup = (await createOfficer(engine, admin, { username: 'sup.fin', role: 'SUPERVISOR', unitCode: 'VP' })).token;
  });
  afterAll(() => engine?.close());

  const U = '00000000-0000-4000-8000-000000000000';
  const cursors: [string, string][] = [
    ['garbage', '!!!not-base64***'],
    ['tampered', b64('["2026-03-02T01:00:00.000Z","' + U + '"')],
    ['infinity', b64(['infinity', U])],
    ['Infinity', b64(['Infinity', U])],
    ['-infinity', b64(['-infinity', U])],
    ['epoch', b64(['1970-01-01T00:00:00.000Z', U])],
    ['far future', b64(['+275760-09-13T00:00:00.000Z', U])],
    ['year 9999', b64(['9999-12-31T23:59:59.999Z', U])],
    ['bound 2000', b64(['2000-01-01T00:00:00.000Z', U])],
    ['just below 2200', b64(['2199-12-31T23:59:59.999Z', U])],
    ['upper uuid', b64(['2026-03-02T01:00:00.000Z', U.toUpperCase()])],
    ['max uuid', b64(['2026-03-02T01:00:00.000Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff'])],
    ['number', b64([1772413200000, U])],
    ['object', b64({ 0: 'infinity', 1: U })],
    ['null', b64(null)],
    ['three', b64(['infinity', U, 1])],
    ['nul byte', b64(['2026-03-02T01:00:00.000Z\u0000', U])],
  ];
  for (const overdue of [false, true]) {
    for (const who of ['handler', 'sup'] as const) {
      it.each(cursors)(`overdue=${overdue} ${who}: %s is 200 or 400`, async (_name, cursor) => {
        const res = await engine
          .http()
          .get(`/v1/cases?${overdue ? 'overdue=true&' : ''}limit=5&cursor=${encodeURIComponent(cursor)}`)
          .set(bearer(who === 'handler' ? handler : sup));
        expect([200, 400]).toContain(res.status);
      });
    }
  }
  it('two cursors', async () => {
    const res = await engine.http().get(`/v1/cases?overdue=true&cursor=a&cursor=b`).set(bearer(sup));
    expect([400]).toContain(res.status);
  });
});
